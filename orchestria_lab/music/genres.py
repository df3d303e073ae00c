"""Styles: one record per genre with its traits, and free text mapped to the nearest one.

A :class:`Genre` declares what the style is made of, and every agent reads it from here:
its tempo range, its swing, its drum groove (:data:`~orchestria_lab.music.grooves.GROOVES`),
its harmony family (:data:`~orchestria_lab.music.progressions.PROGRESSIONS`), its bass
style, and the model genre (``base``) the trained models were conditioned on.

A style the orchestra knows by name but does not make (:data:`LOOKALIKES`: vaporwave,
shoegaze, chiptune ...) is described by the same traits, and maps to the genre whose
traits are nearest; :func:`match_genre` says which one it chose and why.

>>> normalize_genre("Lo-Fi Hip Hop")
'lo-fi'
>>> normalize_genre("deep house"), normalize_genre("dubstep"), normalize_genre("UK garage")
('house', 'dubstep', 'uk-garage')
>>> print(match_genre("vaporwave").note)
vaporwave is not a style I make; the nearest is synthwave (same drums, same harmony, 80-118 bpm)
>>> GENRES["jazz"].swing > 0, GENRES["drill"].base
(True, 'trap')
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from orchestria_lab.errors import InvalidValue


@dataclass(frozen=True)
class Traits:
    """What a style is made of: tempo range, swing (0 straight .. 1 full triplet), the drum
    groove and the harmony family it uses."""

    bpm: tuple[int, int]
    swing: float
    drums: str
    harmony: str

    def distance(self, other: Traits) -> float:
        """How far apart two styles are: a different groove or harmony family counts most,
        then tempo (the gap between the ranges, per 20 bpm) and swing."""
        lo, hi = max(self.bpm[0], other.bpm[0]), min(self.bpm[1], other.bpm[1])
        tempo_gap = max(0, lo - hi) / 20
        return (2.0 * (self.drums != other.drums) + 1.5 * (self.harmony != other.harmony)
                + tempo_gap + 2.0 * abs(self.swing - other.swing))

    def same(self, other: Traits) -> str:
        """The traits two styles share, in words: "same drums, same harmony, 80-118 bpm"."""
        out = [f"same {name}" for name, a, b in (("drums", self.drums, other.drums),
                                                  ("harmony", self.harmony, other.harmony)) if a == b]
        return ", ".join([*out, f"{other.bpm[0]}-{other.bpm[1]} bpm"])


@dataclass(frozen=True)
class Genre:
    """A style the agents make: its traits, the bass style it asks for (None: the
    instrument's), the genre the trained models know it as, and the words that name it."""

    name: str
    traits: Traits
    bass: str | None
    base: str
    aliases: tuple[str, ...] = ()
    description: str = ""

    @property
    def bpm(self) -> tuple[int, int]:
        return self.traits.bpm

    @property
    def swing(self) -> float:
        return self.traits.swing


def _g(name: str, bpm: tuple[int, int], swing: float, drums: str, harmony: str, *, bass: str | None = None,
       base: str | None = None, aliases: tuple[str, ...] = (), description: str = "") -> Genre:
    return Genre(name, Traits(bpm, swing, drums, harmony), bass, base or name, aliases, description)


#: The genres the trained models were conditioned on, in the order of their genre index.
MODEL_GENRES: tuple[str, ...] = (
    "lo-fi", "hip-hop", "trap", "jazz", "house", "techno", "edm", "drum-and-bass", "pop", "rock",
    "funk", "rnb", "ambient", "cinematic", "reggae", "latin", "folk",
)

GENRES: dict[str, Genre] = {g.name: g for g in (
    _g("lo-fi", (70, 95), 0.55, "lofi", "jazzy", aliases=("lofi", "lo fi", "chillhop", "chill hop", "lo-fi hip hop",
       "lofi hip hop", "study beats"), description="dusty, swung, jazzy 7th chords"),
    _g("hip-hop", (80, 100), 0.35, "boom_bap", "hiphop", aliases=("hip hop", "hiphop", "boom bap", "boombap", "rap"),
       description="boom bap grooves, sampled feel"),
    _g("trap", (130, 160), 0.0, "trap", "trap", bass="sustain", description="808s, rolling hats at half-time feel"),
    _g("jazz", (100, 180), 0.66, "jazz", "jazz", bass="walking", aliases=("swing", "bebop", "hard bop", "cool jazz"),
       description="ii-V motion, extended chords, swing"),
    _g("house", (118, 128), 0.1, "four_on_the_floor", "house", bass="offbeat", aliases=("deep house", "tech house"),
       description="four on the floor, minor-7 stabs"),
    _g("techno", (125, 140), 0.0, "techno", "techno", bass="offbeat", aliases=("minimal", "industrial"),
       description="driving kicks, sparse harmony"),
    _g("edm", (124, 130), 0.0, "four_on_the_floor", "edm", bass="offbeat", aliases=("dance", "electro", "big room"),
       description="big builds, bright leads"),
    _g("drum-and-bass", (160, 178), 0.0, "breakbeat", "jazzy", bass="sustain", aliases=("dnb", "drum and bass",
       "drum n bass", "drum & bass", "jungle", "breakbeat", "liquid"), description="fast breaks, deep bass"),
    _g("pop", (95, 125), 0.0, "pop", "pop", bass="kick", aliases=("synthpop", "synth pop", "indie pop", "k-pop", "kpop"),
       description="I-V-vi-IV families, clear hooks"),
    _g("rock", (100, 150), 0.0, "rock", "rock", bass="eighths", aliases=("indie", "alternative", "indie rock"),
       description="backbeat, triads and power chords"),
    _g("funk", (95, 115), 0.2, "funk", "funk", aliases=("p-funk",), description="syncopated 16ths, dominant 9ths"),
    _g("rnb", (60, 90), 0.3, "boom_bap", "jazzy", aliases=("r&b", "r and b", "rhythm and blues"),
       description="lush extended chords"),
    _g("ambient", (60, 90), 0.0, "ambient", "ambient", bass="sustain", aliases=("chillout", "drone", "new age", "downtempo"),
       description="slow pads, sparse rhythm"),
    _g("cinematic", (70, 110), 0.0, "cinematic", "ambient", bass="sustain", aliases=("film", "orchestral", "epic",
       "film score", "classical"), description="strings, swells"),
    _g("reggae", (70, 90), 0.1, "one_drop", "reggae", aliases=("dub", "ska", "roots reggae"),
       description="offbeat skank, one drop"),
    _g("latin", (90, 120), 0.0, "latin", "latin", aliases=("salsa", "samba", "cumbia"),
       description="clave-driven patterns"),
    _g("folk", (80, 120), 0.0, "folk", "folk", aliases=("acoustic", "singer songwriter", "celtic", "americana"),
       description="simple triads, acoustic"),
    # styles the models know by their base genre
    _g("dubstep", (138, 145), 0.0, "dubstep", "trap", bass="sustain", base="edm", aliases=("brostep", "riddim"),
       description="half-time kick and snare on 3, wobbling sub"),
    _g("synthwave", (80, 118), 0.0, "synthwave", "edm", bass="eighths", base="pop", aliases=("retrowave", "outrun"),
       description="80s gated backbeat, driving eighth-note bass, minor progressions"),
    _g("drill", (138, 146), 0.0, "drill", "trap", bass="sustain", base="trap", aliases=("uk drill", "ny drill"),
       description="sliding 808s, skippy kicks, snare on the 4th eighth"),
    _g("afrobeats", (98, 112), 0.15, "afrobeats", "pop", base="latin", aliases=("afrobeat", "afro", "afropop",
       "afro pop", "amapiano"), description="3-3-2 kick, shakers and a syncopated rim"),
    _g("bossa-nova", (110, 140), 0.0, "bossa", "jazz", base="jazz", aliases=("bossa nova", "bossa"),
       description="cross-stick bossa clave, major 7ths"),
    _g("metal", (100, 180), 0.0, "metal", "rock", bass="eighths", base="rock", aliases=("heavy metal", "thrash",
       "metalcore", "doom metal"), description="double kick, power chords"),
    _g("gospel", (70, 100), 0.35, "boom_bap", "jazz", base="rnb", aliases=("gospel choir", "church music"),
       description="swung backbeat, rich extended chords"),
    _g("ambient-techno", (118, 128), 0.0, "ambient_techno", "ambient", bass="sustain", base="techno",
       aliases=("ambient techno", "dub techno"), description="soft four-on-the-floor under slow colour chords"),
    _g("uk-garage", (128, 136), 0.3, "two_step", "house", bass="offbeat", base="house", aliases=("uk garage", "garage",
       "2-step", "2 step", "two step", "speed garage"), description="skippy swung two-step kicks, 7th stabs"),
    _g("disco", (110, 124), 0.05, "four_on_the_floor", "funk", bass="offbeat", base="funk", aliases=("nu disco", "nu-disco"),
       description="four on the floor, open hats, octave bass"),
    _g("trance", (132, 140), 0.0, "four_on_the_floor", "edm", bass="offbeat", base="edm", aliases=("psytrance",
       "uplifting trance"), description="driving kick, rolling offbeat bass, epic minor chords"),
    _g("blues", (70, 120), 0.6, "shuffle", "blues", bass="walking", base="jazz", aliases=("delta blues", "12 bar blues"),
       description="shuffled ride, dominant 7ths on I, IV and V"),
    _g("reggaeton", (88, 100), 0.0, "dembow", "latin", bass="kick", base="latin", aliases=("dembow", "perreo"),
       description="the dembow riddim"),
    _g("dancehall", (90, 110), 0.1, "dancehall", "reggae", bass="kick", base="reggae", aliases=("ragga",),
       description="3-3-2 kick riddim, offbeat chords"),
    _g("soul", (70, 110), 0.25, "funk", "jazzy", base="rnb", aliases=("soulful", "neo soul", "neo-soul", "classic soul"),
       description="tight backbeat, warm 7th chords"),
    _g("punk", (150, 200), 0.0, "rock", "rock", bass="eighths", base="rock", aliases=("pop punk", "hardcore"),
       description="fast backbeat, power chords"),
    _g("country", (80, 130), 0.0, "folk", "folk", aliases=("country and western", "honky tonk"), base="folk",
       description="train beat, I-IV-V triads"),
)}

#: Styles known by name and described by their traits, made as their nearest genre.
LOOKALIKES: dict[str, Traits] = {
    "vaporwave": Traits((60, 90), 0.0, "synthwave", "edm"),
    "chillwave": Traits((80, 110), 0.0, "synthwave", "edm"),
    "shoegaze": Traits((90, 130), 0.0, "rock", "ambient"),
    "grunge": Traits((90, 130), 0.0, "rock", "rock"),
    "chiptune": Traits((120, 160), 0.0, "four_on_the_floor", "edm"),
    "bluegrass": Traits((100, 140), 0.0, "folk", "folk"),
    "grime": Traits((138, 142), 0.0, "drill", "trap"),
    "hardstyle": Traits((145, 160), 0.0, "four_on_the_floor", "edm"),
    "phonk": Traits((130, 150), 0.0, "trap", "trap"),
    "motown": Traits((100, 130), 0.1, "funk", "jazzy"),
    "jersey club": Traits((130, 145), 0.0, "four_on_the_floor", "house"),
    "trip hop": Traits((70, 95), 0.3, "boom_bap", "ambient"),
    "emo": Traits((120, 180), 0.0, "rock", "rock"),
}


@dataclass(frozen=True)
class Match:
    """What a piece of text named: the genre chosen, and a note when it is not the one asked."""

    genre: str
    asked: str
    note: str = ""


def _simplify(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.lower()).strip()


_NAMES: dict[str, str] = {_simplify(a): g.name for g in GENRES.values() for a in (g.name, *g.aliases)}
_LOOKALIKES: dict[str, Traits] = {_simplify(k): v for k, v in LOOKALIKES.items()}


def nearest(traits: Traits) -> Genre:
    """The genre whose traits are nearest ``traits`` (ties: the first declared)."""
    return min(GENRES.values(), key=lambda g: traits.distance(g.traits))


def _lookalike(name: str) -> Match:
    traits = _LOOKALIKES[name]
    genre = nearest(traits)
    return Match(genre.name, name, f"{name} is not a style I make; the nearest is {genre.name} "
                                   f"({traits.same(genre.traits)})")


def style_names() -> tuple[str, ...]:
    """Every phrase that names a style: genre names, their aliases and the lookalikes."""
    return (*_NAMES, *_LOOKALIKES)


def match_genre(text: str) -> Match:
    """The genre free text names, or the nearest one by traits, with a note saying so.

    Names and aliases of a genre win; then a described lookalike (its nearest genre);
    then any name inside the text; then the closest spelling. Text with nothing close
    raises an error listing the styles.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidValue("genre", text, "a style such as " + ", ".join(GENRES))
    simple = _simplify(text)
    if simple in _NAMES:
        return Match(_NAMES[simple], simple)
    if simple in _LOOKALIKES:
        return _lookalike(simple)
    words = f" {simple} "
    for name in sorted(style_names(), key=len, reverse=True):
        if f" {name} " in words:
            return match_genre(name)
    for candidate in (simple, *simple.split()):
        close = difflib.get_close_matches(candidate, style_names(), n=1, cutoff=0.6 if candidate == simple else 0.75)
        if close:
            found = match_genre(close[0])
            return Match(found.genre, simple, found.note or f"I read {simple!r} as {found.genre}")
    raise InvalidValue("genre", text, "a style such as " + ", ".join(GENRES))


def normalize_genre(text: str) -> str:
    """The name of the genre ``text`` names, or of the nearest one (see :func:`match_genre`)."""
    return match_genre(text).genre


def model_genre(genre: str) -> str:
    """The genre the trained models know ``genre`` as (its ``base``)."""
    return GENRES[normalize_genre(genre)].base
