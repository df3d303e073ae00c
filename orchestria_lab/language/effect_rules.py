"""Rules for effects: add, remove, more or less, a parameter set to a value, dry, clear."""

from __future__ import annotations

from orchestria_lab.agents.base import Action
from orchestria_lab.language import slots
from orchestria_lab.language.frames import Frame
from orchestria_lab.language.targets import StemIndex, Unclear

_ADDING = ("add", "drench")
#: The effect a parameter belongs to, when the clause names the parameter only.
_PARAM_EFFECT = {"decay": "reverb", "size": "reverb", "predelay": "reverb", "damping": "reverb",
                 "time": "delay", "feedback": "delay", "cutoff": "lowpass", "resonance": "lowpass",
                 "threshold": "compressor", "ratio": "compressor", "attack": "compressor",
                 "release": "compressor", "bits": "bitcrusher", "ceiling": "limiter"}


class EffectRules:
    """Mixed into :class:`~orchestria_lab.language.rules.Planning`."""

    index: StemIndex

    def effects(self, f: Frame) -> bool:
        kinds = [t.value for t in f.tokens if t.kind == "effect"]
        attached = [fx for m in f.mentions for fx in m.effects]
        for fx in attached:
            kinds.remove(fx)
        if not kinds and f.has("fxparam"):
            kinds = [self._effect_of_param(f, f.first("fxparam"))]
        clear = f.has("fxall")
        if f.has("dry") and not kinds:
            return self._dry(f)
        if not kinds and not clear:
            return False
        removing = f.verb in ("remove", "kill", "strip", "mute", "cut", "drop") or (f.has("neg") and not f.has("enough")) or (
            any(t.kind == "off" and t.text == "off" for t in f.tokens) and f.verb in (None, "turn")) or (
            f.has("less") and f.has("fxall"))
        if clear:
            for target in self.targets(f, default="all"):
                self.emit(Action("effects", "clear", target))
            return True
        for kind in dict.fromkeys(kinds):
            lowering = f.has("less") or f.has("too") or f.verb == "quieter" or f.has("dir", "down")
            targets = self._effect_targets(f, kind, removing or lowering)
            for target in targets:
                if (removing or lowering) and self._removed(kind, target):
                    continue  # "lose the delay, it's far too wet": the reason, already done
                self.emit(self._effect_action(f, kind, target, removing))
        return True

    def _effect_of_param(self, f: Frame, param: str) -> str:
        kind = _PARAM_EFFECT.get(param, "reverb")
        if kind == "lowpass":  # a cutoff belongs to whichever filter the stem has
            for target in self.targets(f):
                effects = self.index.get(target).effects
                if "highpass" in effects and "lowpass" not in effects:
                    return "highpass"
        return kind

    def _removed(self, kind: str, target: str) -> bool:
        """Whether this command already takes ``kind`` off ``target``."""
        return any(a.agent == "effects" and a.intent == "remove" and a.target == target
                   and a.params.get("effect") == kind for a in self.actions)

    def _dry(self, f: Frame) -> bool:
        """"dry it up": less of the time effects the stems have (all of them when "bone dry"); "too
        dry" is more room: more of the reverb, or a reverb where there is none."""
        targets = self.targets(f, default="all")
        if f.flipped:
            for target in targets:
                has = "reverb" in self.index.get(target).effects
                self.emit(Action("effects", "set" if has else "add", target,
                                 {"effect": "reverb", **({"change": f.amount} if has else {})}))
            return True
        wet = ("reverb", "delay", "chorus")
        for target in targets:
            for kind in (k for k in self.index.get(target).effects if k in wet):
                if f.has("amount", "full") or "bone" in " ".join(t.text for t in f.tokens):
                    self.emit(Action("effects", "remove", target, {"effect": kind}))
                else:
                    self.emit(Action("effects", "set", target, {"effect": kind, "change": -f.amount}))
        return True

    def _effect_targets(self, f: Frame, kind: str, existing_only: bool) -> list[str]:
        if f.stems or f.has("voice"):
            mentions = f.stems + [m for m in f.mentions if m.voice and not m.is_stem]
            found = self.targets(f, mentions=mentions)
            having = [t for t in found if kind in self.index.get(t).effects]
            if existing_only and found and not having and not f.has("fxparam") and not f.has("number"):
                have = "; ".join(f"{t}: {', '.join(self.index.get(t).effects) or 'no effects'}" for t in found)
                raise Unclear(f"there is no {kind} on {', '.join(found)} to take away ({have})",
                              [f"add {kind} to the {self.index.get(found[0]).role}"])
            return having if existing_only and having else found  # "remove reverb from everything"
        having = [e.stem_id for e in self.index.entries if kind in e.effects]
        adjusting = f.has("fxparam") or f.has("more") or f.has("adj") or f.verb in ("set", "turn", "extend", "shorten")
        if (existing_only or adjusting) and having:
            touched = [t for t in self.touched if t in having]
            return touched[-1:] or having
        if existing_only or (adjusting and not (f.has("number") or f.has("notevalue"))):
            have = "; ".join(f"{e.stem_id}: {', '.join(e.effects) or 'none'}" for e in self.index.entries) or "no stems"
            raise Unclear(f"no stem has {kind} yet (effects: {have})", [f"add {kind} to the {e.role}" for e in self.index.entries[:2]])
        found = self.targets(f)
        if not found:
            raise Unclear(f"I could not tell which stem should get the {kind}",
                          [f"add {kind} to the {e.role}" for e in self.index.entries[:3]] or ["add warm piano chords with reverb"])
        return found

    def _effect_action(self, f: Frame, kind: str, target: str, removing: bool) -> Action:
        param = f.first("fxparam")
        number = slots.first_number(f)
        value = None
        if number is not None:
            param, value = _value_in_unit(kind, param, number, self.ctx.state.meta.bpm)
        if f.has("notevalue") and kind == "delay":
            param, value = "time", f.first("notevalue")
        if removing and value is None:
            return Action("effects", "remove", target, {"effect": kind})
        if param and value is not None:
            intent = "add" if f.verb in _ADDING else "set"
            return Action("effects", intent, target, {"effect": kind, "param": param, "value": float(value)})
        bigger = any(t.kind == "adj" and t.value == "wide" for t in f.tokens)  # "a bigger reverb"
        less = f.has("less") or f.has("too") or f.has("dir", "down") or f.verb in ("quieter", "shorten")
        more = f.has("more") or f.has("dir", "up") or f.verb in ("louder", "extend", "drench") or bigger or (
            f.has("neg") and f.has("enough"))  # "not enough reverb"
        if (f.verb in ("extend", "shorten") or bigger) and not param:
            param = {"reverb": "size" if bigger else "decay", "delay": "time"}.get(kind)
        if less or more:
            params = {"effect": kind, "change": (-1 if less else 1) * (2.0 if f.verb == "drench" else f.amount)}
            if param and param not in ("mix",):
                params["param"] = param
            return Action("effects", "set", target, params)
        amount = 2.0 if f.verb == "drench" else f.amount
        return Action("effects", "add", target, {"effect": kind, **({"amount": amount} if amount != 1 else {})})


