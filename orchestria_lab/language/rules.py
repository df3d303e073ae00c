"""The rules that turn a clause's slots into actions, in the order they are tried.

Session-wide changes come first (a tempo, key, length, meter or genre), then new parts,
then what acts on existing stems. Each rule reads the :class:`~.frames.Frame`, resolves
stems through the :class:`~.targets.StemIndex`, and appends actions; the stems it
touches become "it" for the next clause.
"""

from __future__ import annotations

import json

from orchestria_lab.agents.base import Action
from orchestria_lab.agents.context import GENERATOR_FOR_ROLE
from orchestria_lab.language.frames import Frame, Mention
from orchestria_lab.language.plan import PlanContext
from orchestria_lab.language.targets import INSTRUMENT_ROLE, StemIndex
from orchestria_lab.music.grooves import GROOVES, STYLE_FOR_GENRE
from orchestria_lab.music.lines import BASS_STYLE_FOR_GENRE
from orchestria_lab.music.progressions import GENRE_FAMILY
from orchestria_lab.music.theory import parse_key
from orchestria_lab.music.vocabulary import DEFAULT_INSTRUMENT

BASS_STYLES = ("kick", "walking", "offbeat", "eighths", "sustain")
TEMPO_STEP, GAIN_STEP_DB, PAN_STEP, SWING_STEP, DENSITY_STEP = 10.0, 3.0, 0.5, 0.15, 0.3
_MUTING = {"mute": "mute", "kill": "mute", "drop": "mute", "cut": "mute", "unmute": "unmute",
           "solo": "solo", "unsolo": "unsolo"}
_REMOVING = ("remove", "strip", "keep")
_ADDING = ("add", "drench")
#: What a verbless clause that only names a part may hold ("a dusty drum beat please").
_NOUN_PHRASE = ("det", "adj", "style", "role", "instrument", "family", "melstyle", "filler", "word",
                "prep", "effect", "amount", "fresh")
#: The effect a parameter belongs to, when the clause names the parameter only.
_PARAM_EFFECT = {"decay": "reverb", "size": "reverb", "predelay": "reverb", "damping": "reverb",
                 "time": "delay", "feedback": "delay", "cutoff": "lowpass", "resonance": "lowpass",
                 "threshold": "compressor", "ratio": "compressor", "attack": "compressor",
                 "release": "compressor", "bits": "bitcrusher", "ceiling": "limiter"}


class Unclear(Exception):
    """A clause that fits a rule but cannot be carried out as said (no such stem ...)."""

    def __init__(self, reason: str, suggestions: list[str] | None = None) -> None:
        super().__init__(reason)
        self.reason, self.suggestions = reason, suggestions or []


