"""Markdown tables of model evaluation records (what ``orchestria eval models`` prints).

>>> print(markdown([{"generator": "drums", "nll_model": 1.0, "nll_baseline": 2.0, "ngram_order": 4,
...                  "note_density": {"model": 2.0, "baseline": 3.0, "corpus": 2.5},
...                  "matters": ["note_density"], "model_holds": {"note_density": True}}]))
| generator | nll_model | nll_baseline (n-gram) |
|---|---|---|
| drums | 1.000 | 2.000 (order 4) |
<BLANKLINE>
| generator | metric | model | theory baseline | corpus | matters | model holds |
|---|---|---|---|---|---|---|
| drums | note_density | 2.000 | 3.000 | 2.500 | yes | yes |
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _fmt(x: Any) -> str:
    return "n/a" if x is None or x != x else f"{x:.3f}"


def markdown(records: Sequence[dict[str, Any]]) -> str:
    """Two tables: held-out NLL per generator, then each musical metric by source."""
    lines = ["| generator | nll_model | nll_baseline (n-gram) |", "|---|---|---|"]
    for r in records:
        lines.append(f"| {r['generator']} | {_fmt(r['nll_model'])} | {_fmt(r['nll_baseline'])} (order {r['ngram_order']}) |")
    lines += ["", "| generator | metric | model | theory baseline | corpus | matters | model holds |",
              "|---|---|---|---|---|---|---|"]
    for r in records:
        for metric, v in r.items():
            if not isinstance(v, dict) or "model" not in v:
                continue
            matters = metric in r.get("matters", ())
            holds = r.get("model_holds", {}).get(metric)
            lines.append(f"| {r['generator']} | {metric} | {_fmt(v['model'])} | {_fmt(v['baseline'])} | "
                         f"{_fmt(v.get('corpus'))} | {'yes' if matters else ''} | "
                         f"{'' if holds is None else 'yes' if holds else 'NO'} |")
    return "\n".join(lines)
