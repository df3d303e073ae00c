"""Musical metrics on parts whose right answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orchestria_lab.eval import metrics as M
from orchestria_lab.music.theory import Chord, parse_key
from orchestria_lab.state import Note

C, G7, AM = Chord(0, (0, 4, 7)), Chord(7, (0, 4, 7, 10)), Chord(9, (0, 3, 7))
PROGRESSION = [(0.0, 4.0, C), (4.0, 4.0, G7), (8.0, 4.0, AM)]


def test_in_scale_ratio_and_histograms():
    key = parse_key("G")
    notes = [Note(p, i, 1) for i, p in enumerate([67, 69, 71, 72, 74, 77])]  # F natural is out of G major
    assert M.in_scale_ratio(notes, key) == pytest.approx(5 / 6)
    assert math.isnan(M.in_scale_ratio([], key))
    hist = M.pitch_class_histogram(notes, tonic=7)
    assert hist.sum() == pytest.approx(1.0) and hist[0] == pytest.approx(1 / 6)
    assert M.histogram_distance(hist, hist) == 0.0
    assert M.histogram_distance(np.eye(12)[0], np.eye(12)[5]) == 1.0


def test_chord_tones_are_counted_on_beats_only():
    # on beats: E (C chord tone), B (G7 tone), G# (not in Am); off the beat: F# (ignored)
    notes = [Note(64, 0, 1), Note(66, 0.5, 0.5), Note(71, 4, 1), Note(68, 8, 1)]
    assert M.chord_tone_ratio(notes, PROGRESSION, time_signature="4/4") == pytest.approx(2 / 3)
    assert M.chord_tone_ratio(notes, PROGRESSION, time_signature="4/4", strong_only=False) == pytest.approx(2 / 4)
    # in 6/8 the beats are dotted quarters: an onset at 1.0 is off the beat
    assert math.isnan(M.chord_tone_ratio([Note(64, 1.0, 0.5)], PROGRESSION, time_signature="6/8"))


def test_root_agreement_and_kick_lock():
    roots = [Note(36, 0, 4), Note(43, 4, 4), Note(45, 8, 4)]
    inversion = [Note(40, 0, 4), Note(43, 4, 4), Note(45, 8, 4)]
    assert M.root_agreement(roots, PROGRESSION) == 1.0
    assert M.root_agreement(inversion, PROGRESSION) == pytest.approx(2 / 3)
    assert M.root_agreement([], PROGRESSION) == 0.0
    assert M.kick_lock(roots, [0.0, 4.0, 6.0]) == pytest.approx(2 / 3)


def test_groove_consistency_repetition_and_density():
    bar = [Note(36, 0, 0.25), Note(38, 1, 0.25), Note(36, 2, 0.25), Note(38, 3, 0.25)]
    steady = [n._replace(start=n.start + 4 * b) for b in range(4) for n in bar]
    assert M.groove_consistency(steady, time_signature="4/4", bars=4) == 1.0
    assert M.repetition_ratio(steady, time_signature="4/4", bars=4) == 1.0
    fill = steady[:12] + [Note(38, 12 + s / 4, 0.25) for s in range(16)]
    assert M.groove_consistency(fill, time_signature="4/4", bars=4) < 1.0
    assert M.repetition_ratio(fill, time_signature="4/4", bars=4) == pytest.approx(2 / 3)
    assert M.note_density(steady, beats=16) == 1.0


def test_genre_separability_uses_the_nearest_centroid():
    four = [Note(36, b, 0.25) for b in range(16)]
    backbeat = [Note(38, b, 0.25) for b in range(1, 16, 2)]
    f4 = M.drum_pattern_features(four, time_signature="4/4", bars=4)
    fb = M.drum_pattern_features(backbeat, time_signature="4/4", bars=4)
    assert f4.shape == (160,) and f4.max() == 1.0
    centroids = {"house": f4, "rock": fb}
    assert M.genre_separability({"house": [f4], "rock": [fb]}, centroids) == 1.0
    assert M.genre_separability({"house": [fb], "rock": [f4]}, centroids) == 0.0
