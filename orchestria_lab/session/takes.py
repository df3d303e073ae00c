"""Variations ranked by a critic, and choosing one: "give me 4 variations of the melody", "take the second one".

A variations plan is ``[Action("takes", "variations", params={"count": N}), *actions]``: the actions
(regenerating a part) run N times from the same version, each time with its own seed drawn from the
version's, as any command's agents run (:func:`~orchestria_lab.session.conductor.run_actions`). Each
candidate is scored by the critic (:mod:`orchestria_lab.eval.critic`); the best becomes the new
version, and the record's ``details`` keep every candidate, best first: its label, seed, score, the
critic's scores and the hashes of its stems, which are stored with the version in one transaction.

A choice (``Action("takes", "choose", params={"candidate": n})`` or :meth:`Session.choose`) makes one
version of kind ``choose`` that plays candidate ``n``'s take of the varied parts over the head; its
record names the candidate, the version it came from and its score.

>>> import os, tempfile
>>> from orchestria_lab.session import Session, SQLiteStore
>>> s = Session.create(bpm=100, key="C", genre="pop", bars=2, seed=5,
...                    store=SQLiteStore(os.path.join(tempfile.mkdtemp(), "t.db")))
>>> _ = s.command("add piano chords and a melody")
>>> result = s.command("give me 3 variations of the melody")
>>> result.candidates[["candidate", "chosen"]].values.tolist()
[[1, True], [2, False], [3, False]]
>>> bool(result.candidates["score"].is_monotonic_decreasing)
True
>>> s.command("take the second one").version, s.versions["candidate"].tolist()[-2:]
(3, [1, 2])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from orchestria_lab.agents.base import Action
from orchestria_lab.errors import InvalidValue, NotFound
from orchestria_lab.session.history import diff_states
from orchestria_lab.session.session import Detailed
from orchestria_lab.session.store import VersionRecord
from orchestria_lab.state import Edit, State

if TYPE_CHECKING:
    from orchestria_lab.session.conductor import CommandResult
    from orchestria_lab.session.session import Session

#: How many candidates a variations command makes.
MIN_TAKES, MAX_TAKES = 2, 8
#: The candidates table's columns (the critic's metrics between score and note).
CANDIDATE_COLUMNS = ("candidate", "label", "seed", "score", "chosen", "likelihood", "in_key", "chord_tones",
                     "repetition", "range", "fit", "note", "stems")
AGENTS = ("takes",)


def chosen(record: VersionRecord) -> dict[str, Any]:
    """``{"candidate", "score"}`` of the take a record plays (both None for other versions)."""
    details = record.details or {}
    if record.kind == "choose":
        return {"candidate": details.get("chose"), "score": details.get("score")}
    if record.candidates:
        pick = int(details.get("chosen", 1))
        return {"candidate": pick, "score": record.candidates[pick - 1]["score"]}
    return {"candidate": None, "score": None}


def source_version(session: Session, version: int | None) -> int:
    """The variations version a choice picks from: ``version`` (which must have candidates), or the
    head, or the version the head chose from."""
    records = session.records
    if version is None:
        head = records[-1]
        version = head.details["from_version"] if head.kind == "choose" else head.version
        if not records[version].candidates:
            made = [r.version for r in records if r.candidates]
            raise InvalidValue("version", head.version, "a version made by a variations command ("
                               + (f"{', '.join(map(str, made[-5:]))} in this session; name one" if made else
                                  'none yet: say "give me 4 variations of the melody" first') + ")")
        return version
    version = session._check_version(version)
    if not records[version].candidates:
        made = [r.version for r in records if r.candidates]
        raise InvalidValue("version", version, "a version with candidates ("
                           + (", ".join(map(str, made[-10:])) if made else "none in this session yet") + ")")
    return version


def _candidate(session: Session, candidate: Any, version: int) -> dict[str, Any]:
    takes = session.records[version].candidates
    whole = not isinstance(candidate, bool) and isinstance(candidate, int | np.integer)
    if not whole or not 1 <= candidate <= len(takes):
        raise InvalidValue("candidate", candidate, f"a whole number from 1 to {len(takes)} (the candidates of "
                                                   f"version {version})")
    return takes[int(candidate) - 1]


def candidate_state(session: Session, candidate: int, version: int | None = None) -> State:
    version = source_version(session, version)
    take = _candidate(session, candidate, version)
    return State(session.state_at(version).meta, session.store.load_stems(list(take["stems"])))


def candidates_table(session: Session, version: int | None = None) -> pd.DataFrame:
    version = source_version(session, version)
    record = session.records[version]
    pick = int(record.details.get("chosen", 1))
    rows = [{"candidate": i, "label": c["label"], "seed": c["seed"], "score": c["score"], "chosen": i == pick,
             **c.get("scores", {}), "note": c.get("note", ""), "stems": list(c["stems"])}
            for i, c in enumerate(record.candidates, start=1)]
    table = pd.DataFrame(rows, columns=list(CANDIDATE_COLUMNS))
    numbers = {m: "float64" for m in ("score", "likelihood", "in_key", "chord_tones", "repetition", "range", "fit")}
    return table.astype({"candidate": "int64", "seed": "int64", "chosen": "bool", **numbers})


# making them -----------------------------------------------------------------------------
def _varied(plan: list[Action]) -> list[str]:
    return list(dict.fromkeys(a.target for a in plan if a.target))


def run_takes(session: Session, plan_for: Callable[[], list[Action]], text: str, *, dry_run: bool,
              emit: Callable[..., None]) -> CommandResult:
    """The conductor's path for a ``takes`` plan (variations or a choice)."""
    first = plan_for()[0]
    if first.intent == "choose":
        if dry_run:
            version = source_version(session, None)
            pick = first.params["candidate"]
            _candidate(session, len(session.records[version].candidates) if pick == -1 else pick, version)
            from orchestria_lab.session.conductor import CommandResult

            return CommandResult(session.version, f"dry run: would play candidate {first.params['candidate']} of "
                                 f"v{version}", [first], diff_states(session.state, session.state), dry_run=True)
        return choose(session, first.params["candidate"], command=text, emit=emit)
    return _variations(session, plan_for, text, dry_run=dry_run, emit=emit)


