"""The prepared token arrays, the drum set and the pure analysis used to build them."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from orchestria_lab.models import corpus, drumset
from orchestria_lab.models.analysis import find_key, label_chords
from orchestria_lab.models.tokens import HOLD, NO_CHORD, PITCH_OFFSET, REST, metric_levels, roman


@pytest.mark.parametrize("name", sorted(corpus.DATASETS))
def test_data_files_match_their_recorded_hashes(name):
    info = corpus.manifest()["files"][corpus.DATASETS[name]]
    path = corpus.DATA_DIR / corpus.DATASETS[name]
    assert corpus.file_sha256(path) == info["sha256"]
    assert path.stat().st_size == info["bytes"] < 5_000_000
    arrays = corpus.load(name)
    assert len(arrays["names"]) == info["pieces"] and arrays["offsets"][-1] == info["steps"]
    assert info["source"] and info["licence"]


def test_a_tampered_file_is_refused(tmp_path, monkeypatch):
    shutil.copytree(corpus.DATA_DIR / "corpus", tmp_path / "corpus")
    shutil.copy(corpus.MANIFEST, tmp_path / "MANIFEST.json")
    target = tmp_path / corpus.DATASETS["drums"]
    target.write_bytes(target.read_bytes() + b"\0")
    monkeypatch.setattr(corpus, "DATA_DIR", tmp_path)
    monkeypatch.setattr(corpus, "MANIFEST", tmp_path / "MANIFEST.json")
    corpus.load.cache_clear()
    try:
        with pytest.raises(corpus.DataMissing, match="sha256"):
            corpus.load("drums")
    finally:
        corpus.load.cache_clear()


def test_saved_arrays_are_byte_for_byte_reproducible(tmp_path):
    arrays = {"a": np.arange(10, dtype=np.uint8), "names": np.array(["x", "y"])}
    assert corpus.save_arrays(tmp_path / "1.npz", arrays) == corpus.save_arrays(tmp_path / "2.npz", arrays)
    assert (tmp_path / "1.npz").read_bytes() == (tmp_path / "2.npz").read_bytes()


@pytest.mark.parametrize("name,parts,at_least", [("chorales", ("melody", "bass"), 300), ("folk", ("melody",), 4000),
                                                  ("essen", ("melody",), 7000)])
def test_corpus_sequences_are_well_formed(name, parts, at_least):
    arrays = corpus.load(name)
    assert len(arrays["names"]) > at_least
    for part in parts:
        sequences = corpus.pieces(arrays, part)
        assert all(tokens[0] != HOLD for tokens in sequences)  # a hold always follows a note
        if part == "melody":  # pickups are trimmed: the tune starts on beat one
            assert all(tokens[0] != REST for tokens in sequences)
        for tokens in sequences[::25]:
            after_rest = np.flatnonzero(tokens[:-1] == REST) + 1
            assert not np.any(tokens[after_rest] == HOLD)
    chords = arrays["chords"]
    assert chords.min() > NO_CHORD
    # chord slots and steps describe the same bars
    assert len(arrays["chord_offsets"]) == len(arrays["offsets"])


def test_folk_keys_and_chords_look_like_folk_music():
    arrays = corpus.load("folk")
    tonic_chords = [roman(int(t)) in ("I", "i") for t in arrays["chords"][::7]]
    assert np.mean(tonic_chords) > 0.3  # tunes dwell on the tonic
    melody = arrays["melody"]
    pitches = melody[melody >= PITCH_OFFSET]
    assert 55 <= np.median(pitches) - PITCH_OFFSET + 21 <= 79


def test_drum_set_is_big_and_varied_enough():
    patterns = drumset.read_all()
    assert sum(p.bars for p in patterns) >= 200
    assert len({p.genre for p in patterns}) >= 8
    assert len({p.meter for p in patterns}) >= 4
    with_fill = sum(p.steps[: len(p.steps) // p.bars] != p.steps[-(len(p.steps) // p.bars):] for p in patterns)
    assert with_fill >= len(patterns) // 2  # the last bar differs from the first: a fill or variation


def test_drum_grid_errors_name_the_problem():
    with pytest.raises(Exception, match="16 steps"):
        drumset.parse("pattern: rock/x\nmeter: 4/4\nkick x---\n")
    with pytest.raises(Exception, match="drum voice"):
        drumset.parse("pattern: rock/x\nmeter: 4/4\ncowbel x--- x--- x--- x---\n")


def test_key_finding_prefers_the_final_note_of_a_folk_tune():
    # A dorian tune on D: the notes of C major, ending on D.
    profile = np.bincount([2, 4, 5, 7, 9, 11, 0, 2, 2, 5, 9], minlength=12).astype(float)
    assert find_key(profile, final_pc=2) == (2, "minor")


def test_chord_labels_follow_the_notes():
    # C - G7 - Am over two bars of 4/4, two slots a bar (8 steps each).
    notes = np.array([[48, 0, 8], [64, 0, 8], [67, 0, 8], [43, 8, 16], [65, 8, 16], [71, 8, 16],
                      [45, 16, 32], [60, 16, 32], [64, 16, 32]])
    tokens = label_chords(notes, n_slots=4, slot_steps=8, levels=metric_levels("4/4"), tonic=0, mode="major")
    assert [roman(int(t)) for t in tokens] == ["I", "V7", "vi", "vi"]
    folk = label_chords(notes, n_slots=4, slot_steps=8, levels=metric_levels("4/4"), tonic=0, mode="major", folk=True)
    assert all(roman(int(t)) in ("I", "ii", "iii", "IV", "V", "V7", "vi") for t in folk)


def test_music21_is_never_imported_by_the_package_and_generate_stays_light():
    import subprocess
    import sys

    code = ("import sys, importlib\n"
            "for m in ('corpus', 'datasets', 'drumset', 'analysis', 'train', 'generate', 'cli', 'readme', 'licences'):\n"
            "    importlib.import_module('orchestria_lab.models.' + m)\n"
            "for m in ('metrics', 'models', 'cli', 'report'):\n"
            "    importlib.import_module('orchestria_lab.eval.' + m)\n"
            "print('music21' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
    light = "import sys, orchestria_lab.models.generate as g; g.available('melody'); print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", light], capture_output=True, text=True, check=True).stdout.strip() == "False"
