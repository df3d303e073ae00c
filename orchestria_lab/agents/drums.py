"""The drums agent: grooves per genre, humanised, swung where asked, with fills at section ends.

Beyond the groove itself a drum part can play in half time or double time (the groove at
twice the speed: twice the kicks, snares and hats in a bar), leave voices out ("kill the
hats"), and take extra voices over the groove ("add claps", "add more hats"): a voice the
groove lacks comes in with a stock pattern, one it has already plays busier.

>>> import numpy as np
>>> from orchestria_lab.state import Meta, State, apply
>>> state = State(Meta(bpm=90, key="Cm", genre="lo-fi", seed=7))
>>> stem = apply(state, AGENT(state, Action("drums", "add", params={"style": "boom_bap"}),
...                           np.random.default_rng(0))).stem("drums")
>>> stem.instrument, stem.params["style"], {36, 38, 42} <= {n.pitch for n in stem.notes}
('drum_kit', 'boom_bap', True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from orchestria_lab.agents.base import Action, AgentSpec, Param, Target
from orchestria_lab.agents.context import model_function, users_parts
from orchestria_lab.agents.generator import SCOPED, GeneratorAgent, common_params, swung, targets
from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.genres import GENRES
from orchestria_lab.music.grooves import (
    GROOVES,
    STYLE_FOR_GENRE,
    VOICE_GROUPS,
    fill_notes,
    groove,
    lock_kicks,
    percussion,
    style_swing,
)
from orchestria_lab.music.rhythm import Meter, swing
from orchestria_lab.music.vocabulary import GM_DRUMS
from orchestria_lab.state import Edit, Note, State, Stem

_ROLES = ("drums", "percussion")
_VOICES = tuple(VOICE_GROUPS)
_ALL = ("role", "instrument", "style", "density", "swing", "backend", "fills", "half_time", "double_time",
        "exclude", "include", "layers", "fit_bass")
_CHANGE = ("style", "density", "density_change", "swing", "swing_change", "backend", "humanize", "fills",
           "half_time", "double_time", "exclude", "include", "layers", "fit_bass")

#: A voice laid over the groove: the kit piece it plays, where when the groove lacks it,
#: and where when the groove has it already (busier). Places are named in :func:`_places`.
_LAYERS: dict[str, tuple[str, str, str]] = {
    "hats": ("closed_hat", "eighths", "sixteenths"), "open_hat": ("open_hat", "offbeats", "offbeats"),
    "kick": ("kick", "pulse", "pulse"), "snare": ("snare", "backbeats", "backbeats"),
    "clap": ("clap", "backbeats", "backbeats"), "rim": ("rim", "backbeats", "offbeats"),
    "ride": ("ride", "eighths", "eighths"), "crash": ("crash", "phrase", "downbeat"),
    "toms": ("low_tom", "last_offbeats", "last_offbeats"), "cymbals": ("crash", "phrase", "downbeat"),
    "shaker": ("shaker", "eighths", "sixteenths"), "tambourine": ("tambourine", "backbeats", "eighths"),
    "cowbell": ("cowbell", "pulse", "eighths"),
}
_LAYER_VELOCITY = {"closed_hat": 70, "open_hat": 78, "shaker": 62, "ride": 80, "tambourine": 72, "cowbell": 74,
                   "rim": 82, "crash": 104, "kick": 108, "snare": 104, "clap": 100, "low_tom": 92}
#: The kit pieces (GM names) that stand for each voice group, to tell which voices a groove has.
_GM_VOICE = {name: voice for voice, pitches in VOICE_GROUPS.items() if voice not in ("cymbals",)
             for name, pitch in GM_DRUMS.items() if pitch in pitches}


class DrumsAgent(GeneratorAgent):
    """Genre grooves on the kit (GM drum numbers) and percussion layers."""

    roles = _ROLES
    extra = ("fills", "half_time", "double_time", "layers", "fit_bass")
    declared = AgentSpec(
        name="drums",
        description="Drum grooves per genre (boom bap with swing, four on the floor, rock backbeat, trap "
                    "hats, breakbeat, one drop, jazz ride, latin clave ...), in any meter, with humanised "
                    "velocity and timing and fills at the end of each phrase.",
        capabilities=("add", "regenerate", "change", "fill", "crash"),
        parameters=(*(p for p in common_params(_ROLES, tuple(GROOVES)) if p.name not in ("octave", "octaves", "semitones")),
                    Param("fills", "bool", True, description="a fill at the end of every 4-bar phrase"),
                    Param("half_time", "bool", None, description="backbeat on 3 instead of 2 and 4"),
                    Param("double_time", "bool", None,
                          description="the groove at twice the speed: twice the kicks, snares and hats per bar"),
                    Param("exclude", "list", None, choices=_VOICES, description="drum voices to leave out"),
                    Param("include", "list", None, choices=_VOICES,
                          description="drum voices to have: brought back where left out, else laid over the groove"),
                    Param("layers", "list", None, choices=_VOICES,
                          description="drum voices laid over the groove (busier where the groove has them)"),
                    Param("fit_bass", "bool", None, description="the kick plays with the bass line's notes (the "
                          "strongest places first), the groove for the rest")),
        backend="baseline",
        intent_params={"add": _ALL, "regenerate": _CHANGE, "change": _CHANGE, "fill": (), "crash": ()},
        targets={**targets(("add", "regenerate", "change")), "fill": Target.OWN, "crash": Target.OWN},
        scoped=(*(i for i in SCOPED if i != "shift"), "fill", "crash"),
    )

    def initial_settings(self, state: State, role: str, settings: Mapping[str, Any]) -> dict[str, Any]:
        """A kit added to a bass line the user brought plays its kick with it (unless told otherwise)."""
        if role == "drums" and "fit_bass" not in settings and users_parts(state, "bass"):
            return {"fit_bass": True}
        return {}

    def _settings(self, current: Mapping[str, Any], given: Mapping[str, Any], state: State, role: str) -> dict[str, Any]:
        out = super()._settings(current, given, state, role)
        was_excluded = set(current.get("exclude", ()))
        excluded = was_excluded | set(given.get("exclude", ()))
        excluded -= set(given.get("include", ()))
        out["exclude"] = tuple(sorted(excluded)) or None
        layers = set(current.get("layers", ())) | set(given.get("layers", ()))
        restyled = not current or (bool(given.get("style")) and given.get("style") != current.get("style"))
        has = _groove_voices(self.style_of(state, out)) if role == "drums" else set()
        for voice in given.get("include", ()):
            if voice in was_excluded:
                continue  # "bring the hats back": the groove's own hats
            if not (restyled and voice in has):  # "a four on the floor kick", a new kit: the groove has it
                layers.add(voice)
        layers -= excluded
        out["layers"] = tuple(sorted(layers)) or None
        if restyled and "half_time" not in given and "double_time" not in given:
            out.pop("half_time", None)  # a new groove brings its own feel
            out.pop("double_time", None)
        if given.get("double_time"):
            out.pop("half_time", None)
        elif given.get("half_time"):
            out.pop("double_time", None)
        if not out.get("double_time"):
            out.pop("double_time", None)
        return out

    def describe_change(self, key: str, before: Any, after: Any, *, stem: Stem, state: State) -> str:
        if key == "half_time":
            return "half-time feel" if after else "out of half time"
        if key == "double_time":
            return "double-time feel" if after else "out of double time"
        if key == "layers":  # "busier hats" where the groove has hats, "added clap" where it has none
            has = _groove_voices(self.style_of(state, stem.params))
            added = set(after or ()) - set(before or ())
            out = [f"busier {_voices(added & has)}"] if added & has else []
            out += [f"added {_voices(added - has)}"] if added - has else []
            out += [f"no extra {_voices(set(before or ()) - set(after or ()))}"] if set(before or ()) - set(after or ()) else []
            return "; ".join(out)
        if key == "exclude":
            old, new = set(before or ()), set(after or ())
            out = [f"without {_voices(new - old)}"] if new - old else []
            out += [f"brought back {_voices(old - new)}"] if old - new else []
            return "; ".join(out)
        if key == "style":
            return f"groove {_fmt_style(before)} → {_fmt_style(after)}"
        if key == "fit_bass":
            return "the kick plays with the bass" if after else "the kick back on the groove"
        return super().describe_change(key, before, after, stem=stem, state=state)

    def default_swing(self, state: State, settings: Mapping[str, Any]) -> float:
        return style_swing(self.style_of(state, settings), GENRES[state.meta.genre].swing)

    @staticmethod
    def style_of(state: State, settings: Mapping[str, Any]) -> str:
        return str(settings.get("style") or STYLE_FOR_GENRE.get(state.meta.genre, "pop"))

    def make_notes(self, state: State, stem: Stem) -> list[Note]:
        meta, p = state.meta, stem.params
        rng = np.random.default_rng([int(p["seed"]), 2])
        amount = float(p.get("swing", self.default_swing(state, p)))
        density = float(p.get("density", 0.5))
        if stem.role == "percussion":
            return percussion(genre=meta.genre, time_signature=meta.time_signature, bars=meta.bars,
                              rng=rng, swing_amount=amount, density=density)
        double = bool(p.get("double_time"))
        bars = meta.bars * 2 if double else meta.bars  # double time: two bars of the groove in each
        model = model_function("drums", "drums", str(p.get("backend", "baseline")), genre=meta.genre)
        if model is not None and not {"style", "fills", "half_time"} & set(p):
            notes = list(model(genre=meta.genre, time_signature=meta.time_signature, bars=bars, rng=rng,
                               density=density))
            dropped = set().union(*(VOICE_GROUPS[v] for v in p.get("exclude", ()) or ()))
            # The model plays on the straight 16th grid; the groove's swing is laid on after.
            notes = swung([n for n in notes if n.pitch not in dropped], amount, subdivision=0.25)
        else:
            notes = groove(style=self.style_of(state, p), time_signature=meta.time_signature, bars=bars,
                           rng=rng, swing_amount=amount, density=density, fills=bool(p.get("fills", True)),
                           half_time=None if double else p.get("half_time"), exclude=p.get("exclude", ()))
        if double:
            notes = [Note(n.pitch, round(n.start / 2, 4), round(n.duration / 2, 4), n.velocity) for n in notes]
        if p.get("layers"):
            notes = _layer(notes, tuple(p["layers"]), meta.time_signature, meta.bars, amount,
                           np.random.default_rng([int(p["seed"]), 3]))
        bass = next((b for b in state.stems if b.role == "bass" and b.notes), None)
        if p.get("fit_bass") and bass is not None and stem.role == "drums":  # with no bass (taken out since) the groove plays
            notes = lock_kicks(notes, bass.notes, time_signature=meta.time_signature, bars=meta.bars,
                               swing_amount=amount)
        return sorted(notes)

    def fill(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        """A fill in the last bar of the action's scope ("a fill in bar 6", "a fill into the chorus"):
        the groove there gives way to the style's long fill; every other note stays."""
        stem = self._target(state, action)
        if action.scope is None:
            raise InvalidValue("drums.fill scope", None, "the bar to put the fill in (\"a fill in bar 8\")")
        meta, p = state.meta, stem.params
        _, last = action.scope.bars(total=meta.bars)
        start, fill = fill_notes(style=self.style_of(state, p), time_signature=meta.time_signature,
                                 rng=np.random.default_rng([int(p.get("seed", 0)), 5, last]),
                                 swing_amount=float(p.get("swing", self.default_swing(state, p))),
                                 density=float(p.get("density", 0.5)))
        bar = (last - 1) * meta.beats_per_bar
        lo, hi = bar + start, bar + meta.beats_per_bar
        kept = [n for n in stem.notes if not lo - 1e-9 <= n.start < hi - 1e-9]
        notes = tuple(sorted(kept + [n._replace(start=round(n.start + bar, 4)) for n in fill]))
        return Edit(update=[stem.evolve(notes=notes)], summary=f"{stem.stem_id}: a fill in bar {last} "
                                                              f"(from beat {start + 1:g}; the other bars as they were)")

    def crash(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        """A crash on the downbeat of the first bar of the action's scope ("a crash at bar 9")."""
        stem = self._target(state, action)
        if action.scope is None:
            raise InvalidValue("drums.crash scope", None, "the bar to put the crash on (\"a crash at bar 9\")")
        first, _ = action.scope.bars(total=state.meta.bars)
        at = (first - 1) * state.meta.beats_per_bar
        crash = GM_DRUMS["crash"]
        if any(n.pitch == crash and abs(n.start - at) < 1e-6 for n in stem.notes):
            return Edit(summary=f"{stem.stem_id} already crashes at bar {first}")
        notes = tuple(sorted((*stem.notes, Note(crash, at, 2.0, 108))))
        return Edit(update=[stem.evolve(notes=notes)], summary=f"{stem.stem_id}: a crash at bar {first}")

    def describe_part(self, stem: Stem) -> str:
        style = stem.params.get("style")
        if stem.role == "percussion":
            return "percussion"
        locked = ", the kick with the bass" if stem.params.get("fit_bass") else ""
        return f"{str(style or 'genre').replace('_', ' ')} groove{locked}"

    def defaults(self, state: State, stem: Stem) -> dict[str, Any]:
        return {**super().defaults(state, stem), "style": self.style_of(state, stem.params),
                "half_time": GROOVES[self.style_of(state, stem.params)].half_time, "fills": True}

    def examples(self, state: State) -> list[Action]:
        out = [Action("drums", "add", params={"style": "boom_bap"}), Action("drums", "add", params={"role": "percussion"}),
               Action("drums", "add", params={"fit_bass": True})]
        for s in state.stems_with_role("drums"):
            out += [Action("drums", "change", s.stem_id, {"swing_change": 0.2}),
                    Action("drums", "change", s.stem_id, {"exclude": ["hats"]}), Action("drums", "regenerate", s.stem_id),
                    Action("drums", "change", s.stem_id, {"include": ["clap", "hats"]}),
                    Action("drums", "change", s.stem_id, {"double_time": True}),
                    Action("drums", "change", s.stem_id, {"fit_bass": True})]
        return out


def _voices(voices: set[str]) -> str:
    return ", ".join(sorted(v.replace("_", " ") for v in voices))


def _fmt_style(style: Any) -> str:
    return str(style).replace("_", " ") if style else "from the genre"


def _groove_voices(style: str) -> set[str]:
    """The voices (:data:`VOICE_GROUPS` names) the groove ``style`` plays."""
    g = GROOVES[style]
    return {_GM_VOICE[name] for name in (*g.parts, *g.extra) if name in _GM_VOICE}


def _places(kind: str, meter: Meter, bar: int) -> list[float]:
    """Positions in a bar (beats) for a layered voice: on the pulse, the backbeats, the eighths ..."""
    starts, length = meter.group_starts, meter.beats_per_bar
    ends = (*starts[1:], length)
    if kind == "pulse":
        return list(starts)
    if kind == "backbeats":
        return list(starts[1::2] if len(starts) >= 4 else starts[1:]) or [starts[-1]]
    if kind in ("eighths", "sixteenths"):
        step = meter.subdivision / (2 if kind == "sixteenths" else 1)
        return [float(t) for t in np.arange(0.0, length - 1e-9, step)]
    if kind == "offbeats":
        return [(a + b) / 2 for a, b in zip(starts, ends, strict=True)]
    if kind == "last_offbeats":
        return [(starts[-1] + ends[-1]) / 2, ends[-1] - meter.subdivision / 2] if bar % 2 else []
    if kind == "downbeat":
        return [0.0]
    if kind == "phrase":
        return [0.0] if bar % 4 == 0 else []
    raise ValueError(kind)


def _layer(notes: list[Note], voices: tuple[str, ...], time_signature: str, bars: int, amount: float,
           rng: np.random.Generator) -> list[Note]:
    """``notes`` with ``voices`` laid over them (a voice the part has plays busier)."""
    meter = Meter.of(time_signature)
    out = list(notes)
    for voice in voices:
        if voice not in _LAYERS:
            continue
        piece, plain, busy = _LAYERS[voice]
        pitches = VOICE_GROUPS[voice]
        present = any(n.pitch in pitches for n in out)
        kind = busy if present else plain
        pitch = GM_DRUMS[piece]
        if voice == "hats" and present and kind == "sixteenths":  # busier hats replace the groove's eighths
            out = [n for n in out if n.pitch != GM_DRUMS["closed_hat"]]
        taken = {(n.pitch, round(n.start * 8)) for n in out}
        for bar in range(bars):
            for pos in _places(kind, meter, bar):
                start = round(bar * meter.beats_per_bar + swing(pos, amount, subdivision=0.25 if kind == "sixteenths" else 0.5), 4)
                if (pitch, round(start * 8)) in taken:
                    continue
                accent = 6 if meter.is_group_start(pos) else (-10 if pos % meter.subdivision else 0)
                velocity = int(np.clip(round(_LAYER_VELOCITY.get(piece, 90) + accent + rng.normal(0, 5)), 12, 127))
                out.append(Note(pitch, start, 0.125 if kind == "sixteenths" else 0.25, velocity))
    return out


AGENT = DrumsAgent()