def _variations(session: Session, plan_for: Callable[[], list[Action]], text: str, *, dry_run: bool,
                emit: Callable[..., None]) -> CommandResult:
    from orchestria_lab.eval.critic import METRICS, score_parts
    from orchestria_lab.session.conductor import (
        CommandResult,
        NothingToChange,
        _agents,
        run_actions,
    )
    from orchestria_lab.state import apply

    seen: dict[str, Any] = {}

    def build(state: State, rng: np.random.Generator) -> Detailed:
        plan = plan_for()
        count, actions = int(plan[0].params["count"]), plan[1:]
        varied = _varied(actions)
        seeds = rng.integers(0, 2**63 - 1, size=count)
        made = []
        for seed in seeds:
            edit = run_actions(session, state, actions, np.random.default_rng(int(seed)), dry_run=dry_run, emit=emit)
            made.append((int(seed), edit, apply(state, edit)))
        parts = [(after, after.stem(sid)) for _, _, after in made for sid in varied if after.has_stem(sid)]
        all_scores = iter(score_parts(parts))  # the model reads every take in one batch
        takes = []
        for k, (seed, edit, after) in enumerate(made):
            scored = [next(all_scores) for sid in varied if after.has_stem(sid)]
            total = float(np.nanmean([s["total"] for s in scored])) if scored else float("nan")
            scores = {m: _number(np.nanmean([s[m] for s in scored])) if any(
                math.isfinite(s[m]) for s in scored) else None for m in METRICS}
            note = "; ".join(dict.fromkeys(s["note"] for s in scored if s["note"]))
            takes.append({"seed": seed, "score": _number(total), "scores": scores, "note": note,
                          "edit": edit, "state": after, "order": k})
        distinct = {tuple(s.hash for s in t["state"].stems) for t in takes}
        takes.sort(key=lambda t: (-(t["score"] if t["score"] is not None else -math.inf), t["order"]))
        best = takes[0]
        if not (best["edit"].add or best["edit"].remove or best["edit"].update or best["edit"].meta):
            raise NothingToChange(text, best["edit"].summary)
        candidates = [{"label": f"take {i}", "seed": t["seed"], "score": t["score"], "scores": t["scores"],
                       "note": t["note"], "stems": [s.hash for s in t["state"].stems]}
                      for i, t in enumerate(takes, start=1)]
        seen.update(before=state, after=best["state"], plan=plan)
        details = {"candidates": candidates, "chosen": 1, "varied": varied}
        extra = tuple({s.hash: s for t in takes[1:] for s in t["state"].stems}.values())
        same = f" ({len(distinct)} different)" if len(distinct) < count else ""  # a part with little room to vary
        summary = (f"{count} takes of {', '.join(varied)}{same}, ranked by the critic; take 1 (score "
                   f"{_shown(best['score'])}) plays: {best['edit'].summary}")
        return Detailed(Edit(add=best["edit"].add, remove=best["edit"].remove, update=best["edit"].update,
                             meta=best["edit"].meta, summary=summary), details, extra)

    if dry_run:
        head = session.state
        from orchestria_lab.session.session import version_seed

        made = build(head, np.random.default_rng(version_seed(head.meta.seed, session.version + 1)))
        return CommandResult(session.version, f"dry run: {made.made.summary}", seen["plan"],
                             diff_states(head, seen["after"]), dry_run=True)
    agents = _agents(plan_for()[1:])
    record = session.commit(build, command=text, agents=agents)
    emit("version_created", version=record.version, summary=record.summary, agents=list(agents))
    return CommandResult(record.version, record.summary, seen["plan"], diff_states(seen["before"], session.state),
                         candidates=candidates_table(session, record.version))


