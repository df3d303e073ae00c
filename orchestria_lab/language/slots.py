"""Slot readers: the tempo, transposition, length, swing, density and styles a clause asks for.

>>> from orchestria_lab.language.frames import frames
>>> tempo(frames("bump it to 128")[0], stems_named=False), semitones(frames("drop it a whole step")[0])
({'bpm': 128.0}, -2)
"""

from __future__ import annotations

from orchestria_lab.language.frames import Frame, Mention
from orchestria_lab.music.genres import normalize_genre
from orchestria_lab.music.grooves import GROOVES, STYLE_FOR_GENRE
from orchestria_lab.music.lines import BASS_STYLE_FOR_GENRE, BASS_STYLES
from orchestria_lab.music.progressions import GENRE_FAMILY

TEMPO_STEP, GAIN_STEP_DB, PAN_STEP, SWING_STEP, DENSITY_STEP = 10.0, 3.0, 0.5, 0.15, 0.3


def label(m: Mention) -> str:
    if m.instrument:
        return m.instrument.replace("_", " ")
    return m.role or m.family or m.voice or m.name or "stem"


def matches(stem, m: Mention) -> bool:
    if m.instrument and stem.instrument != m.instrument:
        return False
    if m.role and stem.role != m.role:
        return False
    return bool(m.instrument or m.role)


def other_slots(f: Frame) -> bool:
    return any(f.has(k) for k in ("adj", "effect", "swing", "humanize", "density", "voice", "feel", "fill", "interval", "style",
                                  "pattern", "voicing"))


def before(f: Frame, kind: str) -> str:
    for i, t in enumerate(f.tokens):
        if t.kind == kind:
            return f.tokens[i - 1].text if i else ""
    return ""


def first_number(f: Frame, *, unit: str | None = None) -> tuple[float, str] | None:
    for v in f.values("number"):
        if unit is None or v[1] == unit:
            return v
    return None


def tempo(f: Frame, *, stems_named: bool) -> dict | None:
    number = first_number(f)
    signed = next((t.value for t in f.tokens if t.kind == "number" and t.text[:1] in "+-" and not t.value[1]), None)
    if signed and f.has("meta", "tempo") and not stems_named:
        return {"change_bpm": signed[0]}  # "tempo +10", "bpm -10"
    speed = f.verb in ("speedup", "slowdown") or "speedup" in f.verbs or "slowdown" in f.verbs
    sign = -1 if ("slowdown" in f.verbs or f.has("dir", "down") or f.has("less")) else 1
    if f.flipped and not number:
        sign = -sign  # "it's too slow", "not fast enough"
    if number and number[1] == "bpm":
        relative = speed or f.has("more") or f.has("less") or f.has("dir", "up") or f.has("dir", "down")
        if relative and before(f, "number") not in ("to", "at"):  # "reduce the tempo by 20 bpm"
            return {"change_bpm": sign * abs(number[0])}
        return {"bpm": number[0]}
    tempo_word = f.has("meta", "tempo")
    if number and not number[1] and (speed or tempo_word) and before(f, "number") == "by" and 0 < number[0] <= 200:
        return {"change_bpm": sign * number[0]}  # "raise the tempo by 15"
    if number and number[1] == "%" and (speed or tempo_word):
        return {"factor": 1 + sign * number[0] / 100}
    if number and number[1] == "x" and (speed or tempo_word):
        return {"factor": number[0]}
    if (f.verb in ("double", "halve") or "double" in f.verbs or "halve" in f.verbs) and (tempo_word or speed):
        faster = ("double" in f.verbs) == ("slowdown" not in f.verbs)  # "twice as slow" is half the tempo
        return {"factor": 2.0 if faster else 0.5}
    if number and not number[1] and 20 <= number[0] <= 300 and not stems_named and not f.has("effect"):
        if tempo_word or speed or (f.verb in ("set", "make", "turn", None) and not f.has("meta") and not f.has("key")):
            if speed and before(f, "number") not in ("to", "at"):
                return {"change_bpm": sign * number[0]} if number[0] < 60 else {"bpm": number[0]}
            return {"bpm": number[0]}
    moved = speed or f.has("dir", "up") or f.has("dir", "down") or f.has("more") or f.has("less")
    if number and not number[1] and 0 < number[0] < 20 and (speed or tempo_word) and moved and not stems_named:
        return {"change_bpm": sign * number[0]}  # "tempo down 5"
    if speed and not stems_named:
        return {"change_bpm": sign * TEMPO_STEP * f.amount}
    if tempo_word and (f.has("dir") or f.has("more") or f.has("less")) and not stems_named:
        return {"change_bpm": sign * TEMPO_STEP * f.amount}
    return None


