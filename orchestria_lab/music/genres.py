"""Known styles and the mapping of free text to the nearest one.

>>> normalize_genre("Lo-Fi Hip Hop")
'lo-fi'
>>> normalize_genre("deep house")
'house'
>>> GENRES["jazz"].swing > 0
True
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from orchestria_lab.errors import InvalidValue


@dataclass(frozen=True)
class Genre:
    """Defaults a style brings: tempo range, swing (0 straight .. 1 full triplet), feel."""

    name: str
    bpm: tuple[int, int]
    swing: float
    aliases: tuple[str, ...] = ()
    description: str = ""


GENRES: dict[str, Genre] = {
    g.name: g
    for g in (
        Genre("lo-fi", (70, 95), 0.55, ("lofi", "lo fi", "chillhop", "chill hop", "lo-fi hip hop", "study beats"), "dusty, swung, jazzy 7th chords"),
        Genre("hip-hop", (80, 100), 0.35, ("hip hop", "hiphop", "boom bap", "boombap", "rap"), "boom bap grooves, sampled feel"),
        Genre("trap", (130, 160), 0.0, ("drill",), "808s, rolling hats at half-time feel"),
        Genre("jazz", (100, 180), 0.66, ("swing", "bebop", "bossa", "bossa nova"), "ii-V motion, extended chords, swing"),
        Genre("house", (118, 128), 0.1, ("deep house", "tech house", "garage"), "four on the floor, minor-7 stabs"),
        Genre("techno", (125, 140), 0.0, ("minimal", "industrial"), "driving kicks, sparse harmony"),
        Genre("edm", (124, 130), 0.0, ("dance", "electro", "big room", "trance"), "big builds, bright leads"),
        Genre("drum-and-bass", (160, 178), 0.0, ("dnb", "drum and bass", "drum n bass", "jungle", "breakbeat"), "fast breaks, deep bass"),
        Genre("pop", (95, 125), 0.0, ("synthpop", "indie pop", "k-pop"), "I-V-vi-IV families, clear hooks"),
        Genre("rock", (100, 150), 0.0, ("indie", "punk", "metal", "alternative", "grunge"), "backbeat, triads and power chords"),
        Genre("funk", (95, 115), 0.2, ("disco", "nu disco"), "syncopated 16ths, dominant 9ths"),
        Genre("rnb", (60, 90), 0.3, ("r&b", "soul", "neo soul", "neo-soul", "gospel"), "lush extended chords"),
        Genre("ambient", (60, 90), 0.0, ("chillout", "drone", "new age", "downtempo"), "slow pads, sparse rhythm"),
        Genre("cinematic", (70, 110), 0.0, ("film", "orchestral", "epic", "score", "classical"), "strings, swells"),
        Genre("reggae", (70, 90), 0.1, ("dub", "ska", "dancehall"), "offbeat skank, one drop"),
        Genre("latin", (90, 120), 0.0, ("salsa", "reggaeton", "afrobeat", "afro", "samba"), "clave-driven patterns"),
        Genre("folk", (80, 120), 0.0, ("country", "acoustic", "singer songwriter", "celtic"), "simple triads, acoustic"),
    )
}

_ALIAS_TO_GENRE = {alias: g.name for g in GENRES.values() for alias in (g.name, *g.aliases)}


def _simplify(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.lower()).strip()


def normalize_genre(text: str) -> str:
    """Map a genre name or free text to the nearest known style.

    Exact names and aliases win; then any alias contained in the text; then the
    closest spelling. Text with nothing close raises an error listing the styles.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidValue("genre", text, "a style such as " + ", ".join(GENRES))
    simple = _simplify(text)
    table = {_simplify(alias): name for alias, name in _ALIAS_TO_GENRE.items()}
    if simple in table:
        return table[simple]
    words = f" {simple} "
    for alias in sorted(table, key=len, reverse=True):
        if f" {alias} " in words:
            return table[alias]
    close = difflib.get_close_matches(simple, list(table), n=1, cutoff=0.6)
    if close:
        return table[close[0]]
    for word in simple.split():
        close = difflib.get_close_matches(word, list(table), n=1, cutoff=0.75)
        if close:
            return table[close[0]]
    raise InvalidValue("genre", text, "a style such as " + ", ".join(GENRES))
