"""The conductor: text -> plan -> agents -> one new version, with events as it goes.

``run_command`` is the path every command takes (``Session.command``, the widgets, the
REST shim). It asks a planner for a plan, checks the plan against the agents' specs,
runs each action's agent on the state the previous one left, and commits the result as
exactly one version, whatever the number of actions. Undo, redo and "go back to version
N" are commands too; they append a version whose content is an earlier one's.

Events: ``plan``, ``agent_started``, ``agent_finished`` (with what the agent did),
``version_created`` and ``error``; ``on_event`` receives each as it happens.

>>> import os, tempfile
>>> from orchestria_lab.session import Session, SQLiteStore
>>> s = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=7,
...                    store=SQLiteStore(os.path.join(tempfile.mkdtemp(), "c.db")))
>>> events = []
>>> result = run_command(s, "add warm piano chords with reverb", on_event=events.append)
>>> result.version, [e.type for e in events][:2], events[-1].type
(1, ['plan', 'agent_started'], 'version_created')
>>> run_command(s, "undo").version, len(s.stems)
(2, 0)
>>> run_command(s, "set the tempo to 90")
Traceback (most recent call last):
...
orchestria_lab.session.conductor.NothingToChange: Nothing to do for 'set the tempo to 90': the tempo is already 90 bpm, so no version was made.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from orchestria_lab.agents.base import Action
from orchestria_lab.agents.registry import get_agent, is_working, registered, working
from orchestria_lab.audio.levels import level_new_stems
from orchestria_lab.errors import (
    CommandNotUnderstood,
    InvalidValue,
    OrchestriaError,
    VersionConflict,
)
from orchestria_lab.language.plan import PlanContext, Planner, validate_plan
from orchestria_lab.session.bounds import Bounds
from orchestria_lab.session.history import diff_states
from orchestria_lab.session.session import Restore, version_seed
from orchestria_lab.state import Edit, State, Stem, apply

if TYPE_CHECKING:
    from orchestria_lab.session.session import Session

EVENT_TYPES = ("plan", "agent_started", "agent_finished", "version_created", "error")
HISTORY = ("history",)
#: How far back "bring back the drums" looks for a removed stem.
RESTORE_LOOKBACK = 50
#: History intents whose meaning depends on which version is the head (goto names its target).
_RELATIVE_TO_HEAD = frozenset({"undo", "redo"})
#: How a "go back to version N" version is summarised; "undo" after one undoes the jump.
_WENT_BACK = "back to the content of v"


@dataclass(frozen=True)
class Event:
    """Something the conductor did: ``type`` is one of :data:`EVENT_TYPES`."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in EVENT_TYPES:
            raise InvalidValue("event type", self.type, "one of " + ", ".join(EVENT_TYPES))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "data": _jsonable(self.data)}


class NothingToChange(CommandNotUnderstood):
    """The command was understood, but carrying it out would change nothing ("unmute the
    bass" when it plays already): refused like a command not understood, and no version is made."""

    def __init__(self, text: str, summary: str) -> None:
        reason = f"nothing would change ({summary})"
        super().__init__(text, reason=reason, suggestions=())
        self.message = f"Nothing to do for {text!r}: {summary}, so no version was made."
        self.args = (self.message,)


@dataclass
class CommandResult:
    """What a command did: the new version (the current one for a dry run), the plan, a message, the diff."""

    version: int
    message: str
    plan: list[Action]
    diff: pd.DataFrame
    dry_run: bool = False
    #: A variations command's candidates, best first (:meth:`Session.candidates`); None otherwise.
    candidates: pd.DataFrame | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"version": self.version, "message": self.message, "dry_run": self.dry_run,
               "plan": [a.to_dict() for a in self.plan],
               "diff": _jsonable(self.diff.to_dict("records"))}
        if self.candidates is not None:
            out["candidates"] = _jsonable(self.candidates.to_dict("records"))
        return out

    def __repr__(self) -> str:
        return f"<CommandResult v{self.version}{' (dry run)' if self.dry_run else ''}: {self.message}>"


def agent_states(session_id: str | None = None) -> dict[str, str]:
    """Each registered agent's live state, ``"working"`` or ``"idle"`` (for one session or any)."""
    return {name: "working" if is_working(name, session_id) else "idle" for name in registered()}


