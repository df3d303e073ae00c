"""Differences between versions, as a table and in words.

>>> from orchestria_lab.state import Meta, State, Stem, Note, Edit, apply
>>> a = State(Meta(bpm=90, key="Cm", genre="lo-fi"))
>>> b = apply(a, Edit(add=[Stem("bass", role="bass", instrument="sub_bass",
...                             notes=[Note(36, 0, 1, 100)])], meta={"bpm": 100}))
>>> diff_states(a, b)[["stem_id", "what", "field", "before", "after"]]
  stem_id     what field before            after
0    None  changed   bpm     90              100
1    bass    added  None   None  bass (sub_bass)
>>> summarize(diff_states(a, b))
'bpm 90 → 100; added bass (sub_bass, 1 notes)'
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

from orchestria_lab.state import State, Stem

DIFF_COLUMNS = ("stem_id", "what", "field", "before", "after", "notes_added", "notes_removed")
_STEM_FIELDS = ("name", "role", "instrument", "agent", "level_db", "gain_db", "pan", "muted", "solo")


def _effects_label(stem: Stem) -> list[str]:
    return [e.type for e in stem.effects]


def _lanes_label(stem: Stem) -> list[str]:
    """A stem's automation in words: each lane's param and how many points it has."""
    return [f"{param} ({n} points)" for param, n in sorted(Counter(p.param for p in stem.automation).items())]


def diff_states(a: State, b: State) -> pd.DataFrame:
    """What changed from ``a`` to ``b``: one row per changed meta field, stem or stem field.

    ``what`` is ``added``, ``removed`` or ``changed``; note changes are one row with
    ``field == "notes"`` and counts in ``notes_added`` / ``notes_removed``.
    """
    rows: list[dict[str, Any]] = []

    def row(stem_id: str | None, what: str, field: str | None, before: Any, after: Any,
            added: int = 0, removed: int = 0) -> None:
        rows.append(dict(zip(DIFF_COLUMNS, (stem_id, what, field, before, after, added, removed), strict=True)))

    ma, mb = a.meta.to_dict(), b.meta.to_dict()
    for key in ma:
        if ma[key] != mb[key]:
            row(None, "changed", key, ma[key], mb[key])
    before = {s.stem_id: s for s in a.stems}
    after = {s.stem_id: s for s in b.stems}
    for sid, s in after.items():
        if sid not in before:
            row(sid, "added", None, None, f"{s.role} ({s.instrument})", len(s.notes), 0)
    for sid, s in before.items():
        if sid not in after:
            row(sid, "removed", None, f"{s.role} ({s.instrument})", None, 0, len(s.notes))
    for sid, old in before.items():
        new = after.get(sid)
        if new is None or new.hash == old.hash:
            continue
        for field in _STEM_FIELDS:
            if getattr(old, field) != getattr(new, field):
                row(sid, "changed", field, getattr(old, field), getattr(new, field))
        if old.effects != new.effects:
            row(sid, "changed", "effects", _effects_label(old), _effects_label(new))
        if old.tone != new.tone:
            row(sid, "changed", "tone", old.tone.to_dict(), new.tone.to_dict())
        if old.params != new.params:
            row(sid, "changed", "params", old.params.to_dict(), new.params.to_dict())
        if old.automation != new.automation:
            row(sid, "changed", "automation", _lanes_label(old), _lanes_label(new))
        if old.notes_hash != new.notes_hash:
            ca, cb = Counter(old.notes), Counter(new.notes)
            row(sid, "changed", "notes", len(old.notes), len(new.notes),
                sum((cb - ca).values()), sum((ca - cb).values()))
    df = pd.DataFrame(rows, columns=list(DIFF_COLUMNS), dtype=object)
    return df.astype({"notes_added": "int64", "notes_removed": "int64"})


def summarize(diff: pd.DataFrame) -> str:
    """The diff in words, one clause per change, for version summaries."""
    if diff.empty:
        return "no change"
    parts: list[str] = []
    for r in diff.itertuples(index=False):
        if r.stem_id is None:
            parts.append(f"{r.field} {r.before} → {r.after}")
        elif r.what == "added":
            parts.append(f"added {r.stem_id} ({str(r.after).split('(')[-1].rstrip(')')}, {r.notes_added} notes)")
        elif r.what == "removed":
            parts.append(f"removed {r.stem_id}")
        elif r.field == "notes":
            parts.append(f"{r.stem_id}: notes +{r.notes_added}/-{r.notes_removed}")
        elif r.field == "effects":
            gained = [e for e in r.after if e not in r.before]
            lost = [e for e in r.before if e not in r.after]
            change = " ".join([f"+{e}" for e in gained] + [f"-{e}" for e in lost]) or "changed"
            parts.append(f"{r.stem_id}: effects {change}")
        elif r.field in ("tone", "params"):
            parts.append(f"{r.stem_id}: {r.field} changed")
        else:
            parts.append(f"{r.stem_id}: {r.field} {_fmt(r.before)} → {_fmt(r.after)}")
    return "; ".join(parts)


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
