"""The command suites: what people ask, and what the session must look like afterwards.

A suite is a JSONL file, one case a line (the format is ``shared/commands/README.md``)::

    {"id": "fx-delay", "setup": ["Add a boom bap drum beat"], "text": "add some delay to the drums",
     "expect": [{"stem": {"role": ["drums"], "effect": "delay"}}]}

:func:`run_suite` starts each case from a new session (:data:`SESSION`), runs its setup, then
its text, and checks every predicate with :func:`check` on a :func:`snapshot` of the session
before and after. ``tests/test_command_suite.py`` and notebook 05 both call it.

A predicate holds or not on two snapshots (plain dicts, the shape of ``GET /v1/sessions/{id}``):

>>> before = {"version": 1, "meta": {"bpm": 90},
...           "stems": [{"stem_id": "s1", "role": "drums", "effects": [], "hash": "a"}]}
>>> after = {"version": 2, "meta": {"bpm": 90},
...          "stems": [{"stem_id": "s1", "role": "drums", "effects": [{"type": "delay"}], "hash": "b"}]}
>>> check({"stem": {"role": ["drums"], "effect": "delay"}}, before, after, rejected=False)
True
>>> check({"rejected": True}, before, after, rejected=True)  # refused, yet a version was made
False
"""

from __future__ import annotations

import json
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from orchestria_lab.errors import InvalidValue, OrchestriaError
from orchestria_lab.eval.sound import MEASURES, centroid_hz, level_db, low_share, moved
from orchestria_lab.music.theory import beats_per_bar, parse_key, same_key
from orchestria_lab.music.vocabulary import DRUM_ROLES
from orchestria_lab.session import Session, Store, VersionRecord
from orchestria_lab.state import State

__all__ = ["PREDICATES", "SESSION", "CaseResult", "SetupCache", "SuiteResult", "check",
           "load_suite", "new_session", "run_case", "run_suite", "snapshot"]

#: The session every case starts from, before its setup.
SESSION: dict[str, Any] = {"bpm": 90, "key": "Cm", "genre": "lo-fi", "seed": 7}

Snapshot = dict[str, Any]


def snapshot(session: Session) -> Snapshot:
    """The session as the predicates see it: ``{"version", "meta", "stems", "notes", "automation", "audio"}``.

    Stems are records (the columns of ``session.stems``), ``notes`` maps each stem id to its
    notes as ``(pitch, start, duration, velocity)`` tuples, and ``audio(stem_id)`` renders that
    stem as it sounds at this version (only predicates about sound call it; ``audio.mix()`` the
    mastered mix). ``automation`` lists the session's automation points as records (``stem_id``,
    ``param``, ``beat``, ``value``, ``curve``), [] for a session without lanes.
    """
    state = session.state
    return {"version": session.version, "meta": session.meta, "stems": session.stems.to_dict("records"),
            "notes": {s.stem_id: [tuple(n) for n in s.notes] for s in state.stems},
            "automation": _automation_records(getattr(session, "automation", None)),
            "audio": Listener(state)}


def _automation_records(table: Any) -> list[dict[str, Any]]:
    """The session's automation lanes as records (stem_id, param, beat, value, curve); [] when none."""
    if table is None:
        return []
    if isinstance(table, pd.DataFrame):
        return table.to_dict("records")
    return [dict(r) for r in table]


@dataclass(frozen=True)
class Listener:
    """``listener(stem_id)``: that stem of ``state`` rendered (its gain, pan and effects applied);
    ``listener.mix()``: the whole mastered mix, as it plays."""

    state: State

    def __call__(self, stem_id: str) -> np.ndarray:
        from orchestria_lab.audio.render import render_stem

        return render_stem(self.state, stem_id)

    def mix(self) -> np.ndarray:
        from orchestria_lab.audio.render import render_mix

        return render_mix(self.state)


# predicates -------------------------------------------------------------------------------------
def _listed(value: str | Iterable[str] | None) -> set[str]:
    return {value} if isinstance(value, str) else set(value or ())


def _roles(spec: str | Iterable[str]) -> set[str]:
    """Roles named by ``spec``: one or a list, each of which may be ``"melody|lead"``."""
    return {role for item in _listed(spec) for role in item.split("|")}


def _with_role(snap: Snapshot, spec: str | Iterable[str]) -> list[dict[str, Any]]:
    roles = _roles(spec)
    return [s for s in snap["stems"] if s["role"] in roles]


def _effects(stem: dict[str, Any]) -> set[str]:
    return {e["type"] for e in stem["effects"]}


def _went(direction: str, a: Any, b: Any) -> bool:
    return b > a if direction == "up" else b < a


