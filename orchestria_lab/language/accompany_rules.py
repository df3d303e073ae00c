"""Rules for parts made to fit the ones there are, whoever wrote them: "harmonize my melody", "add
chords under my tune", "a bass line that follows my chords", "drums that fit my bass", "continue my
melody for 8 bars".

What a new part does to fit another is one table, :data:`FITS`. A part named as the one to fit must
be there: "harmonize my melody" in a session without one is refused, saying so, and never becomes a
new melody with chords.
"""

from __future__ import annotations

from orchestria_lab.agents.base import Action
from orchestria_lab.agents.context import GENERATOR_FOR_ROLE
from orchestria_lab.language import slots
from orchestria_lab.language.frames import Frame, Mention
from orchestria_lab.language.targets import INSTRUMENT_ROLE, StemIndex, Unclear
from orchestria_lab.music.continuation import continuation_start
from orchestria_lab.music.vocabulary import DEFAULT_INSTRUMENT

#: What a new part does to fit an existing one, by (the new part's generator, the role it fits):
#: ``harmonize`` chooses its chords for the other's notes; ``kick`` plays the kick with the other's
#: notes; ``follows`` is what the part does anyway (a bass line follows the chords it is written over).
FITS: dict[tuple[str, str], str] = {
    **{("harmony", role): "harmonize" for role in ("melody", "lead", "arp", "fx", "bass")},
    **{(agent, role): "follows" for agent in ("bass", "melody", "harmony") for role in ("chords", "pad")},
    ("drums", "bass"): "kick",
}
#: The parts whose notes chords can be fitted to, and those a line can be continued in.
FITTED_ROLES = ("melody", "lead", "arp", "fx", "bass")
MELODIC_ROLES = ("melody", "lead", "arp", "fx")
#: How to bring a part of your own in, said where one is missing.
IMPORT_HINT = 'import yours first (session.import_midi("part.mid", role="{role}"), or the Studio\'s MIDI upload)'
#: The longest song, in bars.
MAX_BARS = 256


