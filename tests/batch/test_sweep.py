"""``orchestria train PART --sweep SPEC``: Ray Tune trials, each with a checkpoint and card, ranked."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from orchestria_lab.cli import main
from orchestria_lab.errors import InvalidValue
from orchestria_lab.models.sweep import DOMAINS, METRICS, SPEC_KEYS, load_spec, run_sweep
from orchestria_lab.models.train import CHECKPOINT_DIR, HYPERPARAMETERS, load_checkpoint

#: Two trials (a grid of two learning rates), one epoch on six examples: seconds each.
TINY = {"preset": "debug", "trials": 1, "metric": "valid_nll",
        "space": {"lr": {"grid": [0.03, 0.001]}, "hidden": 8, "epochs": 1, "examples": 6}}


@pytest.fixture(scope="module")
def sweep(ray_cluster, tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    return out, run_sweep("drums", TINY, out, progress=False)


def test_a_two_trial_sweep_keeps_each_trial_s_checkpoint_and_card_ranked(sweep):
    out, result = sweep
    table = result.table
    assert len(table) == 2 and table["error"].isna().all()
    assert table["rank"].tolist() == [1, 2] and table["valid_nll"].is_monotonic_increasing
    assert sorted(table["lr"]) == [0.001, 0.03] and set(table["hidden"]) == {8}
    assert result.best["trial_id"] == table.loc[0, "trial_id"]
    weights = set()
    for row in table.itertuples():
        folder = out / "trials" / row.trial_id
        assert row.checkpoint == str(folder / "drums.pt")
        model = load_checkpoint(folder / "drums.pt")  # the normal loader, licence check included
        assert model.config.hidden == 8
        card = json.loads((folder / "drums.json").read_text())
        assert card["licence"] == "Apache-2.0" and card["preset"] == "debug" and card["epochs"] == 1
        assert card["sweep"]["trial_id"] == row.trial_id and card["sweep"]["metric"] == "valid_nll"
        assert card["sweep"]["trial_config"]["lr"] == row.lr == card["settings"]["lr"]
        assert card["valid_nll"] == pytest.approx(row.valid_nll) and card["test_nll"] == pytest.approx(row.test_nll)
        weights.add((folder / "drums.pt").read_bytes())
    assert len(weights) == 2  # each trial trained with its own learning rate


def test_the_table_is_written_as_parquet_and_the_shipped_checkpoints_are_untouched(sweep):
    out, result = sweep
    saved = pd.read_parquet(out / "sweep.parquet")
    assert saved["trial_id"].tolist() == result.table["trial_id"].tolist()
    assert saved["rank"].tolist() == [1, 2] and saved["valid_nll"].tolist() == pytest.approx(result.table["valid_nll"])
    assert not (CHECKPOINT_DIR / "trials").exists()
    with pytest.raises(InvalidValue, match="--force"):
        run_sweep("drums", TINY, out, progress=False)
    with pytest.raises(InvalidValue, match="shipped checkpoints"):
        run_sweep("drums", TINY, CHECKPOINT_DIR / "sweep", progress=False)
    assert not (CHECKPOINT_DIR / "sweep").exists()


def test_the_command_line_runs_a_sweep_and_names_the_best_trial(ray_cluster, tmp_path, capsys):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({**TINY, "space": {**TINY["space"], "lr": 0.01}}))
    assert main(["train", "drums", "--sweep", str(spec), "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    (trial,) = (tmp_path / "out" / "trials").iterdir()
    assert f"best: trial {trial.name}, valid_nll" in printed and str(trial / "drums.pt") in printed
    assert main(["train", "drums", "--sweep", str(spec), "--out", str(tmp_path / "out")]) == 2
    assert "--force" in capsys.readouterr().err


@pytest.mark.parametrize(("spec", "names"), [
    ({"trials": 2, "space": {}, "metrc": "valid_nll"}, SPEC_KEYS),
    ({"space": {"lr": 0.01}}, ("trials",)),
    ({"trials": 2, "space": {"learning_rate": {"choice": [0.01]}}}, (*HYPERPARAMETERS, "seed")),
    ({"trials": 2, "space": {"lr": {"normal": [0, 1]}}}, DOMAINS),
    ({"trials": 2, "space": {"hidden": {"uniform": [8, 32]}}}, ("choice", "grid", "randint")),
    ({"trials": 2, "space": {"dropout": {"choice": [0.1, 2.0]}}}, ("space.dropout", "0 to 0.95")),
    ({"trials": 2, "space": {}, "metric": "accuracy"}, METRICS),
    ({"trials": 0, "space": {}}, ("trials", "from 1 up")),
    ({"trials": 2, "space": {}, "preset": "huge"}, ("debug", "full")),
])
def test_a_bad_spec_says_what_would_be_valid(spec, names):
    with pytest.raises(InvalidValue) as caught:
        load_spec(json.dumps(spec))
    assert all(name in str(caught.value) for name in names), str(caught.value)


def test_a_bad_spec_is_refused_on_the_command_line_before_any_training(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["train", "drums", "--sweep", '{"trials": 1, "spce": {}}', "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert all(key in err for key in SPEC_KEYS), err
    assert main(["train", "drums", "--sweep", "{not json", "--out", str(out)]) == 2
    assert "a JSON object" in capsys.readouterr().err
    assert main(["train", "drums", "--sweep", str(tmp_path / "missing.json"), "--out", str(out)]) == 2
    assert "missing.json" in capsys.readouterr().err
    assert main(["train", "drums", "--sweep", '{"trials": 1, "space": {}}', "--preset", "full"]) == 2
    assert 'the spec\'s "preset"' in capsys.readouterr().err
    assert not out.exists()
