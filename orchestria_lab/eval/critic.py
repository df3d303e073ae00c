"""The critic: how good a take of a part is, metric by metric, for ranking variations.

Each metric is a score from 0 (bad) to 1 (good), read from the part's notes in the song it plays in:

- ``likelihood``: how probable the learned model finds the line (``exp`` of minus its mean
  per-token negative log-likelihood, conditioned as the model generates: key, meter, style, the
  session's chords, the kick for a bass). Only where a trained checkpoint of the part may be used
  (melody and bass lines); elsewhere it is NaN and ``note`` says why;
- ``in_key``: the share of notes in the key (:func:`~orchestria_lab.eval.metrics.in_scale_ratio`);
- ``chord_tones``: the share of strong-beat notes that are tones of the sounding chord
  (:func:`~orchestria_lab.eval.metrics.strong_beat_chord_tones`);
- ``repetition``: how near the share of repeated bars is to :data:`REPETITION_TARGET` (a line that
  never repeats has no motif, one that always repeats has no development);
- ``range``: 1 while the line spans at most :data:`COMFORTABLE_SPAN` semitones, less the wider it goes;
- ``fit``: the share of the part's notes that clash (a semitone, or a minor ninth) with no note of
  the other pitched parts sounding at their onset; for drums, how often the kick meets the bass.

``total`` is the :data:`WEIGHTS`-weighted mean of the scores there are. Drum parts are scored on
their fit and repetition (the pitched metrics are NaN).

>>> from orchestria_lab.state import Meta, Note, State, Stem
>>> meta = Meta(bpm=100, key="C", genre="pop", bars=2)
>>> tune = Stem("melody", role="melody", instrument="piano", agent="melody",
...             notes=[Note(p, i, 1, 90) for i, p in enumerate([60, 64, 67, 64, 60, 64, 67, 72])])
>>> sour = tune.evolve(notes=[Note(p + 1, n.start, 1, 90) for p, n in zip([60, 64, 67, 64, 60, 64, 67, 72], tune.notes)])
>>> table = critique([State(meta, (tune,)), State(meta, (sour,))], "melody", likelihood=False)
>>> table[["in_key", "range"]].round(2).values.tolist()
[[1.0, 1.0], [0.38, 1.0]]
>>> bool(table.loc[0, "total"] > table.loc[1, "total"])
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from orchestria_lab.eval import metrics
from orchestria_lab.music.theory import parse_key
from orchestria_lab.state import State, Stem

#: The metrics, in the order the table shows them.
METRICS = ("likelihood", "in_key", "chord_tones", "repetition", "range", "fit")
#: Each metric's weight in the total.
WEIGHTS = {"likelihood": 1.0, "in_key": 2.0, "chord_tones": 1.5, "repetition": 0.5, "range": 0.5, "fit": 1.0}
#: The score table's columns.
COLUMNS = (*METRICS, "total", "note")
#: The share of repeated bars a line scores best at.
REPETITION_TARGET = 0.4
#: The widest span (semitones) a line keeps its full range score at; it loses it over another octave.
COMFORTABLE_SPAN = 19
#: The parts whose learned model scores a line's likelihood.
LIKELIHOOD_PARTS = ("melody", "bass")


def critique(states: Sequence[State], stem_id: str, *, likelihood: bool = True) -> pd.DataFrame:
    """One row per state: the scores of its stem ``stem_id`` (:data:`COLUMNS`), in the order given.
    ``likelihood=False`` leaves the model out (the note says so)."""
    rows = score_parts([(state, state.stem(stem_id)) for state in states], likelihood=likelihood)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    return table.astype({m: "float64" for m in (*METRICS, "total")})


def score_part(state: State, stem: Stem, *, likelihood: bool = True) -> dict[str, float | str]:
    """The scores of ``stem`` as it plays in ``state`` (see the module docstring), its total and a note."""
    return score_parts([(state, stem)], likelihood=likelihood)[0]


def score_parts(parts: Sequence[tuple[State, Stem]], *, likelihood: bool = True) -> list[dict[str, float | str]]:
    """:func:`score_part` of each ``(state, stem)``; the model reads the lines of one part in one batch."""
    rows, said, lines = [], [], []
    for state, stem in parts:
        scores, notes, chords = _metrics(state, stem)
        rows.append(scores)
        said.append(notes)
        if chords is not None and likelihood:
            lines.append((len(rows) - 1, state, stem, chords))
        elif chords is not None:
            notes.append("likelihood not asked for")
    groups: dict[str | None, list] = {}
    for line in lines:
        why = _no_likelihood(line[2])
        if why:
            said[line[0]].append(why)
        else:
            groups.setdefault(_part(line[2]), []).append(line)
    for part, batch in groups.items():
        for (i, *_), nll in zip(batch, lines_nll(part, [(st, sm, ch) for _, st, sm, ch in batch]), strict=True):
            rows[i]["likelihood"] = float(math.exp(-nll))
    out = []
    for scores, notes in zip(rows, said, strict=True):
        have = {m: v for m, v in scores.items() if math.isfinite(v)}
        total = sum(WEIGHTS[m] * v for m, v in have.items()) / sum(WEIGHTS[m] for m in have) if have else float("nan")
        out.append({**scores, "total": float(total), "note": "; ".join(notes)})
    return out


def _metrics(state: State, stem: Stem) -> tuple[dict[str, float], list[str], list | None]:
    """The scores but the likelihood, what could not be scored, and the chords a pitched line plays over."""
    meta = state.meta
    notes = list(stem.notes)
    scores: dict[str, float] = dict.fromkeys(METRICS, float("nan"))
    said: list[str] = []
    chords = None
    if notes and not stem.is_drums:
        from orchestria_lab.agents.context import current_chords

        chords = current_chords(state, exclude=stem.stem_id)
        scores["in_key"] = metrics.in_scale_ratio(notes, parse_key(meta.key))
        scores["chord_tones"] = metrics.strong_beat_chord_tones(notes, chords, time_signature=meta.time_signature)
        span = max(n.pitch for n in notes) - min(n.pitch for n in notes)
        scores["range"] = float(np.clip(1 - max(0, span - COMFORTABLE_SPAN) / 12, 0, 1))
        scores["fit"] = _consonance(stem, state)
    elif notes:
        scores["fit"] = _kick_meets_bass(stem, state)
        said.append("a drum part: scored on fit and repetition; no learned likelihood of drum parts")
    if notes:
        ratio = metrics.repetition_ratio(notes, time_signature=meta.time_signature, bars=meta.bars)
        scores["repetition"] = float(1 - abs(ratio - REPETITION_TARGET) / max(REPETITION_TARGET, 1 - REPETITION_TARGET)) \
            if math.isfinite(ratio) else float("nan")
    else:
        said.append("the part has no notes")
    return scores, said, chords


def _sounding(state: State, exclude: str) -> list[tuple[float, float, int]]:
    return [(n.start, n.start + n.duration, n.pitch) for s in state.stems
            if s.stem_id != exclude and not s.is_drums and not s.muted for n in s.notes]


def _consonance(stem: Stem, state: State) -> float:
    """The share of ``stem``'s notes with no semitone clash against the other parts at their onset."""
    others = _sounding(state, stem.stem_id)
    if not others:
        return float("nan")
    clean = [not any(a <= n.start < b and (n.pitch - p) % 12 in (1, 11) and abs(n.pitch - p) != 11
                     for a, b, p in others) for n in stem.notes]
    return float(np.mean(clean))


