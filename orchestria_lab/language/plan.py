"""Plans, planners, and the check every plan passes before anything runs.

A :class:`Planner` turns text into a list of :class:`~orchestria_lab.agents.base.Action`
given a :class:`PlanContext` (the current state, the stems last touched, a way to find
stems from earlier versions). The rule parser is one planner; an LLM planner is another.
:func:`validate_plan` checks any plan against the registered agents' specs and the
state, so a planner can only ask for what the orchestra can do.

>>> from orchestria_lab.state import Meta, State
>>> state = State(Meta(bpm=90, key="Cm", genre="lo-fi"))
>>> validate_plan([Action("mix", "mute", "drums")], state)
Traceback (most recent call last):
...
orchestria_lab.errors.InvalidValue: mix.mute target='drums' is not valid: expected one of the stems (none yet).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from orchestria_lab.agents.base import Action, AgentSpec, Target
from orchestria_lab.errors import InvalidValue
from orchestria_lab.state import State, Stem

#: The conductor's own intents: they move through history instead of calling an agent.
HISTORY_INTENTS = ("undo", "redo", "goto")
#: The conductor's intents for takes: several candidates of the actions after it, or choosing one.
TAKES_INTENTS = ("variations", "choose")


class PlanContext:
    """What a planner may consult: the state, the stems last touched, earlier stems."""

    def __init__(self, state: State, *, last_touched: Callable[[], tuple[str, ...]] | tuple[str, ...] = (),
                 find_removed: Callable[[Callable[[Stem], bool]], Stem | None] | None = None,
                 version: int = 0, find_added: Callable[[Callable[[Stem], bool]], int | None] | None = None) -> None:
        self.state = state
        self.version = version
        self._touched = last_touched
        self._find_removed = find_removed
        self._find_added = find_added

    @property
    def last_touched(self) -> tuple[str, ...]:
        """Stems the last version added or changed (what "it" means), most recent last."""
        if callable(self._touched):
            self._touched = tuple(self._touched())
        return tuple(s for s in self._touched if self.state.has_stem(s))

    def find_removed(self, match: Callable[[Stem], bool]) -> Stem | None:
        """The latest stem from an earlier version that ``match`` accepts and is gone now."""
        return self._find_removed(match) if self._find_removed else None

    def find_added(self, match: Callable[[Stem], bool]) -> int | None:
        """The latest version that brought in a stem ``match`` accepts ("before the drums")."""
        return self._find_added(match) if self._find_added else None


@runtime_checkable
class Planner(Protocol):
    """Anything that turns text into actions. Raise CommandNotUnderstood when it cannot."""

    def plan(self, text: str, context: PlanContext) -> list[Action]: ...


def validate_plan(plan: Sequence[Action], state: State) -> list[Action]:
    """Check ``plan`` against the agents' specs and ``state``; return it with params converted.

    Every action names a registered agent and one of its intents, with parameters its
    spec accepts; targets exist when the action runs (earlier actions in the plan may
    add or remove stems); history actions stand alone.
    """
    from orchestria_lab.agents.registry import get_agent

    if not plan:
        raise InvalidValue("plan", [], "at least one action")
    if any(a.agent == "history" for a in plan):
        if len(plan) != 1 or plan[0].intent not in HISTORY_INTENTS:
            raise InvalidValue("plan", [a.describe() for a in plan], "one history action (undo, redo or goto) on its own")
        version, steps = plan[0].params.get("version"), plan[0].params.get("steps", 1)
        if plan[0].intent == "goto" and not (isinstance(version, int) and not isinstance(version, bool) and version >= 0):
            raise InvalidValue("history.goto version", version, "a version number")
        if plan[0].intent == "undo" and not (isinstance(steps, int) and not isinstance(steps, bool) and 1 <= steps <= 50):
            raise InvalidValue("history.undo steps", steps, "a whole number from 1 to 50")
        return list(plan)
    if plan[0].agent == "takes":
        return _takes(plan, state)
    stems = {s.stem_id for s in state.stems}
    out = []
    for action in plan:
        if not isinstance(action, Action):
            raise InvalidValue("plan step", action, "an Action(agent, intent, target, params)")
        spec = get_agent(action.agent).spec
        params = spec.validate_params(action.intent, action.params)
        where, kind = f"{action.agent}.{action.intent}", spec.target(action.intent)
        if kind is Target.NEW:
            if action.target is not None and action.target in stems:
                raise InvalidValue(f"{where} target", action.target, "a stem id not in use")
            stems |= {action.target} - {None}
        elif kind is Target.SESSION:
            if action.target is not None:
                raise InvalidValue(f"{where} target", action.target, "no stem: it changes the whole song")
        elif not (kind is Target.OWN and action.target is None) and action.target not in stems:
            raise InvalidValue(f"{where} target", action.target,
                               "one of the stems (" + (", ".join(sorted(stems)) or "none yet") + ")")
        if kind is Target.REMOVE:
            stems.discard(action.target)
        if action.scope is not None:
            _check_scope(action, spec, state)
        out.append(Action(action.agent, action.intent, action.target, params, action.scope))
    return out


def _takes(plan: Sequence[Action], state: State) -> list[Action]:
    """``takes.variations(count)`` before the actions it repeats, or ``takes.choose(candidate)`` alone."""
    from orchestria_lab.language.takes import MAX_TAKES, MIN_TAKES

    first = plan[0]
    if first.intent not in TAKES_INTENTS:
        raise InvalidValue("takes intent", first.intent, "one of " + ", ".join(TAKES_INTENTS))
    if first.intent == "choose":
        pick = first.params.get("candidate")
        if len(plan) != 1 or isinstance(pick, bool) or not isinstance(pick, int) or not (pick >= 1 or pick == -1):
            raise InvalidValue("takes.choose", [a.describe() for a in plan], "one choice of a candidate, from 1, alone")
        return list(plan)
    count = first.params.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not MIN_TAKES <= count <= MAX_TAKES:
        raise InvalidValue("takes.variations count", count, f"a whole number from {MIN_TAKES} to {MAX_TAKES}")
    rest = list(plan[1:])
    if not rest or any(a.agent in ("history", "takes") for a in rest):
        raise InvalidValue("takes.variations", [a.describe() for a in plan], "the actions of one take after it")
    return [first, *validate_plan(rest, state)]


def _check_scope(action: Action, spec: AgentSpec, state: State) -> None:
    """A scoped action is one its agent can limit to those bars, inside the song; else refused."""
    where, scope = f"{action.agent}.{action.intent}", action.scope
    if action.intent not in spec.scoped:
        can = [f"{spec.name}.{i}" for i in spec.scoped]
        raise InvalidValue(f"{where} scope", scope.describe(),
                           f"no time scope: {where} changes the whole song and cannot be limited to "
                           f"{scope.describe()} yet" + (f" ({', '.join(can)} can)" if can else ""))
    if scope.first_bar is None:  # a section the parser did not find in the song
        have = ", ".join(s.describe() for s in state.meta.sections) or "none yet"
        raise InvalidValue("section", scope.section, f"a section of this song ({have})")
    scope.check(total=state.meta.bars)
