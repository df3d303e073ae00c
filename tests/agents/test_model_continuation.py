"""'continue my melody for 8 bars' with the learned melody model (issue 15, item 2, the model backend).

The model is primed on the user's bars (teacher-forced through the GRU, no sampling) and samples the new
bars after them. Each claim is measured on notes, against the same model writing the same bars without
hearing the line (``primed=False``: its own first bars instead), over the same chords and constraints:

- the continuation is in key and its strong-beat notes are chord tones at least as often as the unprimed
  model's (and the plain melody model's over those chords);
- it is closer in style to the line: the gap in notes per bar (relative to the line's), in mean pitch
  (semitones) and in where in the bar the notes start (total-variation distance of the onset-position
  histograms, 0 same .. 1 disjoint), each averaged over tunes and seeds.

The shipped checkpoint is used; nothing is trained.
"""

from __future__ import annotations

import numpy as np
import pytest

from orchestria_lab import Session
from orchestria_lab.agents import Action, get_agent
from orchestria_lab.agents.context import current_chords
from orchestria_lab.eval.metrics import histogram_distance, in_scale_ratio, strong_beat_chord_tones
from orchestria_lab.models import generate
from orchestria_lab.music.continuation import continue_line
from orchestria_lab.music.harmonize import harmonize
from orchestria_lab.music.theory import beats_per_bar, parse_key
from orchestria_lab.state import Edit, Meta, Note, State, Stem, apply
from tests.agents.test_accompany import BPM, MADE_UP, bars_of, eight_bars, imported, line, tunes


@pytest.fixture(autouse=True)
def _the_melody_checkpoint_ships():
    """The melody checkpoint ships in data/checkpoints: without it these tests fail, never skip."""
    assert generate.available("melody"), "the shipped melody checkpoint did not load (data/checkpoints/melody.pt)"

SEEDS = range(4)


def cases() -> list[tuple[str, str, str, list[Note]]]:
    """Folk tunes and chorale sopranos (their first 8 bars) and the made-up tunes: name, key, meter, notes."""
    found = [(p.name, p.key, p.time_signature, eight_bars(p.melody, p.time_signature))
             for p in (*tunes("folk", 4, max_bars=16), *tunes("chorales", 3))]
    return found + [(name, key, ts, notes) for name, (key, ts, notes) in MADE_UP.items()]


def chords_for(notes, *, key: str, time_signature: str, bars: int):
    """The chords the line's own bars imply, repeated after them (what a session without chords plays)."""
    own = harmonize(notes, key=key, genre="folk", time_signature=time_signature, bars=bars)
    span = bars * beats_per_bar(time_signature)
    return [(round(s + k * span, 4), d, c) for k in range(3) for s, d, c in own]


def continued(notes, *, key: str, time_signature: str, seed: int, primed: bool = True) -> list[Note]:
    bars = bars_of(notes, time_signature)
    return generate.continue_melody(notes, key=key, genre="folk", time_signature=time_signature,
                                    from_beat=bars * beats_per_bar(time_signature), bars=8, rng=np.random.default_rng(seed),
                                    chords=chords_for(notes, key=key, time_signature=time_signature, bars=bars),
                                    primed=primed)


@pytest.fixture(scope="module")
def takes() -> list[dict]:
    """Per tune and seed: the tune, its chords, and the model's 8 bars after it, primed and unprimed."""
    out = []
    for name, key, ts, notes in cases():
        chords = chords_for(notes, key=key, time_signature=ts, bars=bars_of(notes, ts))
        for seed in SEEDS:
            out.append({"name": name, "key": key, "ts": ts, "notes": notes, "chords": chords, "seed": seed,
                        **{p: continued(notes, key=key, time_signature=ts, seed=seed, primed=p == "primed")
                           for p in ("primed", "unprimed")}})
    return out


