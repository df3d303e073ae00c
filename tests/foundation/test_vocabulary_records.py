"""Roles and instruments are records (music/vocabulary.py); the tables agents, audio and the
language use derive from them."""

from __future__ import annotations

from orchestria_lab.audio.instruments import PATCHES
from orchestria_lab.language.lexicon import lookup
from orchestria_lab.music.vocabulary import (
    DEFAULT_INSTRUMENT,
    DRUM_ROLES,
    GM_PROGRAMS,
    INSTRUMENT_RECORDS,
    INSTRUMENT_ROLE,
    ROLE_RANGES,
    ROLE_RECORDS,
)


def test_every_instrument_record_has_a_sound_a_part_and_its_words():
    assert set(INSTRUMENT_RECORDS) == set(PATCHES)
    for name, inst in INSTRUMENT_RECORDS.items():
        assert inst.role in ROLE_RECORDS and 0 <= inst.gm_program <= 127, name
        assert INSTRUMENT_ROLE[name] == inst.role and GM_PROGRAMS[name] == inst.gm_program
        # its first word names it, or the part it plays ("a drum kit" is the drums)
        assert lookup(tuple(inst.words[0].split())) in (("instrument", name), ("role", inst.role))


def test_every_role_record_has_a_default_that_plays_it_and_a_range_unless_drums():
    for name, role in ROLE_RECORDS.items():
        assert role.default in INSTRUMENT_RECORDS and DEFAULT_INSTRUMENT[name] == role.default
        assert (role.range is None) == role.drums == (name in DRUM_ROLES), name
        if role.range:
            low, high = ROLE_RANGES[name]
            assert 0 <= low < high <= 127
        assert lookup(tuple(role.words[0].split())) == ("role", name)
