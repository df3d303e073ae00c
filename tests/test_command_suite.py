"""The command suites through the Python API (:mod:`orchestria_lab.eval.commands`).

Each case starts from a new session (90 bpm, Cm, lo-fi, seed 7), runs its setup, then the
command, and checks the predicates of ../shared/commands/README.md on the session's
tables before and after.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestria_lab.eval.commands import SetupCache, load_suite, run_suite

SUITE = Path(__file__).resolve().parents[1].parent / "shared/commands/dev.jsonl"
#: Our own other phrasings of the same requests, kept as a regression suite (all must pass).
PHRASINGS = Path(__file__).resolve().parent / "language" / "phrasings.jsonl"
#: How musicians and producers talk (slang, politeness, references, units, relative amounts,
#: history, refusals), written apart from the parser's rules: at least 95% pass.
HELDOUT_STYLE = Path(__file__).resolve().parent / "language" / "heldout_style.jsonl"
PASS_RATE = 0.95
#: The frozen trust suites, written before the command-language rebuild (tests/language/trust/README.md):
#: direction judged on the rendered stems, negation, exclusion, time scopes, missing parts, refusals.
TRUST = Path(__file__).resolve().parent / "language" / "trust"
#: What each trust suite passes today (the README table): a change that drops below fails here.
TRUST_FLOORS = {"sound": 0.98, "time_and_parts": 1.0, "form": 0.95}


@pytest.fixture(scope="module")
def setups() -> SetupCache:
    """Versions each distinct setup made, shared by the three suites."""
    return SetupCache()


@pytest.mark.skipif(not SUITE.is_file(), reason=f"the command suite is not at {SUITE} (CI keeps shared/ beside the clone)")
def test_command_suite_passes(store, setups):
    result = run_suite(SUITE, store=store, cache=setups)
    assert result.pass_rate >= PASS_RATE, str(result)


def test_other_phrasings_of_the_same_requests(store, setups):
    result = run_suite(PHRASINGS, store=store, cache=setups)
    assert result.pass_rate == 1, str(result)


def test_how_musicians_and_producers_talk(store, setups):
    cases = load_suite(HELDOUT_STYLE)
    assert len(cases) >= 150 and len({c["id"] for c in cases}) == len(cases)
    result = run_suite(cases, store=store, cache=setups, name=HELDOUT_STYLE.stem)
    assert result.pass_rate >= PASS_RATE, str(result)


@pytest.mark.parametrize("name", sorted(TRUST_FLOORS))
def test_trust_suites_hold_their_direction_and_refusals(name, store, setups):
    cases = load_suite(TRUST / f"{name}.jsonl")
    assert len({c["id"] for c in cases}) == len(cases)
    result = run_suite(cases, store=store, cache=setups, name=name)
    assert result.pass_rate >= max(PASS_RATE, TRUST_FLOORS[name]), str(result)
