"""How each kind of section sounds, per genre, and how a form is laid out in bars.

A producer's intro is sparser than the verse, the chorus fuller and louder with its own
melody, the outro thins out again. That is data: one :class:`Character` per section kind in
:data:`CHARACTER`, with overrides per genre group in :data:`GENRE_CHARACTER` (a house intro
is drums and pad, a boom bap intro is the keys alone). The arrange agent reads the table; no
section kind is special-cased in code.

>>> character("chorus", genre="lo-fi").fresh, character("intro", genre="house").plays("drums")
(('melody', 'lead'), True)
>>> character("intro", genre="lo-fi").plays("drums")
False
>>> [(s.name, s.start_bar, s.bars) for s in layout(["intro", "verse", "chorus", "verse", "chorus", "outro"])]
[('intro', 1, 4), ('verse', 5, 8), ('chorus', 13, 8), ('verse 2', 21, 8), ('chorus 2', 29, 8), ('outro', 37, 4)]
>>> sum(s.bars for s in layout(["verse", "chorus"], total=68))
68
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.form import Section
from orchestria_lab.music.naming import numbered

ALL = "all"


@dataclass(frozen=True)
class Character:
    """How one kind of section is played: which roles play (``"all"`` or a tuple), how hard
    (``velocity``, a factor), how busy (``density``, added to each generated part's), which roles
    get their own material (``fresh``: a new take for this kind of section), its usual length, and how
    much louder or softer the whole section sits (``lift_db``, a gain lane on every part)."""

    plays_roles: str | tuple[str, ...] = ALL
    velocity: float = 1.0
    density: float = 0.0
    fresh: tuple[str, ...] = ()
    bars: int = 8
    lift_db: float = 0.0

    def plays(self, role: str) -> bool:
        return self.plays_roles == ALL or role in self.plays_roles


_MELODIC = ("melody", "lead")
_KEYS = ("chords", "pad", "arp", "fx")

#: The default character of each section kind.
CHARACTER: dict[str, Character] = {
    "intro": Character(_KEYS, velocity=0.8, density=-0.2, bars=4, lift_db=-1.5),
    "verse": Character(),
    "pre-chorus": Character(velocity=1.05, density=0.1, bars=4, lift_db=0.5),
    "chorus": Character(velocity=1.2, density=0.25, fresh=_MELODIC, lift_db=2.5),
    "bridge": Character((*_KEYS, "bass", *_MELODIC), velocity=0.9, density=-0.1, fresh=_MELODIC, lift_db=-1.0),
    "breakdown": Character((*_KEYS, *_MELODIC), velocity=0.85, density=-0.25, lift_db=-1.5),
    "drop": Character(velocity=1.25, density=0.3, fresh=_MELODIC, lift_db=3.0),
    "outro": Character((*_KEYS, "bass"), velocity=0.8, density=-0.2, bars=4, lift_db=-1.5),
}

#: Genre groups whose sections are played differently from the default.
GENRE_GROUPS: dict[str, tuple[str, ...]] = {
    "club": ("house", "techno", "edm", "drum-and-bass", "dubstep", "ambient-techno", "uk-garage", "disco",
             "trance"),
    "hip hop": ("lo-fi", "hip-hop", "trap", "drill", "rnb"),
}
#: Per genre group, the section kinds it plays its own way (a DJ intro is drums and pad).
GENRE_CHARACTER: dict[str, dict[str, Character]] = {
    "club": {
        "intro": Character(("drums", "percussion", "pad", "fx"), velocity=0.85, density=-0.1, bars=8, lift_db=-1.0),
        "breakdown": Character((*_KEYS, *_MELODIC), velocity=0.8, density=-0.3, lift_db=-2.0),
        "outro": Character(("drums", "percussion", "pad", "fx"), velocity=0.85, density=-0.1, bars=8, lift_db=-1.0),
    },
    "hip hop": {
        "intro": Character((*_KEYS, *_MELODIC), velocity=0.85, density=-0.1, bars=4, lift_db=-1.5),
        "outro": Character((*_KEYS, *_MELODIC), velocity=0.8, density=-0.2, bars=4, lift_db=-1.5),
    },
}


def kind_of(name: str) -> str:
    """The kind of a section from its name ("chorus 2" is a chorus; an unknown name plays as a verse)."""
    base = name.rstrip("0123456789 ").strip()
    return base if base in CHARACTER else "verse"


def character(kind: str, *, genre: str) -> Character:
    """How a section of ``kind`` (or named so: "chorus 2") is played in ``genre``."""
    kind = kind_of(kind)
    for group, genres in GENRE_GROUPS.items():
        if genre in genres and kind in GENRE_CHARACTER[group]:
            return GENRE_CHARACTER[group][kind]
    return CHARACTER[kind]


def layout(names: list[str], *, lengths: list[int] | None = None, total: int | None = None,
           genre: str = "pop") -> list[Section]:
    """Sections in the order ``names`` gives, each ``lengths[i]`` bars or its kind's usual length.

    With ``total`` (a length asked in time or bars), a form of three sections or more is stretched to
    fill it (in whole 4-bar phrases where it can be); a pattern of one or two ("a verse and a chorus")
    repeats until the song is full, and the last section takes what is left over.
    """
    if not names:
        raise InvalidValue("form", [], "at least one section, such as intro, verse, chorus, outro")
    sizes = [int(n) if n else character(k, genre=genre).bars for k, n in zip(names, lengths or [0] * len(names),
                                                                              strict=True)]
    order, bars = list(zip(names, sizes, strict=True)), list(sizes)
    if total is not None and len(names) >= 3:  # a whole form: its sections stretched to fill the time
        bars = _stretched(sizes, total)
        order = list(zip(names, bars, strict=True))
    elif total is not None:  # a pattern ("a verse and a chorus"): repeated until the song is full
        order, k = [], 0
        while sum(b for _, b in order) + sizes[k % len(sizes)] <= total:
            order.append((names[k % len(names)], sizes[k % len(sizes)]))
            k += 1
        if not order:
            order = [(names[0], total)]
        left = total - sum(b for _, b in order)
        order[-1] = (order[-1][0], order[-1][1] + left)
        bars = [b for _, b in order]
    if sum(bars) > 256:
        raise InvalidValue("form", f"{sum(bars)} bars", "a form of at most 256 bars")
    out, start, taken = [], 1, set()
    for name, n in order:
        label = numbered(name, taken)
        taken.add(label)
        out.append(Section(label, start, n))
        start += n
    return out


def _stretched(sizes: list[int], total: int, *, phrase: int = 4) -> list[int]:
    """``sizes`` scaled to sum to ``total``, in whole phrases where the total allows (largest remainder).

    >>> _stretched([4, 8, 8, 8, 8], 68)
    [8, 16, 16, 16, 12]
    """
    unit = phrase if total % phrase == 0 and total >= phrase * len(sizes) else 1
    units = total // unit
    shares = [s * units / sum(sizes) for s in sizes]
    out = [max(1, int(x)) for x in shares]
    for i in sorted(range(len(sizes)), key=lambda i: shares[i] - int(shares[i]), reverse=True):
        if sum(out) >= units:
            break
        out[i] += 1
    while sum(out) > units:
        out[max(range(len(out)), key=lambda i: out[i])] -= 1
    return [n * unit for n in out]


__all__ = ["CHARACTER", "GENRE_CHARACTER", "GENRE_GROUPS", "Character", "character", "kind_of", "layout"]
