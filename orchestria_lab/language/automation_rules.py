"""Rules for changes over time, written as automation lanes (music/automation.py): fades, filter
sweeps, builds, pans that move, effects that come in for some bars, and sidechain ducking.

What each gesture moves, and from where to where, is data (:data:`SWEEPS`, :data:`FADE_DB`,
:data:`BUILD`); the rules only read which gesture a clause makes, on which parts, over which bars.
"""

from __future__ import annotations

from orchestria_lab.agents.base import Action
from orchestria_lab.language.frames import Frame
from orchestria_lab.language.targets import StemIndex, Unclear
from orchestria_lab.music.scope import Scope

#: Words for a change of level over time, and which way each goes when it says (None: by the bars).
FADING = {"fade": None, "fades": None, "fading": None, "faded": None, "swell": "in", "swells": "in",
          "crescendo": "in", "decrescendo": "out", "diminuendo": "out"}
#: A fade runs between silence and the stem's level.
FADE_DB = -60.0
#: The words that say a filter moves, and which way (up: the cutoff rises).
SWEEP_WORDS = {"open": "up", "opens": "up", "opening": "up", "up": "up", "sweep": "up", "sweeps": "up",
               "rise": "up", "rising": "up", "close": "down", "closes": "down", "closing": "down", "down": "down",
               "fall": "down", "falling": "down"}
#: Where a filter sweep starts and ends (Hz), per filter and direction.
SWEEPS: dict[tuple[str, str], tuple[float, float]] = {
    ("lowpass", "up"): (250.0, 18000.0), ("lowpass", "down"): (18000.0, 350.0),
    ("highpass", "up"): (20.0, 1500.0), ("highpass", "down"): (1500.0, 20.0),
}
#: A build: every part rises from this many dB below its level, and the harmony opens a lowpass.
BUILD = {"gain_db": -9.0, "lowpass_hz": (900.0, 18000.0), "bars": 4, "opens": ("chords", "pad", "arp", "lead", "melody")}
_BUILD_WORDS = ("build", "build up", "builds", "building", "buildup", "build-up", "rise", "lift")
#: Words that say a sidechain duck ("sidechain the pad to the kick", "duck the pad under the kick").
DUCKING = ("duck", "ducks", "ducking", "pump", "pumping", "pumps", "sidechain")
#: How far an effect comes in or goes out for some bars ("more delay in the last 4 bars").
EFFECT_STEP = 0.3
#: The default length of a fade said without bars: the first (in) or last (out) bars.
FADE_BARS = 4
#: Words that, with "in" and a bar, say a part enters there ("bring the drums in at bar 5").
_ENTRY_VERBS = ("bring", "brings", "come", "comes", "coming", "kick", "kicks", "drop", "drops", "let")
_ENTRY_WORDS = ("enter", "enters", "entering")
#: Words that, said of bars ("make the chorus bigger"), size what goes on there: +1 more, -1 less.
SIZE_WORDS = {"bigger": 1, "fuller": 1, "huger": 1, "larger": 1, "thicker": 1, "richer": 1,
              "smaller": -1, "emptier": -1, "thinner": -1, "barer": -1}
#: How much a size word changes: density of each generated part, and level (dB).
SIZE_STEP = {"density": 0.3, "gain_db": 2.0}


