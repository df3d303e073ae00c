"""Rules for the parts themselves: instrument swaps, regenerate, octave, density, swing, feel, style, sound."""

from __future__ import annotations

import json

from orchestria_lab.agents.base import Action
from orchestria_lab.agents.context import GENERATOR_FOR_ROLE
from orchestria_lab.language import slots
from orchestria_lab.language.frames import Frame, Mention
from orchestria_lab.language.targets import INSTRUMENT_ROLE, StemIndex, Unclear

#: Verbs of adding that put a copy of a part beside it ("stack the lead with a pad").
_LAYER = ("layer", "stack", "double up")
#: Where a layer sits against the part it copies: under it, so the pair is not 6 dB louder.
LAYER_DB = -6.0


class PartRules:
    """Mixed into :class:`~orchestria_lab.language.rules.Planning`."""

    index: StemIndex

    def double(self, f: Frame) -> bool:
        """ "double the chords an octave down", "layer the bass with a guitar": a copy of the part as a new
        stem, moved or played on another instrument; the part itself stays as it is."""
        layering = f.verb == "double" or (f.verb == "add" and any(t.kind == "verb" and t.text in _LAYER for t in f.tokens))
        if not layering or not f.stems:
            return False
        semis = slots.semitones(f, stem=True)
        first = f.stems[0]
        instrument = next((m.instrument for m in f.stems[1:] if m.instrument), None)
        if first.instrument and first.played_on:  # "the melody with strings" reads as one part on strings
            instrument = first.instrument
            first = Mention(first.pos, role=first.role, definite=first.definite)
        if semis is None and instrument is None:
            return False  # "double the tempo", "double the hats" are other rules
        sources = self.targets(f, mentions=[first])
        for source in sources:
            stem = self.ctx.state.stem(source)
            if stem.is_drums:
                raise Unclear(f"{source} is a drum part; a copy of it an octave away is not something I make",
                              [f"double the {stem.role} with {instrument or 'strings'}"] if instrument else None)
            copy_id = self.index.new_id(stem.role)
            copy = stem.evolve(stem_id=copy_id, name="", instrument=instrument or stem.instrument,
                               tone={} if instrument else stem.tone, gain_db=max(-60.0, stem.gain_db + LAYER_DB))
            self.emit(Action("arrange", "restore", copy_id, {"stem": json.dumps(copy.to_dict(with_hashes=False)),
                                                            "copy_of": source}))
            self.index.add(copy_id, copy.role, copy.instrument, copy.agent)
            if semis:
                octaves, rest = divmod(abs(semis), 12)
                sign = 1 if semis > 0 else -1
                self.emit(Action(copy.agent, "shift", copy_id, {"octaves": sign * octaves} if not rest else {"semitones": semis}))
        return bool(sources)

    def instrument(self, f: Frame) -> bool:
        allowed = f.verb in ("replace", "turn", "make", "set", "place") or (f.verb == "add" and self.swaps(f))
        moved = self._played_on(f)  # "put the melody on bells", "try the melody on a synth"
        if not (allowed or moved) or not any(m.instrument for m in f.stems):
            return False
        if f.verb in ("make", "set", "turn") and not moved and any(f.has(k) for k in _CONTENT):
            return False  # "make the organ warmer" asks the organ for a sound; it never makes one
        first = f.stems[0]
        if (len(f.stems) >= 2 and first.instrument and first.definite and not first.indefinite
                and not self.index.resolve(first, touched=self.touched)):
            raise Unclear(self._missing(first), [f"replace the {e.role} with {f.stems[-1].instrument.replace('_', ' ')}"
                                                 for e in self.index.entries if e.role not in ("drums", "percussion")][:2] or None)  # the organ is not the piano
        new = [m for m in f.stems if m.instrument and self._names_new_instrument(m)]
        last = f.stems[-1]
        lead = [t.kind for t in f.tokens[:last.pos] if t.kind not in ("det", "adj", "filler")][-1:]
        if not new and len(f.stems) >= 2 and last.instrument and lead == ["prep"]:
            new = [last]  # "play the melody on electric piano" when it does: the agent says it already does
        if not new:
            return False
        instrument = new[-1].instrument
        mentions = [m for m in f.stems if m not in new]
        if moved:
            targets = self.index.resolve(Mention(moved.pos, role=moved.role), touched=self.touched)
        elif not mentions and (same := self.index.with_role(INSTRUMENT_ROLE[instrument])):
            targets = same  # "use a bass guitar instead": the part that instrument plays
        else:
            targets = self.targets(f, mentions=mentions)
        if not targets:
            raise Unclear(f"I could not tell which stem should become {instrument}", ["replace the piano with an organ"])
        for target in targets:
            entry = self.index.get(target)
            if entry.role in ("drums", "percussion") and instrument != "drum_kit":
                raise Unclear(f"{target} is a drum part; it plays the drum kit, not {instrument}",
                              [f"add {instrument.replace('_', ' ')} chords"])
            self.emit(Action("sound", "instrument", target, {"instrument": instrument}))  # the same: "already plays"
            self.index.update(target, instrument=instrument)
        return True

    def _played_on(self, f: Frame) -> Mention | None:
        """An existing part named with "on" a new instrument, and nothing else asked of it."""
        if f.verb not in ("add", "make", "replace", None) or any(f.has(k) for k in _CONTENT):
            return None
        for m in f.stems:
            if m.played_on and m.definite and m.role:
                found = self.index.resolve(Mention(m.pos, role=m.role), touched=self.touched)
                if found and any(self.index.get(i).instrument != m.instrument for i in found):
                    return m
        return None

    def swaps(self, f: Frame) -> bool:
        """"put the piano on strings": an existing part named first, then "on" a new instrument."""
        stems = f.stems
        if len(stems) < 2 or not stems[0].definite or not self.index.resolve(stems[0], touched=self.touched):
            return False
        last = stems[-1]
        before = f.tokens[last.pos - 1] if last.pos > 0 else None
        return bool(last.instrument) and before is not None and before.text in ("on", "to", "onto", "into", "with")

    def _names_new_instrument(self, m: Mention) -> bool:
        """"an organ" in "replace the piano with an organ"; not "the piano" in "make the piano warmer"."""
        if m.indefinite:
            return True
        found = self.index.resolve(m)
        return not found or all(self.index.get(i).instrument != m.instrument for i in found)

    def parts(self, f: Frame) -> bool:
        voiced = f.verb in ("add", "unmute", "remove", "kill", "mute", "drop", "cut") or f.has("neg") or (
            f.verb is None and all(t.kind in ("voice", "det", "filler", "amount", "more") for t in f.tokens))
        voiced &= not any(f.has(k) for k in ("density", "swing", "humanize", "feel", "fill"))  # "ghost notes on the snare"
        drums = self.index.with_role("drums")
        placing = f.verb in ("add", "place", "replace", None) and not f.has("neg")
        if self.scope is not None and drums and placing and (f.has("voice", "crash") or f.has("fill")):
            for i in drums:  # "put a crash at bar 9", "a drum fill into the chorus": at that bar
                self.emit(Action("drums", "crash" if f.has("voice", "crash") else "fill", i))
            return True
        if voiced and self._voices(f, include=f.verb in ("add", "unmute", None) and not f.has("neg")):
            return True  # before the stems are looked up: "add some hats" with no kit yet makes one
        generated = [i for i in self.targets(f, default="none") if self.index.get(i).agent in GENERATOR_FOR_ROLE.values()]
        named = bool(f.stems)
        if self.scope is not None and not named:  # "make the chorus busier", "regenerate bars 9 to 16": every part there
            generated = [i for i in self.index.ids() if self.index.get(i).agent in GENERATOR_FOR_ROLE.values()]
        acts: list[Action] = []
        semis = slots.semitones(f, stem=True)
        regen = f.verb == "regenerate" or (any(m.fresh for m in f.stems) and f.verb in (None, "add", "make", "replace", "turn"))
        regen |= f.verb == "replace" and named and not _settings(f) and not any(
            t.kind == "verb" and t.text.startswith(("play", "use")) for t in f.tokens)  # "change the drum pattern", not "play it"
        if semis is not None and named:
            octaves, rest = divmod(abs(semis), 12)
            sign = 1 if semis > 0 else -1
            params = {"octaves": sign * octaves} if not rest else {"semitones": semis}
            acts += [Action(self.index.get(i).agent, "shift", i, params) for i in generated if self.index.get(i).role not in ("drums", "percussion")]
        elif regen:
            acts += [Action(self.index.get(i).agent, "regenerate", i) for i in generated]
        swing = slots.swing(f)
        density = slots.density(f)
        feel = f.first("feel")
        fills = f.has("fill")
        styled = [t for t in f.tokens if t.kind == "style"]
        if swing is not None or feel or fills:
            drums = [i for i in generated if self.index.get(i).role == "drums"] if named else self.index.with_role("drums")
            pitched = [i for i in generated if self.index.get(i).role != "drums"] if swing is not None else []
            for i in drums + pitched:
                params = dict(swing or {})
                if feel and self.index.get(i).role == "drums":
                    params.update(_FEEL[feel])
                if fills and self.index.get(i).role == "drums":
                    params["fills"] = not (f.has("neg") or f.has("off") or f.verb in ("remove", "kill", "mute", "strip", "drop", "cut"))
                if params:
                    acts.append(Action(self.index.get(i).agent, "change", i, params))
        played = slots.humanize(f)
        if played is not None:  # "humanize the drums", "quantize the piano": the part played by hand, or on the grid
            targets = self._generated_or_last(generated)
            if not targets:
                raise Unclear("humanizing plays a generated part by hand; name the part",
                              ["humanize the drums", "quantize the bass"])
            acts += [Action(self.index.get(i).agent, "change", i, {"humanize": played}) for i in targets]
        if density is not None:
            targets = self._generated_or_last(generated)
            if any(t.kind == "density" and "ghost" in t.text for t in f.tokens):
                targets = [i for i in targets if self.index.get(i).role == "drums"] or self.index.with_role("drums")
            acts += [Action(self.index.get(i).agent, "change", i, {"density_change": density * f.amount}) for i in targets]
        if slots.patterns(f) or f.has("voicing"):  # "sustained chords", "power chords", "an offbeat bass"
            fitting = [i for i in (generated or self.index.ids()) if slots.pattern_params(self.index.get(i).agent, f)]
            if not generated and len(fitting) > 1:
                fitting = [i for i in self.touched[-1:] if i in fitting] or fitting[:1]
            for i in fitting:
                acts.append(Action(self.index.get(i).agent, "change", i, slots.pattern_params(self.index.get(i).agent, f)))
        melodic = [i for i in generated if self.index.get(i).agent == "melody"]
        if f.has("melstyle") and melodic and not acts:  # "make the melody catchier": a hook
            acts += [Action("melody", "change", i, {"style": f.first("melstyle")}) for i in melodic]
        if styled and generated and not acts:
            for i in generated:
                agent = self.index.get(i).agent
                style = slots.part_style(agent, [(t.value, t.extra) for t in styled], f)
                if style:
                    acts.append(Action(agent, "change", i, {"style": style}))
        for a in acts:
            self.emit(a)
        return bool(acts)

    def _generated_or_last(self, generated: list[str]) -> list[str]:
        """The generated parts the clause names, else the last part touched if a generator made it."""
        return generated or [i for i in self.touched[-1:] if self.index.get(i)
                             and self.index.get(i).agent in GENERATOR_FOR_ROLE.values()]

    def shape(self, f: Frame) -> bool:
        adjectives = f.predicate_adjectives or [a for m in f.stems for a in m.adjectives]
        if not adjectives:
            return False
        negate = -1 if (f.has("less") or f.flipped) else 1
        mentions = f.stems + [m for m in f.mentions if m.voice and not m.is_stem]
        targets = self.targets(f, mentions=mentions, default="all") if mentions else self.targets(f, default="all")
        if not targets:
            raise Unclear("I could not tell which stem should change", ["make the piano warmer"])
        for adjective, sign, amount in adjectives:
            for target in targets:
                how_much = amount if amount != 1 else f.amount
                self.emit(Action("sound", "shape", target, slots.shape_params(adjective, negate * sign * how_much)))
        return True



#: Slots that make a clause ask for more than an instrument ("make the melody on piano brighter").
_CONTENT = ("adj", "effect", "dir", "number", "swing", "humanize", "density", "feel", "fill", "interval", "voice", "more",
            "less", "style", "meta", "pattern", "voicing")

#: What a time feel asks of a drum part.
_FEEL = {"half": {"half_time": True}, "double": {"double_time": True},
         "normal": {"half_time": False, "double_time": False}}


def _settings(f: Frame) -> bool:
    """Whether the clause asks for a particular change (a style, swing, an octave ...)."""
    return any(f.has(k) for k in ("style", "swing", "humanize", "density", "feel", "fill", "interval", "number", "adj",
                                  "effect", "voice", "instrument", "key", "timesig", "dir", "pattern", "voicing"))
