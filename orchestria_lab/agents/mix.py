"""The mix agent: gain, pan, mute and solo, absolute ("pan hard right") or relative ("a bit louder").

>>> import numpy as np
>>> from orchestria_lab.state import Meta, State, Stem, Note
>>> state = State(Meta(bpm=90, key="Cm", genre="lo-fi"),
...               (Stem("bass", role="bass", instrument="sub_bass", notes=[Note(36, 0, 1)]),))
>>> AGENT(state, Action("mix", "gain", "bass", {"change_db": -3.0}), np.random.default_rng(0)).update[0].gain_db
-3.0
>>> AGENT(state, Action("mix", "pan", "bass", {"pan": 1.0}), np.random.default_rng(0)).summary
'bass: pan 0 → 1 (hard right)'
"""

from __future__ import annotations

import numpy as np

from orchestria_lab.agents.base import Action, Agent, AgentSpec, Param
from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.automation import (
    CURVES,
    PARAMS,
    Point,
    check_points,
    envelope,
    value_range,
)
from orchestria_lab.music.grooves import kick_beats
from orchestria_lab.music.levels import target_lu
from orchestria_lab.state import Edit, State, Stem

GAIN_FLOOR_DB = -60.0
GAIN_CEILING_DB = 12.0


def pan_label(pan: float) -> str:
    """Words for a pan position: ``center``, ``35% left``, ``hard right`` ...

    >>> pan_label(0.0), pan_label(-0.35), pan_label(1.0)
    ('center', '35% left', 'hard right')
    """
    if abs(pan) < 1e-6:
        return "center"
    side = "left" if pan < 0 else "right"
    return f"hard {side}" if abs(pan) >= 0.999 else f"{abs(pan) * 100:.0f}% {side}"


