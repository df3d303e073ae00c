"""The immutable session state, the Edits agents return, and the pure ``apply``.

A :class:`State` is plain data: :class:`Meta` (bpm, key, genre, time signature, bars,
sample rate, seed) and a tuple of :class:`Stem`. Nothing here is ever mutated: applying an
:class:`Edit` returns a new State. This module sits below ``agents/`` and ``session/`` so
that agents can read and build states without importing the session layer.

>>> state = State(Meta(bpm=90, key="Cm", genre="lo-fi"))
>>> stem = Stem("chords", role="chords", instrument="piano", agent="harmony",
...             notes=[Note(60, 0.0, 1.0, 90), Note(63, 0.0, 1.0, 90)])
>>> new = apply(state, Edit(add=[stem], summary="added chords"))
>>> [s.stem_id for s in state.stems], [s.stem_id for s in new.stems]
([], ['chords'])
>>> new.stem("chords").notes_hash == stem.notes_hash
True
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import Any

import pandas as pd

from orchestria_lab.errors import EditError, InvalidValue, NotFound
from orchestria_lab.music.automation import Point, check_points
from orchestria_lab.music.form import Section, check_sections
from orchestria_lab.music.genres import normalize_genre
from orchestria_lab.music.naming import numbered
from orchestria_lab.music.notes import Note, check_notes
from orchestria_lab.music.progressions import PROGRESSION_PARAMS
from orchestria_lab.music.tempo import (
    KeyChange,
    TempoChange,
    check_changes,
    key_at,
    seconds,
    tempo_at,
)
from orchestria_lab.music.theory import beats_per_bar, parse_key, parse_time_signature
from orchestria_lab.music.vocabulary import DRUM_ROLES, EFFECT_TYPES, INSTRUMENTS, ROLES

STEM_COLUMNS = (
    "stem_id", "name", "role", "instrument", "agent", "effects", "level_db", "gain_db", "pan",
    "muted", "solo", "hash", "notes_hash", "stale",
)
#: The columns of ``session.stems``: the stem's own, and beside its gain the loudness measured on its render.
STEM_TABLE_COLUMNS = (*STEM_COLUMNS[:STEM_COLUMNS.index("gain_db") + 1], "loudness_lufs",
                      *STEM_COLUMNS[STEM_COLUMNS.index("gain_db") + 1:])
NOTE_COLUMNS = ("stem_id", "pitch", "start", "duration", "velocity")
AUTOMATION_COLUMNS = ("stem_id", "param", "beat", "value", "curve")
SECTION_COLUMNS = ("name", "start_bar", "bars", "last_bar", "key")
SAMPLE_RATES = (8000, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000)


class FrozenParams(Mapping[str, Any]):
    """An immutable, hashable mapping of parameter names to JSON scalars.

    >>> p = FrozenParams({"mix": 0.3, "decay": 2.0})
    >>> p["mix"], dict(p), p == FrozenParams(decay=2.0, mix=0.3)
    (0.3, {'decay': 2.0, 'mix': 0.3}, True)
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, Any] | Iterable[tuple[str, Any]] = (), **kw: Any) -> None:
        merged = dict(items, **kw)
        for key, value in merged.items():
            if not isinstance(key, str):
                raise InvalidValue("parameter name", key, "a string")
            if isinstance(value, list | tuple):
                merged[key] = value = tuple(FrozenParams(v) if isinstance(v, Mapping) else v for v in value)
            if not _is_scalar(value) and not (
                isinstance(value, tuple) and (all(_is_scalar(v) for v in value)
                                              or all(isinstance(v, FrozenParams) for v in value))
            ):
                raise InvalidValue(key, value, "a number, string, boolean, or a list of them or of mappings")
            if isinstance(value, float) and not math.isfinite(value):
                raise InvalidValue(key, value, "a finite number")
        self._items = tuple(sorted(merged.items()))

    def __getitem__(self, key: str) -> Any:
        for k, v in self._items:
            if k == key:
                return v
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenParams):
            return self._items == other._items
        return isinstance(other, Mapping) and dict(self) == dict(other)

    def __repr__(self) -> str:
        return f"FrozenParams({dict(self._items)!r})"

    def updated(self, **changes: Any) -> FrozenParams:
        """A copy with ``changes`` merged in (``None`` removes a key)."""
        merged = {k: v for k, v in {**dict(self), **changes}.items() if v is not None}
        return FrozenParams(merged)

    def to_dict(self) -> dict[str, Any]:
        return {k: [x.to_dict() if isinstance(x, FrozenParams) else x for x in v] if isinstance(v, tuple) else v
                for k, v in self._items}


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


