"""Each effect is one record (audio/effects.EFFECT_SPECS): what agents, the language and the chain
order know about it comes from there."""

from __future__ import annotations

from orchestria_lab.agents.effects import CHAIN_ORDER, MAIN_CONTROL
from orchestria_lab.audio.effects import EFFECT_FUNCTIONS, EFFECT_SPECS
from orchestria_lab.language.lexicon import lookup
from orchestria_lab.music.vocabulary import EFFECT_TYPES


def test_every_effect_record_is_complete():
    assert set(EFFECT_SPECS) == set(EFFECT_TYPES)
    assert len({s.order for s in EFFECT_SPECS.values()}) == len(EFFECT_SPECS)  # one place each in a chain
    for name, spec in EFFECT_SPECS.items():
        assert callable(spec.function) and EFFECT_FUNCTIONS[name] is spec.function
        control, sign = spec.main
        assert control in spec.params and sign in (1, -1), name
        assert name in spec.words, name


def test_what_agents_and_the_language_know_derives_from_the_records():
    assert CHAIN_ORDER[0] == "highpass" and CHAIN_ORDER[-1] == "limiter"
    assert list(CHAIN_ORDER) == sorted(EFFECT_SPECS, key=lambda n: EFFECT_SPECS[n].order)
    assert MAIN_CONTROL == {n: s.main for n, s in EFFECT_SPECS.items()}
    for name in EFFECT_SPECS:  # the effect's own name is always its word
        assert lookup(tuple(name.split())) == ("effect", name)
    named = sum(lookup(tuple(w.split())) == ("effect", n) for n, s in EFFECT_SPECS.items() for w in s.words)
    assert named >= 0.9 * sum(len(s.words) for s in EFFECT_SPECS.values())  # a few are claimed earlier
