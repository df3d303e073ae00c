"""The batch runner evaluates command suites and the models' sessions, on Ray as serially."""

from __future__ import annotations

import pandas as pd

from orchestria_lab.eval import models as E
from orchestria_lab.eval.commands import run_suite

SUITE = [
    {"id": "drums", "setup": [], "text": "add drums", "expect": [{"stem": {"role": ["drums"]}}]},
    {"id": "bass-over-drums", "setup": ["add drums"], "text": "add a bass line",
     "expect": [{"stem": {"role": ["bass"]}}, {"kept": ["drums"]}]},
    {"id": "tempo", "setup": ["add drums"], "text": "set the tempo to 100", "expect": [{"meta": {"bpm": 100}}]},
    {"id": "refused", "setup": [], "text": "frobnicate the zorp", "expect": [{"rejected": True}]},
    {"id": "fails", "setup": [], "text": "add drums", "expect": [{"no_stem": {"role": "drums"}}]},
]


def test_a_command_suite_on_ray_passes_and_fails_as_it_does_serially(ray_cluster):
    on_ray = run_suite(SUITE, engine="ray", workers=2, name="tiny")
    serial = run_suite(SUITE, engine="serial", name="tiny")
    pd.testing.assert_frame_equal(on_ray.cases, serial.cases)
    assert on_ray.cases["passed"].tolist() == [True, True, True, True, False]
    assert on_ray.summary() == {"suite": "tiny", "cases": 5, "passed": 4, "pass_rate": 0.8}


def test_the_models_sessions_on_ray_are_the_serial_ones(ray_cluster):
    kwargs = {"seeds": 1, "backends": ("baseline",), "progress": False}
    on_ray = E.make_sessions(E.CONDITIONS[:2], engine="ray", workers=1, **kwargs)
    serial = E.make_sessions(E.CONDITIONS[:2], engine="serial", **kwargs)
    assert len(on_ray["baseline"]) == 2 and on_ray == serial


def test_eval_commands_runs_suites_from_the_shell(tmp_path, capsys):
    import json

    from orchestria_lab.batch.cli import engine_of
    from orchestria_lab.cli import build_parser, main

    suite = tmp_path / "tiny.jsonl"
    suite.write_text("".join(json.dumps(case) + "\n" for case in SUITE[:1] + SUITE[3:]))
    assert main(["eval", "commands", str(suite), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"suite": "tiny", "cases": 3, "passed": 2, "pass_rate": 2 / 3}]
    parse = build_parser().parse_args
    assert engine_of(parse(["eval", "commands", "s.jsonl"])) == "serial"
    assert engine_of(parse(["eval", "models", "--batch"])) == "ray"
    assert engine_of(parse(["eval", "models", "--address", "auto"])) == "ray"
    assert engine_of(parse(["batch", "run", "f.jsonl", "--out", "o"])) == "auto"
    assert engine_of(parse(["batch", "run", "f.jsonl", "--out", "o", "--serial"])) == "serial"