@dataclass(frozen=True)
class Effect:
    """One effect in a stem's chain: its type and parameter overrides (defaults live in audio/).

    >>> Effect("reverb", {"mix": 0.3})
    Effect(type='reverb', params=FrozenParams({'mix': 0.3}))
    >>> Effect("flanger")
    Traceback (most recent call last):
    ...
    orchestria_lab.errors.InvalidValue: effect='flanger' is not valid: expected one of bitcrusher, chorus, compressor, delay, distortion, eq, highpass, limiter, lowpass, reverb, tape, vinyl.
    """

    type: str
    params: FrozenParams = field(default_factory=FrozenParams)

    def __post_init__(self) -> None:
        if self.type not in EFFECT_TYPES:
            raise InvalidValue("effect", self.type, "one of " + ", ".join(sorted(EFFECT_TYPES)))
        if not isinstance(self.params, FrozenParams):
            object.__setattr__(self, "params", FrozenParams(self.params))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "params": self.params.to_dict()}


@dataclass(frozen=True)
class Stem:
    """A stem: notes, an instrument (with tone parameters), an effect chain and mix settings.

    ``params`` holds what the generating agent needs to make the part again (style, density,
    octave ...). ``hash`` covers everything that defines the stem; ``notes_hash`` its notes.
    """

    stem_id: str
    role: str
    instrument: str
    agent: str = "user"
    name: str = ""
    notes: tuple[Note, ...] = ()
    effects: tuple[Effect, ...] = ()
    gain_db: float = 0.0
    pan: float = 0.0
    muted: bool = False
    #: The stem's trim, set when it is made so it sits at its role's loudness in the mix (gain
    #: staging, ``audio/levels.py``); ``gain_db`` is the user's move from there.
    level_db: float = 0.0
    solo: bool = False
    tone: FrozenParams = field(default_factory=FrozenParams)
    params: FrozenParams = field(default_factory=FrozenParams)
    #: Automation points (music/automation.py): gain, pan, cutoff or effect mix over time.
    automation: tuple[Point, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.stem_id, str) or not self.stem_id or len(self.stem_id) > 64:
            raise InvalidValue("stem_id", self.stem_id, "a non-empty string of at most 64 characters")
        if self.role not in ROLES:
            raise InvalidValue("role", self.role, "one of " + ", ".join(ROLES))
        if self.instrument not in INSTRUMENTS and not _is_soundfont_voice(self.instrument):
            raise InvalidValue("instrument", self.instrument, "one of " + ", ".join(INSTRUMENTS)
                               + ", or sf2:<preset name or GM program> for the session's SoundFont")
        if not (isinstance(self.gain_db, int | float) and -96.0 <= self.gain_db <= 24.0):
            raise InvalidValue("gain_db", self.gain_db, "a number of dB from -96 to 24")
        if not (isinstance(self.level_db, int | float) and -60.0 <= self.level_db <= 60.0):
            raise InvalidValue("level_db", self.level_db, "a number of dB from -60 to 60")
        if not (isinstance(self.pan, int | float) and -1.0 <= self.pan <= 1.0):
            raise InvalidValue("pan", self.pan, "a number from -1 (left) to 1 (right)")
        set_ = object.__setattr__
        set_(self, "name", self.name or self.stem_id)
        set_(self, "notes", check_notes(self.notes))
        set_(self, "effects", tuple(e if isinstance(e, Effect) else Effect(**e) for e in self.effects))
        set_(self, "gain_db", float(self.gain_db) + 0.0)  # + 0.0 folds -0.0 into 0.0
        set_(self, "pan", float(self.pan) + 0.0)
        set_(self, "level_db", float(self.level_db) + 0.0)
        set_(self, "muted", bool(self.muted))
        set_(self, "solo", bool(self.solo))
        set_(self, "automation", check_points(self.automation or ()))
        for attr in ("tone", "params"):
            value = getattr(self, attr)
            if not isinstance(value, FrozenParams):
                set_(self, attr, FrozenParams(value))

    @property
    def is_drums(self) -> bool:
        return self.role in DRUM_ROLES

    @cached_property
    def notes_hash(self) -> str:
        return _digest([list(n) for n in self.notes])

    @cached_property
    def hash(self) -> str:
        return _digest(self.to_dict(with_hashes=False))

    def evolve(self, **changes: Any) -> Stem:
        """A copy with ``changes`` (the stem itself is never modified)."""
        return replace(self, **changes)

    def to_dict(self, *, with_hashes: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {
            "stem_id": self.stem_id, "name": self.name, "role": self.role,
            "instrument": self.instrument, "agent": self.agent,
            "notes": [list(n) for n in self.notes],
            "effects": [e.to_dict() for e in self.effects],
            "gain_db": self.gain_db, "pan": self.pan, "muted": self.muted, "solo": self.solo,
            "tone": self.tone.to_dict(), "params": self.params.to_dict(),
        }
        if self.automation:  # only when there is some: a stem without keeps the hash it always had
            d["automation"] = [list(p) for p in self.automation]
        if self.level_db:  # the same: a stem made before gain staging keeps its hash
            d["level_db"] = self.level_db
        if with_hashes:
            d["hash"], d["notes_hash"] = self.hash, self.notes_hash
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Stem:
        kw = {f.name: d[f.name] for f in fields(cls) if f.name in d}
        kw["notes"] = [Note(*n) for n in d.get("notes", ())]
        kw["effects"] = [Effect(e["type"], e.get("params", {})) for e in d.get("effects", ())]
        kw["automation"] = [Point(*p) for p in d.get("automation", ())]
        return cls(**kw)


def _is_soundfont_voice(instrument: Any) -> bool:
    """``sf2:<preset name>`` or ``sf2:<GM program>``: a voice of the session's SoundFont (audio/soundfont.py)."""
    return isinstance(instrument, str) and instrument.startswith("sf2:") and 4 < len(instrument) <= 64


def gm_program(instrument: str) -> int:
    """The General MIDI program (0-based) of ``instrument``: its record's, or an ``sf2:<number>``'s
    own; a preset named by name gives 0 here (only its file knows its number).

    >>> gm_program("electric_piano"), gm_program("sf2:33")
    (4, 33)
    """
    from orchestria_lab.music.vocabulary import GM_PROGRAMS

    if instrument in GM_PROGRAMS:
        return GM_PROGRAMS[instrument]
    number = instrument.removeprefix("sf2:")
    return int(number) if number.isdigit() and int(number) < 128 else 0


def _digest(obj: Any) -> str:
    blob = json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Meta:
    """Session-wide settings, validated and normalised on construction.

    >>> Meta(bpm=90, key="e flat major", genre="Lo-Fi").key
    'Eb'
    >>> Meta(bpm=500, key="C", genre="pop")
    Traceback (most recent call last):
    ...
    orchestria_lab.errors.InvalidValue: bpm=500 is not valid: expected a number from 20 to 300.
    """

    bpm: float
    key: str
    genre: str
    time_signature: str = "4/4"
    bars: int = 8
    sample_rate: int = 44100
    seed: int = 0
    #: The song's named sections (music/form.py), in bar order; () for a song without form.
    sections: tuple[Section, ...] = ()
    #: Tempo changes at bar lines (music/tempo.py), in bar order; () for one tempo throughout.
    tempo_changes: tuple[TempoChange, ...] = ()
    #: Key changes at bar lines, in bar order; () for one key throughout.
    key_changes: tuple[KeyChange, ...] = ()
    #: The SoundFont (.sf2 path) that voices ``sf2:`` instruments; "" for ``ORCHESTRIA_SOUNDFONT``.
    soundfont: str = ""

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        bpm = self.bpm
        if isinstance(bpm, bool) or not isinstance(bpm, int | float) or not (20 <= bpm <= 300):
            raise InvalidValue("bpm", bpm, "a number from 20 to 300")
        set_(self, "bpm", int(bpm) if float(bpm).is_integer() else round(float(bpm), 3))
        set_(self, "key", parse_key(self.key).name)
        set_(self, "genre", normalize_genre(self.genre))
        n, d = parse_time_signature(self.time_signature)
        set_(self, "time_signature", f"{n}/{d}")
        bars = self.bars
        if isinstance(bars, bool) or not isinstance(bars, int) or not (1 <= bars <= 256):
            raise InvalidValue("bars", bars, "a whole number from 1 to 256")
        if self.sample_rate not in SAMPLE_RATES:
            raise InvalidValue("sample_rate", self.sample_rate, "one of " + ", ".join(map(str, SAMPLE_RATES)))
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not (0 <= self.seed < 2**63):
            raise InvalidValue("seed", self.seed, "a whole number from 0 to 2**63-1")
        set_(self, "sections", check_sections(self.sections or (), total=bars))
        set_(self, "tempo_changes", check_changes(self.tempo_changes or (), TempoChange, bars=bars))
        set_(self, "key_changes", check_changes(self.key_changes or (), KeyChange, bars=bars))
        if not isinstance(self.soundfont, str) or len(self.soundfont) > 4096:
            raise InvalidValue("soundfont", self.soundfont, "the path of an .sf2 file, or \"\"")

    @property
    def beats_per_bar(self) -> float:
        return beats_per_bar(self.time_signature)

    @property
    def total_beats(self) -> float:
        return self.bars * self.beats_per_bar

    @property
    def seconds_per_beat(self) -> float:
        return 60.0 / self.bpm

    @property
    def duration_s(self) -> float:
        return float(self.seconds(self.total_beats))

    def seconds(self, beats: Any) -> Any:
        """When ``beats`` (a number or an array) sound, in seconds, under the tempo map."""
        return seconds(beats, bpm=self.bpm, beats_per_bar=self.beats_per_bar, changes=self.tempo_changes)

    def tempo_at(self, bar: int) -> float:
        """The tempo of bar ``bar`` (counted from 1)."""
        return tempo_at(self.tempo_changes, bar=bar, bpm=self.bpm)

    def key_at(self, bar: int) -> str:
        """The key of bar ``bar`` (counted from 1)."""
        return key_at(self.key_changes, bar=bar, key=self.key)

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("sections", "tempo_changes", "key_changes"):
            out[name] = [c.to_dict() for c in getattr(self, name)]
        if not self.soundfont:  # a session without one reads as it always did
            del out["soundfont"]
        return out


@dataclass(frozen=True)
class State:
    """One version's content: meta plus an ordered tuple of stems."""

    meta: Meta
    stems: tuple[Stem, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "stems", tuple(self.stems))
        ids = [s.stem_id for s in self.stems]
        if len(set(ids)) != len(ids):
            raise EditError(f"Stem ids must be unique; got {ids}.")

    def stem(self, stem_id: str) -> Stem:
        for s in self.stems:
            if s.stem_id == stem_id:
                return s
        raise NotFound("stem", stem_id, [s.stem_id for s in self.stems])

    def has_stem(self, stem_id: str) -> bool:
        return any(s.stem_id == stem_id for s in self.stems)

    def stems_with_role(self, *roles: str) -> list[Stem]:
        return [s for s in self.stems if s.role in roles]

    def new_stem_id(self, base: str) -> str:
        """``base`` if free, else ``base-2``, ``base-3`` ...: deterministic, never reused."""
        return numbered(base, {s.stem_id for s in self.stems}, sep="-")

    def chords_source(self) -> dict[str, Any]:
        """What defines the chords this session plays: the settings of its first harmony stem that
        make its progression (:data:`~orchestria_lab.music.progressions.PROGRESSION_PARAMS`), or the
        session's default progression when it has none."""
        for s in self.stems:
            if s.agent == "harmony" and s.role in ("chords", "pad"):
                source = {k: s.params[k] for k in PROGRESSION_PARAMS if k in s.params}
                return {"progression_seed": int(self.meta.seed), **source}
        return {"progression_seed": int(self.meta.seed)}

    @cached_property
    def chords_digest(self) -> str:
        """A digest of :meth:`chords_source`: a part written over these chords records it (``follows``)."""
        return _digest(FrozenParams(self.chords_source()).to_dict())

    @cached_property
    def stale(self) -> frozenset[str]:
        """The stems written over chords the session no longer plays (they record ``follows``)."""
        digest = self.chords_digest
        return frozenset(s.stem_id for s in self.stems if s.params.get("follows") not in (None, digest))

    def stems_table(self) -> pd.DataFrame:
        stale = self.stale
        rows = [
            {
                "stem_id": s.stem_id, "name": s.name, "role": s.role, "instrument": s.instrument,
                "agent": s.agent, "effects": [e.to_dict() for e in s.effects],
                "level_db": s.level_db, "gain_db": s.gain_db, "pan": s.pan, "muted": s.muted, "solo": s.solo,
                "hash": s.hash, "notes_hash": s.notes_hash, "stale": s.stem_id in stale,
            }
            for s in self.stems
        ]
        return pd.DataFrame(rows, columns=list(STEM_COLUMNS))

    def automation_table(self) -> pd.DataFrame:
        """One row per automation point: stem_id, param, beat, value, curve."""
        rows = [(s.stem_id, *p) for s in self.stems for p in s.automation]
        df = pd.DataFrame(rows, columns=list(AUTOMATION_COLUMNS))
        return df.astype({"beat": "float64", "value": "float64"})

    def notes_table(self) -> pd.DataFrame:
        rows = [(s.stem_id, *n) for s in self.stems for n in s.notes]
        df = pd.DataFrame(rows, columns=list(NOTE_COLUMNS))
        return df.astype({"pitch": "int64", "start": "float64", "duration": "float64", "velocity": "int64"})

    def to_dict(self) -> dict[str, Any]:
        return {"meta": self.meta.to_dict(), "stems": [s.to_dict() for s in self.stems]}


@dataclass(frozen=True)
class Edit:
    """What an agent returns: stems to add, remove or update, meta changes, and a summary.

    ``update`` replaces stems with the same ``stem_id`` in place (order kept); ``add``
    appends new stems; ``remove`` drops stems by id; ``meta`` replaces meta fields.
    """

    add: tuple[Stem, ...] = ()
    remove: tuple[str, ...] = ()
    update: tuple[Stem, ...] = ()
    meta: FrozenParams = field(default_factory=FrozenParams)
    summary: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "add", tuple(self.add))
        object.__setattr__(self, "remove", tuple(self.remove))
        object.__setattr__(self, "update", tuple(self.update))
        if not isinstance(self.meta, FrozenParams):
            object.__setattr__(self, "meta", FrozenParams(self.meta))

    @property
    def is_empty(self) -> bool:
        return not (self.add or self.remove or self.update or self.meta)