def semitones(f: Frame, *, stem: bool = False) -> int | None:
    """A transposition: "up a fifth", "down 2 semitones", "an octave higher", "drop it a whole step"."""
    interval = f.first("interval")
    number = next((v for v in f.values("number") if v[1] in ("st", "oct")), None)
    if interval is None and number is None:
        bare = next((v for v in f.values("number") if not v[1]), None)
        if bare is not None and (f.verb == "transpose" or f.has("meta", "key")) and abs(bare[0]) <= 24:
            number = (bare[0], "st")
        elif f.has("meta", "key") and not stem and (f.has("dir", "up") or f.has("dir", "down")) and not f.has("key"):
            number = (1.0, "st")  # "go up a key", "raise the key": a semitone
        elif stem and (pitch := _pitch_word(f)):
            return -12 * pitch if f.flipped else 12 * pitch  # "make the melody higher", "the bass is too low"
        else:
            return None
    if number is not None:
        semis = number[0] * (12 if number[1] == "oct" else 1)
    else:
        semis = interval
    said = [w for t in f.tokens if t.kind != "dir" for w in t.text.split()]  # "key change up a half step"
    down = f.has("dir", "down") or f.verb in ("drop",) or (number is not None and number[0] < 0) or "down" in said
    moving = f.verb in ("transpose", "drop", "replace", "set", "make", "place", "turn", "add") or f.has("dir", "up") \
        or down or "up" in said
    if not moving:
        return None
    semis = int(round(abs(semis)))
    return -semis if down else semis


#: Verbs that move a level whatever direction word follows ("turn the bass lower").
_LEVEL_VERBS = ("turn", "bring", "push", "pull", "nudge", "knock", "dial", "ease")


def _pitch_word(f: Frame) -> int:
    """+1 or -1 for "higher" / "lower" said of a named part ("make the melody higher", "the
    bass is too low"); 0 where the word moves a level ("lower the chords", "bring it up",
    "too low in the mix")."""
    heads = [i for i, t in enumerate(f.tokens) if t.kind in ("role", "instrument", "family")]
    levelled = any(t.kind == "verb" and t.text in _LEVEL_VERBS for t in f.tokens)
    if not heads or f.has("meta", "volume") or f.has("ref", "all") or levelled or f.verb in ("louder", "quieter"):
        return 0  # "turn the bass lower" is a level
    for t in f.tokens[heads[0] + 1:]:
        if t.kind == "dir" and t.text in ("higher", "high", "lower", "low"):
            return 1 if t.value == "up" else -1
    return 0


#: Units of time that a length may be given in, in seconds.
_SECONDS = {"min": 60.0, "s": 1.0}


def bars(f: Frame) -> dict | None:
    """A length: in bars ("16 bars", "4 more bars"), or in time ({"seconds": 180} for "3 minutes long",
    made bars against the tempo by the rule); a number in another unit is never a length."""
    timed = [v for v in f.values("number") if v[1] in _SECONDS]  # "1 minute 40 seconds": both
    if timed and (f.has("meta", "length") or f.verb in ("make", "set", "cut", "shorten", "extend", None)
                  or any(t.text in ("to", "be") for t in f.tokens)):
        return {"seconds": sum(v[0] * _SECONDS[v[1]] for v in timed)}
    number = first_number(f, unit="bars")
    length_word = f.has("meta", "length") or f.has("meta", "bars")
    if number:
        n = int(number[0])
        if f.verb in ("add", "extend") and before(f, "number") not in ("to",):
            return {"change_bars": n}
        if f.verb in ("remove", "shorten", "cut") and before(f, "number") not in ("to",):
            return {"change_bars": -n}
        return {"bars": n}
    bare = first_number(f)
    if bare and not bare[1] and length_word and 1 <= bare[0] <= 256:
        return {"bars": int(bare[0])}
    if f.verb in ("extend", "shorten") or (("double" in f.verbs or "halve" in f.verbs) and length_word):
        if [m for m in f.stems if not m.ref] or f.has("effect"):  # "make the song twice as long" is the song
            return None
        grow = f.verb == "extend" or "double" in f.verbs
        return {"factor": 2.0 if grow else 0.5}
    return None


