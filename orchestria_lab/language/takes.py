"""Asking for several takes of a part, and choosing one: "give me 4 variations of the melody",
"take the second one", "the 2nd take", "candidate 3".

Words are data (:data:`TAKES`, :data:`ORDINALS`, :data:`TAKE_NOUNS`, :data:`CHOOSING`). A variations
plan is ``takes.variations(count=N)`` followed by the regenerate actions of the parts named; a
choice is ``takes.choose(candidate=n)`` alone. The number of takes is from :data:`MIN_TAKES` to
:data:`MAX_TAKES`; another is refused, saying so.

>>> from orchestria_lab.language.frames import frames
>>> wanted(frames("give me 4 variations of the melody"))
4
>>> wanted(frames("make the drums louder")) is None
True
>>> [choice(t) for t in ("take the second one", "the 2nd take please", "candidate 3", "go with the last one",
...                      "fade out over the last second", "go back to version 2", "remove the last one")]
[2, 2, 3, -1, None, None, None]
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from orchestria_lab.language.lexicon import NUMBER_WORDS

if TYPE_CHECKING:
    from orchestria_lab.language.frames import Frame

#: Words that name several takes of a part ("three variations", "two different drum patterns").
TAKES = ("variations", "variation", "versions", "takes", "alternatives", "options", "patterns", "ideas", "beats",
         "grooves", "melodies", "progressions", "basslines", "bass lines", "candidates", "alternates")
#: How many takes a variations command makes.
MIN_TAKES, MAX_TAKES = 2, 8
#: Ordinal words, counted from 1 (``last`` is -1: the last candidate).
ORDINALS: dict[str, int] = {
    **{w: i for i, w in enumerate(("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"), 1)},
    **{f"{i}{s}": i for i, s in enumerate(("st", "nd", "rd", "th", "th", "th", "th", "th"), 1)},
    "last": -1,
}
#: Nouns a choice names a candidate by ("the second one", "take 2", "candidate 3").
TAKE_NOUNS = ("one", "take", "candidate", "variation", "option", "alternative", "alternate", "idea")
#: Verbs of choosing, which make an ordinal at the end a choice ("go with the third").
CHOOSING = ("take", "choose", "pick", "keep", "use", "select", "go with", "want", "prefer", "like", "i'll have",
            "let's go with", "lets go with")


def wanted(clauses: list[Frame]) -> int | None:
    """How many takes the command asks for ("4 variations"), or None when it asks for none.
    "go back two versions" is history, not takes."""
    for f in clauses:
        if f.has("history"):
            continue
        tokens = f.tokens
        for i, t in enumerate(tokens):
            if t.kind == "number" and not t.value[1] and any(u.text in TAKES for u in tokens[i + 1:i + 4]):
                return int(t.value[0]) if float(t.value[0]).is_integer() else -1
    return None


def choice(text: str) -> int | None:
    """The candidate a command chooses (from 1; -1 for "the last one"), or None when it chooses none."""
    words = re.findall(r"[a-z0-9']+", text.lower())
    said = " ".join(words)
    for i, w in enumerate(words):
        after = words[i + 1] if i + 1 < len(words) else None
        if w in TAKE_NOUNS[1:] and after is not None and (after.isdigit() or after in NUMBER_WORDS) and w != "one":
            rest = words[i + 2:]
            if not rest or rest == ["please"]:  # "candidate 3", "take 2": nothing after the number
                return int(after) if after.isdigit() else int(NUMBER_WORDS[after])
        if w not in ORDINALS or i == 0 or words[i - 1] != "the":
            continue
        tail = words[i + 2:] in ([], ["please"], ["best"], ["better"])
        chooses = words[0] == "the" or any(re.search(rf"\b{v}\b", said) for v in CHOOSING)
        if (after in TAKE_NOUNS[1:] and tail) or (chooses and (after is None or after == "please"
                                                                or (after == "one" and tail))):
            return ORDINALS[w]
    return None