def style_gaps(tune, more, *, time_signature: str) -> dict[str, float]:
    """How far ``more`` (8 bars) is from ``tune`` in density, register and where notes start in the bar."""
    bar = beats_per_bar(time_signature)

    def onsets(notes):
        h = np.zeros(int(bar * 4))
        for n in notes:
            h[int(round((n.start % bar) * 4)) % len(h)] += 1
        return h

    per_bar = len(tune) / bars_of(tune, time_signature)
    return {"density": abs(len(more) / 8 - per_bar) / per_bar,
            "register": abs(np.mean([n.pitch for n in more]) - np.mean([n.pitch for n in tune])),
            "rhythm": histogram_distance(onsets(tune), onsets(more))}


def session_with_tune(notes, *, key: str, time_signature: str = "4/4", genre: str = "folk", extra_bars: int = 8,
                      backend: str | None = None) -> tuple[State, Action]:
    """A state holding the user's ``notes`` as stem ``tune``, long enough to continue it, and the action."""
    bars = bars_of(notes, time_signature)
    state = State(Meta(bpm=BPM, key=key, genre=genre, time_signature=time_signature, bars=bars + extra_bars, seed=3))
    state = apply(state, Edit(add=[Stem("tune", role="melody", instrument="piano", agent="user", notes=tuple(notes))]))
    params = {"bars": 8, "from_bar": bars + 1, **({"backend": backend} if backend else {})}
    return state, Action("melody", "extend", "tune", params)


# --- (1) deterministic, inside the bars asked, the user's bars untouched ----------------------------
def test_the_model_continues_the_users_melody_deterministically_inside_the_asked_bars(tmp_path, store):
    key, ts, notes = MADE_UP["a-minor-dotted"]
    bars = bars_of(notes, ts)  # 9: the model hears the last 8, which fit its training window with 8 more
    lo, hi = 4 * bars, 4 * (bars + 8)
    takes = []
    for i in range(2):
        session = imported(tmp_path, store, notes, key=key, time_signature=ts, name=f"tune{i}")
        own = session.state.stem(f"tune{i}").notes
        result = session.command("continue my melody for 8 bars")
        assert f"(bars {bars + 1}-{bars + 8}) by the melody model, primed on bars 2-{bars}" in result.message
        after = session.state.stem(f"tune{i}").notes
        assert tuple(n for n in after if n.start < lo) == own  # the user's bars, note for note
        more = [n for n in after if n.start >= lo]
        assert more and all(lo <= n.start and n.start + n.duration <= hi + 1e-6 for n in more)
        takes.append(more)
    assert takes[0] == takes[1]  # the same seed: the same continuation
    agent = get_agent("melody")
    state, action = session_with_tune(notes, key=key)
    made = [apply(state, agent(state, action, np.random.default_rng(seed))).stem("tune").notes for seed in (1, 1, 2)]
    assert made[0] == made[1] != made[2]


# --- (2) in key, on the chords ---------------------------------------------------------------------
def test_the_continuation_is_in_key_and_on_the_chords_at_least_as_often_as_unprimed(takes):
    rates = {"primed": [], "unprimed": [], "plain model": []}
    for t in takes:
        notes, ts, chords = t["notes"], t["ts"], t["chords"]
        assert in_scale_ratio(t["primed"], parse_key(t["key"])) >= 0.95, t["name"]
        for p in ("primed", "unprimed"):
            rates[p].append(strong_beat_chord_tones(t[p], chords, time_signature=ts))
        bars = bars_of(notes, ts)  # the model as it writes a melody over those chords, in the line's range
        plain = generate.melody(key=t["key"], genre="folk", time_signature=ts, bars=bars + 8, chords=chords,
                                low=min(n.pitch for n in notes), high=max(n.pitch for n in notes),
                                rng=np.random.default_rng(t["seed"]))
        rates["plain model"].append(strong_beat_chord_tones([n for n in plain if n.start >= bars * beats_per_bar(ts)],
                                                            chords, time_signature=ts))
    mean = {k: float(np.nanmean(v)) for k, v in rates.items()}
    assert mean["primed"] >= mean["unprimed"] and mean["primed"] >= mean["plain model"], mean