def _kick_meets_bass(stem: Stem, state: State) -> float:
    from orchestria_lab.music.grooves import kick_beats

    bass = [n for s in state.stems if s.role == "bass" and s.stem_id != stem.stem_id for n in s.notes]
    kicks = kick_beats(stem.notes)
    return metrics.kick_lock(bass, kicks) if bass and kicks else float("nan")


def _part(stem: Stem) -> str | None:
    """The model that scores ``stem``'s line, if any (:data:`LIKELIHOOD_PARTS`)."""
    part = stem.agent if stem.agent in LIKELIHOOD_PARTS else stem.role
    return part if part in LIKELIHOOD_PARTS else None


def _no_likelihood(stem: Stem) -> str:
    """Why ``stem``'s line gets no likelihood ("" when it gets one)."""
    part = _part(stem)
    if part is None:
        return f"no learned likelihood of {stem.role} parts (the models score melody and bass lines)"
    from orchestria_lab.models import generate

    return "" if generate.available(part) else f"no usable {part} checkpoint: likelihood left out"


def lines_nll(part: str, lines: Sequence[tuple[State, Stem, list]]) -> list[float]:
    """Mean negative log-likelihood (nats per 16th-note token) of each ``(state, stem, chords)`` line under the
    ``part`` model, given the features it generates with; one batch."""
    from orchestria_lab.models import generate
    from orchestria_lab.models.train import token_nll

    examples = [_example(part, state, stem, chords) for state, stem, chords in lines]
    nll = token_nll(generate.model(part).model, examples)
    bounds = np.cumsum([0] + [len(e.tokens) for e in examples])
    return [float(nll[a:b].mean()) for a, b in zip(bounds, bounds[1:], strict=False)]


def _example(part: str, state: State, stem: Stem, chords):
    from orchestria_lab.agents.context import current_kicks
    from orchestria_lab.models import generate
    from orchestria_lab.models.datasets import Example
    from orchestria_lab.models.features import chord_steps, pitched_features
    from orchestria_lab.models.tokens import steps_per_bar, style_id

    meta = state.meta
    key = parse_key(meta.key)
    spb = steps_per_bar(meta.time_signature)
    n = meta.bars * spb
    root, quality, start = chord_steps(list(chords), n)
    kick = None
    if part == "bass":
        kick = np.zeros(n, dtype=np.int64)
        for beat in current_kicks(state, exclude=stem.stem_id):
            if 0 <= round(beat * 4) < n:
                kick[round(beat * 4)] = 1
    feats = pitched_features(meter=meta.time_signature, tonic=key.tonic_pc, mode=int(key.is_minor),
                             style=style_id(meta.genre), chord_root=root, chord_quality=quality, chord_start=start,
                             total_bars=meta.bars, kick=kick)
    return Example(generate.primer_tokens(stem.notes, until=n / 4), feats, stem.stem_id, spb)
