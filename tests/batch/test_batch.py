"""``orchestria batch run`` and ``orchestria_lab.batch``: Ray and the serial loop give the same songs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from orchestria_lab.batch import RESULT_COLUMNS, load_items, run_batch
from orchestria_lab.errors import InvalidValue

TINY = {"bars": 2, "sample_rate": 22050}
GOOD = [
    {"id": "lofi", "session": {"bpm": 90, "key": "Cm", "genre": "lo-fi", "seed": 7, **TINY},
     "commands": ["add drums", "add a bass line"], "export": ["wav", "midi"]},
    {"id": "pop", "session": {"bpm": 110, "key": "C", "genre": "pop", "seed": 3, **TINY},
     "commands": ["add drums", "set the tempo to 100"], "export": ["midi"]},
    {"id": "house-no-seed", "session": {"bpm": 124, "key": "Am", "genre": "house", **TINY},
     "commands": ["add a bass line"]},
]
BAD = [
    {"id": "bad-command", "session": {"bpm": 90, "key": "Cm", "genre": "lo-fi", "seed": 1, **TINY},
     "commands": ["add drums", "frobnicate the zorp"]},
    {"id": "bad-session", "session": {"bpm": "fast", "key": "Cm", "genre": "lo-fi", **TINY}, "commands": ["add drums"]},
    {"id": "unknown-argument", "session": {"tempo": 90, "key": "Cm", "genre": "lo-fi"}},
]
SAME = ["id", "version", "stem_ids", "stem_hashes", "seed", "error"]


def write_jsonl(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


@pytest.fixture(scope="module")
def runs(ray_cluster, tmp_path_factory):
    """The same batch file (three good lines, three bad) run on Ray and serially."""
    root = tmp_path_factory.mktemp("batch")
    source = write_jsonl(root / "songs.jsonl", GOOD + BAD)
    on_ray = run_batch(source, root / "ray", engine="ray", workers=2, progress=False)
    serial = run_batch(source, root / "serial", engine="serial", progress=False)
    return root, on_ray, serial


def comparable(table: pd.DataFrame) -> list[dict]:
    rows = table[SAME].to_dict("records")
    return [{k: (list(v) if k.startswith("stem_") else None if pd.isna(v) else v) for k, v in r.items()} for r in rows]


def test_ray_and_serial_make_the_same_songs(runs):
    root, on_ray, serial = runs
    assert comparable(on_ray) == comparable(serial)
    good = on_ray.set_index("id").loc[[g["id"] for g in GOOD]]
    assert good["error"].isna().all() and good["version"].tolist() == [2, 2, 1]
    assert all(len(h) == len(i) > 0 for h, i in zip(good["stem_hashes"], good["stem_ids"], strict=True))
    assert all(list(ids) == sorted(ids) for ids in good["stem_ids"])
    for column in ("stems", "notes"):
        assert [m[column] for m in on_ray["metrics"].dropna()] == [m[column] for m in serial["metrics"].dropna()]
    # a line without a seed gets the same one, from its id, on both engines
    assert on_ray.set_index("id").loc["house-no-seed", "seed"] == serial.set_index("id").loc["house-no-seed", "seed"]
    # the rendered audio is the same, byte for byte, whichever process made it
    assert (root / "ray/items/lofi/mix.wav").read_bytes() == (root / "serial/items/lofi/mix.wav").read_bytes()


def test_results_parquet_has_the_columns_and_the_files_exist(runs):
    root, on_ray, _ = runs
    table = pd.read_parquet(root / "ray" / "results.parquet")
    assert list(table.columns) == list(RESULT_COLUMNS) and len(table) == len(GOOD) + len(BAD)
    assert comparable(table) == comparable(on_ray)
    files = {row.id: [Path(f) for f in row.files] for row in table.itertuples()}
    assert [f.name for f in files["lofi"]] == ["mix.wav", "mix.wav.manifest.json", "mix.mid", "mix.mid.manifest.json"]
    assert [f.name for f in files["pop"]] == ["mix.mid", "mix.mid.manifest.json"] and not len(files["house-no-seed"])
    assert all(f.is_file() and f.stat().st_size > 0 for paths in files.values() for f in paths)
    assert all(Path(s).is_file() for s in table["store"].dropna())


def test_a_failed_item_reports_its_error_and_the_others_finish(runs):
    _, on_ray, serial = runs
    errors = on_ray.set_index("id")["error"]
    assert "CommandNotUnderstood" in errors["bad-command"] and "command 2 of 2: 'frobnicate the zorp'" in errors["bad-command"]
    assert "bpm='fast' is not valid" in errors["bad-session"]
    assert "session='tempo' is not valid" in errors["unknown-argument"] and "bpm, key, genre" in errors["unknown-argument"]
    bad = on_ray.set_index("id").loc[[b["id"] for b in BAD]]
    assert bad["version"].isna().all() and not any(len(h) for h in bad["stem_hashes"])
    assert serial.set_index("id").loc[[b["id"] for b in BAD], "error"].tolist() == bad["error"].tolist()


def test_a_broken_file_is_refused_before_anything_runs(tmp_path):
    with pytest.raises(InvalidValue, match=r"songs.jsonl:2 id='lofi' is not valid: expected an id no earlier line has"):
        load_items(write_jsonl(tmp_path / "songs.jsonl", [GOOD[0], GOOD[0]]))
    with pytest.raises(InvalidValue, match=r"item 1 export='ogg'.*wav, flac, mp3, midi"):
        load_items([{**GOOD[0], "export": ["ogg"]}])
    with pytest.raises(InvalidValue, match=r"item 1 id='\.\./up'"):
        load_items([{**GOOD[0], "id": "../up"}])


def test_the_cli_joins_a_running_cluster(ray_cluster, runs, tmp_path):
    """``orchestria batch run FILE --out DIR --address ADDR`` as a subprocess, joining the tests' Ray."""
    _, on_ray, _ = runs
    source = write_jsonl(tmp_path / "songs.jsonl", GOOD)
    cli = Path(sys.executable).with_name("orchestria")
    done = subprocess.run([str(cli), "batch", "run", str(source), "--out", str(tmp_path / "out"), "--address",
                           ray_cluster, "--workers", "1", "--json"], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["items"] == len(GOOD) and summary["failed"] == []
    table = pd.read_parquet(summary["results"])
    assert comparable(table) == comparable(on_ray.iloc[:len(GOOD)])


def test_the_cli_runs_serially_and_exits_1_when_an_item_fails(tmp_path, capsys):
    from orchestria_lab.cli import main

    source = write_jsonl(tmp_path / "songs.jsonl", [GOOD[2], BAD[2]])
    assert main(["batch", "run", str(source), "--out", str(tmp_path / "out"), "--serial"]) == 1
    said = capsys.readouterr()
    assert "1 of 2 items done" in said.out and "unknown-argument: InvalidValue: session='tempo'" in said.err
    assert (tmp_path / "out" / "results.parquet").is_file()


def test_without_ray_auto_runs_serially_and_says_so(monkeypatch, tmp_path, caplog):
    from orchestria_lab.batch import RayUnavailable, run_tasks

    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    line = {"id": "plain", "session": {"bpm": 100, "key": "C", "genre": "pop", "bars": 1, "seed": 2}}
    with caplog.at_level("WARNING", logger="orchestria_lab.batch"):
        table = run_batch([line], tmp_path / "out", progress=False)
    assert table["version"].tolist() == [0] and table["error"].isna().all()
    assert "Ray is not installed (pip install 'orchestria-lab[scale]'): running the 1 item one after another" in caplog.text
    with pytest.raises(RayUnavailable, match="cannot be used. Install it with pip install 'orchestria-lab\\[scale\\]'"):
        run_tasks(lambda x, c: x, [1], engine="ray", progress=False)
    with pytest.raises(RayUnavailable, match="the cluster at 10.0.0.1:6379 cannot be used"):
        run_tasks(lambda x, c: x, [1], address="10.0.0.1:6379", progress=False)
    with pytest.raises(InvalidValue, match="no address with the serial engine"):
        run_tasks(lambda x, c: x, [1], engine="serial", address="10.0.0.1:6379", progress=False)
