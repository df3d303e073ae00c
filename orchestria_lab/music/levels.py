"""How loud each part sits in a mix, by role and genre: an engineer's rules of thumb, as data.

Levels are in LU (loudness units, BS.1770) against the anchor, the kick and bass at 0. Each
role's own level is on its record (:class:`~orchestria_lab.music.vocabulary.Role`): snare-and-
kick drums and the bass at 0, a lead close under them, chords and melody a few LU down, pads
and ear candy well below. :data:`GENRE_LEVELS` says where a style departs from that: techno
keeps its chords and pads far under a driving low end, ambient lifts its pads over soft
drums, jazz and rock put the band nearer the drums. A genre the table does not name takes the
levels of its base genre (:mod:`~orchestria_lab.music.genres`), and then the roles' own.

>>> target_lu("bass", "pop"), target_lu("pad", "pop"), target_lu("pad", "ambient")
(0.0, -10.0, -4.0)
>>> target_lu("pad", "ambient-techno")   # not in the table: its base, techno
-13.0
"""

from __future__ import annotations

from orchestria_lab.music.genres import GENRES, normalize_genre
from orchestria_lab.music.vocabulary import ROLE_RECORDS

#: Where a genre's balance departs from the roles' own levels (LU against the kick and bass).
GENRE_LEVELS: dict[str, dict[str, float]] = {
    "techno": {"bass": -1.0, "chords": -9.0, "pad": -13.0, "arp": -9.0},
    "house": {"chords": -7.0, "pad": -12.0},
    "edm": {"lead": -2.0, "pad": -12.0},
    "trap": {"bass": 1.0, "melody": -5.0},
    "drum-and-bass": {"bass": 1.0, "pad": -11.0},
    "hip-hop": {"chords": -7.0},
    "lo-fi": {"drums": -1.0, "chords": -5.0, "melody": -5.0},
    "jazz": {"drums": -3.0, "bass": -1.0, "chords": -4.0, "melody": -2.0},
    "rock": {"chords": -3.0, "lead": -2.0},
    "funk": {"chords": -5.0},
    "ambient": {"drums": -6.0, "bass": -3.0, "chords": -4.0, "pad": -4.0, "melody": -3.0},
    "cinematic": {"drums": -5.0, "chords": -3.0, "pad": -4.0, "melody": -2.0},
    "folk": {"drums": -4.0, "chords": -2.0},
}


def target_lu(role: str, genre: str) -> float:
    """The loudness ``role`` sits at in a ``genre`` mix, in LU against the kick and bass."""
    info = GENRES[normalize_genre(genre)]
    for name in (info.name, info.base):
        if role in GENRE_LEVELS.get(name, {}):
            return GENRE_LEVELS[name][role]
    return ROLE_RECORDS[role].level
