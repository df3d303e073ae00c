"""Audio: torch instruments, scipy effects, the mixer, cached rendering and export.

The renderer is what :meth:`Session.render <orchestria_lab.session.Session.render>`,
``render_stem`` and ``export`` call. Everything here is float32 ``(channels, samples)``.
Names load on first use, so an agent that only reads the patch and effect tables does
not pay for importing torch.

>>> from orchestria_lab.audio import EFFECT_SPECS, PATCHES, ADJECTIVES
>>> "reverb" in EFFECT_SPECS, "piano" in PATCHES, "warm" in ADJECTIVES
(True, True, True)
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "orchestria_lab.audio.effects": ("EFFECT_SPECS", "apply_chain", "apply_effect"),
    "orchestria_lab.audio.spec": ("EffectSpec", "ParamSpec"),
    "orchestria_lab.audio.instruments": (
        "ADJECTIVE_EFFECTS", "ADJECTIVES", "PATCHES", "TONE_EQ", "TONE_PARAMS", "Patch", "apply_adjective",
        "describe_tone", "tone_eq",
    ),
    "orchestria_lab.audio.render": ("render_mix", "render_stem"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'orchestria_lab.audio' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value