def _default_planner() -> Planner:
    from orchestria_lab.language.parser import RuleParser

    return RuleParser()


def run_command(session: Session, text: str, *, dry_run: bool = False,
                on_event: Callable[[Event], None] | None = None, planner: Planner | None = None) -> CommandResult:
    """Parse ``text`` into a plan, run it through the agents and commit one version.

    ``dry_run=True`` returns the plan and the diff it would make, and stores nothing.
    Raises :class:`CommandNotUnderstood` (and emits ``error``) when the text cannot be
    planned or the plan does not fit the agents' specs, and :class:`NothingToChange` (a
    kind of it) when carrying the plan out would leave the session as it is ("unmute the
    bass" when it plays); no version is made.

    The plan is made for the version the commit builds on. If another writer appends while
    this command runs, the text is planned again on the new head; when it no longer fits
    there ("the chords" were just removed), :class:`VersionConflict` (409) says so, and a
    retry gets the honest answer on the new head.
    """
    def emit(kind: str, **data: Any) -> None:
        if on_event is not None:
            on_event(Event(kind, {"session_id": session.id, **data}))

    planner = planner or _default_planner()
    session.refresh()
    try:
        plan = _plan(session, text, planner)
    except OrchestriaError as exc:
        emit("error", code=exc.code, message=exc.message, suggestions=getattr(exc, "suggestions", []))
        raise
    emit("plan", text=text, plan=[a.to_dict() for a in plan], dry_run=dry_run)
    planned = {"version": session.version, "plan": plan}

    def plan_on_base() -> list[Action]:
        """The plan for the version ``session`` now stands on (the commit's base)."""
        if session.version != planned["version"]:
            if plan[0].agent == "history" and plan[0].intent in _RELATIVE_TO_HEAD:
                raise VersionConflict(
                    f"Another writer made version {session.version} while {text!r} ran, so it would "
                    f"no longer undo or redo the change you saw. Nothing was changed; reload the "
                    f"session and try again.", head=session.version, retryable=False)
            try:
                again = _plan(session, text, planner)
            except CommandNotUnderstood as exc:
                raise VersionConflict(
                    f"Another writer made version {session.version} while {text!r} ran, and on it "
                    f"the command no longer fits: {exc.reason}. Nothing was changed; reload the "
                    f"session and try again.", head=session.version) from exc
            if _agents(again) != _agents(plan):  # the record names the agents of the first plan
                raise VersionConflict(f"Another writer made version {session.version} while {text!r} "
                                      f"ran; nothing was changed. Try again.", head=session.version)
            planned.update(version=session.version, plan=again)
        return planned["plan"]

    try:
        if plan[0].agent == "history":
            return _history(session, plan_on_base, text, dry_run=dry_run, emit=emit)
        if plan[0].agent == "takes":
            from orchestria_lab.session.takes import run_takes

            return run_takes(session, plan_on_base, text, dry_run=dry_run, emit=emit)
        return _perform(session, plan_on_base, text, dry_run=dry_run, emit=emit)
    except OrchestriaError as exc:
        emit("error", code=exc.code, message=exc.message)
        raise


def _agents(plan: list[Action]) -> tuple[str, ...]:
    """The agents a plan runs, in order, each once (what its version record lists)."""
    return tuple(dict.fromkeys(a.agent for a in plan))


def _plan(session: Session, text: str, planner: Planner) -> list[Action]:
    """The validated plan for ``text`` on the session's current version."""
    state = session.state
    context = PlanContext(state, last_touched=lambda: last_touched(session),
                          find_removed=lambda match: find_removed(session, match), version=session.version,
                          find_added=lambda match: find_added(session, match))
    plan = planner.plan(text, context)
    Bounds.from_env().check_plan(plan)
    try:
        return validate_plan(plan, state)
    except CommandNotUnderstood:
        raise
    except OrchestriaError as exc:  # a planner's plan the specs reject
        raise CommandNotUnderstood(str(text)[:200], reason=f"the plan does not fit the agents: {exc.message}") from exc