class AutomationRules:
    """Mixed into :class:`~orchestria_lab.language.rules.Planning`."""

    index: StemIndex
    scope: Scope | None

    def automation(self, f: Frame) -> bool:
        """A gesture over time: planned as lanes (or silence where a part sits out), or False when the
        clause makes none."""
        return self._duck(f) or self._enters(f) or self._fade(f) or self._sweep(f) or self._build(f) \
            or self._moving_pan(f) or self._effect_for_bars(f) or self._only_in_bars(f) or self._size(f)

    # helpers ------------------------------------------------------------------------------
    def _parts(self, f: Frame) -> list[str]:
        """The stems named, or every stem (a fade of the song is a fade of each part)."""
        named = [m for m in f.stems if not (m.ref and f.tokens[m.pos].text in ("the song", "song", "track", "it",
                                                                              "everything", "the track", "all"))]
        return self.targets(f, mentions=named, default="none") if named else self.index.ids()

    def _lane(self, target: str, param: str, start: float, end: float, curve: str = "linear",
              scope: Scope | None = None, *, relative: bool = False) -> None:
        params = {"param": param, "start": start, "end": end, "curve": curve, **({"relative": True} if relative else {})}
        self.emit(Action("mix", "automate", target, params, scope=scope or self.scope))

    def _bars(self) -> int:
        return self.ctx.state.meta.bars

    # gestures ------------------------------------------------------------------------------
    def _duck(self, f: Frame) -> bool:
        said = f.has("verb", "sidechain") or any(t.text in ("sidechain", "side-chain") for t in f.tokens)
        if not (said or any(t.text in DUCKING for t in f.tokens) and f.has("voice", "kick")):
            return False
        drums = [s.stem_id for s in self.ctx.state.stems if s.role == "drums"]
        if not drums:
            raise Unclear("there are no drums in this session for the part to duck under", ["add a drum beat"])
        for target in [t for t in self._parts(f) if t not in drums]:
            self.emit(Action("mix", "duck", target, {"source": drums[0]}))
        return True

    def _enters(self, f: Frame) -> bool:
        """ "bring the drums in at bar 5", "let the bass come in at bar 9": silent before that bar;
        "gradually bring the drums in over the first 4 bars": a fade in."""
        said = [t.text for t in f.tokens]
        entering = ("in" in said and any(w in said for w in _ENTRY_VERBS)) or any(w in said for w in _ENTRY_WORDS)
        if not entering or self.scope is None or not f.stems or any(m.indefinite for m in f.stems):
            return False
        first, last = self.scope.bars(total=self._bars())
        targets = self.targets(f)
        if any(t.text in ("gradually", "slowly", "gently") for t in f.tokens):
            for target in targets:
                self._lane(target, "gain_db", FADE_DB, 0.0, relative=True)
            return True
        if first == 1:
            raise Unclear(f"bar {first} is where the song starts: the part is already in there",
                          [f"bring the {self.index.get(targets[0]).role} in at bar 5"])
        before = Scope(first_bar=1, last_bar=first - 1)
        for target in targets:
            self.emit(Action("arrange", "clear", target, scope=before))
        self.placed = True
        return True

    def _only_in_bars(self, f: Frame) -> bool:
        """ "the intro should just be drums", "strip the last 4 bars down to just the chords": in those
        bars every other part is silent."""
        only = next((t.pos for t in f.tokens if t.kind == "only"), None)
        if self.scope is None or only is None or not f.stems or f.verb in ("regenerate", "add", "replace"):
            return False
        after = next((t for t in f.tokens[only + 1:] if t.kind not in ("det", "filler")), None)
        if after is None or after.kind not in ("role", "instrument", "family"):
            return False  # "only change bars 5-8 of the bass" says what to change, not what plays
        keep = set(self.targets(f))
        for target in self.index.ids():
            if target not in keep:
                self.emit(Action("arrange", "clear", target))
        return True

    def _size(self, f: Frame) -> bool:
        """ "make the chorus bigger", "make the bridge emptier": said of bars, how much is going on there:
        every generated part busier or sparser, and the bars a little louder or softer (:data:`SIZE_WORDS`)."""
        words = [t for t in f.tokens if t.kind == "adj" and t.text in SIZE_WORDS]
        if self.scope is None or not words or [m for m in f.stems if not m.ref]:
            return False
        sign = SIZE_WORDS[words[0].text] * (-1 if f.has("less") else 1)
        from orchestria_lab.agents.context import GENERATOR_FOR_ROLE

        for target in self.index.ids():
            stem = self.index.get(target)
            if stem.agent in GENERATOR_FOR_ROLE.values():
                self.emit(Action(stem.agent, "change", target, {"density_change": SIZE_STEP["density"] * sign}))
            self.emit(Action("mix", "gain", target, {"change_db": SIZE_STEP["gain_db"] * sign}))
        return True

    def _fade(self, f: Frame) -> bool:
        words = [t for t in f.tokens if t.text in FADING]
        if not words:
            return False
        way = FADING[words[0].text]
        if way is None:
            after = f.tokens[words[0].pos + 1:words[0].pos + 4] if words[0].pos + 1 < len(f.tokens) else []
            if any(t.kind == "off" or t.text in ("out", "away", "down") for t in f.tokens):
                way = "out"
            elif any(t.text in ("in", "up") for t in after) or (self.scope and self.scope.bars(total=self._bars())[0] == 1):
                way = "in"
            elif self.scope and self.scope.bars(total=self._bars())[1] == self._bars():
                way = "out"
            else:
                raise Unclear("I could not tell whether to fade in or out", ["fade in the first 4 bars",
                                                                             "fade out the last 4 bars"])
        total = self._bars()
        scope = self.scope or (Scope(first_bar=1, last_bar=min(FADE_BARS, total)) if way == "in"
                               else Scope(first_bar=max(1, total - FADE_BARS + 1), last_bar=total))
        start, end = (FADE_DB, 0.0) if way == "in" else (0.0, FADE_DB)
        for target in self._parts(f):  # from and to the level the part has there
            self._lane(target, "gain_db", start, end, scope=scope, relative=True)
        self.placed = True
        return True

    def _sweep(self, f: Frame) -> bool:
        filters = [t.value for t in f.tokens if t.kind == "effect" and t.value in ("lowpass", "highpass")]
        if not filters and any(t.text in ("filter", "filters") for t in f.tokens):
            filters = ["lowpass"]
        ways = [SWEEP_WORDS[t.text] for t in f.tokens if t.text in SWEEP_WORDS]
        if not filters or not ways or not (self.scope or any(t.text in ("slowly", "gradually") for t in f.tokens)):
            return False
        kind = filters[0]
        way = "down" if "down" in ways else "up"
        start, end = SWEEPS[(kind, way)]
        named = [m for m in f.stems if m.role != "sweep" and f.tokens[m.pos].text not in ("sweep", "sweeps")]
        for target in self.targets(f, mentions=named) if named else self.targets(f):
            self._lane(target, f"{kind}_hz", start, end, "exp")
        return True

    def _build(self, f: Frame) -> bool:
        """ "build up into the chorus": the bars before it rise (4, or as many as the clause says:
        "over the last 2 bars of the verse"); "build over bars 5 to 8": those bars."""
        if not any(t.text in _BUILD_WORDS for t in f.tokens) or not f.scopes or any(m.indefinite for m in f.stems):
            return False
        if getattr(self, "_built", None) is f:  # a clause with several scopes is one build
            return True
        self._built = f
        total = self._bars()
        sections = [self.scopes[k] for k in f.scopes if self.scopes[k].section]
        ranges = [self.scopes[k] for k in f.scopes if not self.scopes[k].section]
        if sections:
            into = (sections[0].section or "").startswith("into ")  # the bar before it: the section starts after
            start = sections[0].bars(total=total)[0] + (1 if into else 0)
            a, b = ranges[0].bars(total=total) if ranges else (1, BUILD["bars"])
            length = min(b - a + 1, start - 1)
            if length < 1:
                raise Unclear(f"{sections[0].describe()} starts the song: there are no bars before it to build in",
                              ["fade in the first 4 bars"])
            first, last = start - length, start - 1
        else:
            first, last = ranges[0].bars(total=total)
        return self._build_over(f, first, last)

    def _build_over(self, f: Frame, first: int, last: int) -> bool:
        span = Scope(first_bar=first, last_bar=last)
        state = self.ctx.state
        for stem in state.stems:
            self._lane(stem.stem_id, "gain_db", BUILD["gain_db"], 0.0, scope=span, relative=True)
            if stem.role in BUILD["opens"]:
                low, high = BUILD["lowpass_hz"]
                self._lane(stem.stem_id, "lowpass_hz", low, high, "exp", scope=span)
        self.placed = True
        return True

    def _moving_pan(self, f: Frame) -> bool:
        sides = [t.value for t in f.tokens if t.kind == "dir" and t.value in ("left", "right", "center", "centre")]
        if f.verb != "pan" or len(sides) < 2 or not any(t.text == "from" for t in f.tokens):
            return False
        where = {"left": -1.0, "right": 1.0, "center": 0.0, "centre": 0.0}
        for target in self.targets(f):
            self._lane(target, "pan", where[sides[0]], where[sides[1]])
        return True

    def _effect_for_bars(self, f: Frame) -> bool:
        """ "more delay on the melody in the last 4 bars": the effect's mix stepped up (or down) in those
        bars and back after them; an effect the stem lacks is added, silent outside them."""
        effects = [t.value for t in f.tokens if t.kind == "effect" and t.value not in ("lowpass", "highpass")]
        if self.scope is None or not effects:
            return False
        up = f.has("more") or f.has("dir", "up") or f.verb in ("add", "louder")
        down = f.has("less") or f.has("dir", "down") or f.verb == "quieter"
        if up == down:
            return False
        from orchestria_lab.audio.effects import EFFECT_SPECS

        kind = effects[0]
        default = float(EFFECT_SPECS[kind].validate({}).get("mix", 0.5))
        for target in self.targets(f):
            stem = self.ctx.state.stem(target) if self.ctx.state.has_stem(target) else None
            fx = next((e for e in (stem.effects if stem else ()) if e.type == kind), None)
            if fx is None and up:  # the effect for the whole song, silent outside the bars
                scope, self.scope = self.scope, None
                self.emit(Action("effects", "add", target, {"effect": kind, "param": "mix", "value": 0.0}))
                self.scope = scope
                base = 0.0
            elif fx is None:
                continue
            else:
                base = float(fx.params.get("mix", default))
            level = min(1.0, max(base, default) + EFFECT_STEP) if up else max(0.0, base - EFFECT_STEP)
            self._lane(target, f"{kind}.mix", level, level, "step")
        return True