class Planning:
    """A plan being made, clause by clause."""

    def __init__(self, context: PlanContext) -> None:
        self.ctx = context
        self.index = StemIndex(context.state)
        self.actions: list[Action] = []
        self._touched: list[str] | None = None

    # bookkeeping ------------------------------------------------------------------------
    @property
    def touched(self) -> tuple[str, ...]:
        if self._touched is None:
            self._touched = list(self.ctx.last_touched)
        return tuple(self._touched)

    def emit(self, action: Action) -> None:
        self.actions.append(action)
        if action.target:
            self._touched = [t for t in self.touched if t != action.target] + [action.target]

    def targets(self, f: Frame, *, default: str = "touched", mentions: list[Mention] | None = None) -> list[str]:
        """Stems the clause points at; ``default`` when it names none: touched, all or none."""
        named = mentions if mentions is not None else f.stems
        ids: list[str] = []
        plural = any(t.kind == "ref" and t.text in ("them", "those", "these", "they") for t in f.tokens)
        for m in named:
            if m.ref == "rest":
                continue
            found = self.index.resolve(m, touched=self.touched, plural_ref=plural)
            if not found:
                raise Unclear(self._missing(m), [f"add {_label(m)}"] if m.role or m.instrument else None)
            ids += [i for i in found if i not in ids]
        if any(m.ref == "rest" for m in named):
            ids = [i for i in self.index.ids() if i not in ids]
        if not named:
            if default == "touched":
                ids = list(self.touched[-1:]) or (self.index.ids() if len(self.index.ids()) == 1 else [])
            elif default == "all":
                ids = list(self.touched[-1:]) or self.index.ids()
        excluded = {i for m in f.excepted for i in self.index.resolve(m, touched=self.touched)}
        return [i for i in ids if i not in excluded]

    def _missing(self, m: Mention) -> str:
        have = ", ".join(f"{e.stem_id} ({e.instrument})" for e in self.index.entries) or "none yet"
        if m.ref == "it":
            return f"I could not tell which stem 'it' means (stems: {have})"
        return f"there is no {_label(m)} in this session (stems: {have})"

    # the rules --------------------------------------------------------------------------
    def clause(self, f: Frame) -> bool:
        before = len(self.actions)
        if self.session_wide(f):
            self.add_parts(f)  # "write a chord progression in D minor": the key, and the chords
            return True
        for rule in (self.add_parts, self.effects, self.remove, self.mute, self.gain, self.pan,
                     self.instrument, self.parts, self.shape):
            if rule(f):
                break
        return len(self.actions) > before

    # tempo, key, length, meter, genre ----------------------------------------------------
    def session_wide(self, f: Frame) -> bool:
        named = [m for m in f.stems if m.role or m.instrument or m.family]
        done = False
        tempo = _tempo(f, stems_named=bool(named))
        if tempo:
            self.emit(Action("arrange", "tempo", params=tempo))
            done = True
        if f.has("key"):
            self.emit(Action("arrange", "key", params={"key": f.first("key")}))
            done = True
        elif f.has("mode") and not named and (f.verb in ("make", "set", "replace", None) or f.has("meta", "key")):
            key = parse_key(self.ctx.state.meta.key)
            mode = f.first("mode")
            tonic = key.tonic
            self.emit(Action("arrange", "key", params={"key": f"{tonic} {mode}"}))
            done = True
        elif not named and not f.has("voice") and (semis := _semitones(f)) is not None:
            self.emit(Action("arrange", "key", params={"semitones": semis}))
            done = True
        bars = _bars(f)
        if bars and not f.has("effect"):
            self.emit(Action("arrange", "bars", params=bars))
            done = True
        if f.has("timesig"):
            self.emit(Action("arrange", "time_signature", params={"time_signature": f.first("timesig")}))
            done = True
        styles = [t.value for t in f.tokens if t.kind == "style"]
        genre_words = f.has("meta", "genre") or f.verb in ("make", "set", "replace", "turn", None)
        if styles and not named and not f.has("voice") and genre_words and not f.has("fill") and f.verb not in _ADDING:
            self.emit(Action("arrange", "genre", params={"genre": styles[-1]}))
            done = True
        return done

    # new parts --------------------------------------------------------------------------
    def add_parts(self, f: Frame) -> bool:
        verbless = f.verb is None and all(t.kind in _NOUN_PHRASE for t in f.tokens) and not f.predicate_adjectives
        adding = f.verb in _ADDING or (f.verb == "make" and any(m.indefinite for m in f.stems)) or verbless
        if not adding:
            return False
        new = [m for m in f.stems if (m.role or m.instrument or m.family) and not m.excepted and self._is_new(m, f)]
        if not new:
            return False
        for m in new:
            self._add(m, f)
        loose = [t.value for t in f.tokens if t.kind == "effect"]
        for fx in [fx for m in f.mentions for fx in m.effects]:
            loose.remove(fx)
        for fx in loose:  # "warm piano chords drenched in reverb"
            self.emit(Action("effects", "add", self.touched[-1], {"effect": fx, **({"amount": 2.0} if f.has("verb", "drench") else {})}))
        return True

    def _is_new(self, m: Mention, f: Frame) -> bool:
        if m.fresh and not any(t.kind == "verb" and t.text in ("add", "layer", "include") for t in f.tokens):
            return not self.index.resolve(m)  # "give me a different melody": regenerate
        role = m.role or (INSTRUMENT_ROLE.get(m.instrument) if m.instrument else "chords")
        existing = self.index.resolve(m)
        if not existing:
            return True
        if (m.definite and not m.indefinite) or (f.verb is None and not m.indefinite):
            return False
        return not (role in ("drums", "bass") and not (m.styles or m.instrument))  # "add drums" twice: one kit

    def _add(self, m: Mention, f: Frame) -> None:
        role = m.role or (INSTRUMENT_ROLE[m.instrument] if m.instrument else "chords")
        instrument = m.instrument or ("piano" if m.family == "keys" else None)
        if instrument == "drum_kit" and role not in ("drums", "percussion"):
            instrument = None
        if role in ("drums", "percussion") and instrument not in (None, "drum_kit"):
            instrument = None
        agent = GENERATOR_FOR_ROLE[role]
        style = _part_style(agent, m.styles, f)
        if agent == "drums" and not style and {a for a, _, _ in m.adjectives} & {"lo-fi", "dusty", "mellow"}:
            style = "lofi"  # "a chill lo-fi beat", "a dusty drum beat"
        existing = [i for i in self.index.with_role(role)] if role in ("drums", "bass") else []
        if existing and (style or instrument):
            target = existing[0]
            params = {k: v for k, v in (("style", style),) if v}
            if instrument and instrument != self.index.get(target).instrument:
                self.emit(Action("sound", "instrument", target, {"instrument": instrument}))
            self.emit(Action(agent, "change" if params else "regenerate", target, params))
        else:
            target = self.index.new_id(role)
            params = {"role": role}
            if instrument:
                params["instrument"] = instrument
            if style:
                params["style"] = style
            if role == "melody" and f.has("melstyle"):
                params["style"] = f.first("melstyle")
            self.emit(Action(agent, "add", target, params))
            self.index.add(target, role, instrument or DEFAULT_INSTRUMENT[role], agent)
        for adjective, sign, amount in m.adjectives:
            self.emit(Action("sound", "shape", target, _shape_params(adjective, sign * amount)))
        for fx in m.effects:
            self.emit(Action("effects", "add", target, {"effect": fx}))

    # effects ----------------------------------------------------------------------------
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
        removing = f.verb in ("remove", "kill", "strip", "mute", "cut", "drop") or f.has("neg") or (
            f.has("less") and f.has("fxall"))
        if clear:
            for target in self.targets(f, default="all"):
                self.emit(Action("effects", "clear", target))
            return True
        for kind in dict.fromkeys(kinds):
            targets = self._effect_targets(f, kind, removing or f.has("less") or f.has("too"))
            for target in targets:
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

    def _dry(self, f: Frame) -> bool:
        """"dry it up": less of the time effects the stems have (all of them when "bone dry")."""
        targets = self.targets(f, default="all")
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
            return self.targets(f, mentions=mentions)
        having = [e.stem_id for e in self.index.entries if kind in e.effects]
        adjusting = f.has("fxparam") or f.has("more") or f.verb in ("set", "turn", "extend", "shorten")
        if (existing_only or adjusting) and having:
            touched = [t for t in self.touched if t in having]
            return touched[-1:] or having
        found = self.targets(f)
        if not found:
            raise Unclear(f"I could not tell which stem should get the {kind}",
                          [f"add {kind} to the {e.role}" for e in self.index.entries[:3]] or ["add warm piano chords with reverb"])
        return found

    def _effect_action(self, f: Frame, kind: str, target: str, removing: bool) -> Action:
        param = f.first("fxparam")
        number = _first_number(f)
        value = None
        if number is not None:
            value, unit = number
            value = value / 1000 if unit == "ms" and param in ("decay",) else value
            value = value / 100 if unit == "%" and param in ("mix", None) else value
            param = param or ("mix" if unit == "%" else "cutoff" if unit == "hz" and kind in ("lowpass", "highpass") else None)
        if f.has("notevalue") and kind == "delay":
            param, value = "time", f.first("notevalue")
        if removing and value is None:
            return Action("effects", "remove", target, {"effect": kind})
        if param and value is not None:
            intent = "add" if f.verb in _ADDING else "set"
            return Action("effects", intent, target, {"effect": kind, "param": param, "value": float(value)})
        less = f.has("less") or f.has("too") or f.has("dir", "down") or f.verb in ("quieter", "shorten")
        more = f.has("more") or f.has("dir", "up") or f.verb in ("louder", "extend") or f.verb == "drench"
        if f.verb in ("extend", "shorten") and not param:
            param = {"reverb": "decay", "delay": "time"}.get(kind)
        if less or more:
            params = {"effect": kind, "change": (-1 if less else 1) * (2.0 if f.verb == "drench" else f.amount)}
            if param and param not in ("mix",):
                params["param"] = param
            return Action("effects", "set", target, params)
        amount = 2.0 if f.verb == "drench" else f.amount
        return Action("effects", "add", target, {"effect": kind, **({"amount": amount} if amount != 1 else {})})

    # removing, muting -------------------------------------------------------------------
    def remove(self, f: Frame) -> bool:
        keep_only = f.excepted or f.verb == "keep" or (f.has("only") and f.verb in _REMOVING) or (
            f.verb == "strip" and any(t.text == "to" for t in f.tokens))
        negated = f.verb is None and f.tokens and f.tokens[0].kind == "neg" and f.stems  # "no drums"
        if f.verb not in _REMOVING and not negated and not (f.verb in ("kill", "drop", "cut") and f.has("voice")):
            return False
        if self._voices(f, include=False):
            return True
        if keep_only:
            keep = {i for m in (f.excepted or f.stems) for i in self.index.resolve(m, touched=self.touched)}
            if not keep:
                raise Unclear("I could not find the stems to keep", ["remove everything except the bass"])
            targets = [i for i in self.index.ids() if i not in keep]
        else:
            if not f.stems:
                return False
            targets = self.targets(f)
        for target in targets:
            self.emit(Action("arrange", "remove", target))
            self.index.remove(target)
        return bool(targets) or bool(keep_only)

    def mute(self, f: Frame) -> bool:
        verb = f.verb
        intent = _MUTING.get(verb or "")
        only = f.has("only") and verb is None and f.stems
        if only:
            intent = "solo"
        elif verb is None and f.stems and f.tokens[-1].kind == "prep" and f.tokens[-1].text == "on":
            intent = "unmute"  # "drums on"
        if intent is None or (verb in ("cut", "drop") and (_first_number(f) or f.has("interval"))):
            return False
        if self._voices(f, include=intent == "unmute"):
            return True
        if not f.stems and not f.excepted:
            if intent in ("unmute", "unsolo") and f.has("ref", "all"):
                pass
            else:
                return False
        if f.excepted and intent in ("mute", "solo"):
            keep = {i for m in f.excepted for i in self.index.resolve(m, touched=self.touched)}
            targets = [i for i in self.index.ids() if i not in keep] if intent == "mute" else sorted(keep)
        elif intent == "unmute" and not f.stems:
            targets = self.index.ids()
        else:
            targets = self._targets_or_restore(f) if intent == "unmute" else self.targets(f)
        for target in targets:
            self.emit(Action("mix", intent, target))
        if intent == "unmute" and f.has("ref", "all"):
            for e in self.index.entries:
                if e.solo:
                    self.emit(Action("mix", "unsolo", e.stem_id))
        return True

    def _targets_or_restore(self, f: Frame) -> list[str]:
        """"bring back the drums": unmute them, or restore them from an earlier version."""
        out = []
        for m in f.stems:
            found = self.index.resolve(m, touched=self.touched)
            if found:
                out += found
                continue
            old = self.ctx.find_removed(lambda s, m=m: _matches(s, m))
            if old is not None:
                target = self.index.new_id(old.stem_id)
                stem = old.evolve(stem_id=target, name="") if target != old.stem_id else old
                self.emit(Action("arrange", "restore", target, {"stem": json.dumps(stem.to_dict(with_hashes=False))}))
                self.index.add(target, stem.role, stem.instrument, stem.agent)
            else:
                self._add(m, f)
        return out

    def _voices(self, f: Frame, *, include: bool) -> bool:
        voices = [m.voice for m in f.mentions if m.voice and not m.role]
        if not voices:
            return False
        drums = self.index.with_role("drums")
        if not drums:
            if not include:
                raise Unclear("there are no drums to change", ["add a boom bap drum beat"])
            self._add(Mention(0, role="drums"), f)  # "let's get some hats going": a kit, hats and all
            return True
        key = "include" if include else "exclude"
        for target in drums:
            self.emit(Action("drums", "change", target, {key: sorted(set(voices))}))
        return True

    # levels and placement ---------------------------------------------------------------
    def gain(self, f: Frame) -> bool:
        up = f.verb == "louder" or (f.verb in ("turn", "set", "make", "place") and f.has("dir", "up"))
        down = f.verb == "quieter" or (f.verb in ("turn", "set", "make", "place", "cut") and f.has("dir", "down"))
        if f.has("meta", "volume") and not (up or down):
            up, down = f.has("more") or f.has("dir", "up"), f.has("less") or f.has("dir", "down")
        number = _first_number(f, unit="db")
        if _semitones(f, stem=True) is not None and f.stems:
            return False  # "put the melody up an octave" is a pitch, not a level
        if f.has("too"):
            up, down = down, up
        if not (up or down or number) and f.verb is None and f.stems and not _other_slots(f):
            up, down = f.has("more"), f.has("less")  # "more bass", "less drums"
        if not (up or down or number):
            if (f.has("dir", "up") or f.has("dir", "down")) and f.verb in (None, "turn", "set", "make", "place", "add"):
                up, down = f.has("dir", "up"), f.has("dir", "down")
            else:
                return False
        targets = self.targets(f, default="all")
        if not targets:
            raise Unclear("I could not tell which stem to turn", ["make the bass louder"])
        signed = number is not None and any(t.kind == "number" and t.text[:1] in "+-" for t in f.tokens)
        absolute = number is not None and (_before(f, "number") in ("to", "at") or (
            not (up or down or signed) and f.verb in ("set", "make", None)))
        if absolute:
            params = {"db": number[0]}
        else:
            db = abs(number[0]) if number else GAIN_STEP_DB * f.amount
            params = {"change_db": db if (up or (number and number[0] > 0 and not down)) else -db}
        for target in targets:
            self.emit(Action("mix", "gain", target, params))
        return True

    def pan(self, f: Frame) -> bool:
        side = next((d for d in f.values("dir") if d in ("left", "right", "center")), None)
        if side is None or not (f.verb in ("pan", "place", "add", "replace", "turn", "set", None) or f.stems):
            return False
        targets = self.targets(f)
        if not targets:
            raise Unclear("I could not tell which stem to pan", ["pan the bass hard right"])
        sign = {"left": -1.0, "right": 1.0, "center": 0.0}[side]
        number = _first_number(f)
        hard = "full" in f.values("amount") or "large" in f.values("amount")
        relative = (f.has("more") or "small" in f.values("amount")) and not hard and side != "center"
        if number and number[1] in ("%", ""):
            value = min(1.0, abs(number[0]) / (100 if number[1] == "%" or abs(number[0]) > 1 else 1))
            params = {"pan": sign * value}
        elif relative:
            params = {"change_pan": sign * PAN_STEP * (0.5 if "small" in f.values("amount") else 1.0)}
        else:
            params = {"pan": sign * (1.0 if hard else PAN_STEP)}
        for target in targets:
            self.emit(Action("mix", "pan", target, params))
        return True

    # instruments ------------------------------------------------------------------------
    def instrument(self, f: Frame) -> bool:
        if f.verb not in ("replace", "turn", "make", "set", "place") or not any(m.instrument for m in f.stems):
            return False
        new = [m for m in f.stems if m.instrument and self._names_new_instrument(m)]
        if not new:
            return False
        instrument = new[-1].instrument
        mentions = [m for m in f.stems if m not in new]
        targets = self.targets(f, mentions=mentions)
        if not targets:
            raise Unclear(f"I could not tell which stem should become {instrument}", ["replace the piano with an organ"])
        for target in targets:
            entry = self.index.get(target)
            if entry.role in ("drums", "percussion") and instrument != "drum_kit":
                raise Unclear(f"{target} is a drum part; it plays the drum kit, not {instrument}",
                              [f"add {instrument.replace('_', ' ')} chords"])
            if entry.instrument != instrument:
                self.emit(Action("sound", "instrument", target, {"instrument": instrument}))
                self.index.update(target, instrument=instrument)
        return True

    def _names_new_instrument(self, m: Mention) -> bool:
        """"an organ" in "replace the piano with an organ"; not "the piano" in "make the piano warmer"."""
        if m.indefinite:
            return True
        found = self.index.resolve(m)
        return not found or all(self.index.get(i).instrument != m.instrument for i in found)

    # part settings ----------------------------------------------------------------------
    def parts(self, f: Frame) -> bool:
        generated = [i for i in self.targets(f, default="none") if self.index.get(i).agent in GENERATOR_FOR_ROLE.values()]
        named = bool(f.stems)
        acts: list[Action] = []
        semis = _semitones(f, stem=True)
        regen = f.verb == "regenerate" or (any(m.fresh for m in f.stems) and f.verb in (None, "add", "make", "replace", "turn"))
        if self._voices(f, include=f.verb in ("add", "unmute")):
            return True
        if semis is not None and named:
            octaves, rest = divmod(abs(semis), 12)
            sign = 1 if semis > 0 else -1
            params = {"octaves": sign * octaves} if not rest else {"semitones": semis}
            acts += [Action(self.index.get(i).agent, "shift", i, params) for i in generated if self.index.get(i).role not in ("drums", "percussion")]
        elif regen:
            acts += [Action(self.index.get(i).agent, "regenerate", i) for i in generated]
        swing = _swing(f)
        density = _density(f)
        feel = f.first("feel")
        fills = f.has("fill")
        styled = [t for t in f.tokens if t.kind == "style"]
        if swing is not None or feel or fills:
            drums = [i for i in generated if self.index.get(i).role == "drums"] if named else self.index.with_role("drums")
            pitched = [i for i in generated if self.index.get(i).role != "drums"] if swing is not None else []
            for i in drums + pitched:
                params = dict(swing or {})
                if feel and self.index.get(i).role == "drums":
                    params["half_time"] = feel == "half"
                if fills and self.index.get(i).role == "drums":
                    params["fills"] = not (f.has("neg") or f.verb in ("remove", "kill"))
                if params:
                    acts.append(Action(self.index.get(i).agent, "change", i, params))
        if density is not None:
            targets = generated or [i for i in self.touched[-1:] if self.index.get(i) and self.index.get(i).agent in GENERATOR_FOR_ROLE.values()]
            acts += [Action(self.index.get(i).agent, "change", i, {"density_change": density * f.amount}) for i in targets]
        if styled and generated and not acts:
            for i in generated:
                agent = self.index.get(i).agent
                style = _part_style(agent, [(t.value, t.extra) for t in styled], f)
                if style:
                    acts.append(Action(agent, "change", i, {"style": style}))
        for a in acts:
            self.emit(a)
        return bool(acts)

    # sound ------------------------------------------------------------------------------
    def shape(self, f: Frame) -> bool:
        adjectives = f.predicate_adjectives or [a for m in f.stems for a in m.adjectives]
        if not adjectives:
            return False
        negate = -1 if (f.has("less") or f.has("too") or f.has("neg")) else 1
        mentions = f.stems + [m for m in f.mentions if m.voice and not m.is_stem]
        targets = self.targets(f, mentions=mentions, default="all") if mentions else self.targets(f, default="all")
        if not targets:
            raise Unclear("I could not tell which stem should change", ["make the piano warmer"])
        for adjective, sign, amount in adjectives:
            for target in targets:
                how_much = amount if amount != 1 else f.amount
                self.emit(Action("sound", "shape", target, _shape_params(adjective, negate * sign * how_much)))
        return True


