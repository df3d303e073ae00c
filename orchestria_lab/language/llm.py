"""An LLM planner: any OpenAI-compatible chat endpoint a user runs, behind the Planner interface.

Nothing here runs unless someone builds a :class:`ChatPlanner` with the URL of a server
they run (llama.cpp, vLLM, Ollama ...); the toolkit never reaches the network on its own.
The model is shown the agents' specs and the session's stems and asked for JSON; the
conductor validates the plan against the specs before anything runs, exactly as it does
the rule parser's.

>>> from orchestria_lab.state import Meta, State
>>> [a.describe() for a in plan_from_json('{"plan": [{"agent": "mix", "intent": "mute", "target": "drums"}]}')]
['mix.mute(drums)']
>>> "mix" in system_prompt(State(Meta(bpm=90, key="Cm", genre="lo-fi")))
True
"""

from __future__ import annotations

import json
from typing import Any

from orchestria_lab.agents.base import Action
from orchestria_lab.errors import CommandNotUnderstood
from orchestria_lab.language.plan import PlanContext
from orchestria_lab.state import State

_FORMAT = ('Answer with JSON only: {"plan": [{"agent": ..., "intent": ..., "target": stem_id or null, '
           '"params": {...}}]}, or {"not_understood": "why"} when the request is not about the music. '
           'Use only the agents, intents and parameters listed; "it" means the stems last touched. '
           'History: {"agent": "history", "intent": "undo" | "redo" | "goto", "params": {"version": n}}.')


def system_prompt(state: State, *, last_touched: tuple[str, ...] = ()) -> str:
    """What the model is told: the agents it may call, the session as it is, the answer format."""
    from orchestria_lab.agents.registry import registered

    agents = [a.describe().to_dict() for a in registered().values()]
    stems = [{"stem_id": s.stem_id, "role": s.role, "instrument": s.instrument,
              "effects": [e.type for e in s.effects], "gain_db": s.gain_db, "pan": s.pan,
              "muted": s.muted, "solo": s.solo} for s in state.stems]
    return "\n".join([
        "You plan music-production commands for an orchestra of agents.",
        "Agents: " + json.dumps(agents),
        "Session: " + json.dumps({"meta": state.meta.to_dict(), "stems": stems, "last_touched": list(last_touched)}),
        _FORMAT,
    ])


def plan_from_json(content: str | dict[str, Any], *, text: str = "") -> list[Action]:
    """Actions from a model's JSON answer; :class:`CommandNotUnderstood` when it is not a plan."""
    try:
        data = json.loads(content) if isinstance(content, str) else content
    except ValueError:
        raise CommandNotUnderstood(text, reason="the planner's answer was not JSON") from None
    if isinstance(data, dict) and "not_understood" in data:
        raise CommandNotUnderstood(text, reason=str(data["not_understood"])[:300])
    steps = data.get("plan") if isinstance(data, dict) else None
    if not isinstance(steps, list):
        raise CommandNotUnderstood(text, reason='the planner\'s answer had no "plan" list')
    out = []
    for step in steps:
        if not isinstance(step, dict) or not isinstance(step.get("agent"), str) or not isinstance(step.get("intent"), str):
            raise CommandNotUnderstood(text, reason=f"a plan step is not an action: {str(step)[:120]}")
        params = step.get("params") or {}
        if not isinstance(params, dict):
            raise CommandNotUnderstood(text, reason=f"the params of {step['agent']}.{step['intent']} are not an object")
        target = step.get("target")
        out.append(Action(step["agent"], step["intent"], target if isinstance(target, str) else None, params))
    return out


class ChatPlanner:
    """A :class:`~orchestria_lab.language.plan.Planner` backed by ``POST {base_url}/chat/completions``.

    ``client`` may be any ``httpx.Client`` (tests pass one with a mock transport).
    """

    def __init__(self, *, base_url: str, model: str, api_key: str | None = None,
                 timeout: float = 30.0, client: Any = None) -> None:
        import httpx

        self.base_url, self.model = base_url.rstrip("/"), model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = client or httpx.Client(timeout=timeout, headers=headers)

    def plan(self, text: str, context: PlanContext) -> list[Action]:
        import httpx

        body = {"model": self.model, "temperature": 0, "response_format": {"type": "json_object"},
                "messages": [{"role": "system", "content": system_prompt(context.state, last_touched=context.last_touched)},
                             {"role": "user", "content": text}]}
        try:
            response = self.client.post(f"{self.base_url}/chat/completions", json=body)
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise CommandNotUnderstood(text, reason=f"the planner at {self.base_url} gave no plan ({exc})") from None
        return plan_from_json(content, text=text)
