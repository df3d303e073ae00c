"""Pictures show themselves in a notebook, pyplot or not, and draw each stem in its own colour."""

from __future__ import annotations

from IPython.core.interactiveshell import InteractiveShell

from orchestria_lab.state import Edit, Note, Stem
from orchestria_lab.widgets import plots


def test_a_figure_is_the_png_of_a_cell_without_pyplot(session):
    session.commit(Edit(add=[Stem("bass", role="bass", instrument="sub_bass", notes=[Note(36, 0, 2, 100)])]),
                   command="hand-made")
    shell = InteractiveShell.instance()
    data, _ = shell.display_formatter.format(session.plot.piano_roll())
    assert data["image/png"][:4] == b"\x89PNG"


def test_two_stems_of_one_role_get_two_colours(session):
    session.commit(Edit(add=[
        Stem("keys", role="chords", instrument="piano", notes=[Note(60, 0, 2, 90)]),
        Stem("organ", role="chords", instrument="organ", notes=[Note(64, 2, 2, 90)], muted=True),
    ]), command="hand-made")
    fig = session.plot.piano_roll()
    colors = {tuple(p.get_facecolor()[:3]) for p in fig.axes[0].patches}
    assert len(colors) == 2
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["keys (piano)", "organ (organ, muted)"]


def test_a_session_given_as_tables_draws_like_its_state(session):
    session.commit(Edit(add=[Stem("drums", role="drums", instrument="drum_kit",
                                  notes=[Note(36, b, 0.25, 110) for b in range(4)])]), command="hand-made")

    class TablesOnly:  # what a remote session offers: meta and tables, no State
        meta, stems, notes = session.meta, session.stems, session.notes

    assert plots.state_from_tables(session.meta, session.stems, session.notes) == session.state
    assert len(plots.piano_roll(TablesOnly()).axes[0].patches) == 4
