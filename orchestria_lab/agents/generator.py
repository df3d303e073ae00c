"""What the four generators (harmony, melody, bass, drums) share: add, regenerate, change, shift.

A generated stem keeps everything needed to make it again in ``params`` (style, density,
octave, seed, backend ...): ``regenerate`` draws a new seed, ``change`` keeps the seed and
changes a setting, and :meth:`GeneratorAgent.remake` re-makes the part for a new meter,
length, key or genre (what the arrange agent calls). The model backend, where a trained
checkpoint ships, replaces the theory baseline behind the same settings.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np

from orchestria_lab.agents.base import Action, Agent, AgentSpec, Param, Target
from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.humanize import humanize, on_grid
from orchestria_lab.music.rhythm import swing_span
from orchestria_lab.music.vocabulary import DEFAULT_INSTRUMENT, INSTRUMENTS
from orchestria_lab.state import Edit, Note, State, Stem

BACKENDS = ("auto", "model", "baseline")


def common_params(roles: tuple[str, ...], styles: tuple[str, ...]) -> tuple[Param, ...]:
    """The parameters every generator takes."""
    return (
        Param("role", "str", roles[0], choices=roles, description="the part to make"),
        Param("instrument", "str", None, choices=INSTRUMENTS, description="instrument (default: the role's)"),
        Param("style", "str", None, choices=styles, description="style (default: from the session genre)"),
        Param("density", "float", 0.5, low=0.0, high=1.0, description="0 sparse .. 1 busy"),
        Param("density_change", "float", None, low=-1.0, high=1.0, description="relative density change"),
        Param("octave", "int", 0, low=-3, high=3, unit="octaves", description="register shift"),
        Param("octaves", "int", None, low=-4, high=4, unit="octaves", description="shift by octaves"),
        Param("semitones", "int", None, low=-24, high=24, unit="semitones", description="shift by semitones"),
        Param("swing", "float", None, low=0.0, high=1.0, description="0 straight .. 1 triplet (default: the genre's)"),
        Param("swing_change", "float", None, low=-1.0, high=1.0, description="relative swing change"),
        Param("backend", "str", "auto", choices=BACKENDS, description="model (trained checkpoint) or baseline (music theory)"),
        Param("humanize", "float", None, low=0.0, high=2.0, description="played by a person: timing off the grid, "
              "accents, drum ghost notes (0 on the grid, 0.5 a little, 1, 2 a lot)"),
    )


_SHAPE = ("style", "density", "density_change", "swing", "swing_change", "backend", "humanize")
#: What each generator intent acts on: ``add`` makes a part; the others change one of the agent's own.
TARGETS: dict[str, Target] = {"add": Target.NEW, "regenerate": Target.OWN, "change": Target.OWN,
                              "shift": Target.OWN, "refit": Target.OWN}


#: The intents a generator can limit to bars (drums have no shift).
SCOPED: tuple[str, ...] = ("regenerate", "change", "shift")


def targets(capabilities: tuple[str, ...]) -> dict[str, Target]:
    """:data:`TARGETS` for the intents a generator has."""
    return {intent: TARGETS[intent] for intent in capabilities}


class GeneratorAgent(Agent, ABC):
    """Base of the generators; a subclass sets ``declared`` (its spec) and writes :meth:`make_notes`.

    ``spec`` is the declared spec with the live backend (``model`` where a checkpoint
    ships, else ``baseline``) and status, so every reader of ``agent.spec`` sees it.
    """

    declared: ClassVar[AgentSpec]
    roles: ClassVar[tuple[str, ...]]
    #: settings a subclass adds to the shared ones, stored in ``params`` when given
    extra: ClassVar[tuple[str, ...]] = ()
    #: whether the part is written over the session's chords (bass, melody): it records which
    #: (``params["follows"]``), so it is marked stale when they change (State.stale)
    follows_chords: ClassVar[bool] = False
    #: whether ``make_notes`` takes ``primer``/``until``: the bars before, to continue from (the learned
    #: models of melody and bass; the baselines play their pattern on)
    continues: ClassVar[bool] = False

    def __init__(self, *, backend: str = "auto") -> None:
        if backend not in BACKENDS:
            raise InvalidValue("backend", backend, "one of " + ", ".join(BACKENDS))
        self.backend = backend

    # the spec, live ---------------------------------------------------------------------
    def _model_ready(self) -> bool:
        from orchestria_lab.models.generate import available

        return available(self.declared.name)

    @property
    def spec(self) -> AgentSpec:  # type: ignore[override]
        ready = self._model_ready()
        uses_model = self.backend == "model" or (self.backend == "auto" and ready)
        status = "untrained" if uses_model and not ready else "ready"
        return replace(self.declared, backend="model" if uses_model else "baseline", status=status)

    @property
    def name(self) -> str:
        return self.declared.name

    def _backend(self, requested: str | None) -> str:
        choice = requested if requested not in (None, "auto") else self.backend
        if choice == "model":
            if not self._model_ready():
                raise InvalidValue("backend", "model", f"'baseline': no trained {self.declared.name} checkpoint "
                                   "ships (train one with `orchestria train`)")
            return "model"
        if choice == "auto" and self._model_ready():
            return "model"
        return "baseline"

    # intents ----------------------------------------------------------------------------
    def add(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        p = dict(action.params)
        role = p.pop("role", None) or self.roles[0]
        if role not in self.roles:
            raise InvalidValue("role", role, f"one of {', '.join(self.roles)} for the {self.declared.name} agent")
        instrument = p.pop("instrument", None) or DEFAULT_INSTRUMENT[role]
        stem_id = action.target or state.new_stem_id(role)
        settings = self._settings({}, p, state, role)
        settings["seed"] = int(rng.integers(2**31))
        settings.update(self.initial_settings(state, role, settings))
        settings.update(self._over(state))
        stem = Stem(stem_id, role=role, instrument=instrument, agent=self.declared.name,
                    params=_clean(settings))
        stem = stem.evolve(notes=self.notes_for(state, stem))
        return Edit(add=[stem], summary=f"added {stem_id} ({self.describe_part(stem)}, {len(stem.notes)} notes)")

    def regenerate(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        stem = self._target(state, action)
        if action.scope is not None:
            return self._regenerate_bars(state, stem, action, rng)
        settings = self._settings(stem.params, dict(action.params), state, stem.role)
        settings.update(self._over(state))
        for _ in range(8):  # a regeneration that sounds the same is no regeneration
            settings["seed"] = int(rng.integers(2**31))
            settings.update(self.reseed(state, stem, rng))
            new = stem.evolve(params=_clean(settings))
            new = new.evolve(notes=self.notes_for(state, new))
            if new.notes_hash != stem.notes_hash:
                break
        return Edit(update=[new], summary=f"regenerated {stem.stem_id} ({self.describe_part(new)})")

    def change(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        stem = self._target(state, action)
        settings = self._settings(stem.params, dict(action.params), state, stem.role)
        if action.scope is not None:  # "make the chorus busier": those bars played the new way, the rest as they were
            inside = inside_scope(state, action.scope)
            made = self.notes_for(state, stem.evolve(params=_clean(settings)))
            notes = tuple(sorted([n for n in stem.notes if not inside(n)] + [n for n in made if inside(n)]))
            if notes == stem.notes:
                return Edit(summary=f"{stem.stem_id} already plays that way in {action.scope.describe()}")
            said = ", ".join(f"{k} {_fmt(v)}" for k, v in sorted(action.params.items()))
            return Edit(update=[stem.evolve(notes=notes)],
                        summary=f"{stem.stem_id}: {said} in {action.scope.describe()} (the other bars as they were)")
        settings.update(self._over(state))
        new = stem.evolve(params=_clean(settings))
        new = new.evolve(notes=self.notes_for(state, new))
        base = self.defaults(state, stem)
        moved = [(k, stem.params.get(k, base.get(k)), new.params.get(k, base.get(k)))
                 for k in sorted(set(new.params) | set(stem.params))
                 if stem.params.get(k) != new.params.get(k) and k != "follows"]
        changed = ", ".join(d for d in (self.describe_change(k, a, b, stem=stem, state=state)
                                        for k, a, b in moved if a != b) if d)
        if not changed:  # only a default written out ("normal time" on a groove in normal time)
            return Edit(summary=f"{stem.stem_id} already plays that way")
        return Edit(update=[new], summary=f"{stem.stem_id}: {changed}")

    def refit(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        """The part made again over the chords the song plays now, with its own settings and seed."""
        stem = self._target(state, action)
        new = stem.evolve(params=stem.params.updated(**self._over(state)))
        new = new.evolve(notes=self.notes_for(state, new))
        if new.hash == stem.hash:
            return Edit(summary=f"{stem.stem_id} already follows the chords")
        return Edit(update=[new], summary=f"{stem.stem_id} refitted to the chords (same settings and seed)")

    def shift(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        stem = self._target(state, action)
        if stem.is_drums:
            raise InvalidValue("shift target", stem.stem_id, "a pitched stem (drums have no octave)")
        octaves = int(action.params.get("octaves") or 0)
        semis = int(action.params.get("semitones") or 0)
        delta = 12 * octaves + semis
        if not delta:
            raise InvalidValue("shift", 0, "a number of octaves or semitones other than 0")
        if action.scope is not None:  # only the bars asked for; the part's register stays
            inside = inside_scope(state, action.scope)
            notes = [n._replace(pitch=n.pitch + delta) if inside(n) else n for n in stem.notes]
            if not all(0 <= n.pitch <= 127 for n in notes):
                raise InvalidValue("shift", delta, f"a shift that keeps {stem.stem_id} inside MIDI 0-127")
            where = action.scope.describe()
            return Edit(update=[stem.evolve(notes=tuple(notes))],
                        summary=f"{stem.stem_id} {'up' if delta > 0 else 'down'} {abs(delta)} semitones in {where}")
        notes = [n._replace(pitch=n.pitch + delta) for n in stem.notes]
        if notes and not all(0 <= n.pitch <= 127 for n in notes):
            raise InvalidValue("shift", delta, f"a shift that keeps {stem.stem_id} inside MIDI 0-127")
        params = dict(stem.params)
        params["octave"] = int(params.get("octave", 0)) + octaves
        params["semitones"] = int(params.get("semitones", 0)) + semis
        new = stem.evolve(notes=notes, params=_clean(params))
        words = f"{abs(octaves)} octave{'s' * (abs(octaves) != 1)}" if octaves and not semis else f"{abs(delta)} semitones"
        return Edit(update=[new], summary=f"{stem.stem_id} {'up' if delta > 0 else 'down'} {words}")

    def _regenerate_bars(self, state: State, stem: Stem, action: Action, rng: np.random.Generator) -> Edit:
        """A new take of the bars in ``action.scope`` (over the same chords and kick), joined to the
        bars around it, which stay note for note: of :data:`TAKES` takes that differ from the bars
        there now, the one that joins best (:func:`join_cost`: the smallest leaps into it from the
        bar before and out of it into the bar after)."""
        inside = inside_scope(state, action.scope)
        settings = self._settings(stem.params, dict(action.params), state, stem.role)
        keep = [n for n in stem.notes if not inside(n)]
        takes: list[list[Note]] = []
        lo = (action.scope.bars(total=state.meta.bars)[0] - 1) * state.meta.beats_per_bar
        primer = tuple(n for n in keep if n.start < lo)  # a model continues from the bars before
        for _ in range(4 * TAKES):  # a new take that sounds the same is no new take (over the same chords:
            settings["seed"] = int(rng.integers(2**31))  # the other parts there follow the song's progression)
            made = [n for n in self.notes_for(state, stem.evolve(params=_clean(settings)), primer=primer, until=lo)
                    if inside(n)]
            if sorted(keep + made) != sorted(stem.notes):
                takes.append(made)
            if len(takes) == TAKES:
                break
        best = min(takes, key=lambda take: join_cost(keep, take, pitched=not stem.is_drums)) if takes else []
        return Edit(update=[stem.evolve(notes=tuple(sorted(keep + best)))],
                    summary=f"regenerated {stem.stem_id} in {action.scope.describe()} (the other bars as they were)")

    # making notes -----------------------------------------------------------------------
    def remake(self, state: State, stem: Stem, *, until: float = 0.0) -> Stem:
        """``stem`` made again from its settings in ``state``'s meta (meter, bars, key, genre); with ``until``
        (beats), continuing from its own notes before it (a song made longer)."""
        primer = tuple(n for n in stem.notes if n.start < until) if until else ()
        stem = stem.evolve(params=stem.params.updated(**self._over(state))) if self.follows_chords else stem
        return stem.evolve(notes=self.notes_for(state, stem, primer=primer, until=until))

    def _over(self, state: State) -> dict[str, Any]:
        """The chords a part made now is written over (``follows``), for the parts that follow them."""
        return {"follows": state.chords_digest} if self.follows_chords else {}

    def notes_for(self, state: State, stem: Stem, *, primer: tuple[Note, ...] = (), until: float = 0.0) -> tuple[Note, ...]:
        """The part's notes; with ``until`` (beats), a generator that ``continues`` (a learned model) is
        given ``primer``'s notes before it, the bars it continues from."""
        notes = self.make_notes(state, stem, primer=primer, until=until) if until and self.continues else \
            self.make_notes(state, stem)
        delta = 12 * int(stem.params.get("octave", 0)) + int(stem.params.get("semitones", 0))
        if delta and not stem.is_drums:
            notes = [n._replace(pitch=int(np.clip(n.pitch + delta, 0, 127))) for n in notes]
        if "humanize" in stem.params:  # on its grid (0: quantized), then played by a person over it
            m = state.meta
            swing_amount = float(stem.params.get("swing", self.default_swing(state, stem.params)))
            notes = humanize(on_grid(notes, swing_amount=swing_amount), bpm=m.bpm, beats_per_bar=m.beats_per_bar,
                             genre=m.genre, drums=stem.is_drums, amount=float(stem.params["humanize"]),
                             seed=int(stem.params.get("seed", 0)), total_beats=m.total_beats)
        return tuple(notes)

    @abstractmethod
    def make_notes(self, state: State, stem: Stem) -> list[Note]:
        """The part's notes (before its octave shift) from ``stem.params`` in ``state``."""

    def initial_settings(self, state: State, role: str, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Settings a new stem takes from the session (harmony: the progression to follow)."""
        return {}

    def reseed(self, state: State, stem: Stem, rng: np.random.Generator) -> dict[str, Any]:
        """Extra seeds a regeneration redraws (harmony: the progression)."""
        return {}

    def describe_part(self, stem: Stem) -> str:
        style = stem.params.get("style")
        return f"{stem.instrument}{', ' + str(style).replace('_', ' ') if style else ''}"

    def defaults(self, state: State, stem: Stem) -> dict[str, Any]:
        """What each setting ``stem`` leaves unset amounts to (for saying what a change did)."""
        return {"density": 0.5, "swing": self.default_swing(state, stem.params), "octave": 0, "semitones": 0}

    def describe_change(self, key: str, before: Any, after: Any, *, stem: Stem, state: State) -> str:
        """One setting's change of ``stem`` in words ("density 0.5 → 0.8", "voicing → open")."""
        if key == "humanize":
            if not after:
                return "back on its grid (quantized)"
            what = "timing off the grid, accents" + (", ghost notes and a breathing hi-hat" if stem.is_drums else "")
            return f"played by hand ({what}; humanize {_fmt(before) if before else 0} → {_fmt(after)})"
        return f"{key} {_fmt(before)} → {_fmt(after)}" if before is not None else f"{key} → {_fmt(after)}"

    # helpers ----------------------------------------------------------------------------
    def _target(self, state: State, action: Action) -> Stem:
        if action.target is None:
            mine = [s for s in state.stems if s.role in self.roles]
            if len(mine) != 1:
                raise InvalidValue("target", None, f"the stem to change (one of: {', '.join(s.stem_id for s in mine) or 'none yet'})")
            return mine[0]
        stem = state.stem(action.target)
        if stem.role not in self.roles:
            raise InvalidValue("target", stem.stem_id, f"a {' or '.join(self.roles)} stem for the {self.declared.name} agent")
        return stem

    def _settings(self, current: Mapping[str, Any], given: Mapping[str, Any], state: State, role: str) -> dict[str, Any]:
        out = dict(current)
        for key in (*_SHAPE, "octave", *self.extra):
            if key in given and not key.endswith("_change"):
                out[key] = given[key]
        out["backend"] = self._backend(given.get("backend", current.get("backend")))
        density = float(out.get("density", 0.5))
        if "density_change" in given:
            out["density"] = round(float(np.clip(density + given["density_change"], 0.0, 1.0)), 3)
        if "swing_change" in given:
            swing = float(out.get("swing", self.default_swing(state, out)))
            out["swing"] = round(float(np.clip(swing + given["swing_change"], 0.0, 1.0)), 3)
        return out

    def default_swing(self, state: State, settings: Mapping[str, Any]) -> float:
        from orchestria_lab.music.genres import GENRES

        return GENRES[state.meta.genre].swing


def _clean(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Drop unset values and zero shifts so equal parts hash equal."""
    return {k: v for k, v in settings.items()
            if v is not None and not (k in ("octave", "semitones") and v == 0)}


def _fmt(v: Any) -> str:
    if v is None:
        return "default"
    return f"{v:g}" if isinstance(v, float) else str(v)


def swung(notes, amount: float, *, subdivision: float = 0.5) -> list[Note]:
    """``notes`` written straight, played with ``amount`` of swing on the ``subdivision``
    grid (eighths by default): what the learned models write, given the genre's feel.

    >>> swung([Note(60, 0.5, 0.5, 90)], 1.0)
    [Note(pitch=60, start=0.6667, duration=0.3333, velocity=90)]
    """
    out = []
    for n in notes:
        start, duration = swing_span(n.start, n.duration, amount, subdivision=subdivision)
        out.append(n._replace(start=start, duration=duration))
    return out


#: Takes a scoped regeneration draws, of which the one that joins its neighbours best is kept.
TAKES = 4


def join_cost(around: list[Note], take: list[Note], *, pitched: bool) -> float:
    """How badly ``take`` joins the notes ``around`` it: the leap (semitones) from the last note before
    it to its first, and from its last to the first note after it; drums join as they are (0).

    >>> around = [Note(60, 0.0, 1.0, 90), Note(64, 8.0, 1.0, 90)]
    >>> join_cost(around, [Note(62, 4.0, 1.0, 90)], pitched=True), join_cost(around, [Note(72, 4.0, 1.0, 90)], pitched=True)
    (4.0, 20.0)
    """
    if not pitched or not take:
        return 0.0
    first, last = min(take, key=lambda n: n.start), max(take, key=lambda n: n.start)
    before = [n for n in around if n.start < first.start]
    after = [n for n in around if n.start > last.start]
    cost = 0.0
    if before:
        cost += abs(first.pitch - max(before, key=lambda n: n.start).pitch)
    if after:
        cost += abs(last.pitch - min(after, key=lambda n: n.start).pitch)
    return float(cost)


def unswung(notes, amount: float, *, subdivision: float = 0.5) -> tuple[Note, ...]:
    """``notes`` played with ``amount`` of swing, put back on the straight grid (what a model that writes
    straight is given to continue from); :func:`swung` undone.

    >>> unswung(swung([Note(60, 0.5, 0.5, 90)], 1.0), 1.0)
    (Note(pitch=60, start=0.5, duration=0.5, velocity=90),)
    """
    if not amount:
        return tuple(notes)
    grid = {}
    for k in range(int(max((n.start + n.duration for n in notes), default=0) / subdivision) + 2):
        a, d = swing_span(k * subdivision, subdivision, amount, subdivision=subdivision)
        grid[round(a, 3)] = k * subdivision
    out = []
    for n in notes:
        start, end = grid.get(round(n.start, 3), n.start), grid.get(round(n.start + n.duration, 3), n.start + n.duration)
        out.append(n._replace(start=start, duration=round(max(end - start, 0.01), 4)))
    return tuple(out)


def inside_scope(state: State, scope: Any) -> Callable[[Note], bool]:
    """Whether a note starts inside ``scope``'s bars of ``state``."""
    first, last = scope.bars(total=state.meta.bars)
    beats = state.meta.beats_per_bar
    low, high = (first - 1) * beats, last * beats
    return lambda n: low - 1e-9 <= n.start < high - 1e-9