def swing(f: Frame) -> dict | None:
    if not f.has("swing"):
        return None
    straight = "straight" in f.values("swing")
    if straight and (f.has("too") or f.said_of("swing")):  # "the drums are too robotic", "feel stiff": loosen
        return {"swing_change": SWING_STEP * f.amount}
    if straight or (f.has("neg") and not f.has("enough")):
        return {"swing": 0.0}
    number = first_number(f)
    if number and number[1] == "%":
        pct = number[0]
        return {"swing": min(1.0, max(0.0, (pct - 50) / 16.7 if pct >= 50 else pct / 100))}
    sign = -1 if f.has("less") or f.has("too") else 1
    return {"swing_change": sign * SWING_STEP * f.amount}


def humanize(f: Frame) -> float | None:
    """How much a clause asks a part to be played by hand: 0 is back on the grid ("quantize the
    drums"), 0.5 "a little", 1 by default, 2 "a lot"; None when it does not ask."""
    values = f.values("humanize")
    if not values:
        return None
    if "off" in values or f.has("neg"):
        return 0.0
    return float(min(2.0, f.amount))


def density(f: Frame) -> float | None:
    values = f.values("density")
    if not values:
        return None
    sign = -1 if f.flipped or f.has("less") or "halve" in f.verbs else 1  # "too busy", "less busy", "half as busy"
    return sign * (DENSITY_STEP if values[0] == "up" else -DENSITY_STEP)


def part_style(agent: str, styles: list[tuple[str, str]], f: Frame) -> str | None:
    """The style a part takes from style words: a groove, a progression family, a bass style."""
    if not styles:
        return None
    genre, part = styles[-1]
    genre = normalize_genre(genre)  # a lookalike ("vaporwave") plays as its nearest genre
    if agent == "drums":
        return part if part in GROOVES else STYLE_FOR_GENRE.get(genre)
    if agent == "harmony":
        return GENRE_FAMILY.get(genre)
    if agent == "bass":
        return part if part in BASS_STYLES else BASS_STYLE_FOR_GENRE.get(genre)
    return None


#: A rhythm pattern word, per generator: the setting it asks for ("sustained chords", "an offbeat bass").
PATTERNS: dict[str, dict[str, tuple[str, str]]] = {
    "harmony": {"sustain": ("comping", "sustain"), "stabs": ("comping", "stabs"), "halves": ("comping", "halves"),
                "quarters": ("comping", "quarters"), "eighths": ("comping", "eighths"), "offbeat": ("comping", "skank"),
                "skank": ("comping", "skank"), "charleston": ("comping", "charleston")},
    "bass": {"sustain": ("style", "sustain"), "eighths": ("style", "eighths"), "offbeat": ("style", "offbeat"),
             "skank": ("style", "offbeat"), "kick": ("style", "kick"), "halves": ("style", "sustain")},
}


def patterns(f: Frame) -> list[str]:
    """The rhythm patterns a clause asks for; "make the 808 longer" asks for sustained notes."""
    out = list(f.values("pattern"))
    if not out and f.stems and not f.has("effect") and f.verb in ("extend", "shorten"):
        out = ["sustain" if f.verb == "extend" else "stabs"]
    return out


def pattern_params(agent: str, f: Frame) -> dict:
    """The settings of ``agent`` the clause's pattern and voicing words ask for ({} when none fit)."""
    out = dict(PATTERNS.get(agent, {}).get(p) for p in patterns(f) if p in PATTERNS.get(agent, {}))
    if agent == "harmony" and f.has("voicing"):
        out["voicing"] = f.first("voicing")
    return out


def shape_params(adjective: str, amount: float) -> dict:
    amount = max(-3.0, min(3.0, amount))
    return {"adjective": adjective} if amount == 1 else {"adjective": adjective, "amount": amount}
