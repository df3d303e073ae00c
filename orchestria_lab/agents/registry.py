"""The catalogue of agents: the eight built in, plus plugins from the entry-point group.

Third-party agents plug in through ``[project.entry-points."orchestria_lab.agents"]``; an
entry point names an :class:`~orchestria_lab.agents.base.Agent` subclass or instance. Every
agent's spec is checked when it is registered; a failed lookup lists the names there are.

>>> sorted(registered())[:4]
['arrange', 'bass', 'drums', 'effects']
>>> get_agent("harmony").spec.capabilities
('add', 'regenerate', 'change', 'shift', 'chords')
>>> get_agent("guitarist")
Traceback (most recent call last):
...
orchestria_lab.errors.NotFound: No agent 'guitarist'. Available: arrange, bass, drums, effects, harmony, melody, mix, sound.
"""

from __future__ import annotations

import threading
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points

import pandas as pd

from orchestria_lab.agents.base import Agent
from orchestria_lab.errors import InvalidValue, NotFound

ENTRY_POINT_GROUP = "orchestria_lab.agents"
TABLE_COLUMNS = ("name", "description", "capabilities", "parameters", "status", "backend", "licence")
#: The licence of the project's code, and so of a built-in agent that plays by rule.
CODE_LICENCE = "Apache-2.0"

_agents: dict[str, Agent] = {}
_loaded = False
_lock = threading.RLock()
_working: Counter[tuple[str, str]] = Counter()


def register(agent: Agent | type[Agent], *, replace: bool = False) -> Agent:
    """Add ``agent`` (an instance or a class) to the catalogue after checking its spec."""
    if isinstance(agent, type):
        agent = agent()
    spec = getattr(agent, "spec", None)
    if spec is None or not callable(agent):
        raise InvalidValue("agent", agent, "a callable with an AgentSpec in .spec (subclass orchestria_lab.agents.Agent)")
    spec.check()
    for intent in spec.capabilities:
        if not callable(getattr(agent, intent, None)) and type(agent).__call__ is Agent.__call__:
            raise InvalidValue(f"{spec.name} intent", intent, f"a method {type(agent).__name__}.{intent}(state, action, rng)")
    with _lock:
        if spec.name in _agents and not replace and _agents[spec.name] is not agent:
            raise InvalidValue("agent name", spec.name, "a name not yet registered (or pass replace=True)")
        _agents[spec.name] = agent
    return agent


def unregister(name: str) -> None:
    """Remove an agent (tests and plugins that replace a built-in)."""
    with _lock:
        _agents.pop(name, None)


def _ensure_loaded() -> None:
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        from orchestria_lab.agents import arrange, bass, drums, effects, harmony, melody, mix, sound

        for module in (harmony, melody, bass, drums, sound, effects, mix, arrange):
            register(module.AGENT, replace=True)
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                register(ep.load(), replace=False)
            except Exception as exc:  # a broken plugin must not take the orchestra down
                warnings.warn(f"agent plugin {ep.name!r} ({ep.value}) was not loaded: {exc}", stacklevel=2)
        _loaded = True


def registered() -> dict[str, Agent]:
    """Name -> agent, built-ins and plugins."""
    _ensure_loaded()
    return dict(_agents)


def get_agent(name: str) -> Agent:
    """The agent called ``name``; :class:`NotFound` lists the available names."""
    _ensure_loaded()
    try:
        return _agents[name]
    except (KeyError, TypeError):
        raise NotFound("agent", name, sorted(_agents)) from None


@contextmanager
def working(name: str, session_id: str = "") -> Iterator[None]:
    """Mark ``name`` as working (for ``agent_states`` and the table's ``busy``) while inside."""
    with _lock:
        _working[(name, session_id)] += 1
    try:
        yield
    finally:
        with _lock:
            _working[(name, session_id)] -= 1
            if _working[(name, session_id)] <= 0:
                del _working[(name, session_id)]


def is_working(name: str, session_id: str | None = None) -> bool:
    with _lock:
        return any(n == name and (session_id is None or s == session_id) for n, s in _working)


def licence_of(agent: Agent, backend: str) -> str:
    """The licence of what makes ``agent``'s parts: for a model, the one on its checkpoint's card;
    for a built-in playing by rule, the code's; a plugin's is not known here."""
    if not type(agent).__module__.startswith("orchestria_lab."):
        return "unknown (plugin)"
    if backend == "model":
        from orchestria_lab.models.generate import licence

        return licence(agent.name) or CODE_LICENCE  # untrained: nothing but code plays
    return CODE_LICENCE


def agents_table() -> pd.DataFrame:
    """One row per agent: name, description, capabilities, parameters, status, backend, licence."""
    rows = []
    for agent in registered().values():
        d = agent.describe().to_dict()
        if d["status"] == "ready" and is_working(d["name"]):
            d["status"] = "busy"
        d["licence"] = licence_of(agent, d["backend"])
        rows.append(d)
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
