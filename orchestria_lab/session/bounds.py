"""Bounds on the work one session or one command may ask for, checked when it is asked.

A session longer than ``max_duration_s``, with more than ``max_stems`` stems, or whose
render would hold more than ``max_render_frames`` (sample rate × seconds × stems), and a
command of more than ``max_actions`` actions, are refused with :class:`LimitExceeded`
(HTTP 413) naming the limit, the value and the variable that sets it. No version is made.

>>> from orchestria_lab.state import Meta, State
>>> Bounds().check_state(State(Meta(bpm=90, key="Cm", genre="lo-fi", bars=16)))
>>> Bounds().check_state(State(Meta(bpm=20, key="Cm", genre="lo-fi", time_signature="32/1", bars=256)))
Traceback (most recent call last):
...
orchestria_lab.errors.LimitExceeded: the session's length in seconds would be 98304, over the limit of 1200 (set by ORCHESTRIA_MAX_DURATION_S). Make it shorter: fewer bars, a faster tempo or a shorter bar.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from orchestria_lab.errors import InvalidValue, LimitExceeded
from orchestria_lab.state import State

#: Each bound's environment variable.
SETTINGS = {
    "max_duration_s": "ORCHESTRIA_MAX_DURATION_S",
    "max_stems": "ORCHESTRIA_MAX_STEMS",
    "max_actions": "ORCHESTRIA_MAX_ACTIONS",
    "max_render_frames": "ORCHESTRIA_MAX_RENDER_FRAMES",
}


@dataclass(frozen=True)
class Bounds:
    """The bounds in force; :meth:`from_env` reads the ``ORCHESTRIA_MAX_*`` variables."""

    #: Longest session, in seconds of audio (20 minutes).
    max_duration_s: int = 20 * 60
    #: Most stems in one session.
    max_stems: int = 32
    #: Most actions one command may plan.
    max_actions: int = 16
    #: Largest render: sample rate × seconds × stems (20 minutes of 16 stems at 44.1 kHz).
    max_render_frames: int = 44100 * 20 * 60 * 16

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Bounds:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(SETTINGS[f.name], "").strip()
            if raw:
                if not raw.isdigit() or int(raw) < 1:
                    raise InvalidValue(SETTINGS[f.name], raw, "a whole number >= 1")
                values[f.name] = int(raw)
        return cls(**values)

    def check_state(self, state: State) -> None:
        """Raise LimitExceeded if ``state`` is longer, has more stems or renders larger than allowed."""
        meta, stems = state.meta, len(state.stems)
        self._check("the session's length in seconds", meta.duration_s, "max_duration_s",
                    "Make it shorter: fewer bars, a faster tempo or a shorter bar.")
        self._check("the number of stems", stems, "max_stems", "Remove a part before adding another.")
        self._check("the render size (sample rate × seconds × stems)",
                    round(meta.sample_rate * meta.duration_s * max(stems, 1)), "max_render_frames",
                    "Use a lower sample rate, fewer stems or a shorter song.")

    def check_plan(self, plan: Sequence[object]) -> None:
        """Raise LimitExceeded if a command planned more actions than allowed."""
        self._check("the number of actions in one command", len(plan), "max_actions",
                    "Split the request into several commands.")

    def _check(self, limit: str, value: float, name: str, hint: str) -> None:
        maximum = getattr(self, name)
        if value > maximum:
            raise LimitExceeded(limit, round(value, 2), maximum, setting=SETTINGS[name], hint=hint)
