"""Accompaniment of the user's parts, by rule (issue 15, item 2): chords fitted to an imported melody,
a bass line on imported chords, drums on an imported bass, a melody continued in its own style, and
refusals when the part to follow is not there.

Every part the user brings is written to a MIDI file with pretty_midi and imported, as a producer's
would be; chorale sopranos and folk tunes come from the prepared corpora (``data/corpus``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pretty_midi
import pytest

from orchestria_lab import Session
from orchestria_lab.agents import get_agent
from orchestria_lab.agents.context import current_chords
from orchestria_lab.errors import CommandNotUnderstood
from orchestria_lab.eval.metrics import (
    chord_tone_ratio,
    corpus_chord_tone_rates,
    corpus_pieces,
    histogram_distance,
    strong_beat_chord_tones,
)
from orchestria_lab.music.analysis import strong_beat_tones
from orchestria_lab.music.chords import parse_symbol
from orchestria_lab.music.grooves import KICKS, SNARES
from orchestria_lab.music.theory import beats_per_bar, parse_key
from orchestria_lab.state import Edit, Meta, Note, State, Stem, apply

BPM = 90


def write_midi(path: Path, notes, *, name: str, program: int = 0) -> Path:
    """``notes`` (beats at :data:`BPM`) as a one-track MIDI file."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=BPM)
    track = pretty_midi.Instrument(program, name=name)
    beat = 60.0 / BPM
    for n in notes:
        track.notes.append(pretty_midi.Note(velocity=int(n.velocity), pitch=int(n.pitch), start=n.start * beat,
                                            end=(n.start + n.duration) * beat))
    pm.instruments.append(track)
    pm.write(str(path))
    return path


def line(pitches, durations, *, start: float = 0.0) -> list[Note]:
    out, t = [], start
    for p, d in zip(pitches, durations, strict=True):
        out.append(Note(p, t, d, 90))
        t += d
    return out


#: Made-up melodies: a tune in C in quarters and halves, one in A minor with dotted rhythms and leaps,
#: a waltz in G.
MADE_UP = {
    "c-major-quarters": ("C", "4/4", line([60, 62, 64, 60, 64, 65, 67, 69, 67, 65, 64, 62, 64, 60,
                                           67, 69, 67, 65, 64, 62, 64, 67, 72, 71, 69, 60],
                                          [1, 1, 1, 1, 1, 1, 2, 0.5, 0.5, 1, 2, 1, 1, 2,
                                           1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1, 4])),
    "a-minor-dotted": ("Am", "4/4", line([69, 72, 71, 69, 64, 67, 65, 64, 62, 64, 69, 72, 76, 74, 72, 71, 69,
                                          71, 72, 74, 76, 72, 69, 64, 65, 64, 62, 59, 57],
                                         [1.5, 0.5, 1, 1, 1.5, 0.5, 1, 1, 2, 2, 1.5, 0.5, 1, 1, 1.5, 0.5, 2,
                                          1, 1, 1, 1, 1.5, 0.5, 2, 1, 1, 1, 1, 4])),
    "g-major-waltz": ("G", "3/4", line([67, 71, 74, 72, 71, 69, 71, 67, 62, 64, 66, 67, 69, 71, 69, 67, 66, 62,
                                        67, 71, 74, 76, 74, 72, 71, 69, 67],
                                       [1, 1, 1, 2, 1, 1, 1, 1, 1, 1.5, 0.5, 1, 2, 1, 1, 1, 1, 1,
                                        1, 1, 1, 1, 1, 1, 1.5, 1.5, 3])),
}


def bars_of(notes, time_signature: str) -> int:
    return max(1, math.ceil(max(n.start + n.duration for n in notes) / beats_per_bar(time_signature) - 1e-6))


def imported(tmp_path: Path, store, notes, *, key: str, time_signature: str = "4/4", genre: str = "folk",
             bars: int | None = None, role: str = "melody", name: str = "melody") -> Session:
    """A session of ``bars`` bars (default: the part's) holding ``notes`` imported from a MIDI file."""
    session = Session.create(bpm=BPM, key=key, genre=genre, time_signature=time_signature,
                             bars=bars or bars_of(notes, time_signature), sample_rate=8000, seed=5, store=store)
    session.import_midi(write_midi(tmp_path / f"{name}.mid", notes, name=name), role=role, name=name)
    return session