# slot readers ---------------------------------------------------------------------------
def _label(m: Mention) -> str:
    if m.instrument:
        return m.instrument.replace("_", " ")
    return m.role or m.family or m.voice or m.name or "stem"


def _matches(stem, m: Mention) -> bool:
    if m.instrument and stem.instrument != m.instrument:
        return False
    if m.role and stem.role != m.role:
        return False
    return bool(m.instrument or m.role)


def _other_slots(f: Frame) -> bool:
    return any(f.has(k) for k in ("adj", "effect", "swing", "density", "voice", "feel", "fill", "interval", "style"))


def _before(f: Frame, kind: str) -> str:
    for i, t in enumerate(f.tokens):
        if t.kind == kind:
            return f.tokens[i - 1].text if i else ""
    return ""


def _first_number(f: Frame, *, unit: str | None = None) -> tuple[float, str] | None:
    for v in f.values("number"):
        if unit is None or v[1] == unit:
            return v
    return None


def _tempo(f: Frame, *, stems_named: bool) -> dict | None:
    number = _first_number(f)
    speed = f.verb in ("speedup", "slowdown") or "speedup" in f.verbs or "slowdown" in f.verbs
    sign = -1 if ("slowdown" in f.verbs or f.has("dir", "down") or f.has("less")) else 1
    if number and number[1] == "bpm":
        if speed and _before(f, "number") not in ("to", "at"):
            return {"change_bpm": sign * abs(number[0])}
        return {"bpm": number[0]}
    tempo_word = f.has("meta", "tempo")
    if number and number[1] == "%" and (speed or tempo_word):
        return {"factor": 1 + sign * number[0] / 100}
    if number and number[1] == "x" and (speed or tempo_word):
        return {"factor": number[0]}
    if (f.verb in ("double", "halve") or "double" in f.verbs or "halve" in f.verbs) and (tempo_word or speed):
        return {"factor": 2.0 if "double" in f.verbs else 0.5}
    if number and not number[1] and 20 <= number[0] <= 300 and not stems_named and not f.has("effect"):
        if tempo_word or speed or (f.verb in ("set", "make", "turn", None) and not f.has("meta") and not f.has("key")):
            if speed and _before(f, "number") not in ("to", "at"):
                return {"change_bpm": sign * number[0]} if number[0] < 60 else {"bpm": number[0]}
            return {"bpm": number[0]}
    if speed and not stems_named:
        return {"change_bpm": sign * TEMPO_STEP * f.amount}
    if tempo_word and (f.has("dir") or f.has("more") or f.has("less")) and not stems_named:
        return {"change_bpm": sign * TEMPO_STEP * f.amount}
    return None