class AccompanyRules:
    """Mixed into :class:`~orchestria_lab.language.rules.Planning`."""

    index: StemIndex

    def accompany(self, f: Frame) -> bool:
        """The clause, where it asks for a part made to fit another (see the module docstring)."""
        return self.harmonize(f) or self.continue_line(f) or self.fit_new_part(f) or self.fit_existing(f)

    # "harmonize my melody" ------------------------------------------------------------
    def harmonize(self, f: Frame) -> bool:
        if f.verb != "harmonize":
            return False
        mentions = f.stems + f.fitted
        harmonic = [m for m in mentions if _role(m) in ("chords", "pad")]
        named = [m for m in mentions if m not in harmonic]
        source = self._source(named[0] if named else None, roles=FITTED_ROLES, doing="harmonize")
        self._harmonize(source, harmonic[0] if harmonic else None, f)
        return True

    def _harmonize(self, source: str, part: Mention | None, f: Frame) -> None:
        """Chords fitted to ``source``: played by the session's harmony parts, or by the part ``part``
        names (added when new), or by a new chords part."""
        harmony = [e.stem_id for e in self.index.entries if e.agent == "harmony" and e.role in ("chords", "pad")]
        scope, self.scope = self.scope, None  # a part is added whole; its chords are fitted where asked
        if part is not None and (not harmony or self._is_new(part, f)):
            self._add(part, f)
            target = self.touched[-1]
        elif harmony:
            target = harmony[0]
        else:
            target = self.index.new_id("chords")
            self.emit(Action("harmony", "add", target, {"role": "chords"}))
            self.index.add(target, "chords", DEFAULT_INSTRUMENT["chords"], "harmony")
        self.scope = scope
        self.emit(Action("harmony", "chords", target, {"melody": source}))

    # "continue my melody for 8 bars" ----------------------------------------------------
    def continue_line(self, f: Frame) -> bool:
        number = slots.first_number(f, unit="bars")
        melodic = [m for m in f.stems if _role(m) in MELODIC_ROLES or m.ref == "it"]
        if not (f.verb == "continue" or (f.verb == "extend" and number and melodic and not any(m.ref == "all" for m in f.stems))):
            return False
        named = melodic or [m for m in f.stems if m.ref != "all"]  # "continue the drums": refused by name
        stem_id = self._source(named[0] if named else None, roles=MELODIC_ROLES, doing="continue")
        stem = next((s for s in self.ctx.state.stems if s.stem_id == stem_id), None)
        if stem is None or not stem.notes:
            raise Unclear(f"{stem_id} has no notes yet to continue; continue it in a command of its own",
                          [f"continue the {self.index.get(stem_id).role} for 8 bars"])
        meta = self.ctx.state.meta
        if self.scope is not None:  # "continue the melody over bars 9 to 16"
            first, last = self.scope.bars(total=meta.bars)
            bars = int(number[0]) if number else last - first + 1
            self.placed = True
        else:
            first = continuation_start(stem.notes, beats_per_bar=meta.beats_per_bar)
            bars = int(number[0]) if number else max(1, min(16, first - 1))  # unsaid: as long again
        if bars < 1 or first < 2:
            raise Unclear(f"I could not tell how many bars to continue {stem_id} for", [f"continue the {stem.role} for 8 bars"])
        needed = first + bars - 1
        if needed > MAX_BARS:
            raise Unclear(f"continuing {stem_id} from bar {first} for {bars} bars needs {needed} bars, and a song is at "
                          f"most {MAX_BARS}", [f"continue the {stem.role} for {max(1, MAX_BARS - first + 1)} bars"])
        scope, self.scope = self.scope, None
        if needed > meta.bars:  # the song grows as "make it N bars long" makes it: the other parts go on too
            self.emit(Action("arrange", "bars", params={"bars": needed}))
        self.emit(Action("melody", "extend", stem_id, {"bars": bars, "from_bar": first}))
        self.scope = scope
        return True

    # "add a bass line that follows my chords", "add drums that fit my bass" ------------
    def fit_new_part(self, f: Frame) -> bool:
        adding = f.verb in ("add", "drench") or (f.verb == "make" and any(m.indefinite for m in f.stems))
        if not f.fitted or not adding:
            return False
        new = [m for m in f.stems if (m.role or m.instrument or m.family) and self._is_new(m, f)]
        if not new:
            return False  # "add drums that fit my bass" with a kit there: one kit a session
        refs = [(m, self._fitted(m, new[0])) for m in f.fitted]
        for m in new:
            agent = GENERATOR_FOR_ROLE[_role(m) or "chords"]
            ref, ref_id = refs[0]
            how = FITS.get((agent, self.index.get(ref_id).role))
            if how is None and ref.fitted in ("follows", "fits"):
                raise Unclear(f"a {slots.label(m)} that follows the {slots.label(ref)} is not something the agents write "
                              "yet; they fit chords to a melody or a bass line, a bass line or a melody to the chords, "
                              "and drums to the bass", ["harmonize my melody", "add drums that fit my bass"])
            if how == "harmonize":
                self._harmonize(ref_id, m, f)
            elif how == "kick":
                self._add(m, f, extra={"fit_bass": True})
            else:
                self._add(m, f)
        self._loose_effects(f)
        return True

    def fit_existing(self, f: Frame) -> bool:
        """ "make the drums fit my bass", "lock the drums to the bass": the kick plays with the bass."""
        if not f.fitted or not f.has("verb", "refit") or f.verb in ("add", "drench"):
            return False
        drums = [i for m in f.stems if _role(m) == "drums" for i in self.targets(f, mentions=[m], default="none")]
        basses = [m for m in f.fitted if _role(m) == "bass"]
        if not drums or not basses:
            return False
        self._fitted(basses[0], f.stems[0])
        for target in drums:
            self.emit(Action("drums", "change", target, {"fit_bass": True}))
        return True

    # helpers ----------------------------------------------------------------------------
    def _source(self, m: Mention | None, *, roles: tuple[str, ...], doing: str) -> str:
        """The one part of ``roles`` the clause names (or, naming none, the session's one such part, the
        user's own first); refused with what is missing when there is none."""
        if m is not None:
            found = self.index.resolve(m, touched=self.touched)
            if not found:
                name = slots.label(m)
                raise Unclear(f"there is no {name} in this session to {doing} (stems: {self._have()}); "
                              + IMPORT_HINT.format(role=_role(m) or "melody") + ", or add one",
                              [f"add a {name}" if _role(m) in MELODIC_ROLES else "add a melody on electric piano"])
            entry = self.index.get(found[0])
            if entry.role not in roles:
                raise Unclear(f"{entry.stem_id} is a {entry.role} part; I {doing} "
                              f"{'melodies and leads' if doing == 'continue' else 'melodies, leads and bass lines'}",
                              [f"{doing} the melody" + (" for 8 bars" if doing == "continue" else "")])
            self.said += [i for i in found[:1] if i not in self.said]
            return found[0]
        candidates = [e for e in self.index.entries if e.role in MELODIC_ROLES]
        theirs = [e for e in candidates if e.agent not in GENERATOR_FOR_ROLE.values()]
        pick = theirs if len(theirs) == 1 else candidates
        if len(pick) == 1:
            return pick[0].stem_id
        if not pick:
            raise Unclear(f"there is no melody in this session to {doing} (stems: {self._have()}); "
                          + IMPORT_HINT.format(role="melody") + ", or add one", ["add a melody on electric piano"])
        raise Unclear(f"I could not tell which part to {doing}: {', '.join(e.stem_id for e in pick)}",
                      [f"{doing} the {pick[0].role}"])

    def _fitted(self, ref: Mention, new: Mention) -> str:
        """The part ``ref`` names for ``new`` to fit; refused, saying what is missing, when it is not there."""
        found = self.index.resolve(ref, touched=self.touched)
        if found:
            return found[0]
        name, role = slots.label(ref), _role(ref) or "melody"
        plural = name.endswith("s") and not name.endswith("ss")
        add = {"chords": "add warm piano chords with reverb", "bass": "add an 808 bass line",
               "drums": "add a boom bap drum beat"}.get(role, "add a melody on electric piano")
        raise Unclear(f"there {'are' if plural else 'is'} no {name} in this session for the {slots.label(new)} to "
                      f"{'follow' if ref.fitted == 'follows' else 'fit'} (stems: {self._have()}); "
                      f"{IMPORT_HINT.format(role=role)}, or add {'some' if plural else 'one'}", [add])

    def _have(self) -> str:
        return ", ".join(f"{e.stem_id} ({e.instrument.replace('_', ' ')})" for e in self.index.entries) or "none yet"


def _role(m: Mention) -> str | None:
    """The role a mention names, by its role or instrument."""
    return m.role or (INSTRUMENT_ROLE.get(m.instrument) if m.instrument else None) or (
        "chords" if m.family == "keys" else None)
