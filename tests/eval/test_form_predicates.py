"""The song-form predicates of the command suites (tests/language/trust/form.jsonl), judged themselves.

Every predicate is checked on small hand-made snapshots, once where it holds and once where it
does not, so that the frozen form suite judges what its README says. Audio comes from a fake
listener: plain arrays at a low sample rate, one per stem, and a mix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestria_lab.eval.commands import (
    PREDICATES,
    Listener,
    _automation_records,
    _bar_start_s,
    check,
    load_suite,
)

SR = 8000
FORM = Path(__file__).resolve().parents[1] / "language" / "trust" / "form.jsonl"
#: The predicates the form suite added (each has a holding and a failing test below).
FORM_PREDICATES = (
    "sections_exactly", "sections_include", "section", "sections_cover", "section_notes_equal",
    "section_notes_differ", "section_same_as_before", "section_compare", "section_roles", "plays_before",
    "fill_in_bar", "density_in_bars", "chords_played", "fits_chords", "stale", "tempo_at", "key_at",
    "duration_s", "notes_shifted", "notes_moved", "notes_same_as_before_in_bars", "notes_differ_in_bars",
    "notes_unchanged", "notes_added", "lane", "level_in_bars", "spectral_centroid_in_bars",
    "highs_in_bars", "pan_in_bars", "rise_in_bars", "silent_in_bars", "ducked",
)


class FakeListener:
    """``listener(stem_id)`` and ``listener.mix()`` from arrays given by hand."""

    def __init__(self, stems: dict[str, np.ndarray], mix: np.ndarray | None = None) -> None:
        self.stems, self._mix = stems, mix

    def __call__(self, stem_id: str) -> np.ndarray:
        return self.stems[stem_id]

    def mix(self) -> np.ndarray:
        return self._mix if self._mix is not None else sum(self.stems.values())


def stem(stem_id, role, *, notes_hash="n", hash="h", stale=None, muted=False):
    s = {"stem_id": stem_id, "role": role, "instrument": "piano", "effects": [], "hash": hash,
         "notes_hash": notes_hash, "muted": muted, "solo": False, "gain_db": 0.0, "pan": 0.0}
    if stale is not None:
        s["stale"] = stale
    return s


def snap(notes=None, *, stems=None, version=1, audio=None, automation=None, **meta):
    """A snapshot: 120 bpm (a 4/4 bar is 2 s), C, 4 bars unless given; ``notes`` by stem id."""
    notes = notes or {}
    stems = stems if stems is not None else [stem(sid, sid.rstrip("0123456789")) for sid in notes]
    out = {"version": version, "stems": stems, "notes": {s["stem_id"]: list(notes.get(s["stem_id"], [])) for s in stems},
           "meta": {"bpm": 120, "key": "C", "genre": "pop", "time_signature": "4/4", "bars": 4,
                    "sample_rate": SR, "sections": [], **meta},
           "audio": audio or FakeListener({})}
    if automation is not None:
        out["automation"] = automation
    return out


def holds(predicate, before, after=None) -> bool:
    return check(predicate, before, before if after is None else after, rejected=False)


def bars_audio(levels, *, bar_s=2.0, freq=220.0, channels=2):
    """A tone whose amplitude is ``levels[i]`` in bar ``i + 1`` (bars of ``bar_s`` seconds)."""
    n = int(bar_s * SR)
    t = np.arange(n * len(levels)) / SR
    amp = np.repeat(np.asarray(levels, dtype=float), n)
    tone = amp * np.sin(2 * np.pi * freq * t)
    return np.stack([tone] * channels)


SECTIONS = [{"name": "verse", "start_bar": 1, "bars": 2}, {"name": "chorus", "start_bar": 3, "bars": 2}]


def test_every_form_predicate_is_registered_with_a_docstring():
    for name in FORM_PREDICATES:
        assert name in PREDICATES, name
        doc = (PREDICATES[name].__doc__ or "").strip()
        assert doc and doc.splitlines()[0], name


def test_the_form_suite_loads_and_names_only_known_predicates():
    cases = load_suite(FORM)
    assert len(cases) >= 160
    assert all(c["id"].startswith("form-") for c in cases)
    assert len({c["id"] for c in cases}) == len(cases)


# sections ---------------------------------------------------------------------------------------
def test_sections_exactly_reads_the_names_in_bar_order():
    s = snap(sections=list(reversed(SECTIONS)))
    assert holds({"sections_exactly": ["verse", "chorus"]}, s)
    assert not holds({"sections_exactly": ["chorus", "verse"]}, s)
    assert not holds({"sections_exactly": ["verse"]}, s)
    assert holds({"sections_exactly": []}, snap())


def test_sections_include_counts_numbered_repeats_as_their_kind():
    s = snap(sections=[{"name": "verse", "start_bar": 1, "bars": 2}, {"name": "chorus 2", "start_bar": 3, "bars": 2}])
    assert holds({"sections_include": ["verse", "chorus"]}, s)
    assert not holds({"sections_include": ["bridge"]}, s)


def test_section_checks_the_fields_given():
    s = snap(sections=SECTIONS)
    assert holds({"section": {"name": "chorus", "start_bar": 3, "bars": 2}}, s)
    assert holds({"section": {"name": "chorus"}}, s)
    assert not holds({"section": {"name": "chorus", "start_bar": 2}}, s)
    assert not holds({"section": {"name": "bridge"}}, s)


def test_sections_cover_needs_every_bar_without_a_gap():
    assert holds({"sections_cover": True}, snap(sections=SECTIONS))
    gap = [{"name": "verse", "start_bar": 1, "bars": 1}, {"name": "chorus", "start_bar": 3, "bars": 2}]
    assert not holds({"sections_cover": True}, snap(sections=gap))
    assert holds({"sections_cover": False}, snap(sections=gap))
    assert not holds({"sections_cover": True}, snap(sections=SECTIONS, bars=6))
    assert not holds({"sections_cover": True}, snap())


def test_section_notes_equal_compares_each_stem_moved_by_the_offset():
    verse = [(60, 0.0, 1.0, 90), (64, 5.0, 1.0, 90)]
    repeated = snap({"chords": verse + [(p, s + 8, d, v) for p, s, d, v in verse]}, sections=SECTIONS)
    assert holds({"section_notes_equal": {"a": "verse", "b": "chorus"}}, repeated)
    assert holds({"section_notes_equal": {"a": "verse", "b": "chorus", "role": "chords"}}, repeated)
    changed = snap({"chords": verse + [(62, 8.0, 1.0, 90), (64, 13.0, 1.0, 90)]}, sections=SECTIONS)
    assert not holds({"section_notes_equal": {"a": "verse", "b": "chorus"}}, changed)
    longer = snap({"chords": verse}, sections=[{"name": "verse", "start_bar": 1, "bars": 2},
                                               {"name": "chorus", "start_bar": 3, "bars": 1}], bars=3)
    assert not holds({"section_notes_equal": {"a": "verse", "b": "chorus"}}, longer)


def test_a_note_ringing_past_its_section_is_judged_as_heard_inside_it():
    last = snap({"chords": [(60, 6.0, 4.0, 90), (60, 14.0, 2.0, 90)]}, sections=SECTIONS)
    assert holds({"section_notes_equal": {"a": "verse", "b": "chorus"}}, last)


def test_section_notes_differ_needs_new_notes_in_b():
    s = snap({"melody": [(72, 0.0, 1.0, 90), (74, 8.0, 1.0, 90)]}, sections=SECTIONS)
    assert holds({"section_notes_differ": {"a": "verse", "b": "chorus", "role": "melody"}}, s)
    same = snap({"melody": [(72, 0.0, 1.0, 90), (72, 8.0, 1.0, 90)]}, sections=SECTIONS)
    assert not holds({"section_notes_differ": {"a": "verse", "b": "chorus", "role": "melody"}}, same)
    silent = snap({"melody": [(72, 0.0, 1.0, 90)]}, sections=SECTIONS)
    assert not holds({"section_notes_differ": {"a": "verse", "b": "chorus", "role": "melody"}}, silent)


def test_section_same_as_before_follows_the_section_where_it_moved():
    before = snap({"bass": [(36, 0.0, 1.0, 90), (38, 9.0, 1.0, 90)]}, sections=SECTIONS)
    moved = snap({"bass": [(40, 0.0, 1.0, 90), (36, 8.0, 1.0, 90), (38, 17.0, 1.0, 90)]}, bars=6,
                 sections=[{"name": "intro", "start_bar": 1, "bars": 2},
                           {"name": "verse", "start_bar": 3, "bars": 2}, {"name": "chorus", "start_bar": 5, "bars": 2}])
    assert holds({"section_same_as_before": {"name": "verse"}}, before, moved)
    assert holds({"section_same_as_before": {"name": "chorus", "role": "bass"}}, before, moved)
    assert not holds({"section_same_as_before": {"name": "intro", "before_name": "verse"}}, before, moved)


def test_section_compare_density_stems_and_level():
    notes = {"drums": [(36, b * 0.5, 0.25, 100) for b in range(16)] + [(36, 8 + b * 0.25, 0.2, 100) for b in range(32)],
             "chords": [(60, 8.0, 4.0, 80)]}
    loud_chorus = FakeListener({}, mix=bars_audio([0.1, 0.1, 0.4, 0.4]))
    s = snap(notes, sections=SECTIONS, audio=loud_chorus)
    assert holds({"section_compare": {"a": "verse", "b": "chorus", "measure": "density", "direction": "up"}}, s)
    assert not holds({"section_compare": {"a": "verse", "b": "chorus", "measure": "density", "direction": "down"}}, s)
    assert holds({"section_compare": {"a": "verse", "b": "chorus", "measure": "stems", "direction": "up"}}, s)
    assert holds({"section_compare": {"a": "verse", "b": "chorus", "measure": "level", "direction": "up"}}, s)
    assert holds({"section_compare": {"a": "chorus", "b": "verse", "measure": "level", "direction": "down"}}, s)
    flat = snap(notes, sections=SECTIONS, audio=FakeListener({}, mix=bars_audio([0.1, 0.1, 0.105, 0.105])))
    assert not holds({"section_compare": {"a": "verse", "b": "chorus", "measure": "level", "direction": "up"}}, flat)
    assert not holds({"section_compare": {"a": "verse", "b": "bridge", "measure": "stems", "direction": "up"}}, s)


def test_section_roles_are_the_parts_that_start_a_note_there():
    s = snap({"chords": [(60, 0.0, 16.0, 80)], "drums": [(36, 8.0, 0.25, 100)]}, sections=SECTIONS)
    assert holds({"section_roles": {"name": "verse", "roles": ["chords"]}}, s)
    assert holds({"section_roles": {"name": "chorus", "roles": ["drums"]}}, s)
    assert not holds({"section_roles": {"name": "chorus", "roles": ["chords", "drums"]}}, s)


def test_plays_before_looks_in_the_bars_just_before_the_section():
    s = snap({"fx": [(84, 6.0, 2.0, 70)]}, sections=SECTIONS)
    assert holds({"plays_before": {"role": "fx", "section": "chorus"}}, s)
    early = snap({"fx": [(84, 1.0, 2.0, 70)]}, sections=SECTIONS)
    assert not holds({"plays_before": {"role": "fx", "section": "chorus"}}, early)
    assert not holds({"plays_before": {"role": "fx", "section": "verse"}}, s)


def groove(bars, fill_bar=None):
    notes = []
    for bar in range(bars):
        at = bar * 4.0
        notes += [(42, at + i * 0.5, 0.25, 70) for i in range(8)]
        notes += [(36, at, 0.25, 100), (38, at + 1, 0.25, 100), (36, at + 2, 0.25, 100), (38, at + 3, 0.25, 100)]
        if bar + 1 == fill_bar:
            notes += [(47, at + 2 + i * 0.25, 0.2, 100) for i in range(8)]
    return notes


def test_fill_in_bar_needs_a_real_fill_not_more_hats():
    s = snap({"drums": groove(4, fill_bar=2)}, sections=SECTIONS)
    assert holds({"fill_in_bar": {"role": "drums", "bar": 2}}, s)
    assert holds({"fill_in_bar": {"role": "drums", "before": "chorus"}}, s)
    assert not holds({"fill_in_bar": {"role": "drums", "bar": 3}}, s)
    hats = snap({"drums": groove(4) + [(42, 4.25 + i * 0.5, 0.1, 60) for i in range(8)]})
    assert not holds({"fill_in_bar": {"role": "drums", "bar": 2}}, hats)
    assert not holds({"fill_in_bar": {"role": "drums", "before": "verse"}}, s)


def test_density_in_bars_against_before_or_other_bars():
    before = snap({"drums": groove(4)})
    busier = snap({"drums": groove(4) + [(39, 8 + i, 0.25, 90) for i in range(8)]})
    assert holds({"density_in_bars": {"bars": [3, 4], "direction": "up"}}, before, busier)
    assert not holds({"density_in_bars": {"bars": [1, 2], "direction": "up"}}, before, busier)
    assert holds({"density_in_bars": {"bars": [1, 2], "direction": "same"}}, before, busier)
    assert holds({"density_in_bars": {"role": "drums", "bars": [1, 2], "than": [3, 4], "direction": "down"}},
                 before, busier)


# harmony ----------------------------------------------------------------------------------------
def chord_bars(*chords, each=1):
    """Chords notes, one chord (a tuple of pitches) every ``each`` bars, strummed a little late."""
    notes = []
    for i, pitches in enumerate(chords):
        notes += [(p, i * 4.0 * each + 0.01 * k, 1.9, 80) for k, p in enumerate(pitches)]
        notes += [(p, i * 4.0 * each + 2.0, 1.9, 80) for p in pitches]
    return notes


AM, F, C, G = (57, 60, 64), (53, 57, 60), (48, 52, 55), (55, 59, 62)


def test_chords_played_by_music21_one_chord_a_bar_repeating():
    s = snap({"chords": chord_bars(AM, F, C, G)}, bars=4)
    assert holds({"chords_played": {"role": "chords", "symbols": ["Am", "F", "C", "G"]}}, s)
    assert not holds({"chords_played": {"role": "chords", "symbols": ["Am", "F", "C", "Em"]}}, s)
    eight = snap({"chords": chord_bars(AM, F, AM, F)}, bars=4)
    assert holds({"chords_played": {"role": "chords", "symbols": ["Am", "F"]}}, eight)
    assert not holds({"chords_played": {"role": "chords", "symbols": ["Am", "F"]}}, snap({"chords": chord_bars(AM, F)}))
    assert not holds({"chords_played": {"role": "bass", "symbols": ["Am"]}}, s)


def test_chords_played_bars_each_first_and_last_bar():
    s = snap({"chords": chord_bars(AM, F, each=2)}, bars=4)
    assert holds({"chords_played": {"role": "chords", "symbols": ["Am", "F"], "bars_each": 2}}, s)
    assert not holds({"chords_played": {"role": "chords", "symbols": ["Am", "F"]}}, s)
    late = snap({"chords": chord_bars(C, C, AM, F)}, bars=4)
    assert holds({"chords_played": {"role": "chords", "symbols": ["Am", "F"], "first_bar": 3}}, late)
    assert holds({"chords_played": {"role": "chords", "symbols": ["C"], "last_bar": 2}}, late)


def test_a_note_pushed_just_ahead_of_the_bar_belongs_to_the_next_chord():
    pushed = [(p, s - 0.05 if s >= 4 else s, d, v) for p, s, d, v in chord_bars(AM, F, C, G)]
    assert holds({"chords_played": {"role": "chords", "symbols": ["Am", "F", "C", "G"]}}, snap({"chords": pushed}))


def test_slash_chords_need_the_bass_note_lowest_and_flats_are_read():
    f_over_a = [(57, 0.0, 4.0, 80), (60, 0.0, 4.0, 80), (65, 0.0, 4.0, 80)]
    root_position = [(53, 0.0, 4.0, 80), (57, 0.0, 4.0, 80), (60, 0.0, 4.0, 80)]
    assert holds({"chords_played": {"role": "chords", "symbols": ["F/A"]}}, snap({"chords": f_over_a}, bars=1))
    assert not holds({"chords_played": {"role": "chords", "symbols": ["F/A"]}}, snap({"chords": root_position}, bars=1))
    b_flat = [(58, 0.0, 4.0, 80), (62, 0.0, 4.0, 80), (65, 0.0, 4.0, 80)]
    assert holds({"chords_played": {"role": "chords", "symbols": ["Bb"]}}, snap({"chords": b_flat}, bars=1))
    assert holds({"chords_played": {"role": "chords", "symbols": ["Bbmaj7"]}},
                 snap({"chords": b_flat + [(69, 0.0, 4.0, 80)]}, bars=1))


def test_roman_numerals_are_read_in_the_key_at_each_bar():
    i_vi_iii_vii = chord_bars((48, 51, 55), (44, 48, 51), (51, 55, 58), (46, 50, 53))  # Cm Ab Eb Bb
    assert holds({"chords_played": {"role": "chords", "symbols": ["i", "VI", "III", "VII"], "roman": True}},
                 snap({"chords": i_vi_iii_vii}, key="Cm"))
    assert not holds({"chords_played": {"role": "chords", "symbols": ["i", "VI", "III", "VII"], "roman": True}},
                     snap({"chords": i_vi_iii_vii}, key="Am"))
    two_keys = snap({"chords": chord_bars((50, 53, 57), (55, 59, 62), (52, 55, 59), (57, 61, 64))}, key="C",
                    key_changes=[{"bar": 3, "key": "D"}])  # Dm G | Em A: ii V in C, then in D
    assert holds({"chords_played": {"role": "chords", "symbols": ["ii", "V"], "roman": True}}, two_keys)


def test_fits_chords_reads_the_first_note_of_each_span():
    bass = [(45, 0.0, 1.0, 90), (52, 2.0, 1.0, 90), (41, 4.0, 1.0, 90), (48, 6.0, 1.0, 90),
            (48, 8.0, 1.0, 90), (50, 10.0, 0.5, 90), (43, 12.0, 1.0, 90), (47, 14.0, 1.0, 90)]
    assert holds({"fits_chords": {"role": "bass", "symbols": ["Am", "F", "C", "G"]}}, snap({"bass": bass}))
    stale = [(48, 0.0, 1.0, 90), (51, 2.0, 1.0, 90), (44, 4.0, 1.0, 90), (46, 6.0, 1.0, 90),
             (43, 8.0, 1.0, 90), (50, 10.0, 1.0, 90), (51, 12.0, 1.0, 90), (41, 14.0, 1.0, 90)]
    assert not holds({"fits_chords": {"role": "bass", "symbols": ["Am", "F", "C", "G"]}}, snap({"bass": stale}))
    assert not holds({"fits_chords": {"role": "bass", "symbols": ["Am"]}}, snap({"chords": chord_bars(AM)}))


def test_stale_reads_the_column_and_a_missing_one_is_not_stale():
    s = snap({"bass": [], "melody": []}, stems=[stem("bass", "bass", stale=True), stem("melody", "melody")])
    assert holds({"stale": {"role": "bass", "value": True}}, s)
    assert not holds({"stale": {"role": "bass", "value": False}}, s)
    assert holds({"stale": {"role": "melody", "value": False}}, s)
    assert not holds({"stale": {"role": "pad", "value": False}}, s)


# tempo, key and time ---------------------------------------------------------------------------
def test_tempo_at_follows_the_map_and_defaults_to_the_bpm():
    s = snap(bpm=90, bars=16, tempo_changes=[{"bar": 13, "bpm": 70}])
    assert holds({"tempo_at": {"bar": 12, "bpm": 90}}, s)
    assert holds({"tempo_at": {"bar": 13, "bpm": 70}}, s)
    assert not holds({"tempo_at": {"bar": 13, "bpm": 90}}, s)
    assert holds({"tempo_at": {"bar": 13, "bpm": 90}}, snap(bpm=90, bars=16))


def test_bars_last_longer_at_a_slower_tempo():
    meta = {"bpm": 90, "time_signature": "4/4", "tempo_changes": [{"bar": 13, "bpm": 70}]}
    assert _bar_start_s(meta, 13) == pytest.approx(32.0)
    assert _bar_start_s(meta, 17) == pytest.approx(32.0 + 16 * 60 / 70)
    assert _bar_start_s({"bpm": 90, "time_signature": "3/4"}, 5) == pytest.approx(8.0)


def test_key_at_follows_the_map_with_enharmonics_equal():
    s = snap(key="Cm", bars=16, key_changes=[{"bar": 9, "key": "C#m"}])
    assert holds({"key_at": {"bar": 8, "key": "Cm"}}, s)
    assert holds({"key_at": {"bar": 9, "key": "Dbm"}}, s)
    assert not holds({"key_at": {"bar": 9, "key": "Cm"}}, s)


def test_duration_s_is_the_length_of_the_rendered_mix():
    s = snap(audio=FakeListener({}, mix=np.zeros((2, int(45.714 * SR)))))
    assert holds({"duration_s": {"value": 45.714, "tolerance": 0.05}}, s)
    assert not holds({"duration_s": {"value": 48.0, "tolerance": 0.05}}, s)


# notes in bars ----------------------------------------------------------------------------------
BASS = [(36, 0.0, 1.0, 90), (38, 4.0, 1.0, 90), (40, 8.0, 1.0, 90), (41, 12.0, 1.0, 90)]


def test_notes_shifted_moves_the_range_and_nothing_else():
    before = snap({"bass": BASS})
    up = snap({"bass": BASS[:2] + [(p + 2, s, d, v) for p, s, d, v in BASS[2:]]})
    assert holds({"notes_shifted": {"role": "bass", "bars": [3, 4], "semitones": 2}}, before, up)
    assert not holds({"notes_shifted": {"role": "bass", "bars": [3, 4], "semitones": 1}}, before, up)
    everything = snap({"bass": [(p + 2, s, d, v) for p, s, d, v in BASS]})
    assert not holds({"notes_shifted": {"role": "bass", "bars": [3, 4], "semitones": 2}}, before, everything)


def test_notes_moved_finds_the_old_bars_later_in_the_song():
    before = snap({"bass": BASS})
    intro = snap({"bass": [(30, 0.0, 1.0, 80)] + [(p, s + 4, d, v) for p, s, d, v in BASS]}, bars=5)
    assert holds({"notes_moved": {"role": "bass", "by_bars": 1}}, before, intro)
    assert not holds({"notes_moved": {"role": "bass", "by_bars": 0}}, before, intro)
    cut = snap({"bass": BASS[:2] + [(p, s - 4, d, v) for p, s, d, v in BASS[3:]]}, bars=3)
    assert holds({"notes_moved": {"role": "bass", "by_bars": -1, "bars": [4, 4]}}, before, cut)
    assert not holds({"notes_moved": {"role": "bass", "by_bars": -1, "bars": [3, 4]}}, before, cut)


def test_notes_same_as_before_in_bars_and_notes_differ_in_bars():
    before = snap({"bass": BASS})
    new_end = snap({"bass": BASS[:2] + [(43, 8.0, 1.0, 90), (45, 12.5, 1.0, 90)]})
    assert holds({"notes_same_as_before_in_bars": {"role": "bass", "bars": [1, 2]}}, before, new_end)
    assert not holds({"notes_same_as_before_in_bars": {"role": "bass", "bars": [1, 3]}}, before, new_end)
    assert holds({"notes_differ_in_bars": {"role": "bass", "bars": [3, 4]}}, before, new_end)
    assert not holds({"notes_differ_in_bars": {"role": "bass", "bars": [1, 2]}}, before, new_end)
    emptied = snap({"bass": BASS[:2]})
    assert not holds({"notes_differ_in_bars": {"role": "bass", "bars": [3, 4]}}, before, emptied)


def test_a_note_cut_where_its_bars_end_is_still_the_same_note():
    before = snap({"hats": [(42, 3.99, 0.25, 70)]}, stems=[stem("hats", "drums")])
    after = snap({"hats": [(42, 3.99, 0.01, 70)]}, stems=[stem("hats", "drums")])
    assert holds({"notes_same_as_before_in_bars": {"role": "drums", "bars": [1, 1]}}, before, after)
    assert not holds({"notes_same_as_before_in_bars": {"role": "drums", "bars": [1, 2]}}, before, after)


def test_notes_unchanged_reads_the_notes_hash():
    before = snap({"bass": BASS}, stems=[stem("bass", "bass", notes_hash="a", hash="x")])
    gain_only = snap({"bass": BASS}, stems=[stem("bass", "bass", notes_hash="a", hash="y")])
    rewritten = snap({"bass": BASS}, stems=[stem("bass", "bass", notes_hash="b", hash="y")])
    assert holds({"notes_unchanged": ["bass"]}, before, gain_only)
    assert not holds({"notes_unchanged": ["bass"]}, before, rewritten)
    assert not holds({"notes_unchanged": ["bass"]}, before, snap())


def test_notes_added_keeps_every_note_and_adds_only_what_was_asked():
    beat = groove(4)
    before = snap({"drums": beat})
    crash = snap({"drums": beat + [(49, 8.0, 1.0, 110)]})
    assert holds({"notes_added": {"role": "drums", "pitch": [49, 57], "bars": [3, 3]}}, before, crash)
    assert not holds({"notes_added": {"role": "drums", "pitch": [49], "bars": [2, 2]}}, before, crash)
    swapped = snap({"drums": beat[1:] + [(49, 8.0, 1.0, 110)]})
    assert not holds({"notes_added": {"role": "drums", "pitch": [49], "bars": [3, 3]}}, before, swapped)
    assert not holds({"notes_added": {"role": "drums", "pitch": [49], "bars": [3, 3]}}, before, before)


# automation and audio ---------------------------------------------------------------------------
def test_automation_needs_a_lane_of_that_param_on_that_role():
    points = [{"stem_id": "pad", "param": "gain_db", "beat": b, "value": -6.0, "curve": "exp"} for b in (0, 1, 2)]
    s = snap({"pad": [], "chords": []}, automation=points)
    assert holds({"lane": {"role": "pad", "param": "gain_db"}}, s)
    assert holds({"lane": {"role": "pad", "param": "gain_db", "min_points": 3, "bars": [1, 1]}}, s)
    assert not holds({"lane": {"role": "pad", "param": "gain_db", "min_points": 4}}, s)
    assert not holds({"lane": {"role": "chords", "param": "gain_db"}}, s)
    assert not holds({"lane": {"role": "pad", "param": "pan"}}, s)
    assert holds({"lane": {"param": "gain_db"}}, s)
    assert not holds({"lane": {"param": "gain_db"}}, snap({"pad": []}))


def test_automation_records_come_from_a_table_or_nothing():
    table = pd.DataFrame([{"stem_id": "pad", "param": "pan", "beat": 0.0, "value": -1.0, "curve": "linear"}])
    assert _automation_records(table) == table.to_dict("records")
    assert _automation_records(None) == [] and _automation_records(table.iloc[:0]) == []


def test_listener_has_a_mix():
    assert callable(getattr(Listener, "mix", None))


def test_level_in_bars_within_the_render_and_against_before():
    before = snap({"chords": []}, audio=FakeListener({"chords": bars_audio([0.5, 0.5, 0.5, 0.5])}))
    fade_in = snap({"chords": []}, audio=FakeListener({"chords": bars_audio([0.05, 0.2, 0.4, 0.5])}))
    assert holds({"level_in_bars": {"role": "chords", "bars": [1, 1], "direction": "down", "by_db": 6}}, before, fade_in)
    assert holds({"level_in_bars": {"role": "chords", "bars": [4, 4], "direction": "same"}}, before, fade_in)
    assert not holds({"level_in_bars": {"role": "chords", "bars": [3, 3], "direction": "same"}}, before, fade_in)
    assert holds({"level_in_bars": {"role": "mix", "bars": [1, 1], "than": [4, 4], "direction": "down"}},
                 before, fade_in)
    assert not holds({"level_in_bars": {"role": "mix", "bars": [1, 1], "than": [4, 4], "direction": "down"}},
                     before, before)
    assert not holds({"level_in_bars": {"role": "pad", "bars": [1, 1], "direction": "down"}}, before, fade_in)


def test_a_muted_stem_sounds_like_nothing():
    loud = {"chords": bars_audio([0.5] * 4)}
    before = snap({"chords": []}, audio=FakeListener(loud))
    muted = snap({"chords": []}, stems=[stem("chords", "chords", muted=True)], audio=FakeListener(loud))
    assert holds({"level_in_bars": {"role": "chords", "bars": [1, 4], "direction": "down", "by_db": 20}}, before, muted)


def test_spectral_centroid_and_highs_in_bars_hear_a_lowpass():
    def audio(cut_first_bar):
        t = np.arange(int(8 * SR)) / SR
        low, high = np.sin(2 * np.pi * 200 * t), 0.3 * np.sin(2 * np.pi * 2500 * t)
        if cut_first_bar:
            high[: 2 * SR] *= 0.01
        return np.stack([low + high] * 2)

    before = snap({"chords": []}, audio=FakeListener({"chords": audio(False)}))
    after = snap({"chords": []}, audio=FakeListener({"chords": audio(True)}))
    assert holds({"highs_in_bars": {"role": "chords", "bars": [1, 1], "direction": "down"}}, before, after)
    assert holds({"highs_in_bars": {"role": "chords", "bars": [2, 4], "direction": "same"}}, before, after)
    assert holds({"highs_in_bars": {"role": "chords", "bars": [2, 2], "than": [1, 1], "direction": "up"}},
                 before, after)
    assert not holds({"highs_in_bars": {"role": "chords", "bars": [1, 1], "direction": "down"}}, before, before)
    assert holds({"spectral_centroid_in_bars": {"role": "chords", "bars": [1, 1], "direction": "down"}}, before, after)
    assert not holds({"spectral_centroid_in_bars": {"role": "chords", "bars": [2, 2], "direction": "down"}}, before, after)


def test_pan_in_bars_hears_a_pan():
    centre = bars_audio([0.5] * 4)
    panned = centre.copy()
    panned[0, 3 * 2 * SR:] *= 0.2
    before = snap({"melody": []}, audio=FakeListener({"melody": centre}))
    after = snap({"melody": []}, audio=FakeListener({"melody": panned}))
    assert holds({"pan_in_bars": {"role": "melody", "bars": [4, 4], "than": [1, 1], "direction": "up"}},
                 before, after)
    assert not holds({"pan_in_bars": {"role": "melody", "bars": [4, 4], "than": [1, 1], "direction": "down"}},
                     before, after)
    assert holds({"pan_in_bars": {"role": "melody", "bars": [4, 4], "direction": "up"}}, before, after)


def test_rise_in_bars_is_a_build_whatever_the_bars_held():
    uneven = bars_audio([0.5, 0.25, 0.5, 0.5])
    built = bars_audio([0.5, 0.25, 0.5, 1.0])
    before = snap(audio=FakeListener({}, mix=uneven))
    after = snap(audio=FakeListener({}, mix=built))
    assert holds({"rise_in_bars": {"role": "mix", "measure": "level", "from": [1, 1], "to": [4, 4]}}, before, after)
    assert not holds({"rise_in_bars": {"role": "mix", "measure": "level", "from": [1, 1], "to": [3, 3]}}, before, after)
    assert not holds({"rise_in_bars": {"role": "mix", "measure": "level", "from": [2, 2], "to": [3, 3]}}, before, before)


def test_silent_in_bars_needs_silence_there_and_sound_elsewhere():
    notes = {"drums": groove(4)}
    dropped = snap(notes, audio=FakeListener({"drums": bars_audio([0.0, 0.0, 0.5, 0.5])}))
    assert holds({"silent_in_bars": {"role": "drums", "bars": [1, 2]}}, dropped)
    assert not holds({"silent_in_bars": {"role": "drums", "bars": [2, 3]}}, dropped)
    everywhere = snap(notes, audio=FakeListener({"drums": bars_audio([0.0, 0.0, 0.0, 0.0])}))
    assert not holds({"silent_in_bars": {"role": "drums", "bars": [1, 2]}}, everywhere)


def test_silent_in_bars_lets_a_tail_ring_in_for_half_a_beat():
    audio = bars_audio([0.0, 0.0, 0.5, 0.5])
    audio[:, : int(0.2 * SR)] = 0.3  # a tail from the end of the loop, 0.2 s (under half a beat at 120 bpm)
    assert holds({"silent_in_bars": {"role": "drums", "bars": [1, 2]}},
                 snap({"drums": groove(4)}, audio=FakeListener({"drums": audio})))


def test_ducked_hears_the_part_dip_after_every_kick():
    kicks = [(36, b, 0.25, 110) for b in np.arange(0.0, 16.0, 1.0)]
    t = np.arange(8 * SR) / SR
    gain = np.ones_like(t)
    for beat in np.arange(0.0, 16.0, 1.0):
        at = beat * 0.5
        after_kick = t >= at
        gain[after_kick] = np.minimum(gain[after_kick], 1 - 0.7 * np.exp(-(t[after_kick] - at) / 0.1))
    pad = np.sin(2 * np.pi * 330 * t)
    ducked = snap({"drums": kicks, "pad": []}, audio=FakeListener({"pad": np.stack([pad * gain] * 2)}))
    steady = snap({"drums": kicks, "pad": []}, audio=FakeListener({"pad": np.stack([pad] * 2)}))
    assert holds({"ducked": {"role": "pad"}}, ducked)
    assert not holds({"ducked": {"role": "pad"}}, steady)
    assert not holds({"ducked": {"role": "pad"}}, snap({"pad": []}, audio=FakeListener({"pad": np.stack([pad] * 2)})))


def test_the_form_predicates_never_raise_on_a_snapshot_without_the_new_fields():
    s = snap({"chords": chord_bars(AM, F, C, G), "drums": groove(4)},
             audio=FakeListener({"chords": bars_audio([0.1] * 4), "drums": bars_audio([0.1] * 4)}))
    del s["meta"]["sections"]
    args = {
        "sections_exactly": [], "sections_include": ["verse"], "section": {"name": "verse"}, "sections_cover": True,
        "section_notes_equal": {"a": "verse", "b": "chorus"},
        "section_notes_differ": {"a": "verse", "b": "chorus", "role": "chords"},
        "section_same_as_before": {"name": "verse"},
        "section_compare": {"a": "verse", "b": "chorus", "measure": "level", "direction": "up"},
        "section_roles": {"name": "verse", "roles": []}, "plays_before": {"role": "fx", "section": "chorus"},
        "fill_in_bar": {"role": "drums", "before": "chorus"}, "density_in_bars": {"bars": [1, 2], "direction": "up"},
        "chords_played": {"role": "chords", "symbols": ["Am"]}, "fits_chords": {"role": "bass", "symbols": ["Am"]},
        "stale": {"role": "chords", "value": False}, "tempo_at": {"bar": 1, "bpm": 120},
        "key_at": {"bar": 1, "key": "C"}, "duration_s": {"value": 8.0, "tolerance": 0.1},
        "notes_shifted": {"role": "bass", "bars": [1, 2], "semitones": 2},
        "notes_moved": {"role": "chords", "by_bars": 1},
        "notes_same_as_before_in_bars": {"role": "chords", "bars": [1, 2]},
        "notes_differ_in_bars": {"role": "chords", "bars": [1, 2]}, "notes_unchanged": ["chords"],
        "notes_added": {"role": "drums", "pitch": [49], "bars": [1, 1]},
        "lane": {"role": "chords", "param": "gain_db"},
        "level_in_bars": {"role": "chords", "bars": [1, 1], "direction": "down"},
        "spectral_centroid_in_bars": {"role": "chords", "bars": [1, 1], "direction": "down"},
        "highs_in_bars": {"role": "chords", "bars": [1, 1], "direction": "down"},
        "pan_in_bars": {"role": "chords", "bars": [1, 1], "direction": "up"},
        "rise_in_bars": {"role": "mix", "measure": "level", "from": [1, 1], "to": [2, 2]},
        "silent_in_bars": {"role": "chords", "bars": [1, 1]}, "ducked": {"role": "chords"},
    }
    assert set(args) == set(FORM_PREDICATES)
    for name, arg in args.items():
        assert isinstance(holds({name: arg}, s), bool), name