def _semitones(f: Frame, *, stem: bool = False) -> int | None:
    """A transposition: "up a fifth", "down 2 semitones", "an octave higher", "drop it a whole step"."""
    interval = f.first("interval")
    number = next((v for v in f.values("number") if v[1] in ("st", "oct")), None)
    if interval is None and number is None:
        bare = next((v for v in f.values("number") if not v[1]), None)
        if bare is not None and (f.verb == "transpose" or f.has("meta", "key")) and abs(bare[0]) <= 24:
            number = (bare[0], "st")
        else:
            return None
    if number is not None:
        semis = number[0] * (12 if number[1] == "oct" else 1)
    else:
        semis = interval
    down = f.has("dir", "down") or f.verb in ("drop",) or (number is not None and number[0] < 0)
    moving = f.verb in ("transpose", "drop", "replace", "set", "make", "place", "turn", "add") or f.has("dir", "up") or down
    if not moving:
        return None
    semis = int(round(abs(semis)))
    return -semis if down else semis


def _bars(f: Frame) -> dict | None:
    number = _first_number(f, unit="bars")
    length_word = f.has("meta", "length") or f.has("meta", "bars")
    if number:
        n = int(number[0])
        if f.verb in ("add", "extend") and _before(f, "number") not in ("to",):
            return {"change_bars": n}
        if f.verb in ("remove", "shorten", "cut") and _before(f, "number") not in ("to",):
            return {"change_bars": -n}
        return {"bars": n}
    bare = _first_number(f)
    if bare and not bare[1] and length_word and 1 <= bare[0] <= 256:
        return {"bars": int(bare[0])}
    if f.verb in ("extend", "shorten") or (("double" in f.verbs or "halve" in f.verbs) and length_word):
        if f.stems or f.has("effect"):
            return None
        grow = f.verb == "extend" or "double" in f.verbs
        return {"factor": 2.0 if grow else 0.5}
    return None


