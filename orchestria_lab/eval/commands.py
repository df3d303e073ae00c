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
import secrets
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from orchestria_lab.errors import InvalidValue, OrchestriaError
from orchestria_lab.eval.sound import MEASURES, moved
from orchestria_lab.music.theory import beats_per_bar, same_key
from orchestria_lab.session import Session, Store, VersionRecord
from orchestria_lab.state import State

__all__ = ["PREDICATES", "SESSION", "CaseResult", "SetupCache", "SuiteResult", "check",
           "load_suite", "new_session", "run_case", "run_suite", "snapshot"]

#: The session every case starts from, before its setup.
SESSION: dict[str, Any] = {"bpm": 90, "key": "Cm", "genre": "lo-fi", "seed": 7}

Snapshot = dict[str, Any]


def snapshot(session: Session) -> Snapshot:
    """The session as the predicates see it: ``{"version", "meta", "stems", "notes", "audio"}``.

    Stems are records (the columns of ``session.stems``), ``notes`` maps each stem id to its
    notes as ``(pitch, start, duration, velocity)`` tuples, and ``audio(stem_id)`` renders that
    stem as it sounds at this version (only predicates about sound call it).
    """
    state = session.state
    return {"version": session.version, "meta": session.meta, "stems": session.stems.to_dict("records"),
            "notes": {s.stem_id: [tuple(n) for n in s.notes] for s in state.stems},
            "audio": Listener(state)}


@dataclass(frozen=True)
class Listener:
    """``listener(stem_id)``: that stem of ``state`` rendered (its gain, pan and effects applied)."""

    state: State

    def __call__(self, stem_id: str) -> np.ndarray:
        from orchestria_lab.audio.render import render_stem

        return render_stem(self.state, stem_id)


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


def run_suite(suite: str | Path | list[dict[str, Any]], *, store: Store, cache: SetupCache | None = None,
              name: str | None = None, progress: bool = False) -> SuiteResult:
    """Run every case of ``suite`` (a JSONL path, or cases from :func:`load_suite`) in ``store``.

    ``cache`` shares setups between cases and suites (None: a new one for this run);
    ``progress`` shows a tqdm bar.
    """
    from tqdm.auto import tqdm

    if isinstance(suite, str | Path):
        name, suite = name or Path(suite).stem, load_suite(suite)
    cache = SetupCache() if cache is None else cache
    rows = [asdict(run_case(case, store=store, cache=cache))
            for case in tqdm(suite, desc=name or "cases", disable=not progress)]
    columns = list(CaseResult.__dataclass_fields__)
    return SuiteResult(name or "suite", pd.DataFrame(rows, columns=columns))
