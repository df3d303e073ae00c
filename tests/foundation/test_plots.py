import numpy as np

from orchestria_lab.state import Edit, Note, Stem
from orchestria_lab.widgets import plots


def test_piano_roll_draws_every_note_in_its_lane(session, tmp_path):
    session.commit(Edit(add=[
        Stem("chords", role="chords", instrument="piano", notes=[Note(60, 0, 4, 90), Note(63, 0, 4, 90)]),
        Stem("drums", role="drums", instrument="drum_kit", notes=[Note(36, b, 0.25, 110) for b in range(8)]),
    ]), command="hand-made")
    fig = session.plot.piano_roll()
    pitched, drums = fig.axes[:2]
    assert len(pitched.patches) == 2 and len(drums.patches) == 8
    assert [t.get_text() for t in drums.get_yticklabels()] == ["kick"]
    assert pitched.get_xlim() == (0.0, 32.0)
    path = plots.save(fig, tmp_path / "roll.png")
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_spectrogram_peaks_at_the_tone(tmp_path):
    sr = 8000
    tone = np.sin(2 * np.pi * 440 * np.arange(sr) / sr).astype(np.float32)
    fig = plots.spectrogram(np.stack([tone, tone]), sr=sr, n_fft=1024)
    mesh = fig.axes[0].collections[0]
    column = mesh.get_array().reshape(-1, mesh.get_coordinates().shape[1] - 1)[:, 3]
    freqs = np.fft.rfftfreq(1024, 1 / sr)[1:]
    assert abs(freqs[int(np.argmax(column))] - 440) < 10
    assert plots.save(plots.waveform(np.stack([tone, tone]), sr=sr), tmp_path / "w.png").exists()


def test_version_timeline_marks_rollbacks(session):
    session.commit(Edit(meta={"bpm": 100}), command="faster")
    session.commit(Edit(meta={"bpm": 110}), command="faster again")
    session.rollback(1)
    fig = session.plot.versions()
    arrows = [c for c in fig.axes[0].texts if c.arrow_patch is not None]
    assert len(arrows) == 1