def _perform(session: Session, plan_for: Callable[[], list[Action]], text: str, *, dry_run: bool,
             emit: Callable[..., None]) -> CommandResult:
    seen: dict[str, Any] = {}

    def build(state: State, rng: np.random.Generator) -> Edit:
        plan = seen["plan"] = plan_for()
        seen["before"] = state
        edit = run_actions(session, state, plan, rng, dry_run=dry_run, emit=emit)
        seen["after"] = apply(state, edit)
        if not (edit.add or edit.remove or edit.update or edit.meta):
            raise NothingToChange(text, edit.summary)  # a version identical to the last is no version
        return edit

    if dry_run:
        head = session.state
        edit = build(head, np.random.default_rng(version_seed(head.meta.seed, session.version + 1)))
        return CommandResult(session.version, f"dry run: {edit.summary}", seen["plan"],
                             diff_states(head, seen["after"]), dry_run=True)
    agents = _agents(plan_for())
    record = session.commit(build, command=text, agents=agents)
    emit("version_created", version=record.version, summary=record.summary, agents=list(agents))
    return CommandResult(record.version, record.summary, seen["plan"], diff_states(seen["before"], session.state))


def run_actions(session: Session, state: State, plan: list[Action], rng: np.random.Generator, *, dry_run: bool,
                emit: Callable[..., None]) -> Edit:
    """Run ``plan``'s agents one after the other from ``state``, each with a seed drawn from ``rng``;
    the one Edit they make together (new parts levelled to their roles unless ``dry_run``)."""
    seeds = rng.integers(0, 2**63 - 1, size=len(plan))
    summaries, removed = [], set()
    current = state
    for action, seed in zip(plan, seeds, strict=True):
        agent = get_agent(action.agent)
        if not dry_run:
            emit("agent_started", agent=action.agent, intent=action.intent, target=action.target)
        with working(action.agent, session.id):
            edit = agent(current, action, np.random.default_rng(int(seed)))
        current = apply(current, edit)
        removed |= set(edit.remove)
        if edit.summary:
            summaries.append(edit.summary)
        if not dry_run:
            touched = sorted({s.stem_id for s in (*edit.add, *edit.update)} | set(edit.remove))
            emit("agent_finished", agent=action.agent, intent=action.intent, target=action.target,
                 summary=edit.summary, stems=touched)
    if not dry_run:  # gain staging: a new part sits at its role's level (a dry run renders nothing)
        current = level_new_stems(state, current)
    return _net_edit(state, current, removed, "; ".join(summaries) or "no change")


def _net_edit(before: State, after: State, removed: set[str], summary: str) -> Edit:
    """One Edit from ``before`` to ``after`` (what several agents did, as one version)."""
    old = {s.stem_id: s for s in before.stems}
    new_ids = {s.stem_id for s in after.stems}
    gone = [sid for sid in old if sid not in new_ids or sid in removed]
    update = [s for s in after.stems if s.stem_id in old and s.stem_id not in gone and s.hash != old[s.stem_id].hash]
    add = [s for s in after.stems if s.stem_id not in old or s.stem_id in gone]
    meta = {k: v for k, v in after.meta.to_dict().items() if before.meta.to_dict()[k] != v}
    return Edit(add=add, remove=gone, update=update, meta=meta, summary=summary)


# history ------------------------------------------------------------------------------
def _history(session: Session, plan_for: Callable[[], list[Action]], text: str, *, dry_run: bool,
             emit: Callable[..., None]) -> CommandResult:
    seen: dict[str, Any] = {}

    def build(state: State, _rng: np.random.Generator) -> Restore:
        """Undo and redo are relative to the head, so their target is found on the version
        the commit builds on, never on an older read of the history."""
        action = seen["action"] = plan_for()[0]
        target, summary = _history_target(session.records, action, text)
        seen["before"], seen["goal"] = state, session.state_at(target)
        return Restore(seen["goal"], target, summary, action.intent)

    if dry_run:
        restore = build(session.state, np.random.default_rng(0))
        return CommandResult(session.version, f"dry run: {restore.summary}", [seen["action"]],
                             diff_states(seen["before"], restore.state), dry_run=True)
    record = session.commit(build, command=text, agents=HISTORY)
    emit("version_created", version=record.version, summary=record.summary, agents=list(HISTORY))
    return CommandResult(record.version, record.summary, [seen["action"]], diff_states(seen["before"], seen["goal"]))