def apply(state: State, edit: Edit) -> State:
    """Apply ``edit`` to ``state`` and return the new State. Pure: ``state`` is untouched.

    Raises :class:`EditError` when the edit does not fit (unknown or duplicate stems).
    """
    stems = list(state.stems)
    index = {s.stem_id: i for i, s in enumerate(stems)}
    for stem in edit.update:
        if stem.stem_id not in index:
            raise EditError(f"Cannot update stem {stem.stem_id!r}: it is not in this version "
                            f"(stems: {sorted(index) or 'none'}).")
        stems[index[stem.stem_id]] = stem
    removed = set(edit.remove)
    missing = removed - set(index)
    if missing:
        raise EditError(f"Cannot remove {sorted(missing)}: not in this version (stems: {sorted(index) or 'none'}).")
    stems = [s for s in stems if s.stem_id not in removed]
    present = {s.stem_id for s in stems}
    for stem in edit.add:
        if stem.stem_id in present:
            raise EditError(f"Cannot add stem {stem.stem_id!r}: a stem with that id exists; "
                            "use State.new_stem_id() for a free one.")
        present.add(stem.stem_id)
        stems.append(stem)
    meta = state.meta
    if edit.meta:
        allowed = {f.name for f in fields(Meta)}
        unknown = set(edit.meta) - allowed
        if unknown:
            raise EditError(f"Unknown meta fields {sorted(unknown)}; valid: {sorted(allowed)}.")
        meta = replace(meta, **dict(edit.meta))
    return State(meta, tuple(stems))


def state_from_dict(d: Mapping[str, Any]) -> State:
    """Rebuild a State from :meth:`State.to_dict` output."""
    return State(Meta(**d["meta"]), tuple(Stem.from_dict(s) for s in d["stems"]))
