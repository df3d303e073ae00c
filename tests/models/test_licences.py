"""Licence-clean defaults: Essen only in the research corpus, and its checkpoints only on request."""

from __future__ import annotations

import json
import shutil
import warnings

import pytest
import torch

import orchestria_lab
from orchestria_lab.cli import main
from orchestria_lab.models import corpus, datasets, licences
from orchestria_lab.models.train import load_checkpoint, train

ESSEN = "essenFolksong"


def test_the_default_corpus_leaves_essen_out_and_the_research_one_adds_it():
    for part in ("harmony", "melody"):
        assert "essen" not in datasets.datasets_of(part)
        assert "essen" in datasets.datasets_of(part, "essen")
        names = [row[0] for split in ("train", "valid", "test") for row in datasets.pieces_of(part, split)]
        assert names and not any(n.startswith(ESSEN) for n in names)
        essen = [row[0] for row in datasets.pieces_of(part, "test", "essen")]
        assert any(n.startswith(ESSEN) for n in essen)
    assert all(c.commercial for c in licences.collections_of(licences.CORPORA["default"]))
    with pytest.raises(ValueError, match="default, essen"):
        datasets.datasets_of("melody", "everything")


def test_each_collection_goes_into_one_file_and_essen_only_into_its_own():
    assert {str(n).split("/")[0] for n in corpus.load("essen")["names"]} == {ESSEN}
    folk = {str(n).split("/")[0] for n in corpus.load("folk")["names"]}
    assert ESSEN not in folk and folk <= set(corpus.FOLK_COLLECTIONS["folk"])
    files = corpus.manifest()["files"]
    assert files["corpus/essen.npz"]["licence"].startswith("NON-COMMERCIAL")
    for name in ("chorales", "folk", "drums"):
        assert files[corpus.DATASETS[name]]["licence"].startswith("No non-commercial restriction")
    names = [str(n) for n in corpus.load("chorales")["names"]]
    assert len(names) == len(set(names))  # the CCARH .krn copies of three chorales are left out


def test_the_data_readme_is_rendered_and_quotes_every_collection_s_terms():
    from orchestria_lab.models import readme

    text = (corpus.DATA_DIR / "README.md").read_text()
    assert text == readme.render(), "data/README.md is stale: run readme.write() (orchestria train prepare)"
    for c in licences.COLLECTIONS:
        assert f"(`{c.name}`, into `{c.dataset}`" in text
    assert "non-commercial distribution and use of these files in music21" in text


@pytest.fixture(scope="module")
def essen_harmony(tmp_path_factory):
    """A debug harmony checkpoint trained on the research corpus, and its card."""
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("essen")
    result = train("harmony", preset="debug", corpus="essen", out_dir=out, progress=False)
    return out / "harmony.pt", json.loads((out / "harmony.json").read_text()), result


def test_an_essen_checkpoint_says_non_commercial_on_its_card(essen_harmony):
    _, card, result = essen_harmony
    assert card["licence"] == result.licence == "non-commercial" and card["corpus"] == "essen"
    assert ESSEN in card["collections"] and "non-commercial" in card["licence_note"]
    assert card["data_hash"] == corpus.data_hash(*datasets.datasets_of("harmony", "essen"))


def test_the_loader_refuses_a_non_commercial_checkpoint_unless_asked(essen_harmony, monkeypatch):
    path = essen_harmony[0]
    monkeypatch.delenv(licences.ALLOW_ENV, raising=False)
    with pytest.raises(licences.NonCommercialCheckpoint, match=licences.ALLOW_ENV) as err:
        load_checkpoint(path)
    assert "'non-commercial'" in str(err.value) and err.value.status == 403
    assert load_checkpoint(path, allow_noncommercial=True).config.part == "harmony"
    monkeypatch.setenv(licences.ALLOW_ENV, "1")
    assert load_checkpoint(path).config.part == "harmony"


def test_a_checkpoint_without_a_card_is_refused_too(essen_harmony, tmp_path):
    bare = tmp_path / "harmony.pt"
    shutil.copy(essen_harmony[0], bare)
    with pytest.raises(licences.NonCommercialCheckpoint, match="no card"):
        load_checkpoint(bare, allow_noncommercial=False)


def test_the_agents_play_by_rule_and_say_why_until_opted_in(essen_harmony, debug_models, tmp_path, monkeypatch):
    for name in ("melody", "bass", "drums"):
        for suffix in (".pt", ".json"):
            shutil.copy(debug_models.CHECKPOINT_DIR / f"{name}{suffix}", tmp_path)
    shutil.copy(essen_harmony[0], tmp_path)
    shutil.copy(essen_harmony[0].with_suffix(".json"), tmp_path)
    monkeypatch.setattr(debug_models, "CHECKPOINT_DIR", tmp_path)
    monkeypatch.delenv(licences.ALLOW_ENV, raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = orchestria_lab.list_agents().set_index("name")
    assert any(licences.ALLOW_ENV in str(w.message) and "baseline" in str(w.message) for w in caught)
    assert table.loc["harmony", "backend"] == "baseline" and table.loc["harmony", "licence"] == "Apache-2.0"
    assert table.loc["melody", "backend"] == "model" and table.loc["melody", "licence"] == "Apache-2.0"
    with pytest.raises(licences.NonCommercialCheckpoint, match="not loaded by default"):
        debug_models.model("harmony")
    monkeypatch.setenv(licences.ALLOW_ENV, "1")
    table = orchestria_lab.list_agents().set_index("name")
    assert table.loc["harmony", "backend"] == "model" and table.loc["harmony", "licence"] == "non-commercial"


def test_the_table_shows_every_agent_s_licence(debug_models):
    table = orchestria_lab.list_agents().set_index("name")
    assert table.loc["mix", "licence"] == "Apache-2.0"
    assert all(table.loc[n, "licence"] == "Apache-2.0" for n in ("harmony", "melody", "bass", "drums"))


def test_train_writes_elsewhere_and_overwrites_only_with_force(tmp_path, capsys):
    (tmp_path / "drums.pt").write_bytes(b"a checkpoint already here")
    assert main(["train", "drums", "--out", str(tmp_path), "--preset", "debug", "--threads", "1"]) == 2
    assert "--force" in capsys.readouterr().err
    assert (tmp_path / "drums.pt").read_bytes() == b"a checkpoint already here"
    assert main(["train", "drums", "--out", str(tmp_path), "--preset", "debug", "--epochs", "1", "--threads", "1",
                 "--force", "--corpus", "essen"]) == 0
    card = json.loads((tmp_path / "drums.json").read_text())
    assert card["corpus"] == "essen" and card["licence"] == "Apache-2.0"  # drums learn from no Essen tune
    assert ESSEN not in card["collections"]