def _swing(f: Frame) -> dict | None:
    if not f.has("swing"):
        return None
    if "straight" in f.values("swing") or f.has("neg"):
        return {"swing": 0.0}
    number = _first_number(f)
    if number and number[1] == "%":
        pct = number[0]
        return {"swing": min(1.0, max(0.0, (pct - 50) / 16.7 if pct >= 50 else pct / 100))}
    sign = -1 if f.has("less") or f.has("too") else 1
    return {"swing_change": sign * SWING_STEP * f.amount}


def _density(f: Frame) -> float | None:
    values = f.values("density")
    if not values:
        return None
    return DENSITY_STEP if values[0] == "up" else -DENSITY_STEP


def _part_style(agent: str, styles: list[tuple[str, str]], f: Frame) -> str | None:
    """The style a part takes from style words: a groove, a progression family, a bass style."""
    if not styles:
        return None
    genre, part = styles[-1]
    if agent == "drums":
        return part if part in GROOVES else STYLE_FOR_GENRE.get(genre)
    if agent == "harmony":
        return GENRE_FAMILY.get(genre)
    if agent == "bass":
        return part if part in BASS_STYLES else BASS_STYLE_FOR_GENRE.get(genre)
    return None


def _shape_params(adjective: str, amount: float) -> dict:
    amount = max(-3.0, min(3.0, amount))
    return {"adjective": adjective} if amount == 1 else {"adjective": adjective, "amount": amount}