def _stem(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    roles, instruments = _roles(arg.get("role", ())), _listed(arg.get("instrument"))
    effects = _listed(arg.get("effect"))
    return any((not roles or s["role"] in roles) and (not instruments or s["instrument"] in instruments)
               and (not effects or bool(_effects(s) & effects)) for s in after["stems"])


def _no_effect(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    stems = _with_role(after, arg["role"])
    return bool(stems) and all(arg["effect"] not in _effects(s) for s in stems)


def _muted(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    stems = _with_role(after, arg["role"])
    return bool(stems) and all(s["muted"] == arg["value"] for s in stems)


def _audible_only(arg: list[str], before: Snapshot, after: Snapshot) -> bool:
    soloed = [s for s in after["stems"] if s["solo"]]
    audible = soloed or [s for s in after["stems"] if not s["muted"]]
    return {s["role"] for s in audible} == set(arg)


def _meta(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    def equal(field: str, got: Any, want: Any) -> bool:
        return same_key(got, want) if field == "key" else got == want

    return all(any(equal(f, after["meta"][f], v) for v in (value if isinstance(value, list) else [value]))
               for f, value in arg.items())


def _changed_stem(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    a, b = _with_role(before, arg["role"]), _with_role(after, arg["role"])
    return bool(a and b) and _went(arg["direction"], a[0][arg["field"]], b[0][arg["field"]])


def _only_changed(arg: str | list[str], before: Snapshot, after: Snapshot) -> bool:
    keep = _roles(arg)
    old = {s["stem_id"]: s["hash"] for s in before["stems"]}
    new = {s["stem_id"]: s["hash"] for s in after["stems"]}
    others = {s["stem_id"] for s in before["stems"] if s["role"] not in keep}
    return all(new.get(sid) == old[sid] for sid in others) and old != new


def _notes_changed(arg: str, before: Snapshot, after: Snapshot) -> bool:
    a, b = _with_role(before, arg), _with_role(after, arg)
    return bool(a and b) and a[0]["notes_hash"] != b[0]["notes_hash"]


def _common(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> list[tuple[dict, dict]]:
    """Pairs (before, after) of the stems with ``arg["role"]`` that are in both snapshots."""
    now = {s["stem_id"]: s for s in after["stems"]}
    return [(s, now[s["stem_id"]]) for s in _with_role(before, arg["role"]) if s["stem_id"] in now]


def _sound(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """The first stem of the role that is in both: its rendered ``measure`` moved ``direction``."""
    pairs = _common(arg, before, after)
    if not pairs or arg["measure"] not in MEASURES:
        return False
    (a, b), = pairs[:1]
    measure, sr = MEASURES[arg["measure"]][0], int(after["meta"]["sample_rate"])
    then, now = measure(before["audio"](a["stem_id"]), sr), measure(after["audio"](b["stem_id"]), sr)
    return moved(arg["measure"], then, now, arg["direction"])


def _kept(arg: str | list[str], before: Snapshot, after: Snapshot) -> bool:
    """Every stem of these roles is still there, exactly as it was (``hash`` unchanged)."""
    now = {s["stem_id"]: s["hash"] for s in after["stems"]}
    return all(now.get(s["stem_id"]) == s["hash"] for s in _with_role(before, arg))


def _unchanged_meta(arg: str | list[str], before: Snapshot, after: Snapshot) -> bool:
    return all(before["meta"][f] == after["meta"][f] for f in _listed(arg))


def _stem_count(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    return len(_with_role(after, arg["role"])) == arg["n"]


#: Note measures for ``changed_notes``: name -> value of a list of (pitch, start, duration, velocity).
_NOTE_MEASURES: dict[str, Callable[[list], float]] = {
    "mean_pitch": lambda notes: float(np.mean([n[0] for n in notes])) if notes else float("nan"),
    "count": lambda notes: float(len(notes)),
    "velocity": lambda notes: float(np.mean([n[3] for n in notes])) if notes else float("nan"),
}


def _changed_notes(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    pairs = _common(arg, before, after)
    measure = _NOTE_MEASURES.get(arg["measure"])
    if not pairs or measure is None:
        return False
    (a, b), = pairs[:1]
    return _went(arg["direction"], measure(before["notes"][a["stem_id"]]), measure(after["notes"][b["stem_id"]]))


def _effect_value(stem: dict[str, Any], effect: str, param: str) -> float | None:
    """The stem's setting of ``param`` on its ``effect`` (the effect's default where unset), or None."""
    from orchestria_lab.audio.effects import effect_spec

    for e in stem["effects"]:
        if e["type"] == effect:
            return float(effect_spec(effect).validate(e.get("params", {}))[param])
    return None


def _effect_param(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """``param`` of the stem's ``effect`` went ``direction``; an effect added counts from its default
    (up from the dry side for ``mix``), and an effect removed as the mix going to 0."""
    from orchestria_lab.audio.effects import effect_spec

    pairs = _common(arg, before, after)
    if not pairs:
        return False
    (a, b), = pairs[:1]
    then, now = (_effect_value(s, arg["effect"], arg["param"]) for s in (a, b))
    if then is None and now is None:
        return False
    if arg["param"] == "mix":
        then, now = then or 0.0, now or 0.0
    else:
        default = float(effect_spec(arg["effect"]).defaults[arg["param"]])
        then, now = default if then is None else then, default if now is None else now
    return _went(arg["direction"], then, now)


def _notes_kept_outside(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """Every note of the role's stems that starts outside bars ``[first, last]`` (counted from 1,
    inclusive) is still there, unchanged, and no note was added outside them."""
    first, last = arg["bars"]
    beats = beats_per_bar(before["meta"]["time_signature"])
    low, high = (first - 1) * beats, last * beats

    def outside(notes: list) -> list:
        return sorted(n for n in notes if not low <= n[1] < high)

    pairs = _common(arg, before, after)
    return bool(pairs) and all(outside(before["notes"][a["stem_id"]]) == outside(after["notes"][b["stem_id"]])
                               for a, b in pairs)


# song form and musical time ---------------------------------------------------------------------
# Bars count from 1; a note belongs to the bar its start falls in. Seconds follow the tempo map
# (``meta["tempo_changes"]``), keys the key map (``meta["key_changes"]``); both default to empty.

#: Least change for ``section_compare``: density is relative, level in dB, stems a count.
_SECTION_LEAST = {"density": ("ratio", 0.10), "level": ("abs", 1.0), "stems": ("abs", 1.0)}
#: Below this RMS level (dBFS) a part counts as silent in ``silent_in_bars``.
_SILENT_DB = -50.0
#: ``silent_in_bars`` skips this many beats at the start of its range: a tail from before may ring in.
_SILENCE_GRACE_BEATS = 0.5
#: ``chords_played`` and ``fits_chords`` place a note this many beats early in the next span
#: (a strum or a push a little ahead of the bar line belongs to the chord it announces).
_EARLY_BEATS = 0.125
#: General MIDI kick drums.
_KICKS = (35, 36)
#: General MIDI hi-hats and cymbals: they keep time, and a fill is played on the other drums.
_CYMBALS = frozenset({42, 44, 46, 49, 51, 52, 53, 55, 57, 59})
#: A bar with a fill has this many times the hits of the median bar (``fill_in_bar``).
_FILL_FACTOR = 1.5


def _bpb(snap: Snapshot) -> float:
    return beats_per_bar(snap["meta"]["time_signature"])


def _bar_beats(snap: Snapshot, first: int, last: int) -> tuple[float, float]:
    """Beats ``[low, high)`` of bars ``first`` to ``last`` (counted from 1, inclusive)."""
    beats = _bpb(snap)
    return (first - 1) * beats, last * beats


def _starts_in(notes: Iterable[tuple], low: float, high: float) -> list[tuple]:
    return [n for n in notes if low <= n[1] < high]


def _canon(notes: Iterable[tuple], *, shift: float = 0.0, semitones: int = 0,
           end: float | None = None) -> list[tuple]:
    """Notes as comparable tuples: moved ``shift`` beats and ``semitones``, rounded, and each held
    at most to ``end`` (what is heard inside a span or a song)."""
    out = []
    for pitch, start, duration, velocity in notes:
        start = start + shift
        if end is not None:
            duration = min(duration, end - start)
        out.append((int(pitch) + semitones, round(float(start), 4), round(float(duration), 4), int(velocity)))
    return sorted(out)


def _song_end(snap: Snapshot) -> float:
    return snap["meta"]["bars"] * _bpb(snap)


def _role_stems(snap: Snapshot, role: str | Iterable[str] | None) -> list[dict[str, Any]]:
    """The stems of ``role`` (every stem when ``role`` is None)."""
    return list(snap["stems"]) if role is None else _with_role(snap, role)


def _role_notes(snap: Snapshot, role: str | Iterable[str] | None) -> list[tuple]:
    return [n for s in _role_stems(snap, role) for n in snap["notes"].get(s["stem_id"], ())]


def _sections(snap: Snapshot) -> list[dict[str, Any]]:
    return sorted(snap["meta"].get("sections") or [], key=lambda s: s["start_bar"])


def _find_section(snap: Snapshot, name: str) -> dict[str, Any] | None:
    name = " ".join(str(name).lower().split())
    return next((s for s in _sections(snap) if s["name"] == name), None)


def _section_bars(section: dict[str, Any]) -> tuple[int, int]:
    return section["start_bar"], section["start_bar"] + section["bars"] - 1


def _kind(name: str) -> str:
    """A section's kind: its name without the number of a repeat ("chorus 2" -> "chorus")."""
    head, _, tail = name.rpartition(" ")
    return head if head and tail.isdigit() else name


def _tempo_at(meta: dict[str, Any], bar: int) -> float:
    """The tempo in bar ``bar``: the last change at or before it, else ``meta["bpm"]``."""
    bpm = meta["bpm"]
    for change in sorted(meta.get("tempo_changes") or [], key=lambda c: c["bar"]):
        if change["bar"] <= bar:
            bpm = change["bpm"]
    return float(bpm)


def _key_at(meta: dict[str, Any], bar: int) -> str:
    """The key in bar ``bar``: the last change at or before it, else ``meta["key"]``."""
    key = meta["key"]
    for change in sorted(meta.get("key_changes") or [], key=lambda c: c["bar"]):
        if change["bar"] <= bar:
            key = change["key"]
    return key


def _bar_start_s(meta: dict[str, Any], bar: int) -> float:
    """Seconds from the start of the song to the start of bar ``bar`` (``bars + 1``: the end)."""
    beats = beats_per_bar(meta["time_signature"])
    return sum(beats * 60.0 / _tempo_at(meta, b) for b in range(1, bar))


def _beat_s(meta: dict[str, Any], beat: float) -> float:
    """Seconds from the start of the song to ``beat`` (quarter notes from 0), through the tempo map."""
    beats = beats_per_bar(meta["time_signature"])
    bar = int(beat // beats) + 1
    return _bar_start_s(meta, bar) + (beat - (bar - 1) * beats) * 60.0 / _tempo_at(meta, bar)


def _samples(snap: Snapshot, first: int, last: int, *, skip_beats: float = 0.0) -> slice:
    """The samples of bars ``first`` to ``last`` in a render of ``snap`` (the first ``skip_beats`` left out)."""
    meta, sr = snap["meta"], int(snap["meta"]["sample_rate"])
    start = _bar_start_s(meta, first) + skip_beats * 60.0 / _tempo_at(meta, first)
    return slice(int(round(start * sr)), int(round(_bar_start_s(meta, last + 1) * sr)))


def _role_audio(snap: Snapshot, role: str) -> np.ndarray | None:
    """What the role sounds like: its stems rendered and summed (a muted stem is silence), or the
    mastered mix for ``"mix"``; None when the song has no stem of that role."""
    try:
        if role == "mix":
            return np.asarray(snap["audio"].mix(), dtype=np.float64)
        audios = [np.asarray(snap["audio"](s["stem_id"]), dtype=np.float64) * (0.0 if s.get("muted") else 1.0)
                  for s in _with_role(snap, role)]
    except OrchestriaError:  # a state the renderer refuses sounds like nothing: the predicate fails
        return None
    if not audios:
        return None
    channels, length = max(a.shape[0] for a in audios), max(a.shape[-1] for a in audios)
    total = np.zeros((channels, length))
    for a in audios:
        total[:, :a.shape[-1]] += a if a.shape[0] == channels else a.mean(axis=0)
    return total


def _balance(audio: np.ndarray) -> float:
    """Where the sound sits: (right - left) / (right + left) of the channels' RMS, from -1 to 1."""
    if audio.ndim == 1 or audio.shape[0] == 1:
        return 0.0
    left, right = (float(np.sqrt(np.mean(np.square(c)))) if c.size else 0.0 for c in (audio[0], audio[-1]))
    return (right - left) / (right + left) if right + left > 0 else 0.0


#: Where "the highs" start for ``highs_in_bars``: what a lowpass sweep takes away and gives back.
_HIGHS_HZ = 1000.0


def _brightness_db(audio: np.ndarray, sr: int) -> float:
    """The share of power above 1 kHz, in dB (-90 when there is none): the highs a lowpass takes away."""
    share = 1.0 - low_share(audio, sr, below=_HIGHS_HZ)
    return 10 * float(np.log10(share)) if share > 1e-9 else -90.0


#: Measures of a span of audio for ``level_in_bars``, ``spectral_centroid_in_bars``, ``highs_in_bars`` and
#: ``pan_in_bars``:
#: name -> (function of audio and sample rate, how a change is counted, default least change,
#: what "same" allows).
_SPAN_MEASURES: dict[str, tuple[Callable[[np.ndarray, int], float], str, float, float]] = {
    "level": (lambda audio, sr: level_db(audio), "abs", 3.0, 0.5),
    "centroid": (centroid_hz, "ratio", 0.10, 0.03),
    "brightness": (_brightness_db, "abs", 3.0, 1.0),
    "balance": (lambda audio, sr: _balance(audio), "abs", 0.10, 0.05),
}


def _compare(kind: str, then: float, now: float, direction: str, least: float) -> bool:
    """``now`` lies past ``then`` by ``least`` (relative when ``kind`` is "ratio") in ``direction``;
    ``"same"``: within ``least`` of it."""
    step = abs(then) * least if kind == "ratio" else least
    if direction == "same":
        return abs(now - then) <= step
    return now >= then + step and now > then if direction == "up" else now <= then - step and now < then


def _span_measure(arg: dict[str, Any], before: Snapshot, after: Snapshot, measure: str) -> bool:
    """``measure`` of the role's audio over ``bars`` in ``after``, against ``than`` (other bars of
    ``after``) or, without ``than``, against the same bars of ``before``."""
    fn, kind, least, same = _SPAN_MEASURES[measure]
    least = arg.get("by_db", arg.get("by", same if arg["direction"] == "same" else least))
    sr = int(after["meta"]["sample_rate"])
    now_audio = _role_audio(after, arg["role"])
    if now_audio is None:
        return False
    then_snap, then_bars = (after, arg["than"]) if "than" in arg else (before, arg["bars"])
    then_audio = now_audio if then_snap is after else _role_audio(before, arg["role"])
    if then_audio is None:
        return False
    now = now_audio[..., _samples(after, *arg["bars"])]
    then = then_audio[..., _samples(then_snap, *then_bars)]
    if not now.size or not then.size:
        return False
    return _compare(kind, fn(then, int(then_snap["meta"]["sample_rate"])), fn(now, sr), arg["direction"], least)


def _level_in_bars(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """RMS level (dB) of the role or "mix" over bars [a, b] after, against ``than`` bars or the same bars before."""
    return _span_measure(arg, before, after, "level")


def _spectral_centroid_in_bars(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """Spectral centroid of the role or "mix" over bars [a, b] after, against ``than`` bars or the same bars before."""
    return _span_measure(arg, before, after, "centroid")


def _highs_in_bars(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """Share of power above 1 kHz (dB) of the role or "mix" over bars [a, b] after, against ``than`` bars or before."""
    return _span_measure(arg, before, after, "brightness")


def _pan_in_bars(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """Left-right balance of the role or "mix" over bars [a, b] after (up: rightwards), against ``than`` or before."""
    return _span_measure(arg, before, after, "balance")


def _rise_in_bars(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """From bars ``from`` to ``to``, the role's (or mix's) level or centroid rises ``by`` more after than before."""
    fn = _SPAN_MEASURES[arg["measure"]][0]
    rises = []
    for snap in (before, after):
        audio = _role_audio(snap, arg["role"])
        if audio is None:
            return False
        sr = int(snap["meta"]["sample_rate"])
        start, end = (fn(audio[..., _samples(snap, *arg[k])], sr) for k in ("from", "to"))
        if arg["measure"] == "centroid":
            if start <= 0:
                return False
            rises.append(end / start)
        else:
            rises.append(end - start)
    then, now = rises
    least = arg.get("by", 1.5 if arg["measure"] == "level" else 0.1)
    if arg["measure"] == "centroid":
        return then > 0 and now / then - 1 >= least
    return now - then >= least


def _silent_in_bars(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """The role's render is below -50 dBFS RMS over the bars (after), and it still sounds and has notes elsewhere."""
    audio = _role_audio(after, arg["role"])
    if audio is None:
        return False
    first, last = arg["bars"]
    inside = _samples(after, first, last, skip_beats=_SILENCE_GRACE_BEATS)
    whole = _samples(after, first, last)
    rest = np.concatenate([audio[..., :whole.start], audio[..., whole.stop:]], axis=-1)
    low, high = _bar_beats(after, first, last)
    notes_elsewhere = [n for n in _role_notes(after, arg["role"]) if not low <= n[1] < high]
    return (audio[..., inside].size > 0 and level_db(audio[..., inside]) < _SILENT_DB and bool(notes_elsewhere)
            and rest.size > 0 and level_db(rest) >= _SILENT_DB)


def _ducked(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """The role's render is at least ``by_db`` (3) quieter just after each kick than just before it (after)."""
    audio = _role_audio(after, arg["role"])
    kicks = sorted({n[1] for s in after["stems"] if s["role"] in DRUM_ROLES
                    for n in after["notes"].get(s["stem_id"], ()) if n[0] in _KICKS})
    if audio is None or len(kicks) < 2:
        return False
    sr, meta = int(after["meta"]["sample_rate"]), after["meta"]
    near, far = int(0.005 * sr), int(0.080 * sr)
    pre, post = [], []
    for beat in kicks:
        at = int(round(_beat_s(meta, beat) * sr))
        if at - far < 0 or at + far > audio.shape[-1]:
            continue
        pre.append(np.mean(np.square(audio[..., at - far:at - near])))
        post.append(np.mean(np.square(audio[..., at + near:at + far])))
    if not pre or np.mean(pre) <= 0:
        return False
    drop = 10 * np.log10(np.mean(pre) / max(np.mean(post), 1e-20))
    return bool(drop >= arg.get("by_db", 3.0))


def _duration_s(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """The rendered mix (after) lasts ``value`` seconds, give or take ``tolerance``."""
    mix = _role_audio(after, "mix")
    if mix is None:
        return False
    seconds = np.shape(mix)[-1] / float(after["meta"]["sample_rate"])
    return abs(seconds - arg["value"]) <= arg.get("tolerance", 0.05)


def _tempo_at_pred(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """The tempo map (after) plays bar ``bar`` at ``bpm``."""
    return abs(_tempo_at(after["meta"], arg["bar"]) - float(arg["bpm"])) < 1e-6


def _key_at_pred(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """The key map (after) puts bar ``bar`` in ``key`` (enharmonic spellings equal)."""
    return same_key(_key_at(after["meta"], arg["bar"]), arg["key"])


def _sections_exactly(arg: list[str], before: Snapshot, after: Snapshot) -> bool:
    """The section names after, in bar order, are exactly these."""
    return [s["name"] for s in _sections(after)] == [" ".join(n.lower().split()) for n in arg]


def _sections_include(arg: list[str], before: Snapshot, after: Snapshot) -> bool:
    """Every kind named (verse, chorus ...) has at least one section after ("chorus 2" is a chorus)."""
    kinds = {_kind(s["name"]) for s in _sections(after)}
    return all(k.lower() in kinds for k in arg)


def _section_pred(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """A section of that name exists after, with the ``start_bar`` and ``bars`` given."""
    found = _find_section(after, arg["name"])
    return found is not None and all(found[f] == arg[f] for f in ("start_bar", "bars") if f in arg)


def _sections_cover(arg: bool, before: Snapshot, after: Snapshot) -> bool:
    """Whether the sections after cover bars 1 to the song's last bar, end to end, with no gap."""
    sections, bar = _sections(after), 1
    for s in sections:
        if s["start_bar"] != bar:
            break
        bar += s["bars"]
    covered = bool(sections) and bar == after["meta"]["bars"] + 1 and bar - 1 == sum(s["bars"] for s in sections)
    return covered == bool(arg)


def _section_notes(snap: Snapshot, stem_id: str, section: dict[str, Any], *, to: float = 0.0) -> list[tuple]:
    """The stem's notes starting in ``section``, moved so the section starts at beat ``to`` and
    held at most to the section's end."""
    low, high = _bar_beats(snap, *_section_bars(section))
    return _canon(_starts_in(snap["notes"].get(stem_id, ()), low, high), shift=to - low, end=high - low + to)


def _section_notes_equal(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """Every stem (of ``role``) plays in section ``b`` exactly its notes of section ``a`` (after), moved there."""
    a, b = _find_section(after, arg["a"]), _find_section(after, arg["b"])
    if a is None or b is None or a["bars"] != b["bars"]:
        return False
    stems = _role_stems(after, arg.get("role"))
    pairs = [(_section_notes(after, s["stem_id"], a), _section_notes(after, s["stem_id"], b)) for s in stems]
    return any(x for x, _ in pairs) and all(x == y for x, y in pairs)


def _section_notes_differ(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """The role plays notes in section ``b`` (after), and not the notes it plays in ``a`` moved there."""
    a, b = _find_section(after, arg["a"]), _find_section(after, arg["b"])
    if a is None or b is None:
        return False
    stems = _with_role(after, arg["role"])
    mine = [n for s in stems for n in _section_notes(after, s["stem_id"], b)]
    theirs = [n for s in stems for n in _section_notes(after, s["stem_id"], a)]
    return bool(mine) and sorted(mine) != sorted(theirs)


def _section_same_as_before(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """Section ``name`` after holds, stem for stem, the notes section ``before_name`` (default ``name``) held before."""
    now, then = _find_section(after, arg["name"]), _find_section(before, arg.get("before_name", arg["name"]))
    if now is None or then is None or now["bars"] != then["bars"]:
        return False
    pairs = _common({"role": arg["role"]}, before, after) if arg.get("role") else \
        [(s, s) for s in before["stems"] if any(t["stem_id"] == s["stem_id"] for t in after["stems"])]
    compared = [(_section_notes(before, a["stem_id"], then), _section_notes(after, b["stem_id"], now))
                for a, b in pairs]
    return any(x for x, _ in compared) and all(x == y for x, y in compared)


def _section_value(snap: Snapshot, section: dict[str, Any], measure: str, role: str | None) -> float:
    low, high = _bar_beats(snap, *_section_bars(section))
    stems = _role_stems(snap, role)
    if measure == "density":
        return sum(len(_starts_in(snap["notes"].get(s["stem_id"], ()), low, high)) for s in stems) / section["bars"]
    if measure == "stems":
        return float(sum(bool(_starts_in(snap["notes"].get(s["stem_id"], ()), low, high)) for s in stems))
    audio = _role_audio(snap, role or "mix")
    span = None if audio is None else audio[..., _samples(snap, *_section_bars(section))]
    return float("nan") if span is None or not span.size else level_db(span)


def _section_compare(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """After, section ``b`` is up/down from ``a`` in density (onsets per bar), level (RMS dB) or stems playing."""
    a, b = _find_section(after, arg["a"]), _find_section(after, arg["b"])
    if a is None or b is None or arg["measure"] not in _SECTION_LEAST:
        return False
    kind, least = _SECTION_LEAST[arg["measure"]]
    then, now = (_section_value(after, s, arg["measure"], arg.get("role")) for s in (a, b))
    if np.isnan(then) or np.isnan(now):
        return False
    return _compare(kind, then, now, arg["direction"], least)


def _section_roles(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """The roles with a note starting in the section (after) are exactly these."""
    found = _find_section(after, arg["name"])
    if found is None:
        return False
    low, high = _bar_beats(after, *_section_bars(found))
    playing = {s["role"] for s in after["stems"] if _starts_in(after["notes"].get(s["stem_id"], ()), low, high)}
    return playing == set(arg["roles"])


def _plays_before(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """The role has a note starting in the ``bars`` (default 1) bars just before the section (after)."""
    found = _find_section(after, arg["section"])
    if found is None or found["start_bar"] == 1:
        return False
    first = max(1, found["start_bar"] - arg.get("bars", 1))
    low, high = _bar_beats(after, first, found["start_bar"] - 1)
    return bool(_starts_in(_role_notes(after, arg["role"]), low, high))


def _onsets_per_bar(snap: Snapshot, role: str) -> list[int]:
    """Note onsets in each bar of the role's stems; for drums, the hits other than hi-hats and cymbals
    (the drums a fill is played on)."""
    counts = [0] * snap["meta"]["bars"]
    beats = _bpb(snap)
    for s in _with_role(snap, role):
        for n in snap["notes"].get(s["stem_id"], ()):
            bar = int(n[1] // beats)
            if 0 <= bar < len(counts) and not (s["role"] in DRUM_ROLES and n[0] in _CYMBALS):
                counts[bar] += 1
    return counts


def _fill_in_bar(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """That bar (or the one before section ``before``) has over 1.5x the median bar's onsets (drums: no cymbals)."""
    if "before" in arg:
        found = _find_section(after, arg["before"])
        if found is None or found["start_bar"] == 1:
            return False
        bar = found["start_bar"] - 1
    else:
        bar = arg["bar"]
    counts = _onsets_per_bar(after, arg["role"])
    playing = [c for c in counts if c]
    if not 1 <= bar <= len(counts) or not playing:
        return False
    return counts[bar - 1] > _FILL_FACTOR * float(np.median(playing))


def _density_in_bars(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """Onsets per bar of the role (all stems) over bars [a, b] after, against ``than`` bars or before: up/down/same."""
    role = arg.get("role")

    def density(snap: Snapshot, bars: list[int]) -> float:
        low, high = _bar_beats(snap, *bars)
        return len(_starts_in(_role_notes(snap, role), low, high)) / (bars[1] - bars[0] + 1)

    then = density(after, arg["than"]) if "than" in arg else density(before, arg["bars"])
    default = 0.0 if arg["direction"] == "same" else 0.10
    return _compare("ratio", then, density(after, arg["bars"]), arg["direction"], arg.get("by", default))


def _chord_pcs(symbol: str, *, roman: bool, key: str) -> tuple[frozenset[int], int | None]:
    """Pitch classes of a chord (by music21, the outside judge) and its bass pitch class for a slash chord."""
    from music21 import harmony
    from music21 import roman as m21roman

    if roman:
        figure = m21roman.RomanNumeral(symbol, _m21_key(key))
        return frozenset(figure.pitchClasses), None
    written = re.sub(r"^([A-Ga-g])b", r"\1-", symbol.strip())
    written = re.sub(r"/([A-Ga-g])b", r"/\1-", written)
    chord = harmony.ChordSymbol(written)
    bass = chord.bass().pitchClass if "/" in written else None
    return frozenset(chord.pitchClasses), bass


def _m21_key(key: str) -> str:
    """A key name in music21's spelling: "Cm" -> "c", "Eb" -> "E-", "F#m" -> "f#"."""
    parsed = parse_key(key)
    tonic = parsed.tonic.replace("b", "-") if len(parsed.tonic) > 1 else parsed.tonic
    return tonic.lower() if parsed.is_minor else tonic


def _chord_spans(arg: dict[str, Any], snap: Snapshot) -> list[tuple[float, float, frozenset[int], int | None]]:
    """``(low, high, pitch classes, bass)`` for each span of ``bars_each`` bars from ``first_bar`` to
    ``last_bar`` (default the song's end), the chords repeating in turn; the key of each span is
    the key map's at its first bar (for Roman numerals)."""
    each, first = arg.get("bars_each", 1), arg.get("first_bar", 1)
    last = arg.get("last_bar", snap["meta"]["bars"])
    spans, bar, i = [], first, 0
    symbols = arg["symbols"]
    while bar <= last:
        end = min(last, bar + each - 1)
        pcs, bass = _chord_pcs(symbols[i % len(symbols)], roman=arg.get("roman", False),
                               key=_key_at(snap["meta"], bar))
        spans.append((*_bar_beats(snap, bar, end), pcs, bass))
        bar, i = end + 1, i + 1
    return spans


def _chords_played(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """Each span of ``bars_each`` bars plays exactly the next chord's pitch classes (music21); slash bass lowest."""
    notes = _role_notes(after, arg["role"])
    if not notes:
        return False
    for low, high, pcs, bass in _chord_spans(arg, after):
        here = [n for n in notes if low <= n[1] + _EARLY_BEATS < high]
        if {int(n[0]) % 12 for n in here} != pcs:
            return False
        if bass is not None and min(int(n[0]) for n in here) % 12 != bass:
            return False
    return True


def _fits_chords(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """In ``share`` (0.75) of the spans the role starts on a chord tone, and half its notes are chord tones."""
    notes = _role_notes(after, arg["role"])
    spans = firsts = inside = fitting = 0
    for low, high, pcs, bass in _chord_spans(arg, after):
        here = sorted((n for n in notes if low <= n[1] + _EARLY_BEATS < high), key=lambda n: (n[1], n[0]))
        if not here:
            continue
        tones = pcs | ({bass} if bass is not None else set())
        spans, firsts = spans + 1, firsts + (int(here[0][0]) % 12 in tones)
        inside, fitting = inside + len(here), fitting + sum(int(n[0]) % 12 in tones for n in here)
    return spans > 0 and firsts / spans >= arg.get("share", 0.75) and fitting / inside >= 0.5


def _stale(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """Every stem of the role (after) has ``stale`` equal to ``value`` (a stem without the field is not stale)."""
    stems = _with_role(after, arg["role"])
    return bool(stems) and all(bool(s.get("stale", False)) == arg["value"] for s in stems)


def _notes_shifted(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """The role's notes starting in bars [a, b] are those before moved by ``semitones``; the others unchanged."""
    low, high = _bar_beats(before, *arg["bars"])
    pairs, moved_any = _common(arg, before, after), False
    for a, b in pairs:
        then, now = before["notes"][a["stem_id"]], after["notes"][b["stem_id"]]
        inside = _starts_in(then, low, high)
        moved_any = moved_any or bool(inside)
        if _canon(inside, semitones=arg["semitones"]) != _canon(_starts_in(now, low, high)):
            return False
        if _canon(n for n in then if not low <= n[1] < high) != _canon(n for n in now if not low <= n[1] < high):
            return False
    return bool(pairs) and moved_any


def _notes_moved(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """The role's notes of bars [a, b] before (default all) now start ``by_bars`` bars later, note for note."""
    first, last = arg.get("bars", [1, before["meta"]["bars"]])
    shift = arg["by_bars"] * _bpb(before)
    low, high = _bar_beats(before, first, last)
    end, pairs, found = _song_end(after), _common(arg, before, after), False
    end = min(end, high + shift)
    for a, b in pairs:
        then = _starts_in(before["notes"][a["stem_id"]], low, high)
        found = found or bool(then)
        now = _starts_in(after["notes"][b["stem_id"]], low + shift, high + shift)
        if _canon(then, shift=shift, end=end) != _canon(now, end=end):
            return False
    return bool(pairs) and found


def _notes_same_as_before_in_bars(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """Every stem of the role plays the same notes starting in bars [a, b] as before (as heard in those bars)."""
    low, high = _bar_beats(before, *arg["bars"])
    end, pairs = min(high, _song_end(after)), _common(arg, before, after)
    return bool(pairs) and all(
        _canon(_starts_in(before["notes"][a["stem_id"]], low, high), end=end)
        == _canon(_starts_in(after["notes"][b["stem_id"]], low, high), end=end) for a, b in pairs)


def _notes_differ_in_bars(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """The role has notes starting in bars [a, b] after, and they are not the notes it had there before."""
    low, high = _bar_beats(after, *arg["bars"])
    then = _starts_in(_role_notes(before, arg["role"]), low, high)
    now = _starts_in(_role_notes(after, arg["role"]), low, high)
    return bool(now) and _canon(then) != _canon(now)


def _notes_unchanged(arg: str | list[str], before: Snapshot, after: Snapshot) -> bool:
    """Every stem of these roles is still there with the same notes (its other settings may change)."""
    now = {s["stem_id"]: s["notes_hash"] for s in after["stems"]}
    stems = _with_role(before, arg)
    return bool(stems) and all(now.get(s["stem_id"]) == s["notes_hash"] for s in stems)


def _notes_added(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """The role keeps every note and gains at least one, each new one a ``pitch`` listed starting in bars [a, b]."""
    low, high = _bar_beats(after, *arg["bars"])
    pitches = {int(p) for p in (arg["pitch"] if isinstance(arg["pitch"], list) else [arg["pitch"]])}
    for a, b in _common(arg, before, after):
        then, now = Counter(_canon(before["notes"][a["stem_id"]])), Counter(_canon(after["notes"][b["stem_id"]]))
        if then - now:
            return False
        added = now - then
        if added:
            return all(p in pitches and low <= s < high for p, s, _, _ in added.elements())
    return False


def _lane(arg: dict[str, Any], before: Snapshot, after: Snapshot) -> bool:
    """A stem of the role (or any) has at least ``min_points`` (2) automation points for ``param`` (inside ``bars``)."""
    stems = {s["stem_id"] for s in _role_stems(after, arg.get("role"))}
    params = _listed(arg["param"])
    low, high = _bar_beats(after, *arg["bars"]) if "bars" in arg else (-np.inf, np.inf)
    points = Counter(p["stem_id"] for p in after.get("automation") or []
                     if p["stem_id"] in stems and p["param"] in params and low <= p["beat"] <= high)
    return any(n >= arg.get("min_points", 2) for n in points.values())


#: Every predicate but ``rejected``, ``either`` and ``message`` (which :func:`check` answers itself):
#: name -> holds(arg, before, after).
PREDICATES: dict[str, Callable[[Any, Snapshot, Snapshot], bool]] = {
    "stem": _stem,
    "no_stem": lambda arg, before, after: not _with_role(after, arg["role"]),
    "no_effect": _no_effect,
    "muted": _muted,
    "audible_only": _audible_only,
    "roles_exactly": lambda arg, before, after: sorted(s["role"] for s in after["stems"]) == sorted(arg),
    "meta": _meta,
    "changed_meta": lambda arg, before, after: _went(arg["direction"], before["meta"][arg["field"]],
                                                     after["meta"][arg["field"]]),
    "changed_stem": _changed_stem,
    "only_changed": _only_changed,
    "notes_changed": _notes_changed,
    "version_delta": lambda arg, before, after: after["version"] - before["version"] == arg,
    "sound": _sound,
    "kept": _kept,
    "unchanged_meta": _unchanged_meta,
    "stem_count": _stem_count,
    "changed_notes": _changed_notes,
    "effect_param": _effect_param,
    "notes_kept_outside": _notes_kept_outside,
    # song form and musical time (tests/language/trust/form.jsonl)
    "sections_exactly": _sections_exactly,
    "sections_include": _sections_include,
    "section": _section_pred,
    "sections_cover": _sections_cover,
    "section_notes_equal": _section_notes_equal,
    "section_notes_differ": _section_notes_differ,
    "section_same_as_before": _section_same_as_before,
    "section_compare": _section_compare,
    "section_roles": _section_roles,
    "plays_before": _plays_before,
    "fill_in_bar": _fill_in_bar,
    "density_in_bars": _density_in_bars,
    "chords_played": _chords_played,
    "fits_chords": _fits_chords,
    "stale": _stale,
    "tempo_at": _tempo_at_pred,
    "key_at": _key_at_pred,
    "duration_s": _duration_s,
    "notes_shifted": _notes_shifted,
    "notes_moved": _notes_moved,
    "notes_same_as_before_in_bars": _notes_same_as_before_in_bars,
    "notes_differ_in_bars": _notes_differ_in_bars,
    "notes_unchanged": _notes_unchanged,
    "notes_added": _notes_added,
    "lane": _lane,
    "level_in_bars": _level_in_bars,
    "spectral_centroid_in_bars": _spectral_centroid_in_bars,
    "highs_in_bars": _highs_in_bars,
    "pan_in_bars": _pan_in_bars,
    "rise_in_bars": _rise_in_bars,
    "silent_in_bars": _silent_in_bars,
    "ducked": _ducked,
}
#: Predicates that also hold when the command was refused (a refusal changes nothing).
HOLD_WHEN_REFUSED = frozenset({"kept", "unchanged_meta"})
_NAMES = ", ".join(sorted(["rejected", "either", "message", *PREDICATES]))


def _predicate(predicate: Any) -> tuple[str, Any]:
    """``(name, argument)`` of a one-key predicate dict; anything else raises InvalidValue."""
    if isinstance(predicate, dict) and len(predicate) == 1:
        (name, arg), = predicate.items()
        if name in ("rejected", "message") or name in PREDICATES:
            return name, arg
        if name == "either" and isinstance(arg, list) and arg:
            for inner in arg:
                _predicate(inner)
            return name, arg
    raise InvalidValue("predicate", predicate, f"a dict with one key, one of {_NAMES}")


def check(predicate: dict[str, Any], before: Snapshot, after: Snapshot, *, rejected: bool,
          message: str = "") -> bool:
    """Whether ``predicate`` holds between two :func:`snapshot` s of a command's session.

    ``rejected`` says whether the command was refused: then only ``{"rejected": true}``, the
    predicates of :data:`HOLD_WHEN_REFUSED` and ``message`` can hold, and only if no version was
    made. ``{"message": [words]}`` holds when the answer (``message``) contains every one, in any
    case; ``{"either": [p, ...]}`` when one of its predicates holds.
    """
    name, arg = _predicate(predicate)
    if name == "either":
        return any(check(p, before, after, rejected=rejected, message=message) for p in arg)
    if name == "message":
        return all(word.lower() in message.lower() for word in _listed(arg))
    if rejected and before["version"] != after["version"]:
        return False
    if name == "rejected":
        return rejected == arg
    if rejected:
        return name in HOLD_WHEN_REFUSED
    return PREDICATES[name](arg, before, after)


# cases and suites -------------------------------------------------------------------------------
def load_suite(path: str | Path) -> list[dict[str, Any]]:
    """The cases of a JSONL suite, checked: each has an id (unique), setup, text and expect,
    and every expectation is a known predicate. A bad line raises InvalidValue naming it."""
    path = Path(path)
    cases, ids = [], set()
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        case, where = json.loads(line), f"{path.name}:{n}"
        if not isinstance(case, dict) or not {"id", "setup", "text", "expect"} <= case.keys():
            raise InvalidValue(where, line[:80], 'an object with "id", "setup", "text" and "expect"')
        if case["id"] in ids:
            raise InvalidValue(f"{where} id", case["id"], "an id no earlier case has")
        for predicate in case["expect"]:
            try:
                _predicate(predicate)
            except InvalidValue as exc:
                raise InvalidValue(f"{where} expect", predicate, exc.details["expected"]) from None
        ids.add(case["id"])
        cases.append(case)
    return cases


class SetupCache:
    """The versions each distinct setup made, to write again into later sessions.

    Writing them again, record for record (same commands, seeds, parents and states), is what
    running the setup again would make, in a fraction of the time. A cache holds records and
    states, not sessions, so one can serve any number of stores and suites.
    """

    def __init__(self) -> None:
        self._versions: dict[tuple[str, ...], list[tuple[VersionRecord, State]]] = {}

    def __contains__(self, setup: Iterable[str]) -> bool:
        return tuple(setup) in self._versions

    def __len__(self) -> int:
        return len(self._versions)

    def __repr__(self) -> str:
        return f"<SetupCache: {len(self)} setups>"

    def add(self, setup: Iterable[str], session: Session) -> None:
        """Remember every version ``session`` made as the outcome of ``setup``."""
        self._versions[tuple(setup)] = [(r, session.state_at(r.version)) for r in session.records]

    def open(self, setup: Iterable[str], *, store: Store) -> Session:
        """A new session in ``store`` holding the versions ``setup`` made (KeyError if unseen)."""
        (first, state), *rest = self._versions[tuple(setup)]
        session_id = "ses_" + secrets.token_hex(8)
        store.create_session(session_id, state, first)
        for record, state in rest:
            store.append_version(session_id, record, state, base=record.version - 1)
        return Session.open(session_id, store)


def new_session(setup: Iterable[str], *, store: Store, cache: SetupCache | None = None) -> Session:
    """A new :data:`SESSION` in ``store`` with the ``setup`` commands run (from ``cache`` when it
    has them; a new setup is added to it). A setup command that fails raises."""
    setup = tuple(setup)
    if cache is not None and setup in cache:
        return cache.open(setup, store=store)
    session = Session.create(**SESSION, store=store)
    for text in setup:
        session.command(text)
    if cache is not None:
        cache.add(setup, session)
    return session


@dataclass(frozen=True)
class CaseResult:
    """One case's outcome: what the session answered (or the error), and the predicates that failed."""

    id: str
    text: str
    passed: bool
    rejected: bool
    agents: tuple[str, ...]
    message: str
    failed: list[dict[str, Any]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.id}: {self.text!r} -> {self.message[:160]} (failed: {self.failed})"


def run_case(case: dict[str, Any], *, store: Store, cache: SetupCache | None = None) -> CaseResult:
    """Run one case in a new session of ``store``: setup, command, then every predicate.

    A refused command (any OrchestriaError) is ``rejected``; a failed setup fails the case.
    """
    common = {"id": case["id"], "text": case["text"]}
    try:
        session = new_session(case["setup"], store=store, cache=cache)
    except OrchestriaError as exc:
        return CaseResult(**common, passed=False, rejected=False, agents=(), message=f"setup failed: {exc}")
    before = snapshot(session)
    rejected, agents = False, ()
    try:
        result = session.command(case["text"])
        message, agents = result.message, tuple(sorted({a.agent for a in result.plan}))
    except OrchestriaError as exc:
        rejected, message = True, str(exc)
    after = snapshot(session)
    answer = message.replace(case["text"], "")  # a "message" predicate judges the answer, not its echo
    failed = [p for p in case["expect"] if not check(p, before, after, rejected=rejected, message=answer)]
    return CaseResult(**common, passed=not failed, rejected=rejected, agents=agents, message=message,
                      failed=failed)


@dataclass(frozen=True)
class SuiteResult:
    """A suite's outcome: ``cases`` has one row per case (the fields of :class:`CaseResult`)."""

    name: str
    cases: pd.DataFrame

    @property
    def pass_rate(self) -> float:
        return float(self.cases["passed"].mean()) if len(self.cases) else float("nan")

    @property
    def failures(self) -> pd.DataFrame:
        """The rows of the cases that failed: id, text, what the session answered, what failed."""
        return self.cases.loc[~self.cases["passed"], ["id", "text", "message", "failed"]]

    def summary(self) -> dict[str, Any]:
        """``{"suite", "cases", "passed", "pass_rate"}``: one row of a table of suites."""
        return {"suite": self.name, "cases": len(self.cases), "passed": int(self.cases["passed"].sum()),
                "pass_rate": self.pass_rate}

    def __str__(self) -> str:
        s = self.summary()
        lines = [f"{s['suite']}: {s['passed']} of {s['cases']} cases pass ({s['pass_rate']:.1%})"]
        lines += [str(CaseResult(**row)) for row in self.cases[~self.cases["passed"]].to_dict("records")]
        return "\n".join(lines)


def _case_task(case: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """One case for the batch runner: in the context's store (else a throwaway one), sharing its setup cache."""
    from orchestria_lab.session import SQLiteStore

    store = context.get("store")
    store = SQLiteStore(":memory:") if store is None else store
    return asdict(run_case(case, store=store, cache=context.setdefault("cache", SetupCache())))


def run_suite(suite: str | Path | list[dict[str, Any]], *, store: Store | None = None,
              cache: SetupCache | None = None, name: str | None = None, progress: bool = False,
              engine: str = "serial", address: str | None = None, workers: int | None = None) -> SuiteResult:
    """Run every case of ``suite`` (a JSONL path, or cases from :func:`load_suite`).

    Cases go through the batch runner (:func:`~orchestria_lab.batch.runner.run_tasks`):
    ``engine="serial"`` runs them here, in ``store`` (None: a throwaway store per case), with
    ``cache`` sharing setups between cases and suites (None: a new one for this run);
    ``engine="ray"`` on Ray actors (``address``, ``workers``), each with its own stores and
    cache. ``progress`` shows a tqdm bar. A case that crashes fails with the error as its message.
    """
    from orchestria_lab.batch.runner import run_tasks

    if isinstance(suite, str | Path):
        name, suite = name or Path(suite).stem, load_suite(suite)
    context = {"store": store, "cache": SetupCache() if cache is None else cache}
    outcomes = run_tasks(_case_task, suite, engine=engine, address=address, workers=workers, context=context,
                         progress=progress, desc=name or "cases")
    rows = [o.value if o.ok else asdict(CaseResult(case["id"], case["text"], passed=False, rejected=False, agents=(),
                                                   message=f"error: {o.error}"))
            for case, o in zip(suite, outcomes, strict=True)]
    columns = list(CaseResult.__dataclass_fields__)
    return SuiteResult(name or "suite", pd.DataFrame(rows, columns=columns))
