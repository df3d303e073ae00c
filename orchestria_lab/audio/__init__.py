"""Audio: torch instruments, scipy effects, the mixer, cached rendering and export.

The renderer is what :meth:`Session.render <orchestria_lab.session.Session.render>`,
``render_stem`` and ``export`` call. Everything here is float32 ``(channels, samples)``.

>>> from orchestria_lab.audio import EFFECT_SPECS, PATCHES, ADJECTIVES
>>> "reverb" in EFFECT_SPECS, "piano" in PATCHES, "warm" in ADJECTIVES
(True, True, True)
"""

from orchestria_lab.audio.effects import (
    EFFECT_SPECS,
    EffectSpec,
    ParamSpec,
    apply_chain,
    apply_effect,
)
from orchestria_lab.audio.instruments import (
    ADJECTIVE_EFFECTS,
    ADJECTIVES,
    PATCHES,
    TONE_PARAMS,
    Patch,
    apply_adjective,
    describe_tone,
)
from orchestria_lab.audio.render import render_mix, render_stem

__all__ = [
    "ADJECTIVES", "ADJECTIVE_EFFECTS", "EFFECT_SPECS", "PATCHES", "TONE_PARAMS", "EffectSpec", "ParamSpec",
    "Patch", "apply_adjective", "apply_chain", "apply_effect", "describe_tone", "render_mix", "render_stem",
]