def choose(session: Session, candidate: int, *, version: int | None = None, command: str | None = None,
           emit: Callable[..., None] | None = None) -> CommandResult:
    """See :meth:`Session.choose`."""
    from orchestria_lab.session.conductor import CommandResult, NothingToChange

    seen: dict[str, Any] = {}
    asked = version
    source = source_version(session, asked)
    if candidate == -1:  # "the last one"
        candidate = len(session.records[source].candidates)
    _candidate(session, candidate, source)  # a bad choice is refused before anything runs
    said = command or f"choose candidate {candidate}" + (f" of version {asked}" if asked is not None else "")

    def build(state: State, _rng: np.random.Generator) -> Detailed:
        origin = source_version(session, asked)
        take = _candidate(session, candidate, origin)
        varied = session.records[origin].details.get("varied", [])
        stems = {s.stem_id: s for s in session.store.load_stems(list(take["stems"]))}
        missing = [sid for sid in varied if not state.has_stem(sid)]
        if missing:
            raise NotFound("stem", missing[0], [s.stem_id for s in state.stems])
        update = [stems[sid] for sid in varied if sid in stems and stems[sid].hash != state.stem(sid).hash]
        if not update:
            raise NothingToChange(said, f"candidate {candidate} of v{origin} ({take['label']}) is what plays now")
        seen["before"] = state
        summary = f"candidate {candidate} of v{origin} ({take['label']}, score {_shown(take['score'])}): " \
                  + ", ".join(sid for sid in varied if sid in {s.stem_id for s in update})
        return Detailed(Edit(update=update, summary=summary),
                        {"chose": int(candidate), "from_version": origin, "score": take["score"],
                         "label": take["label"], "seed": take["seed"]})

    record = session.commit(build, command=said, agents=AGENTS, kind="choose")
    if emit is not None:
        emit("version_created", version=record.version, summary=record.summary, agents=list(AGENTS))
    action = Action("takes", "choose", params={"candidate": int(candidate)})
    return CommandResult(record.version, record.summary, [action], diff_states(seen["before"], session.state))


def _number(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _shown(score: float | None) -> str:
    return "n/a" if score is None else f"{score:.3f}"
