"""Evaluation of the generator models (``orchestria eval models``).

For each of harmony, melody, bass and drums:

- ``nll_model``: the checkpoint's mean negative log-likelihood per token (nats) on the test
  split, and ``nll_baseline``: an interpolated Kneser-Ney n-gram trained on the same train
  split (pitched parts in all twelve transpositions, as the model), its order chosen on the
  valid split;
- musical metrics of parts made through the orchestra's own agents with ``backend="model"``
  and ``backend="baseline"`` (the music-theory generators) over the same sessions, beside the
  same metrics on the held-out corpus.

``MATTERS`` names, per part, the metrics the model must score at least as well as the theory
baseline on, and how each is compared (higher, lower, or closer to the corpus).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np

from orchestria_lab.eval import metrics as M
from orchestria_lab.models import corpus, datasets, generate
from orchestria_lab.models.tokens import (
    METERS,
    PITCH_HIGH,
    PITCH_LOW,
    PITCH_OFFSET,
    STYLES,
    chord_of,
    chord_slots,
    steps_per_bar,
)
from orchestria_lab.music.genres import GENRES, MODEL_GENRES
from orchestria_lab.music.theory import Chord, Key, beats_per_bar
from orchestria_lab.music.vocabulary import GM_DRUMS

#: (key, genre, meter) of the sessions both backends make parts for; each with ``seeds`` seeds.
CONDITIONS = (
    ("C", "pop", "4/4"), ("Am", "rock", "4/4"), ("Eb", "jazz", "4/4"), ("F#m", "lo-fi", "4/4"),
    ("G", "folk", "3/4"), ("Dm", "folk", "6/8"), ("Bb", "house", "4/4"), ("E", "rnb", "4/4"),
    ("Cm", "hip-hop", "4/4"), ("D", "latin", "4/4"), ("Gm", "cinematic", "3/4"), ("A", "edm", "4/4"),
)
BARS = 8
#: How each metric is compared: "higher" or "lower" is better, or "corpus": closer to the corpus.
DIRECTION = {
    "in_scale_ratio": "higher", "pc_histogram_distance": "lower", "chord_tone_ratio": "higher",
    "root_agreement": "higher", "kick_lock": "higher", "genre_separability": "higher",
    "groove_consistency": "corpus", "note_density": "corpus", "repetition_ratio": "corpus",
    "chord_changes_per_bar": "corpus",
}
#: The metrics that matter for each part (see the module docstring).
MATTERS = {
    "harmony": ("in_scale_ratio", "pc_histogram_distance"),
    "melody": ("in_scale_ratio", "chord_tone_ratio", "pc_histogram_distance"),
    "bass": ("in_scale_ratio", "root_agreement", "kick_lock"),
    "drums": ("genre_separability", "groove_consistency"),
}


# --- held-out likelihood ---------------------------------------------------------------------
def _transposed(tokens: np.ndarray) -> Iterable[np.ndarray]:
    pitches = tokens[tokens >= PITCH_OFFSET] - PITCH_OFFSET + PITCH_LOW
    for shift in range(-6, 6):
        if len(pitches) == 0 or (pitches.min() + shift >= PITCH_LOW and pitches.max() + shift <= PITCH_HIGH):
            yield np.where(tokens >= PITCH_OFFSET, tokens + shift, tokens)


def heldout_nll(part: str) -> dict[str, Any]:
    """``nll_model`` and ``nll_baseline`` (nats per token) on the test split of ``part``."""
    from orchestria_lab.models.ngram import best_order
    from orchestria_lab.models.train import load_checkpoint, token_nll

    train = [e.tokens for e in datasets.examples(part, "train")]
    if part in ("melody", "bass"):
        train = [t for seq in train for t in _transposed(seq)]
    valid = [e.tokens for e in datasets.examples(part, "valid")]
    test = datasets.examples(part, "test")
    ngram, _ = best_order(train, valid, vocab=datasets.vocab_size(part))
    model = load_checkpoint(generate.checkpoint_path(part))
    return {
        "nll_model": float(token_nll(model, test).mean()),
        "nll_baseline": float(ngram.nll([e.tokens for e in test])),
        "ngram_order": ngram.order,
        "test_tokens": int(sum(len(e.tokens) for e in test)),
    }


# --- generations through the agents ------------------------------------------------------------
def session_parts(*, key: str, genre: str, time_signature: str, seed: int, backend: str) -> dict[str, Any]:
    """A session made by the four generator agents with ``backend``: notes, chords and kicks."""
    from orchestria_lab.agents import Action, get_agent
    from orchestria_lab.agents.context import current_chords, current_kicks
    from orchestria_lab.state import Meta, State, apply

    state = State(Meta(bpm=GENRES[genre].bpm[0], key=key, genre=genre, time_signature=time_signature,
                       bars=BARS, seed=seed))
    for i, name in enumerate(("harmony", "drums", "bass", "melody")):
        action = Action(name, "add", params={"backend": backend, "swing": 0.0})
        state = apply(state, get_agent(name)(state, action, np.random.default_rng([seed, i])))
    stems = {s.agent: s for s in state.stems}
    return {"key": key, "genre": genre, "time_signature": time_signature, "chords": current_chords(state),
            "kicks": current_kicks(state), **{name: list(stems[name].notes) for name in stems}}


def _chord_notes(chords: list[tuple[float, float, Chord]]) -> list[M.Note]:
    return [M.Note(60 + pc, start, dur) for start, dur, c in chords for pc in c.pitch_classes]


def _changes_per_bar(chords, time_signature: str) -> float:
    names = [(c.root, c.intervals) for _, _, c in sorted(chords, key=lambda c: c[0])]
    changes = 1 + sum(a != b for a, b in zip(names[:-1], names[1:], strict=True))
    total = max(s + d for s, d, _ in chords) / beats_per_bar(time_signature)
    return changes / total


def part_metrics(part: str, piece: dict[str, Any]) -> dict[str, float]:
    """The metrics of one part of one piece (a dict like :func:`session_parts` returns)."""
    from orchestria_lab.music.theory import parse_key

    key, ts = parse_key(piece["key"]), piece["time_signature"]
    bars = BARS if "bars" not in piece else piece["bars"]
    beats = bars * beats_per_bar(ts)
    if part == "harmony":
        notes = _chord_notes(piece["chords"])
        return {"in_scale_ratio": M.in_scale_ratio(notes, key),
                "chord_changes_per_bar": _changes_per_bar(piece["chords"], ts),
                "repetition_ratio": _chord_repetition(piece["chords"], ts, bars)}
    notes = piece[part]
    out = {"note_density": M.note_density(notes, beats=beats),
           "repetition_ratio": M.repetition_ratio(notes, time_signature=ts, bars=bars)}
    if part == "drums":
        out["groove_consistency"] = M.groove_consistency(notes, time_signature=ts, bars=bars)
        return out
    out["in_scale_ratio"] = M.in_scale_ratio(notes, key)
    if part == "melody":
        out["chord_tone_ratio"] = M.chord_tone_ratio(notes, piece["chords"], time_signature=ts)
    if part == "bass":
        out["root_agreement"] = M.root_agreement(notes, piece["chords"])
        if piece.get("kicks"):
            out["kick_lock"] = M.kick_lock(notes, piece["kicks"])
    return out


def _chord_repetition(chords, time_signature: str, bars: int) -> float:
    bar = beats_per_bar(time_signature)
    per_bar = defaultdict(list)
    for start, _, c in chords:
        per_bar[int(start // bar)].append((round(start % bar, 3), c.root, c.intervals))
    contents = [tuple(per_bar[b]) for b in range(bars)]
    return float(np.mean([contents[i] in contents[:i] for i in range(1, bars)])) if bars > 1 else math.nan


def _histogram_distance(part: str, pieces: list[dict[str, Any]], reference: dict[str, np.ndarray]) -> float:
    """Distance of the pooled key-relative pitch-class histogram of ``pieces`` to the corpus's,
    per mode, averaged over the modes present."""
    pooled = reference_histograms(part, pieces)
    return float(np.mean([M.histogram_distance(h, reference[mode]) for mode, h in pooled.items()]))


# --- the corpus's own figures ---------------------------------------------------------------
def corpus_pieces(part: str, *, bars: int = BARS) -> list[dict[str, Any]]:
    """Corpus pieces of ``part`` cut into ``bars``-bar windows, as note dicts: the test split,
    or for drums (too few held-out patterns for a reference) every pattern."""
    from orchestria_lab.models.generate import _notes_from_tokens

    out = []
    splits = ("train", "valid", "test") if part == "drums" else ("test",)
    rows = [row for split in splits for row in datasets.pieces_of(part, split)]
    for _, tokens, chords, extra, mode, meter, style in rows:
        if part == "drums":
            out.append({"key": "C", "genre": MODEL_GENRES[extra], "time_signature": meter,
                        "bars": len(tokens) // steps_per_bar(meter), "drums": _drum_notes(tokens)})
            continue
        unit = chord_slots(meter) if part == "harmony" else steps_per_bar(meter)
        slots, spb = chord_slots(meter), steps_per_bar(meter)
        span = beats_per_bar(meter) / slots
        key_name = Key(extra, "minor" if mode else "major").name
        for a in range(0, len(tokens) // unit - bars + 1, bars):
            bar_chords = chords[a * slots:(a + bars) * slots]
            piece = {"key": key_name, "time_signature": meter, "bars": bars, "style": STYLES[style],
                     "chords": [(i * span, span, chord_of(int(t), tonic_pc=extra)) for i, t in enumerate(bar_chords)]}
            if part != "harmony":
                piece[part] = _notes_from_tokens(tokens[a * spb:(a + bars) * spb], meter, np.random.default_rng(0))
            out.append(piece)
    return out


def _drum_notes(tokens: np.ndarray) -> list[M.Note]:
    labels = corpus.load("drums")["combos"]
    return [M.Note(GM_DRUMS[v.rstrip("~")], t / 4, 0.25) for t, tok in enumerate(tokens)
            for v in str(labels[tok]).split("+") if v]


def reference_histograms(part: str, pieces: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Pooled key-relative pitch-class histograms of corpus pieces, per mode."""
    from orchestria_lab.music.theory import parse_key

    pooled: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(12))
    for piece in pieces:
        key = parse_key(piece["key"])
        notes = _chord_notes(piece["chords"]) if part == "harmony" else piece[part]
        pooled["minor" if key.is_minor else "major"] += M.pitch_class_histogram(notes, tonic=key.tonic_pc)
    return {mode: h / h.sum() for mode, h in pooled.items()}