#: The parameter a bare value with a unit sets, per effect ("a 300 ms predelay", "3 s of reverb").
_UNIT_PARAM = {("reverb", "s"): "decay", ("reverb", "ms"): "predelay", ("delay", "beats"): "time",
               ("delay", "ms"): "time", ("delay", "s"): "time", ("lowpass", "hz"): "cutoff",
               ("highpass", "hz"): "cutoff", ("eq", "hz"): "mid_freq", ("distortion", "db"): "drive",
               ("compressor", "db"): "threshold", ("limiter", "db"): "ceiling", ("bitcrusher", "bits"): "bits"}


def _value_in_unit(kind: str, param: str | None, number: tuple[float, str], bpm: float) -> tuple[str | None, float]:
    """A number said with its unit, converted to the unit of the effect parameter it sets."""
    value, unit = number
    param = param or ("mix" if unit == "%" else _UNIT_PARAM.get((kind, unit)))
    if unit == "%" and param in ("mix", "feedback", "resonance", "crackle", "saturation", "wow", "flutter"):
        value /= 100
    elif param == "decay" and unit == "ms":
        value /= 1000
    elif param == "predelay" and unit == "s":
        value *= 1000
    elif param == "time" and unit in ("ms", "s"):
        value = value / (1000 if unit == "ms" else 1) * bpm / 60  # seconds to beats at the session tempo
    return param, round(value, 4)
