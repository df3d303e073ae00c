"""Rules for which stems are heard and how: remove, keep only, mute, solo, bring back, level, pan."""

from __future__ import annotations

import json

from orchestria_lab.agents.base import Action
from orchestria_lab.language import polarity, slots
from orchestria_lab.language.frames import WISHES, Frame, Mention
from orchestria_lab.language.targets import StemIndex, Unclear, add_one

_MUTING = {"mute": "mute", "kill": "mute", "drop": "mute", "cut": "mute", "unmute": "unmute",
           "solo": "solo", "unsolo": "unsolo"}
_REMOVING = ("remove", "strip", "keep")


class MixRules:
    """Mixed into :class:`~orchestria_lab.language.rules.Planning`."""

    index: StemIndex

    def remove(self, f: Frame) -> bool:
        keep_only = f.excepted or f.verb == "keep" or (f.has("only") and f.verb in _REMOVING) or (
            f.verb == "strip" and any(t.text == "to" for t in f.tokens))
        negated = f.verb is None and f.tokens and f.tokens[0].kind == "neg" and f.stems and not (
            slots.other_slots(f))  # "no drums", not "no swing on the drums"
        if f.verb not in _REMOVING and not negated and not (f.verb in ("kill", "drop", "cut") and f.has("voice")):
            return False
        if self._voices(f, include=False):
            return True
        if keep_only:
            keep = {i for m in (f.excepted or f.stems) for i in self.index.resolve(m, touched=self.touched)}
            self.named |= keep
            if not keep:
                raise Unclear("I could not find the stems to keep", ["remove everything except the bass"])
            targets = [i for i in self.index.ids() if i not in keep]
        else:
            if not f.stems:
                return False
            targets = self.targets(f)
        if self.scope is not None and not keep_only:  # "drop the drums for the first 4 bars": silent there
            for target in targets:
                self.emit(Action("arrange", "clear", target))
            return bool(targets)
        for target in targets:
            self.emit(Action("arrange", "remove", target))
            self.index.remove(target)
        return bool(targets) or bool(keep_only)

    def balance(self, f: Frame) -> bool:
        """"balance the mix", "auto-mix the drums": the stems named (every stem without one, or with
        "the mix") back at their roles' levels."""
        if f.verb != "balance":
            return False
        named = [m for m in f.stems if not m.ref]
        targets = self.targets(f) if named and not f.has("ref", "all") else self.index.ids()
        if not targets:
            raise Unclear("there is nothing to balance yet", ["add a drum beat", "add a bass line"])
        for target in targets:
            self.emit(Action("mix", "balance", target))
        return True

    def mute(self, f: Frame) -> bool:
        verb = f.verb
        intent = _MUTING.get(verb or "")
        only = f.has("only") and f.stems and not any(f.has(k) for k in ("adj", "density", "swing", "humanize", "effect", "pattern")) and (
            verb is None or (verb in ("add", "turn") and all(
            self.index.resolve(m, touched=self.touched) for m in f.stems)))  # "bring in the bass only"
        if verb == "listen":  # "let me hear the bass", "I only want to hear the piano"
            if f.has("more") or f.has("dir", "up"):
                return False  # "I want to hear the bass more": a level
            intent = "unmute" if f.has("ref", "all") else "solo"
        if only:
            intent = "solo"
        elif verb is None and f.stems and f.tokens[-1].kind == "prep" and f.tokens[-1].text == "on":
            intent = "unmute"  # "drums on"
        if intent is None or (verb in ("cut", "drop") and (slots.first_number(f) or f.has("interval"))):
            return False
        if intent in ("solo", "unsolo") and not f.stems and any(m.voice for m in f.mentions):
            targets = self.index.with_role("drums")  # "solo the kick": the kit it plays in
            if not targets:
                raise Unclear("there are no drums to solo", ["add a boom bap drum beat"])
            for target in targets:
                self.emit(Action("mix", intent, target))
            return True
        if self._voices(f, include=intent == "unmute"):
            return True
        bare = all(t.kind in ("verb", "filler", "det", "back", "off", "amount") for t in f.tokens)
        if not f.stems and not f.excepted and bare and intent in ("unmute", "unsolo"):
            return self._release(intent)  # "unsolo", "unmute": whatever is soloed or muted
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
        if self.scope is not None and intent == "mute":  # "mute the bass in bars 5-8": silent there
            for target in targets:
                self.emit(Action("arrange", "clear", target))
            return True
        for target in targets:
            self.emit(Action("mix", intent, target))
        if intent == "unmute" and f.has("ref", "all"):
            for e in self.index.entries:
                if e.solo:
                    self.emit(Action("mix", "unsolo", e.stem_id))
        return True

    def _release(self, intent: str) -> bool:
        field = "solo" if intent == "unsolo" else "muted"
        targets = [e.stem_id for e in self.index.entries if getattr(e, field)]
        if not targets:
            have = ", ".join(e.stem_id for e in self.index.entries) or "none yet"
            raise Unclear(f"no stem is {'soloed' if field == 'solo' else 'muted'} (stems: {have})",
                          ["solo the bass" if field == "solo" else "mute the drums"])
        for target in targets:
            self.emit(Action("mix", intent, target))
        return True

    def _targets_or_restore(self, f: Frame) -> list[str]:
        """"bring back the drums": unmute them, or restore them from an earlier version."""
        out = []
        for m in f.stems:
            found = self.index.resolve(m, touched=self.touched)
            if found:
                out += found
                continue
            old = self.ctx.find_removed(lambda s, m=m: slots.matches(s, m))
            if old is not None:
                target = self.index.new_id(old.stem_id)
                stem = old.evolve(stem_id=target, name="") if target != old.stem_id else old
                self.emit(Action("arrange", "restore", target, {"stem": json.dumps(stem.to_dict(with_hashes=False))}))
                self.index.add(target, stem.role, stem.instrument, stem.agent)
            else:  # what never played cannot come back: it is made by asking for it
                raise Unclear(self._missing(m), [add_one(slots.label(m))])
        return out

    def _voices(self, f: Frame, *, include: bool) -> bool:
        voices = [m.voice for m in f.mentions if m.voice and not m.role]
        if not voices:
            return False
        drums = self.index.with_role("drums")
        if not drums:
            if not include:
                raise Unclear("there are no drums to change", ["add a boom bap drum beat"])
            styles = [(t.value, t.extra) for t in f.tokens if t.kind == "style"]  # "add a four on the floor kick"
            first = len(self.actions)
            self._add(Mention(0, role="drums", styles=styles), f)  # "let's get some hats going": a kit, hats and all
            self.actions[first] = self.actions[first].with_params(include=sorted(set(voices)))  # claps too
            return True
        key = "include" if include else "exclude"
        params: dict = {key: sorted(set(voices))}
        style = slots.part_style("drums", [(t.value, t.extra) for t in f.tokens if t.kind == "style"], f)
        if style and include:
            params["style"] = style  # "add a four on the floor kick": that groove, kick and all
        for target in drums:
            self.emit(Action("drums", "change", target, params))
        return True

    def reset(self, f: Frame) -> bool:
        """"reset the pan on the bass", "reset the drums": back to the defaults asked for."""
        if f.verb != "reset":
            return False
        targets = self.targets(f, default="touched")
        if not targets:
            raise Unclear("I could not tell which stem to reset", ["reset the pan on the bass"])
        pan, level = "pan" in f.verbs or f.has("dir", "center"), f.has("meta", "volume")
        effects, sound = f.has("fxall"), f.has("meta", "sound")
        everything = not (pan or level or effects or sound)
        for target in targets:
            if pan or everything:
                self.emit(Action("mix", "pan", target, {"pan": 0.0}))
            if level or everything:
                self.emit(Action("mix", "gain", target, {"db": 0.0}))
            if effects:
                self.emit(Action("effects", "clear", target))
            if sound or everything:
                self.emit(Action("sound", "reset", target))
        return True

    def gain(self, f: Frame) -> bool:
        if slots.semitones(f, stem=True) is not None and f.stems:
            return False  # "put the melody up an octave" is a pitch, not a level
        number = slots.first_number(f, unit="db")
        if number is None and f.has("meta", "volume"):
            number = next((v for v in f.values("number") if not v[1]), None)  # "set the drums volume to -10"
        up, down = f.verb == "louder" or (f.verb == "listen" and f.has("more")), f.verb == "quieter"
        lead = next((t for t in f.tokens if t.kind not in ("filler", "det", "amount", "only")), None)
        if lead is not None and lead.kind == "adj":
            return False  # "brighten the 808 up", "warm it up": the word is the verb, "up" is its
        if not (up or down) and f.verb in (None, "turn", "set", "make", "place", "add", "drop", "cut", "take"):
            up, down = f.has("dir", "up"), f.has("dir", "down")  # "bring the keys up", "lower the chords"
        if f.verb in ("drop", "cut") and number and not up:
            down = True  # "cut the bass by 3 dB"
        if f.has("meta", "volume") and not (up or down):
            up, down = f.has("more"), f.has("less")
        wish = f.verb is None or (f.verb == "add" and any(t.kind == "verb" and t.text in WISHES for t in f.tokens))
        if not (up or down or number) and wish and f.stems and not slots.other_slots(f):
            if any(t.kind == "too" and "much" in t.text for t in f.tokens):  # "the drums are a bit much"
                return self._level(f, False, True, None)
            up, down = f.has("more"), f.has("less")  # "more bass", "less drums"
        pole = any(t.kind == "verb" and t.text in polarity.BARE_VERBS for t in f.tokens) or f.has("neg") or f.has("dir")
        if (f.flipped and pole) or (f.has("less") and f.verb in ("louder", "quieter")):  # "too loud", "not so loud",
            up, down = down, up  # "less loud"; "too in your face" already names the excess
        if not (up or down or number):
            return False
        return self._level(f, up, down, number)

    def _level(self, f: Frame, up: bool, down: bool, number: tuple[float, str] | None) -> bool:
        # "make the chorus louder": some bars of the song, so every part in them
        targets = self.index.ids() if self.scope is not None and not f.stems else self.targets(f, default="all")
        if not targets:
            raise Unclear("I could not tell which stem to turn", ["make the bass louder"])
        signed = number is not None and any(t.kind == "number" and t.text[:1] in "+-" for t in f.tokens)
        absolute = number is not None and (slots.before(f, "number") in ("to", "at") or (
            not (up or down or signed) and f.verb in ("set", "make", None)))
        if absolute:
            params = {"db": number[0]}
        else:
            db = abs(number[0]) if number else slots.GAIN_STEP_DB * f.amount
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
        number = slots.first_number(f)
        hard = "full" in f.values("amount") or "large" in f.values("amount")
        relative = (f.has("more") or "small" in f.values("amount")) and not hard and side != "center"
        if number and number[1] in ("%", ""):
            value = min(1.0, abs(number[0]) / (100 if number[1] == "%" or abs(number[0]) > 1 else 1))
            params = {"pan": sign * value}
        elif relative:
            params = {"change_pan": sign * slots.PAN_STEP * (0.5 if "small" in f.values("amount") else 1.0)}
        else:
            params = {"pan": sign * (1.0 if hard else slots.PAN_STEP)}
        for target in targets:
            self.emit(Action("mix", "pan", target, params))
        return True

    # instruments ------------------------------------------------------------------------
