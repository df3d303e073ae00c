"""What to try instead: the phrasings closest to a command that was not understood.

>>> suggest("add som reverb to teh piano")[0]
'add reverb to the piano'
>>> len(suggest(""))
3
"""

from __future__ import annotations

import difflib
import re

#: Phrasings the parser understands, one per kind of thing it does.
EXAMPLES: tuple[str, ...] = (
    "add warm piano chords with reverb", "add a boom bap drum beat", "add an 808 bass line",
    "add a melody on electric piano", "add an ambient pad", "add a pluck arpeggio", "add some strings",
    "add reverb to the piano", "add some delay to the drums", "remove the reverb from the chords",
    "more reverb on the keys", "mute the drums", "unmute the drums", "solo the bass",
    "remove the drums", "remove everything except the bass", "bring back the drums",
    "make the bass louder", "turn the drums down 3 dB", "pan the melody to the left",
    "pan the bass hard right", "make the piano warmer", "make the drums punchier",
    "make the chords brighter", "replace the piano with an organ", "regenerate the chords",
    "put the melody up an octave", "swing the drums more", "kill the hats", "half time drums",
    "double time drums", "add some claps", "use power chords", "put the bass on the offbeats",
    "set the tempo to 120 bpm", "make it faster", "slow it down to 80", "double the tempo",
    "change the key to D minor", "transpose up two semitones", "make it 16 bars long",
    "set the time signature to 3/4", "switch the genre to house", "harmonize the melody",
    "continue the melody for 8 bars", "make the drums fit the bass", "undo", "redo",
    "go back to version 2", "go back to the original", "go back to before the drums",
)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9#]+", text.lower()))


def suggest(text: str, *, n: int = 3) -> list[str]:
    """The ``n`` example phrasings nearest ``text`` (by spelling and shared words)."""
    text = (text or "").lower().strip()[:300]
    if not text:
        return list(EXAMPLES[:n])
    words = _words(text)

    def score(example: str) -> float:
        shared = len(words & _words(example)) / max(1, len(_words(example) | words))
        return difflib.SequenceMatcher(None, text, example).ratio() + shared

    return sorted(EXAMPLES, key=score, reverse=True)[:n]