def tunes(corpus: str, n: int, *, min_bars: int = 8, max_bars: int = 24) -> list:
    """``n`` pieces of ``corpus`` in 4/4 or 3/4 spread through it (its top line, key and meter)."""
    found = [p for p in corpus_pieces(corpus) if p.time_signature in ("4/4", "3/4")
             and min_bars <= bars_of(p.melody, p.time_signature) <= max_bars]
    return found[:: max(1, len(found) // n)][:n]


# --- harmonize my melody ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def chorale_rates() -> dict[str, float]:
    """How often the chorales' soprano notes are tones of their own chords (labelled from all four voices)."""
    return corpus_chord_tone_rates("chorales")


def test_the_chorale_rate_is_measured_on_the_corpus(chorale_rates):
    # strong beats: the chords are labelled on those beats from every voice; every beat: the
    # half-bar label held over the beat after it (the chorales change chord on every beat)
    assert 0.95 <= chorale_rates["strong"] <= 1.0
    assert 0.6 <= chorale_rates["beat"] < chorale_rates["strong"]


def test_harmonizing_imported_melodies_reaches_the_chorale_rate(tmp_path, store, chorale_rates):
    melodies = [(p.name, p.key, p.time_signature, p.melody, "folk") for p in tunes("chorales", 5)]
    melodies += [(p.name, p.key, p.time_signature, p.melody, "pop") for p in tunes("folk", 3)]
    melodies += [(name, key, ts, notes, genre) for (name, (key, ts, notes)), genre
                 in zip(MADE_UP.items(), ("folk", "lo-fi", "pop"), strict=True)]
    strong_hits = beat_hits = strong_n = beat_n = 0
    for i, (name, key, ts, notes, genre) in enumerate(melodies):
        session = imported(tmp_path, store, notes, key=key, time_signature=ts, genre=genre, name=f"melody{i}")
        result = session.command("harmonize my melody")
        assert [a.intent for a in result.plan] == ["add", "chords"], name
        melody = session.state.stem(f"melody{i}")
        assert melody.notes == session.state_at(1).stem(f"melody{i}").notes  # the user's part is untouched
        chords = current_chords(session.state)
        strong = strong_beat_tones(melody.notes, chords, time_signature=ts)
        assert np.mean(strong) >= 0.8, (name, np.mean(strong))
        strong_hits, strong_n = strong_hits + sum(strong), strong_n + len(strong)
        on_beat = sum(1 for n in melody.notes if float(n.start).is_integer())  # a beat in 4/4 and 3/4
        beat = chord_tone_ratio(melody.notes, chords, time_signature=ts)
        beat_hits, beat_n = beat_hits + beat * on_beat, beat_n + on_beat
    assert strong_hits / strong_n >= chorale_rates["strong"]
    assert beat_hits / beat_n >= chorale_rates["beat"]


def test_a_bach_soprano_exported_from_music21_imports_and_is_harmonized(tmp_path, store):
    music21 = pytest.importorskip("music21")
    chorale = music21.corpus.parse("bach/bwv66.6")
    path = tmp_path / "soprano.mid"
    chorale.parts[0].write("midi", fp=str(path))
    session = Session.from_midi(path, genre="folk", sample_rate=8000, seed=1, store=store)
    melody = next(s for s in session.state.stems if s.role == "melody")
    session.command("harmonize my melody")
    chords = current_chords(session.state)
    assert strong_beat_chord_tones(melody.notes, chords, time_signature=session.state.meta.time_signature) >= 0.8


def _shipped_harmony_hears_melody() -> None:
    """The shipped harmony checkpoint takes the melody as conditioning: without it these tests fail, never skip."""
    from orchestria_lab.models import generate

    assert generate.hears_melody(), "data/checkpoints/harmony.pt does not take a melody (or did not load)"


def test_the_learned_model_harmonizes_a_bach_soprano_imported_from_music21(tmp_path, store):
    _shipped_harmony_hears_melody()
    music21 = pytest.importorskip("music21")
    chorale = music21.corpus.parse("bach/bwv66.6")
    path = tmp_path / "soprano.mid"
    chorale.parts[0].write("midi", fp=str(path))
    session = Session.from_midi(path, genre="folk", sample_rate=8000, seed=1, store=store)
    melody = next(s for s in session.state.stems if s.role == "melody")
    result = session.command("harmonize my melody")
    chords_stem = session.state.stem("chords")
    assert chords_stem.params["backend"] == "model" and "fitted to" in result.message
    assert melody.notes == session.state.stem(melody.stem_id).notes
    chords = current_chords(session.state)
    ts = session.state.meta.time_signature
    assert strong_beat_chord_tones(melody.notes, chords, time_signature=ts) >= 0.8


@pytest.mark.parametrize("backend", ["model", "baseline"])
def test_each_backend_fits_chords_to_the_users_melody_and_the_rule_one_is_the_harmonizer(backend):
    from orchestria_lab.agents import Action
    from orchestria_lab.music.harmonize import harmonize

    if backend == "model":
        _shipped_harmony_hears_melody()
    key, ts, notes = MADE_UP["a-minor-dotted"]
    state = State(Meta(bpm=BPM, key=key, genre="pop", time_signature=ts, bars=bars_of(notes, ts), seed=3))
    state = apply(state, Edit(add=[Stem("tune", role="melody", instrument="piano", agent="user", notes=tuple(notes))]))
    agent = get_agent("harmony")
    state = apply(state, agent(state, Action("harmony", "add", params={"backend": backend}), np.random.default_rng(0)))
    again = apply(state, agent(state, Action("harmony", "chords", params={"melody": "tune"}), np.random.default_rng(1)))
    chords = current_chords(again)
    assert chords == current_chords(state)  # the part added to the melody already played them
    assert strong_beat_chord_tones(notes, chords, time_signature=ts) >= 0.8
    rule = harmonize(notes, key=key, genre="pop", time_signature=ts, bars=state.meta.bars)
    played = [(start, length, chord.symbol) for start, length, chord in chords[:len(rule)]]
    assert (played == [(start, length, chord.symbol) for start, length, chord in rule]) == (backend == "baseline")


def test_chords_added_to_the_users_melody_fit_it_unasked(tmp_path, store):
    key, ts, notes = MADE_UP["a-minor-dotted"]
    session = imported(tmp_path, store, notes, key=key, time_signature=ts, genre="pop")
    result = session.command("add piano chords")
    assert [a.intent for a in result.plan] == ["add"] and "fitted to melody" in result.message
    melody = session.state.stem("melody").notes
    assert strong_beat_chord_tones(melody, current_chords(session.state), time_signature=ts) >= 0.8


def test_the_fitted_chords_are_the_sessions_and_a_bass_added_after_follows_them(tmp_path, store):
    key, ts, notes = MADE_UP["c-major-quarters"]
    session = imported(tmp_path, store, notes, key=key, time_signature=ts)
    session.command("add chords under my melody")
    chords = session.state.stem("chords")
    assert chords.params["chord_plan"][0]["beats"]  # recorded as written chords, so they are remade exactly
    played = current_chords(session.state)
    session.command("add a bass line that follows my chords")
    bass = session.state.stem("bass").notes
    for start, _, chord in played:
        at = [n for n in bass if abs(n.start - start) < 0.05]
        assert at and at[0].pitch % 12 == chord.root, (start, chord.symbol)
    assert not session.state.stale


def test_harmonizing_a_generated_melody_keeps_it_and_does_not_mark_it_stale(store):
    session = Session.create(bpm=BPM, key="Cm", genre="lo-fi", bars=4, sample_rate=8000, seed=7, store=store)
    session.command("add a melody on electric piano")
    before = session.state.stem("melody").notes
    session.command("harmonise the melody")
    assert session.state.stem("melody").notes == before
    assert "melody" not in session.state.stale
    assert strong_beat_chord_tones(before, current_chords(session.state), time_signature="4/4") >= 0.8


# --- a bass line that follows my chords ---------------------------------------------------------
@pytest.mark.parametrize("each", [4, 2])
def test_a_bass_follows_imported_chords_on_every_chord_downbeat(tmp_path, store, each):
    symbols = ["C", "G", "Am", "F", "Dm", "E7", "Am", "G7", "F", "G", "Em", "Am", "Dm", "G7", "C", "C"][: 32 // each]
    notes = [Note(p, i * each + k, 0.9, 80) for i, s in enumerate(symbols) for p in parse_symbol(s).pitches(around=60)
             for k in range(each)]
    session = imported(tmp_path, store, notes, key="C", genre="pop", bars=8, role="chords", name="keys")
    session.command("add a bass line that follows my chords")
    session.command("add a pad")  # a harmony part added later plays them too
    for role in ("bass", "pad"):
        part = session.state.stems_with_role(role)[0].notes
        for i, symbol in enumerate(symbols):
            start = i * each
            sounding = [n for n in part if n.start - 0.05 <= start < n.start + n.duration]
            assert sounding, (role, start, symbol)
            low = min(sounding, key=lambda n: n.pitch)
            assert low.pitch % 12 in parse_symbol(symbol).pitch_classes, (role, start, symbol, low)


# --- drums that fit my bass -------------------------------------------------------------------
def test_drums_added_to_fit_an_imported_bass_kick_with_its_notes(tmp_path, store):
    riff = line([36, 36, 43, 41, 41, 38, 43, 36, 39, 39, 41, 43],
                [1.5, 0.5, 1.0, 1.0, 0.75, 0.75, 0.5, 2.0, 1.5, 0.5, 1.0, 1.0])
    bass = riff + [n._replace(start=n.start + 8) for n in riff] + [n._replace(start=n.start + 16) for n in riff]
    session = imported(tmp_path, store, bass, key="Cm", genre="hip-hop", bars=6, role="bass", name="bass")
    result = session.command("add drums that fit my bass")
    assert [(a.intent, a.params.get("fit_bass")) for a in result.plan] == [("add", True)]
    drums = session.state.stem("drums").notes
    onsets = {round(n.start, 4) for n in session.state.stem("bass").notes}
    kicks = [n.start for n in drums if n.pitch in KICKS]
    snares = [n.start for n in drums if n.pitch in SNARES]
    assert kicks and snares and any(n.pitch == 42 for n in drums)  # the groove plays on around the kick
    assert all(any(abs(k - o) < 1e-6 for o in onsets) for k in kicks)  # every kick lands with a bass note
    for o in onsets:  # every bass note on a downbeat or the bar's other strong beat has its kick
        if o % 2 == 0:
            assert any(abs(k - o) < 1e-6 for k in kicks), o



def test_a_kit_added_to_the_users_bass_kicks_with_it_unasked_and_a_generated_bass_follows_the_kick(tmp_path, store):
    riff = line([36, 36, 43, 41, 39, 39, 41, 43], [1.5, 1.0, 1.0, 0.5, 1.5, 0.5, 1.0, 1.0])
    session = imported(tmp_path, store, riff + [n._replace(start=n.start + 8) for n in riff], key="Cm",
                       genre="hip-hop", bars=4, role="bass", name="bass")
    session.command("add drums")
    onsets = {round(n.start, 4) for n in session.state.stem("bass").notes}
    kicks = [n.start for n in session.state.stem("drums").notes if n.pitch in KICKS]
    assert kicks and all(any(abs(k - o) < 1e-6 for o in onsets) for k in kicks)
    made = Session.create(bpm=BPM, key="Cm", genre="hip-hop", bars=4, sample_rate=8000, seed=5, store=store)
    made.command("add an 808 bass line")
    made.command("add drums")  # a generated bass locks to the kick: the kit plays its own groove
    assert "fit_bass" not in made.state.stem("drums").params


def test_the_drums_there_can_be_made_to_fit_the_bass(store):
    session = Session.create(bpm=BPM, key="Cm", genre="lo-fi", bars=4, sample_rate=8000, seed=7, store=store)
    session.command("add a boom bap drum beat")
    session.command("add an 808 bass line")
    result = session.command("make the drums fit the bass")
    assert [a.describe() for a in result.plan] == ["drums.change(drums, fit_bass=True)"]
    onsets = {round(n.start, 4) for n in session.state.stem("bass").notes}
    assert all(round(n.start, 4) in onsets for n in session.state.stem("drums").notes if n.pitch in KICKS)


# --- continue my melody for 8 bars --------------------------------------------------------------
DURATIONS = np.array([0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0])
#: Interval classes: unison, step (1-2 semitones), third (3-4), fourth to fifth (5-7), wider.
INTERVAL_CLASS = (0, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 4)
#: The largest distance (total variation, 0 same .. 1 disjoint) of a continuation's note lengths or
#: interval classes from its tune's; random melodies in the same key and range land above it.
STYLE_DISTANCE = 0.3


def style_distance(a, b) -> float:
    """The larger of the total-variation distances of ``a``'s and ``b``'s note lengths and intervals."""
    def lengths(notes):
        h = np.zeros(len(DURATIONS))
        for n in notes:
            h[int(np.argmin(np.abs(DURATIONS - n.duration)))] += 1
        return h

    def intervals(notes):
        h = np.zeros(5)
        for x, y in zip(notes, notes[1:], strict=False):
            h[INTERVAL_CLASS[min(12, abs(y.pitch - x.pitch))]] += 1
        return h

    return max(histogram_distance(lengths(a), lengths(b)), histogram_distance(intervals(a), intervals(b)))


def random_melody(tune, *, key: str, start: float, beats: float, rng) -> list[Note]:
    """Notes of random lengths and pitches in ``key`` and ``tune``'s range, from ``start`` for ``beats``."""
    k = parse_key(key)
    pitches = [p for p in range(min(n.pitch for n in tune), max(n.pitch for n in tune) + 1) if k.contains(p)]
    out, t = [], start
    while t < start + beats - 1e-9:
        d = min(float(rng.choice([0.25, 0.5, 1.0, 1.5, 2.0])), start + beats - t)
        out.append(Note(int(rng.choice(pitches)), t, d, 90))
        t += d
    return out


def eight_bars(notes, time_signature: str) -> list[Note]:
    return [n for n in notes if n.start < 8 * beats_per_bar(time_signature) - 1e-9]


def rule_only(monkeypatch) -> None:
    """Agents on the music-theory backend where they would use the melody model (the rule continuation;
    the model's is tested in test_model_continuation.py)."""
    from orchestria_lab.models import generate

    shipped = generate.available
    monkeypatch.setattr(generate, "available", lambda name: name != "melody" and shipped(name))


def test_continuing_a_melody_keeps_its_style_and_its_first_bars(tmp_path, store, monkeypatch):
    rule_only(monkeypatch)
    rng = np.random.default_rng(0)
    cases = [(p.name, p.key, p.time_signature, eight_bars(p.melody, p.time_signature)) for p in tunes("folk", 3, max_bars=16)]
    cases += [(p.name, p.key, p.time_signature, eight_bars(p.melody, p.time_signature)) for p in tunes("chorales", 2)]
    cases += [(name, key, ts, notes) for name, (key, ts, notes) in MADE_UP.items()]
    for i, (name, key, ts, notes) in enumerate(cases):
        bar = beats_per_bar(ts)
        session = imported(tmp_path, store, notes, key=key, time_signature=ts, name=f"tune{i}")
        own = session.state.stem(f"tune{i}").notes
        bars = session.state.meta.bars
        result = session.command("continue my melody for 8 bars")
        assert [a.describe() for a in result.plan] == [
            f"arrange.bars(bars={bars + 8})", f"melody.extend(tune{i}, bars=8, from_bar={bars + 1})"], name
        assert f"in the style of bars 1-{bars}, by rule:" in result.message, result.message
        assert session.state.meta.bars == bars + 8
        after = session.state.stem(f"tune{i}").notes
        assert tuple(n for n in after if n.start < bars * bar) == own, name  # the first bars as they were
        more = [n for n in after if n.start >= bars * bar]
        assert more and max(n.start + n.duration for n in more) <= (bars + 8) * bar + 1e-6
        assert all(parse_key(key).contains(n.pitch) for n in more), name
        assert min(n.pitch for n in own) <= min(n.pitch for n in more) and max(n.pitch for n in more) <= max(
            n.pitch for n in own), name
        assert style_distance(own, more) <= STYLE_DISTANCE, (name, style_distance(own, more))
        noise = random_melody(own, key=key, start=bars * bar, beats=8 * bar, rng=rng)
        assert style_distance(own, noise) > STYLE_DISTANCE, name  # the measure tells a tune from noise


def test_continuing_lengthens_the_song_as_making_it_longer_does(store):
    session = Session.create(bpm=BPM, key="Cm", genre="lo-fi", bars=8, sample_rate=8000, seed=7, store=store)
    for text in ("add warm piano chords", "add a boom bap drum beat", "add a melody on electric piano",
                 "make bars 1 to 4 the verse", "make bars 5 to 8 the chorus"):
        session.command(text)
    before = session.state
    session.command("continue the melody for 8 bars")
    state = session.state
    assert state.meta.bars == 16
    assert [(s.name, s.start_bar, s.bars) for s in state.meta.sections] == [
        (s.name, s.start_bar, s.bars) for s in before.meta.sections]
    for role in ("chords", "drums"):  # the other parts play on into the new bars, their own bars kept
        old, new = before.stem(role).notes, state.stem(role).notes
        assert [n for n in new if n.start < 32] == [n for n in old if n.start < 32]
        assert any(n.start >= 32 for n in new)
    melody = state.stem("melody")
    assert [n for n in melody.notes if n.start < 32] == [n for n in before.stem("melody").notes if n.start < 32]
    assert melody.params["extended"][0]["from_bar"] == 9
    session.command("switch the genre to house")  # a generated melody is made again with its continuation
    remade = session.state.stem("melody")
    plain = get_agent("melody").notes_for(session.state, remade.evolve(params=remade.params.updated(extended=None)))
    assert [n for n in remade.notes if n.start < 32] == [n for n in plain if n.start < 32]
    assert [n for n in remade.notes if n.start >= 32] != [n for n in plain if n.start >= 32]


@pytest.mark.parametrize("backend", ["baseline", "model"])
def test_each_backend_continues_the_users_melody_and_the_baseline_is_the_rule(backend):
    from orchestria_lab.agents import Action
    from orchestria_lab.models import generate
    from orchestria_lab.music.continuation import continue_line
    from orchestria_lab.music.harmonize import harmonize

    if backend == "model":
        assert generate.available("melody"), "the shipped melody checkpoint did not load (data/checkpoints/melody.pt)"
    key, ts, notes = MADE_UP["g-major-waltz"]
    bars = bars_of(notes, ts)
    state = State(Meta(bpm=BPM, key=key, genre="folk", time_signature=ts, bars=bars + 8, seed=3))
    state = apply(state, Edit(add=[Stem("tune", role="melody", instrument="piano", agent="user", notes=tuple(notes))]))
    action = Action("melody", "extend", "tune", {"bars": 8, "from_bar": bars + 1, "backend": backend})
    edit = get_agent("melody")(state, action, np.random.default_rng(0))
    after = apply(state, edit).stem("tune").notes
    lo = bars * beats_per_bar(ts)
    assert tuple(n for n in after if n.start < lo) == tuple(notes)
    more = [n for n in after if n.start >= lo]
    assert more and all(parse_key(key).contains(n.pitch) for n in more)
    own_chords = harmonize(notes, key=key, genre="folk", time_signature=ts, bars=bars)  # no chord part: the line's
    rule = continue_line(notes, key=key, time_signature=ts, from_beat=lo, bars=8,
                         rng=np.random.default_rng([int(np.random.default_rng(0).integers(2**31)), 7]),
                         chords=[(s + lo, d, c) for s, d, c in own_chords])
    assert (more == rule) == (backend == "baseline")
    assert ("by the melody model, primed on bars 1-" in edit.summary) == (backend == "model"), edit.summary


# --- the trust rule: nothing to follow, nothing made ---------------------------------------------
@pytest.mark.parametrize(("text", "missing"), [
    ("harmonize my melody", "no melody"),
    ("add chords under my melody", "no melody"),
    ("continue my melody for 8 bars", "no melody"),
    ("add a bass line that follows my chords", "no chords"),
    ("add drums that fit my bass", "no bass"),
])
def test_following_a_part_that_is_not_there_is_refused_saying_what_is_missing(session, text, missing):
    with pytest.raises(CommandNotUnderstood) as info:
        session.command(text)
    said = str(info.value)
    assert missing in said and "import" in said, said
    assert info.value.understood  # what was understood is said too
    assert session.version == 0 and not session.state.stems