def test_a_continuation_plays_on_the_sessions_chord_part(tmp_path, store):
    key, ts, notes = MADE_UP["c-major-quarters"]
    session = imported(tmp_path, store, notes, key=key, time_signature=ts, genre="pop", bars=16)
    session.command("add piano chords")
    chords = current_chords(session.state)
    result = session.command("continue my melody over bars 9 to 16")
    assert "by the melody model" in result.message, result.message
    more = [n for n in session.state.stem("melody").notes if n.start >= 32]
    assert more and in_scale_ratio(more, parse_key(key)) >= 0.95
    assert strong_beat_chord_tones(more, chords, time_signature=ts) == 1.0


# --- (3) priming matters ------------------------------------------------------------------------------
def test_priming_brings_the_continuation_closer_to_the_lines_style_than_the_unprimed_model(takes):
    gaps = {p: [style_gaps(t["notes"], t[p], time_signature=t["ts"]) for t in takes] for p in ("primed", "unprimed")}
    for what in ("density", "register", "rhythm"):
        primed, unprimed = (float(np.mean([g[what] for g in gaps[p]])) for p in ("primed", "unprimed"))
        assert primed < unprimed, (what, primed, unprimed)


# --- (4) the summary says who continued it, and the rule where the model cannot ----------------------
def test_a_line_the_tokens_cannot_hold_is_continued_by_rule_saying_why():
    triplets = line([67, 69, 71, 72, 71, 69] * 4 + [67, 65, 64, 62] * 2 + [60],
                    [2 / 3] * 24 + [1.0] * 8 + [4.0])
    state, action = session_with_tune(triplets, key="C")
    edit = get_agent("melody")(state, action, np.random.default_rng(0))
    assert "by rule (not by the melody model: bar 1 has a note at beat 1.67, off the 16th-note grid" in edit.summary
    rule = get_agent("melody")(state, session_with_tune(triplets, key="C", backend="baseline")[1],
                               np.random.default_rng(0))
    assert apply(state, edit).stem("tune").notes == apply(state, rule).stem("tune").notes  # the rule's notes
    assert "by rule:" in rule.summary and "model" not in rule.summary


def test_a_genre_the_model_never_learnt_and_the_baseline_backend_are_the_rule():
    key, ts, notes = MADE_UP["c-major-quarters"]
    state, action = session_with_tune(notes, key=key, genre="dubstep")
    assert "by rule (not by the melody model: it never learnt dubstep)" in get_agent("melody")(
        state, action, np.random.default_rng(0)).summary
    state, action = session_with_tune(notes, key=key, backend="baseline")
    edit = get_agent("melody")(state, action, np.random.default_rng(0))
    assert "by rule:" in edit.summary and "model" not in edit.summary
    bar, first = beats_per_bar(ts), bars_of(notes, ts) + 1
    rule = continue_line(notes, key=key, time_signature=ts, from_beat=(first - 1) * bar, bars=8,
                         rng=np.random.default_rng([int(np.random.default_rng(0).integers(2**31)), 7]),
                         chords=chords_for(notes, key=key, time_signature=ts, bars=first - 1))
    assert [n for n in apply(state, edit).stem("tune").notes if n.start >= (first - 1) * bar] == rule


def test_a_generated_melody_is_continued_by_its_model_and_made_again_with_it(store):
    session = Session.create(bpm=BPM, key="Cm", genre="lo-fi", bars=8, sample_rate=8000, seed=7, store=store)
    session.command("add warm piano chords")
    session.command("add a melody on electric piano")  # the model's, swung as lo-fi is
    result = session.command("continue the melody for 8 bars")
    assert "by the melody model, primed on bars 1-8" in result.message, result.message
    melody = session.state.stem("melody")
    assert melody.params["extended"][0]["backend"] == "model"  # made again by the model with the part
    session.command("switch the genre to house")
    remade = session.state.stem("melody")
    assert get_agent("melody").notes_for(session.state, remade) == remade.notes
