"""Model evaluation: held-out NLL against the n-gram, metrics through the agents, the report."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from orchestria_lab.eval import models as E
from orchestria_lab.eval.report import markdown


@pytest.fixture
def debug_checkpoints(tmp_path_factory, monkeypatch):
    from orchestria_lab.models import generate
    from orchestria_lab.models.train import train

    out = tmp_path_factory.mktemp("eval-checkpoints")
    for part in generate.GENERATORS:
        train(part, preset="debug", out_dir=out, progress=False, epochs=1)
    monkeypatch.setattr(generate, "CHECKPOINT_DIR", out)
    return out


def test_baseline_sessions_give_every_metric():
    piece = E.session_parts(key="Am", genre="rock", time_signature="4/4", seed=0, backend="baseline")
    assert piece["chords"] and piece["kicks"]
    for part, expected in (("harmony", {"in_scale_ratio", "chord_changes_per_bar"}),
                           ("melody", {"in_scale_ratio", "chord_tone_ratio", "note_density"}),
                           ("bass", {"root_agreement", "kick_lock"}), ("drums", {"groove_consistency"})):
        values = E.part_metrics(part, piece)
        assert expected <= set(values) and all(0 <= v or math.isnan(v) for v in values.values())
    assert E.part_metrics("melody", piece)["in_scale_ratio"] > 0.8


def test_corpus_references():
    pieces = E.corpus_pieces("bass")
    assert len(pieces) > 20 and all(p["chords"] and p["bass"] for p in pieces[:5])
    hist = E.reference_histograms("bass", pieces)
    assert set(hist) == {"major", "minor"} and all(h.sum() == pytest.approx(1) for h in hist.values())
    assert np.argmax(hist["major"]) in (0, 7)  # the bass dwells on tonic and dominant
    centroids = E.drum_centroids()
    assert len(centroids["4/4"]) == 17
    genres = {p["genre"]: [p] for p in E.corpus_pieces("drums") if p["time_signature"] == "4/4"}
    assert 0 <= E._separability(genres, centroids) <= 1


def test_comparisons_follow_each_metric_direction():
    assert E._better("in_scale_ratio", 1.0, 0.9, None) and not E._better("in_scale_ratio", 0.8, 0.9, None)
    assert E._better("pc_histogram_distance", 0.1, 0.2, 0.0)
    assert E._better("groove_consistency", 0.80, 0.95, 0.82) and not E._better("groove_consistency", 0.6, 0.8, 0.82)
    assert not E._better("kick_lock", math.nan, 0.5, None)


def test_evaluation_records_have_the_promised_keys(debug_checkpoints):
    records = E.evaluate_models(parts=("drums",), seeds=1, conditions=E.CONDITIONS[:2], progress=False)
    (record,) = records
    assert record["generator"] == "drums" and record["nll_model"] > 0 and record["nll_baseline"] > 0
    for metric in ("groove_consistency", "genre_separability", "note_density", "repetition_ratio"):
        assert set(record[metric]) == {"model", "baseline", "corpus"}
    assert set(record["model_holds"]) == set(record["matters"])
    json.dumps(records)
    table = markdown(records)
    assert "| drums | genre_separability |" in table


def test_the_eval_command_is_registered():
    from orchestria_lab.cli import build_parser

    args = build_parser().parse_args(["eval", "models", "--json", "--seeds", "1"])
    assert args.json and args.seeds == 1 and callable(args.func)
    args = build_parser().parse_args(["train", "melody", "--epochs", "2", "--preset", "debug"])
    assert args.target == "melody" and args.epochs == 2 and args.preset == "debug"