class MixAgent(Agent):
    """Levels, placement, mutes and solos."""

    spec = AgentSpec(
        name="mix",
        description="Gain, pan, mute and solo for each stem: absolute settings (\"-6 dB\", \"pan hard "
                    "right\") and relative ones (\"a bit louder\", \"too loud\", \"more to the left\").",
        capabilities=("gain", "pan", "mute", "unmute", "solo", "unsolo", "automate", "duck", "balance"),
        parameters=(
            Param("param", "str", None, description="what an automation lane moves: gain_db, pan, lowpass_hz, "
                  "highpass_hz or <effect>.mix"),
            Param("start", "float", None, low=-96.0, high=20000.0, description="the lane's value where the bars begin"),
            Param("end", "float", None, low=-96.0, high=20000.0, description="the lane's value where they end"),
            Param("curve", "str", "linear", choices=CURVES, description="how it moves: linear, exp (even in "
                  "ratio: cutoffs), step"),
            Param("relative", "bool", False, description="start and end are offsets from the lane's level there "
                  "(a fade from wherever the part sits)"),
            Param("depth_db", "float", 9.0, low=1.0, high=48.0, unit="dB", description="how far a duck dips"),
            Param("release", "float", 0.4, low=0.05, high=2.0, unit="beats", description="how long a duck takes to recover"),
            Param("source", "str", None, description="the stem whose kicks a duck follows (default: the drums)"),
            Param("db", "float", None, low=-96.0, high=24.0, unit="dB", description="absolute gain"),
            Param("change_db", "float", None, low=-48.0, high=48.0, unit="dB", description="gain change"),
            Param("pan", "float", None, low=-1.0, high=1.0, description="absolute pan: -1 left, 0 center, 1 right"),
            Param("change_pan", "float", None, low=-2.0, high=2.0, description="pan change (negative: left)"),
        ),
        intent_params={"gain": ("db", "change_db"), "pan": ("pan", "change_pan"),
                       "mute": (), "unmute": (), "solo": (), "unsolo": (),
                       "automate": ("param", "start", "end", "curve", "relative"), "duck": ("depth_db", "release", "source"),
                       "balance": ()},
        scoped=("automate", "duck", "gain"),
    )

    def balance(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        """The stem back at its role's level in this genre (``music/levels.py``): measured again as it
        is written now, and the user's gain move taken back to 0."""
        from orchestria_lab.audio.levels import level_for

        stem = state.stem(_target(action))
        new = stem.evolve(level_db=level_for(state, stem), gain_db=0.0)
        role = f"{stem.role} level ({target_lu(stem.role, state.meta.genre):+g} LU)"
        if (new.level_db, new.gain_db) == (stem.level_db, stem.gain_db):
            return Edit(summary=f"{stem.stem_id} already at its level")
        return Edit(update=[new], summary=f"{stem.stem_id}: back to the {role}, trim {new.level_db:+g} dB, gain 0 dB")

    def automate(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        """A lane moving ``param`` from ``start`` to ``end`` over the scope's bars (the whole song
        without one); the lane's points there are replaced, those elsewhere stay, and the value holds
        after the last point (a fade out stays out)."""
        stem = state.stem(_target(action))
        p = action.params
        if p.get("param") is None or p.get("start") is None or p.get("end") is None:
            raise InvalidValue("mix.automate", dict(p), "`param`, `start` and `end`")
        param, curve = str(p["param"]), str(p.get("curve", "linear"))
        lo, hi = _span(state, action)
        before = _value_at(stem, param, lo)
        start, end = float(p["start"]), float(p["end"])
        if p.get("relative"):  # added to what the lane does there: a fade of a lifted, ducked chorus
            return self._offset(state, stem, action, param, lo, hi, start, end)
        points = [Point(param, lo, start, curve), Point(param, hi, end)]
        if lo > 0 and not any(q.param == param and q.beat < lo - 1e-9 for q in stem.automation):
            points.insert(0, Point(param, 0.0, before, "step"))  # the bars before keep their sound
        if curve == "step" and hi < state.meta.total_beats - 1e-9:  # a change for some bars: back after them
            points[-1] = Point(param, hi, before)
        new = _with_lane(stem, param, lo, hi, points)
        where = action.scope.describe() if action.scope is not None else "the whole song"
        neutral = _value_at(stem.evolve(automation=()), param, hi)
        held = "" if hi >= state.meta.total_beats - 1e-9 or curve == "step" or end == neutral or p.get("relative") \
            else ", and holds there"
        moves = f"{_fmt(param, start)}" if start == end else f"{_fmt(param, start)} → {_fmt(param, end)}"
        return Edit(update=[new], summary=f"{stem.stem_id}: {param} {moves} over {where}{held}")

    def _offset(self, state: State, stem: Stem, action: Action, param: str, lo: float, hi: float,
                start: float, end: float) -> Edit:
        """A lane added to the one there: ``start`` at ``lo`` moving to ``end`` at ``hi`` (linear), ``end``
        held after. The lane's own shape is kept under it: sampled at its points, just before each step,
        and on every beat, then offset; the bars before are untouched."""
        low, high = value_range(param)
        ours = [q for q in stem.automation if q.param == param]

        def offset(beat: float) -> float:
            return end if beat >= hi else start + (end - start) * (beat - lo) / max(hi - lo, 1e-9)

        def at(beat: float) -> Point:
            return Point(param, round(beat, 4), round(float(np.clip(_value_at(stem, param, beat) + offset(beat), low, high)), 4))

        beats = {lo, hi, *np.arange(lo, hi, 1.0).tolist(), *(q.beat for q in ours if lo < q.beat < hi)}
        beats |= {r.beat - 1e-3 for q, r in zip(ours, ours[1:], strict=False) if q.curve == "step" and lo < r.beat <= hi}
        inside = [at(b) for b in sorted(beats)]
        before = [q for q in ours if q.beat < lo - 1e-9]
        if lo > 0:  # the bars before keep their sound, up to the span
            before.append(Point(param, round(max(0.0, lo - 1e-3), 4), _value_at(stem, param, lo - 1e-3)))
        after = [q._replace(value=round(float(np.clip(q.value + end, low, high)), 4)) for q in ours if q.beat > hi + 1e-9]
        others = [q for q in stem.automation if q.param != param]
        new = stem.evolve(automation=check_points([*others, *before, *inside, *after]))
        where = action.scope.describe() if action.scope is not None else "the whole song"
        return Edit(update=[new], summary=f"{stem.stem_id}: {param} {start:+g} → {end:+g} dB over {where}")

    def duck(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        """The stem's gain dips ``depth_db`` on every kick of ``source`` (the drums) and comes back over
        ``release`` beats: sidechain ducking, written as a gain lane (in the scope's bars, or all)."""
        stem = state.stem(_target(action))
        p = action.params
        source = state.stem(str(p["source"])) if p.get("source") else next(
            (s for s in state.stems if s.role == "drums" and any(n.pitch in (35, 36) for n in s.notes)), None)
        if source is None or source.stem_id == stem.stem_id:
            raise InvalidValue("duck source", p.get("source"), "a drum stem with a kick (add drums first)")
        kicks = kick_beats(source.notes)
        lo, hi = _span(state, action)
        depth, release = float(p.get("depth_db", 9.0)), float(p.get("release", 0.4))
        points: list[Point] = []
        hits = sorted(b for b in set(kicks) if lo - 1e-9 <= b < hi - 1e-9)
        for k in hits:  # each dip is taken from the level the lane has there (a lifted chorus ducks from it)
            points += [Point("gain_db", max(0.0, k - 0.01), _value_at(stem, "gain_db", max(0.0, k - 0.01))),
                       Point("gain_db", k, _value_at(stem, "gain_db", k) - depth),
                       Point("gain_db", k + release, _value_at(stem, "gain_db", k + release))]
        if not points:
            raise InvalidValue("duck", source.stem_id, f"a drum stem with kicks in {_where(action)}")
        inside = lambda q: any(k - 0.01 - 1e-9 <= q.beat <= k + release + 1e-9 for k in hits)  # noqa: E731
        kept = [q for q in stem.automation if not (q.param == "gain_db" and inside(q))]
        new = stem.evolve(automation=check_points([*kept, *points]))
        return Edit(update=[new], summary=f"{stem.stem_id} sidechained to the kick of {source.stem_id}: it ducks "
                                          f"{depth:g} dB on each of its {len(points) // 3} kicks ({release:g} beats back)")

    def gain(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        stem = state.stem(_target(action))
        p = action.params
        if action.scope is not None:  # some bars louder or softer: a gain lane there, back after them
            lo, _ = _span(state, action)
            now = _value_at(stem, "gain_db", lo)
            level = float(p["db"]) - stem.gain_db if "db" in p else now + float(p.get("change_db", 0.0))
            level = round(float(np.clip(level, GAIN_FLOOR_DB, GAIN_CEILING_DB)), 2)
            return self.automate(state, Action("mix", "automate", stem.stem_id, {
                "param": "gain_db", "start": level, "end": level, "curve": "step"}, scope=action.scope), rng)
        if "db" in p:
            new_db = float(p["db"])
        elif "change_db" in p:
            new_db = float(np.clip(stem.gain_db + p["change_db"], GAIN_FLOOR_DB, GAIN_CEILING_DB))
        else:
            raise InvalidValue("mix.gain", dict(p), "`db` (absolute) or `change_db` (relative)")
        new = stem.evolve(gain_db=round(new_db, 2))
        if new.gain_db == stem.gain_db:
            return Edit(summary=f"{stem.stem_id} is already at {stem.gain_db:+g} dB")
        return Edit(update=[new], summary=f"{stem.stem_id}: gain {stem.gain_db:+g} → {new.gain_db:+g} dB")

    def pan(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        stem = state.stem(_target(action))
        p = action.params
        if "pan" in p:
            value = float(p["pan"])
        elif "change_pan" in p:
            value = float(np.clip(stem.pan + p["change_pan"], -1.0, 1.0))
        else:
            raise InvalidValue("mix.pan", dict(p), "`pan` (absolute) or `change_pan` (relative)")
        new = stem.evolve(pan=round(value, 3))
        if new.pan == stem.pan:
            return Edit(summary=f"{stem.stem_id} is already panned {pan_label(stem.pan)}")
        return Edit(update=[new], summary=f"{stem.stem_id}: pan {stem.pan:g} → {new.pan:g} ({pan_label(new.pan)})")

    def mute(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        return self._flag(state, action, "muted", True)

    def unmute(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        return self._flag(state, action, "muted", False)

    def solo(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        return self._flag(state, action, "solo", True)

    def unsolo(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        return self._flag(state, action, "solo", False)

    def _flag(self, state: State, action: Action, field: str, value: bool) -> Edit:
        stem = state.stem(_target(action))
        word = {("muted", True): "muted", ("muted", False): "unmuted",
                ("solo", True): "soloed", ("solo", False): "unsoloed"}[(field, value)]
        if getattr(stem, field) == value:
            return Edit(summary=f"{stem.stem_id} is already {word}")
        return Edit(update=[stem.evolve(**{field: value})], summary=f"{stem.stem_id} {word}")

    def examples(self, state: State) -> list[Action]:
        out = []
        for s in state.stems:
            out += [Action("mix", "gain", s.stem_id, {"change_db": 3.0}), Action("mix", "pan", s.stem_id, {"change_pan": -0.5}),
                    Action("mix", "mute", s.stem_id), Action("mix", "solo", s.stem_id)]
        return out


def _span(state: State, action: Action) -> tuple[float, float]:
    """The scope's beats (the whole song without one)."""
    first, last = action.scope.bars(total=state.meta.bars) if action.scope is not None else (1, state.meta.bars)
    beats = state.meta.beats_per_bar
    return (first - 1) * beats, last * beats


def _where(action: Action) -> str:
    return action.scope.describe() if action.scope is not None else "the song"


def _value_at(stem: Stem, param: str, beat: float) -> float:
    """What ``param`` of ``stem`` is at ``beat``: its lane's value there, else its own setting."""
    lane = [q for q in stem.automation if q.param == param]
    if lane:
        return float(envelope(lane, times=[beat])[0])
    if param == "pan":
        return stem.pan
    if param in PARAMS:
        return float(PARAMS[param][2])
    kind = param.partition(".")[0]
    fx = next((e for e in stem.effects if e.type == kind), None)
    if fx is None:
        return 0.0
    from orchestria_lab.audio.effects import EFFECT_SPECS

    return float(EFFECT_SPECS[kind].validate(dict(fx.params)).get("mix", 0.0))


def _with_lane(stem: Stem, param: str, lo: float, hi: float, points: list[Point]) -> Stem:
    """``stem`` with ``param``'s points in beats ``[lo, hi]`` replaced by ``points``."""
    kept = [q for q in stem.automation if q.param != param or not lo - 1e-9 <= q.beat <= hi + 1e-9]
    return stem.evolve(automation=check_points([*kept, *points]))


def _fmt(param: str, value: float) -> str:
    unit = {"gain_db": " dB", "lowpass_hz": " Hz", "highpass_hz": " Hz"}.get(param, "")
    return f"{value:g}{unit}"


def _target(action: Action) -> str:
    if not action.target:
        raise InvalidValue(f"mix.{action.intent} target", None, "the stem to change")
    return action.target


AGENT = MixAgent()
