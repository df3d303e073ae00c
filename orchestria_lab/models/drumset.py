"""The drum-pattern set: text grids in ``data/drums/*.txt``, parsed into step tokens.

A pattern is a few bars for one genre and meter, one line per voice (a name from
``GM_DRUMS``), one character per 16th note: ``x`` hit, ``X`` accent, ``o`` ghost, ``-`` or
``.`` rest (spaces inside a bar are ignored, to group beats); ``|`` separates bars and
``%`` repeats the voice's previous bar::

    pattern: house/classic
    meter: 4/4
    kick        x--- x--- x--- x--- | % | % | x--- x--- x--- x-x-
    clap        ---- x--- ---- x--- | % | % | ---- x--- ---- xxxx

Each step becomes one token: the set of voices struck together (a ghost snare is its own
voice, ``snare~``), numbered in order of first appearance over the sorted pattern files.

>>> text = '''pattern: rock/test
... meter: 2/4
... kick   x-------  | %
... snare  ----x---  | ----x-oo
... '''
>>> [p.name for p in parse(text)], parse(text)[0].steps[-2:]
(['rock/test'], (('snare~',), ('snare~',)))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orchestria_lab.errors import InvalidValue
from orchestria_lab.models.tokens import meter_id, steps_per_bar
from orchestria_lab.music.genres import MODEL_GENRES
from orchestria_lab.music.vocabulary import GM_DRUMS

DRUM_DIR = Path(__file__).resolve().parents[2] / "data" / "drums"
GHOST = "~"
#: Voices a token can hold: every GM drum, and the ghost snare.
VOICES = (*GM_DRUMS, "snare" + GHOST)
GENRE_NAMES = MODEL_GENRES


@dataclass(frozen=True)
class Pattern:
    """One written pattern: its name (``genre/label``), meter and per-step voice sets."""

    name: str
    meter: str
    steps: tuple[tuple[str, ...], ...]

    @property
    def genre(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def bars(self) -> int:
        return len(self.steps) // steps_per_bar(self.meter)


def parse(text: str, *, source: str = "<text>") -> list[Pattern]:
    """Patterns written in ``text`` (see the module docstring for the format)."""
    patterns: list[Pattern] = []
    header: dict[str, str] = {}
    lines: list[tuple[str, list[str]]] = []

    def flush() -> None:
        if header:
            patterns.append(_build(header, lines, source))
        header.clear()
        lines.clear()

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        field, sep, value = line.partition(":")
        if sep and field.strip() in ("pattern", "meter"):
            if field.strip() == "pattern":
                flush()
            header[field.strip()] = value.strip()
            continue
        voice, _, grid = line.partition(" ")
        if voice not in GM_DRUMS:
            raise InvalidValue(f"drum voice ({source}:{number})", voice, "one of " + ", ".join(GM_DRUMS))
        lines.append((voice, ["".join(b.split()) for b in grid.split("|")]))
    flush()
    return patterns


def _build(header: dict[str, str], lines: list[tuple[str, list[str]]], source: str) -> Pattern:
    name, meter = header.get("pattern", ""), header.get("meter", "4/4")
    if name.split("/", 1)[0] not in MODEL_GENRES:
        raise InvalidValue(f"pattern genre ({source})", name, "genre/label with a genre from " + ", ".join(MODEL_GENRES))
    spb = steps_per_bar(meter)
    n_bars = {len(bars) for _, bars in lines}
    if len(n_bars) != 1:
        raise InvalidValue(f"bars of {name} ({source})", sorted(n_bars), "the same number of bars on every line")
    steps: list[set[str]] = [set() for _ in range(spb * n_bars.pop())]
    for voice, bars in lines:
        previous = None
        for b, bar in enumerate(bars):
            bar = previous if bar == "%" else bar
            if bar is None or len(bar) != spb:
                raise InvalidValue(f"bar {b + 1} of {voice} in {name} ({source})", bar, f"{spb} steps for {meter}")
            for s, ch in enumerate(bar):
                if ch in "xX":
                    steps[b * spb + s].add(voice)
                elif ch == "o":
                    steps[b * spb + s].add(voice + GHOST if voice == "snare" else voice)
                elif ch not in "-.":
                    raise InvalidValue(f"step of {voice} in {name} ({source})", ch, "x, X, o, - or .")
            previous = bar
    return Pattern(name, meter, tuple(tuple(sorted(s)) for s in steps))


def read_all(directory: Path = DRUM_DIR) -> list[Pattern]:
    """Every pattern of every ``*.txt`` file in ``directory``, in file order."""
    out = []
    for path in sorted(Path(directory).glob("*.txt")):
        out.extend(parse(path.read_text(), source=path.name))
    return out


def to_arrays(patterns: list[Pattern]) -> dict[str, np.ndarray]:
    """Token arrays of the patterns: ``drums`` tokens indexing ``combos`` (``"kick+snare"``)."""
    combos: dict[tuple[str, ...], int] = {(): 0}
    tokens = []
    for p in patterns:
        tokens.append([combos.setdefault(s, len(combos)) for s in p.steps])
    return {
        "names": np.array([p.name for p in patterns]),
        "genre": np.array([GENRE_NAMES.index(p.genre) for p in patterns], dtype=np.uint8),
        "meter": np.array([meter_id(p.meter) for p in patterns], dtype=np.uint8),
        "offsets": np.cumsum([0] + [len(t) for t in tokens]).astype(np.int64),
        "drums": np.concatenate([np.asarray(t, dtype=np.uint16) for t in tokens]),
        "combos": np.array(["+".join(c) for c in combos]),
        "genres": np.array(GENRE_NAMES),
    }
