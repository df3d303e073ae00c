"""The renderer: loop length, loudness and peak, mute/solo, pan, caching per stem, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from orchestria_lab.audio import engines, render
from orchestria_lab.audio.dynamics import integrated_loudness
from orchestria_lab.state import Effect, Meta, Note, State, Stem

SR = 16000


def band_state(**meta) -> State:
    chords = Stem("chords", role="chords", instrument="electric_piano",
                  notes=[Note(p, b * 4.0, 3.5, 80) for b in range(2) for p in (57, 60, 64)],
                  effects=[Effect("reverb", {"decay": 1.0, "mix": 0.3})])
    bass = Stem("bass", role="bass", instrument="synth_bass", notes=[Note(33, b, 0.9, 100) for b in range(8)])
    drums = Stem("drums", role="drums", instrument="drum_kit",
                 notes=[Note(36 if b % 2 == 0 else 38, b, 0.25, 110) for b in range(8)]
                 + [Note(42, b / 2, 0.25, 80) for b in range(16)],
                 effects=[Effect("tape", {"hiss": 0.5}), Effect("vinyl")])
    return State(Meta(**{"bpm": 120, "key": "Am", "genre": "pop", "bars": 2, "sample_rate": SR, "seed": 3,
                         **meta}), (chords, bass, drums))


def test_a_loop_is_exactly_its_duration_at_the_target_loudness_and_under_the_ceiling():
    state = band_state()
    mix = render.render_mix(state, cache=False)
    assert mix.shape == (2, int(state.meta.duration_s * SR)) and mix.dtype == np.float32
    assert np.abs(mix).max() <= 10 ** (-1 / 20)
    assert integrated_loudness(mix, SR) == pytest.approx(-14.0, abs=0.5)
    assert abs(mix.mean()) < 1e-3


def test_a_song_lets_its_tails_ring_out():
    state = band_state()
    song = render.render_mix(state, cache=False, loop=False)
    n = render.loop_samples(state)
    assert song.shape[1] > n + SR // 2
    assert np.abs(song[:, n + SR // 4:]).max() > 1e-3
    assert np.abs(song).max() <= 10 ** (-1 / 20)


def test_same_version_and_seed_render_bit_identical_audio():
    a = render.render_mix(band_state(), cache=False)
    b = render.render_mix(band_state(), cache=False)
    assert np.array_equal(a, b)
    c = render.render_mix(band_state(seed=4), cache=False)  # the seed drives every noise source
    assert not np.array_equal(a, c)


def test_mute_and_solo_decide_who_sounds():
    state = band_state()
    stems = {s.stem_id: s for s in state.stems}
    assert [s.stem_id for s in render.audible_stems(state)] == ["chords", "bass", "drums"]
    muted = State(state.meta, (stems["chords"].evolve(muted=True), stems["bass"], stems["drums"]))
    assert [s.stem_id for s in render.audible_stems(muted)] == ["bass", "drums"]
    solo = State(state.meta, (stems["chords"].evolve(muted=True, solo=True), stems["bass"].evolve(solo=True),
                              stems["drums"]))
    assert [s.stem_id for s in render.audible_stems(solo)] == ["chords", "bass"]
    silent = State(state.meta, tuple(s.evolve(muted=True) for s in state.stems))
    assert not render.render_mix(silent, cache=False).any()


def test_stem_gain_and_equal_power_pan():
    state = band_state()
    bass = state.stem("bass")
    left = State(state.meta, (bass.evolve(pan=-1.0),))
    out = render.render_stem(left, "bass", cache=False, headroom=False)  # as it sits in the mix: no safety trim
    assert np.abs(out[1]).max() < 1e-7 < np.abs(out[0]).max()
    centre = render.render_stem(State(state.meta, (bass,)), "bass", cache=False, headroom=False)
    quieter = render.render_stem(State(state.meta, (bass.evolve(gain_db=-6.0),)), "bass", cache=False, headroom=False)
    np.testing.assert_allclose(quieter, centre * 10 ** (-6 / 20), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(centre[0] ** 2 + centre[1] ** 2, out[0] ** 2, rtol=1e-4, atol=1e-9)


def test_a_stem_render_that_would_pass_the_ceiling_is_turned_down_not_limited():
    from orchestria_lab.audio.dynamics import true_peak

    state = band_state()
    loud = State(state.meta, (state.stem("bass").evolve(gain_db=18.0),))
    raw = render.render_stem(loud, "bass", cache=False, headroom=False)
    safe = render.render_stem(loud, "bass", cache=False)
    assert true_peak(raw, state.meta.sample_rate) > 1.0
    assert true_peak(safe, state.meta.sample_rate) == pytest.approx(10 ** (-1 / 20), rel=1e-4)
    ratio = safe[raw != 0] / raw[raw != 0]
    assert np.ptp(ratio) < 1e-5  # one gain for the whole stem: its shape untouched


def test_an_edit_to_one_stem_re_renders_that_stem_only(monkeypatch):
    calls = []
    real = engines.render_instrument

    def counting(instrument, *args, **kw):
        calls.append(instrument)
        return real(instrument, *args, **kw)

    monkeypatch.setattr(render, "render_instrument", counting)
    render.MEMORY_CACHE.clear()
    state = band_state(seed=11)
    first = render.render_mix(state)
    assert sorted(calls) == ["drum_kit", "electric_piano", "synth_bass"]
    calls.clear()
    assert np.array_equal(render.render_mix(state), first) and calls == []
    render.flush_cache()
    render.MEMORY_CACHE.clear()  # a new process: the disk cache still has every stem
    assert len(list(render.cache_dir().glob("*.npy"))) == 3
    assert np.array_equal(render.render_mix(state), first) and calls == []
    bass = state.stem("bass")
    edited = State(state.meta, (state.stems[0], bass.evolve(notes=bass.notes[:-1]), state.stems[2]))
    render.render_mix(edited)
    assert calls == ["synth_bass"]
    calls.clear()
    louder = State(state.meta, (state.stems[0], bass.evolve(gain_db=3.0, pan=0.5), state.stems[2]))
    render.render_mix(louder)
    assert calls == []  # mixing changes re-render nothing
    render.render_mix(band_state(seed=11, bpm=100))
    assert len(calls) == 3  # tempo changes every stem


def test_session_render_and_render_stem(session):
    from orchestria_lab.state import Edit

    state = band_state()
    session.commit(Edit(add=state.stems, meta={"sample_rate": SR, "bars": 2}), command="add a band")
    mix = session.render()
    assert mix.shape == (2, int(round(session.state.meta.duration_s * session.sample_rate)))
    assert session.render_stem("bass").shape == mix.shape
    assert session.render(version=0).any() == False  # noqa: E712 - version 0 has no stems


def test_a_repeating_part_renders_one_period_and_sounds_the_same():
    state = band_state()
    assert {s.stem_id: render.pattern_period(state, s) for s in state.stems} == {"chords": 1, "bass": 1,
                                                                                   "drums": 1}
    for stem in (state.stem("chords"), state.stem("bass")):
        one = State(state.meta, (stem,))
        tiled = render.render_dry_stem(one, stem, cache=False)
        whole = render._render_fresh(one, stem, loop=True)  # every bar rendered, no repetition
        np.testing.assert_allclose(tiled, whole, atol=1e-5 * np.abs(whole).max())
    bass = state.stem("bass")
    fill = bass.evolve(notes=(*bass.notes, Note(45, 7.5, 0.5, 90)))  # a fill in the last bar breaks the repeat
    assert render.pattern_period(state, fill) == 2
    odd = State(Meta(bpm=102.4, key="C", genre="pop", bars=2, sample_rate=44100), (bass,))
    assert render.pattern_period(odd, bass) == 2  # a bar is not a whole number of samples: no repeats


def test_a_stem_bank_mixes_like_separate_stems():
    bank = np.random.default_rng(0).standard_normal((3, 2, 5000)).astype(np.float32)
    stems = [Stem(f"s{i}", role="pad", instrument="pad", gain_db=-3.0 * i, pan=(i - 1) * 0.7) for i in range(3)]
    np.testing.assert_allclose(render.mix_stems(bank, stems), render.mix_stems(list(bank), stems), atol=1e-5)


def test_repeats_mix_like_tiled_stems_across_chunk_edges():
    rng = np.random.default_rng(1)
    period = rng.standard_normal((2, 700)).astype(np.float32)
    whole = rng.standard_normal((1, 2100)).astype(np.float32)
    stems = [Stem("a", role="pad", instrument="pad", pan=0.4), Stem("b", role="bass", instrument="sub_bass")]
    tiled = render.mix_stems([np.tile(period, (1, 3)), whole], stems, chunk=256)
    repeated = render.mix_stems([period, whole], stems, repeats=[3, 1], chunk=256)
    assert np.array_equal(repeated, tiled)


def test_a_long_session_mixed_one_stem_at_a_time_sounds_like_a_short_one(monkeypatch):
    state = band_state()
    lead = Stem("lead", role="melody", instrument="synth_lead", pan=-0.3,  # stereo, never repeats
                notes=[Note(60 + 2 * b, b, 0.9, 100) for b in range(8)], effects=[Effect("delay")])
    state = State(state.meta, (*state.stems, lead))
    short = render.render_mix(state, cache=False)
    monkeypatch.setattr(render, "MEMORY_CACHE_BYTES", 0)  # every session counts as long
    for cache in (False, True):
        render.MEMORY_CACHE.clear()
        long = render.render_mix(state, cache=cache)
        np.testing.assert_allclose(long, short, atol=1e-6)


def test_stems_too_big_for_memory_are_written_at_once_and_read_back_from_disk(monkeypatch):
    state = band_state(seed=12)
    lead = Stem("lead", role="melody", instrument="synth_lead",  # stereo and never repeats: becomes the mix
                notes=[Note(60 + 2 * b, b, 0.9, 100) for b in range(8)], effects=[Effect("delay")])
    state = State(state.meta, (*state.stems, lead))
    expected = render.render_mix(state, cache=False)
    monkeypatch.setattr(render, "MEMORY_CACHE_BYTES", 0)  # the long path, one stem at a time
    monkeypatch.setattr(render.MEMORY_CACHE, "limit", 0)  # and no stem kept in memory
    render.MEMORY_CACHE.clear()
    first = render.render_mix(state)
    assert len(list(render.cache_dir().glob("*.npy"))) == 4  # written before the mix reused one of them
    calls = []
    monkeypatch.setattr(render, "render_instrument", lambda *a, **k: calls.append(a[0]))
    again = render.render_mix(state)
    assert calls == [] and np.array_equal(again, first)
    np.testing.assert_allclose(first, expected, atol=1e-6)


def test_the_limiter_never_lets_a_sample_above_any_ceiling():
    from orchestria_lab.audio.dynamics import limiter

    loud = (np.random.default_rng(3).standard_normal((2, 4000)) * 2.0).astype(np.float32)
    for ceiling in np.linspace(-12.0, 0.0, 97):
        assert np.abs(limiter(loud, SR, ceiling=float(ceiling))).max() <= 10 ** (ceiling / 20), ceiling


def test_the_disk_cache_stays_under_its_limit_keeping_what_was_used_last(monkeypatch):
    import os
    import time

    monkeypatch.setenv("ORCHESTRIA_STEM_CACHE_MB", "100000")
    render.MEMORY_CACHE.clear()
    kept, other = band_state(seed=21), band_state(seed=22)
    for state in (kept, other):
        render.render_mix(state)
    render.flush_cache()
    files = list(render.cache_dir().glob("*.npy"))
    old = time.time() - 60
    for p in files:
        os.utime(p, (old, old))
    render.MEMORY_CACHE.clear()
    render.render_mix(kept)  # read back from disk: used now
    ours = {render.stem_cache_key(kept, s, loop=True) for s in kept.stems}
    size = sum(p.stat().st_size for p in files if p.stem in ours)
    assert render.prune_cache(size) > 0
    left = list(render.cache_dir().glob("*.npy"))
    assert {p.stem for p in left} == ours  # what was used last stays; the rest went
    monkeypatch.setenv("ORCHESTRIA_STEM_CACHE_MB", str(size / (1 << 20)))
    render.render_mix(band_state(seed=23))  # writing prunes now and then: the first write in a while does
    render.flush_cache()
    assert sum(p.stat().st_size for p in render.cache_dir().glob("*.npy")) <= size
    monkeypatch.setenv("ORCHESTRIA_STEM_CACHE_MB", "lots")
    with pytest.raises(Exception, match="megabytes"):
        render.disk_cache_limit()