def _history_target(records: list, action: Action, text: str) -> tuple[int, str]:
    """The version whose content ``action`` (undo, redo, goto) restores, and its summary."""
    head = records[-1]
    if action.intent == "goto":
        target = int(action.params["version"])
        if not 0 <= target <= head.version:
            raise InvalidValue("version", target, f"a whole number from 0 to {head.version}")
        return target, f"{_WENT_BACK}{target}"
    if action.intent == "undo":
        source = _undone(records, head.version + 1)
        found: int | None = source
        steps = int(action.params.get("steps", 1))
        if head.kind == "goto" and head.version > 0:
            found, steps = head.version - 1, steps - 1  # undo the jump itself
        for _ in range(steps):
            found = records[_content_source(records, found)].parent if found is not None else None
        if found is None:
            raise CommandNotUnderstood(text, reason=f"there is nothing to undo: version {source} is where the session starts"
                                       if records[source].parent is None else "there are not that many changes to undo",
                                       suggestions=["undo", "go back to version 0"])
        return found, f"undo: back to v{found} (undid v{source})"
    found = _redo_target(records)
    if found is None:
        raise CommandNotUnderstood(text, reason="there is nothing to redo: no undo since the last change",
                                   suggestions=["undo"])
    return found, f"redo: v{found} again"


def _content_source(records: list, version: int) -> int:
    """The version whose content ``version`` holds: itself, or what a history version restored."""
    seen = set()
    while records[version].restores is not None and version not in seen:
        seen.add(version)
        version = records[version].restores
    return version


def _undone(records: list, version: int) -> int:
    """What an undo made as ``version`` takes back: the content of the version before it, or a
    jump ("go back to version 2") itself."""
    before = records[version - 1]
    return before.version if before.kind == "goto" else _content_source(records, before.version)


def _redo_target(records: list) -> int | None:
    """What redo brings back: what the latest undo since the last change took back (read from the
    records' kinds, never their words)."""
    stack: list[int] = []
    for rec in records:
        if rec.kind == "undo":
            stack.append(_undone(records, rec.version))
        elif rec.kind == "redo" and stack:
            stack.pop()
        else:
            stack.clear()
    return stack[-1] if stack else None


# what "it" means, what "bring back" finds ---------------------------------------------
def last_touched(session: Session) -> tuple[str, ...]:
    """Stems the latest version added or changed (compared with the version it came from)."""
    record = session.records[-1]
    if record.parent is None:
        return ()
    before = {s.stem_id: s.hash for s in _planned_on.state_at(session, record.parent).stems}
    _planned_on.keep(session)
    return tuple(s.stem_id for s in session.state.stems if before.get(s.stem_id) != s.hash)


class _PlannedOn:
    """The head states that commands of this process planned on, by store, session and version (a
    version never changes): the next command on the session compares its head with the one before
    (:func:`last_touched`) without reading that version from the store again. A store is held
    weakly: what is kept never keeps a store (and its connections) alive."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[int, str, int], tuple[Any, State]] = OrderedDict()
        self._guard = threading.Lock()

    def keep(self, session: Session) -> None:
        with self._guard:
            self._kept[id(session.store), session.id, session.version] = (weakref.ref(session.store), session.state)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def state_at(self, session: Session, version: int) -> State:
        """``session.state_at(version)``, from what was kept when it is there."""
        with self._guard:
            ref, state = self._kept.get((id(session.store), session.id, version), (None, None))
        return state if ref is not None and ref() is session.store else session.state_at(version)


_planned_on = _PlannedOn()


def find_removed(session: Session, match: Callable[[Stem], bool]) -> Stem | None:
    """The most recent stem ``match`` accepts that an earlier version had and this one lacks."""
    present = {s.stem_id for s in session.state.stems}
    for version in range(session.version - 1, max(-1, session.version - 1 - RESTORE_LOOKBACK), -1):
        for stem in session.state_at(version).stems:
            if stem.stem_id not in present and match(stem):
                return stem
    return None


def find_added(session: Session, match: Callable[[Stem], bool]) -> int | None:
    """The latest version that brought in a stem ``match`` accepts (one its predecessor lacked)."""
    later = {s.stem_id for s in session.state.stems if match(s)}
    for version in range(session.version, max(0, session.version - RESTORE_LOOKBACK), -1):
        earlier = {s.stem_id for s in session.state_at(version - 1).stems if match(s)}
        if later - earlier:
            return version
        later = earlier
    return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if value != value or value in (float("inf"), float("-inf")) else value
    if value is None or isinstance(value, str | int | bool):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)