def drum_centroids() -> dict[str, dict[str, np.ndarray]]:
    """Per meter and genre: the mean pattern features of every corpus pattern (all splits)."""
    arrays = corpus.load("drums")
    grouped: dict[tuple[str, str], list[np.ndarray]] = defaultdict(list)
    for i, tokens in enumerate(corpus.pieces(arrays, "drums")):
        meter = METERS[int(arrays["meter"][i])]
        features = M.drum_pattern_features(_drum_notes(tokens), time_signature=meter,
                                           bars=len(tokens) // steps_per_bar(meter))
        grouped[(meter, str(arrays["genres"][int(arrays["genre"][i])]))].append(features)
    out: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
    for (meter, genre), rows in grouped.items():
        out[meter][genre] = np.mean(rows, axis=0)
    return dict(out)


def _better(metric: str, model: float, baseline: float, reference: float | None) -> bool:
    if math.isnan(model) or math.isnan(baseline):
        return False
    how = DIRECTION.get(metric, "higher")
    if how == "higher":
        return model >= baseline - 1e-9
    if how == "lower":
        return model <= baseline + 1e-9
    return abs(model - reference) <= abs(baseline - reference) + 1e-9


def _session_parts_task(settings: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    return session_parts(**settings)


def make_sessions(conditions=CONDITIONS, *, seeds: int = 3, backends: tuple[str, ...] = ("model", "baseline"),
                  engine: str = "serial", address: str | None = None, workers: int | None = None,
                  progress: bool = True) -> dict[str, list[dict[str, Any]]]:
    """Per backend, :func:`session_parts` for every ``(key, genre, meter)`` of ``conditions`` and
    seed in ``range(seeds)``, in that order, made through the batch runner
    (:func:`~orchestria_lab.batch.runner.run_tasks`: ``engine="serial"`` here, ``"ray"`` on Ray,
    with the same parts). A session that fails raises OrchestriaError naming it.
    """
    from orchestria_lab.batch.runner import run_tasks
    from orchestria_lab.errors import OrchestriaError

    settings = [{"key": key, "genre": genre, "time_signature": meter, "seed": seed, "backend": backend}
                for (key, genre, meter) in conditions for seed in range(seeds) for backend in backends]
    outcomes = run_tasks(_session_parts_task, settings, engine=engine, address=address, workers=workers,
                         progress=progress, desc="sessions")
    failed = [(s, o.error) for s, o in zip(settings, outcomes, strict=True) if not o.ok]
    if failed:
        raise OrchestriaError(f"{len(failed)} of {len(settings)} sessions failed; the first, {failed[0][0]}: "
                              f"{failed[0][1]}")
    made: dict[str, list[dict[str, Any]]] = {backend: [] for backend in backends}
    for s, o in zip(settings, outcomes, strict=True):
        made[s["backend"]].append(o.value)
    return made


def evaluate_models(
    *, parts: tuple[str, ...] = generate.GENERATORS, seeds: int = 3, conditions=CONDITIONS, progress: bool = True,
    engine: str = "serial", address: str | None = None, workers: int | None = None,
) -> list[dict[str, Any]]:
    """One record per generator: held-out NLL (model and n-gram) and musical metrics (model,
    theory baseline, corpus), with which metrics matter and whether the model holds them.

    Parts are made for every ``(key, genre, meter)`` of ``conditions`` with ``seeds`` seeds
    (:func:`make_sessions`, on ``engine``: see there), and drum parts in 4/4 for every genre,
    by both backends.
    """
    from tqdm.auto import tqdm

    missing = [p for p in parts if not generate.available(p)]
    if missing:
        from orchestria_lab.errors import NotFound

        raise NotFound("checkpoint", missing[0], [p for p in generate.GENERATORS if generate.available(p)])
    made = make_sessions(conditions, seeds=seeds, engine=engine, address=address, workers=workers,
                         progress=progress)
    drums_by_genre = {backend: _drum_sessions(backend, seeds) for backend in made}
    centroids = drum_centroids()
    records = []
    for part in tqdm(parts, desc="generators", disable=not progress):
        record: dict[str, Any] = {"generator": part, **heldout_nll(part), "checkpoint": generate.checkpoint_hash(part)}
        reference_pieces = corpus_pieces(part)
        values: dict[str, dict[str, float]] = {}
        for source, pieces in (("model", made["model"]), ("baseline", made["baseline"]), ("corpus", reference_pieces)):
            rows = [part_metrics(part, p) for p in pieces]
            values[source] = {m: float(np.nanmean([r.get(m, np.nan) for r in rows])) for m in sorted({k for r in rows for k in r})}
        if part != "drums":
            reference = reference_histograms(part, reference_pieces)
            for source in ("model", "baseline"):
                values[source]["pc_histogram_distance"] = _histogram_distance(part, made[source], reference)
            values["corpus"]["pc_histogram_distance"] = 0.0
        else:
            for source in ("model", "baseline"):
                values[source]["genre_separability"] = _separability(drums_by_genre[source], centroids)
            values["corpus"]["genre_separability"] = _separability(
                {p["genre"]: [p] for p in reference_pieces if p["time_signature"] == "4/4"}, centroids)
        for metric in sorted(values["model"]):
            record[metric] = {source: round(values[source].get(metric, math.nan), 4) for source in values}
        record["matters"] = list(MATTERS[part])
        record["model_holds"] = {m: _better(m, values["model"][m], values["baseline"][m], values["corpus"].get(m))
                                 for m in MATTERS[part]}
        record["sessions"] = len(made["model"])
        records.append(record)
    return records


def _drum_sessions(backend: str, seeds: int) -> dict[str, list[dict[str, Any]]]:
    """Drum parts in 4/4 for every genre, made by the drums agent with ``backend``."""
    from orchestria_lab.agents import Action, get_agent
    from orchestria_lab.state import Meta, State

    out = defaultdict(list)
    for genre in MODEL_GENRES:
        for seed in range(seeds):
            state = State(Meta(bpm=GENRES[genre].bpm[0], key="C", genre=genre, bars=BARS, seed=seed))
            edit = get_agent("drums")(state, Action("drums", "add", params={"backend": backend, "swing": 0.0}),
                                      np.random.default_rng([seed, 1]))
            out[genre].append({"time_signature": "4/4", "bars": BARS, "drums": list(edit.add[0].notes)})
    return out


def _separability(by_genre: dict[str, list[dict[str, Any]]], centroids: dict[str, dict[str, np.ndarray]]) -> float:
    feats = {g: [M.drum_pattern_features(p["drums"], time_signature="4/4", bars=p.get("bars", BARS)) for p in ps]
             for g, ps in by_genre.items()}
    return M.genre_separability(feats, centroids["4/4"])
