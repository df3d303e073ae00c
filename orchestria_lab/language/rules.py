"""The rules that turn a clause's slots into actions, in the order they are tried.

Session-wide changes come first (a tempo, key, length, meter or genre), then new parts,
then what acts on existing stems. Each rule reads the :class:`~.frames.Frame`, resolves
stems through the :class:`~.targets.StemIndex`, and appends actions; the stems it
touches become "it" for the next clause.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from orchestria_lab.agents.base import Action
from orchestria_lab.agents.context import GENERATOR_FOR_ROLE
from orchestria_lab.language import slots
from orchestria_lab.language.accompany_rules import AccompanyRules
from orchestria_lab.language.automation_rules import AutomationRules
from orchestria_lab.language.chord_text import Progression
from orchestria_lab.language.effect_rules import EffectRules
from orchestria_lab.language.frames import WISHES, Frame, Mention
from orchestria_lab.language.mix_rules import MixRules
from orchestria_lab.language.part_rules import PartRules
from orchestria_lab.language.plan import PlanContext
from orchestria_lab.language.targets import INSTRUMENT_ROLE, StemIndex, Unclear, add_one
from orchestria_lab.music.progressions import EXTENDED_FAMILY, FAMILIES, extended, family_for
from orchestria_lab.music.scope import Scope
from orchestria_lab.music.theory import parse_key
from orchestria_lab.music.vocabulary import DEFAULT_INSTRUMENT
from orchestria_lab.state import Meta

_ADDING = ("add", "drench")
#: Verbs that, said of bars alone, take them out of the song.
_CUTTING = ("remove", "cut", "strip", "kill", "drop")
#: Words that, said of bars, play them again elsewhere.
_COPYING = ("copy", "repeat", "duplicate", "loop", "paste", "reuse")
#: Words for a transition part that rises into the bars after it ("add a riser into the chorus").
RISER_WORDS = ("riser", "risers", "uplifter", "uplifters")
#: Bars a riser rises over when it leads into a section.
RISER_BARS = 2
#: Words for a whole piece that the lexicon also reads as a part ("a jazz tune").
_SONG_WORDS = ("tune", "tunes", "number", "jam")
#: What a verbless clause that only names a part may hold ("a dusty drum beat please").
_NOUN_PHRASE = ("det", "adj", "style", "role", "instrument", "family", "melstyle", "filler", "word",
                "prep", "effect", "amount", "fresh")


class Planning(AccompanyRules, AutomationRules, EffectRules, MixRules, PartRules):
    """A plan being made, clause by clause."""

    def __init__(self, context: PlanContext, *, scopes: Sequence[Scope] = (),
                 progressions: Sequence[Progression] = ()) -> None:
        self.ctx = context
        self.scopes = list(scopes)       # the command's time scopes, by index (scopes.find)
        self.progressions = list(progressions)  # the chords it writes, by index (chord_text.find)
        self.scope: Scope | None = None  # the clause's: every action it makes carries it
        self.index = StemIndex(context.state)
        self.actions: list[Action] = []
        self._touched: list[str] | None = None
        self.named: set[str] = set()  # stems named so far in this command ("keep the drums, remove the rest")
        self.said: list[str] = []        # stems the clause being planned names
        self.previous: list[str] = []    # ... and the one before it: "they" in the next clause
        self.protected: set[str] = set()  # stems the command says to leave alone (language/negation.py)
        self.placed = False              # a rule took a scope as its subject (the bars to cut)
        self.withheld: list[Action] = []  # actions on protected stems, not made

    def protect(self, f: Frame) -> None:
        """Leave the parts ``f`` names as they are, whatever the other clauses say."""
        self.protected |= {i for m in f.stems for i in self.index.resolve(m, touched=self.touched)}

    def refrain(self, f: Frame) -> None:
        """Make nothing of ``f``; the parts it names become "them" for the next clause."""
        ids = [i for m in f.stems for i in self.index.resolve(m, touched=self.touched)]
        if ids:
            self._touched = [t for t in self.touched if t not in ids] + ids
        self.said = ids or self.said

    # bookkeeping ------------------------------------------------------------------------
    @property
    def touched(self) -> tuple[str, ...]:
        if self._touched is None:
            self._touched = list(self.ctx.last_touched)
        return tuple(self._touched)

    def emit(self, action: Action) -> None:
        if self.scope is not None and action.scope is None:
            action = replace(action, scope=self.scope)
        if action.target in self.protected:
            self.withheld.append(action)
            return
        self.actions.append(action)
        if action.target and action.target not in self.said:
            self.said.append(action.target)
        if action.target:
            self._touched = [t for t in self.touched if t != action.target] + [action.target]

    def targets(self, f: Frame, *, default: str = "touched", mentions: list[Mention] | None = None) -> list[str]:
        """Stems the clause points at; ``default`` when it names none: touched, all or none."""
        named = mentions if mentions is not None else (f.stems or [m for m in f.mentions if m.voice])
        first = next((m.pos for m in named if not m.ref), None)  # "make the keys sound like they're in a church":
        named = [m for m in named if not (m.ref == "it" and first is not None and m.pos > first)]  # the keys
        ids: list[str] = []
        plural = any(t.kind == "ref" and t.text in ("them", "those", "these", "they") for t in f.tokens)
        for m in named:
            if m.ref == "rest":
                continue
            if m.ref == "it" and plural and self.previous:  # "the chords are too mellow, they need ..."
                ids += [i for i in self.previous if i not in ids and self.index.get(i)]
                continue
            found = self.index.resolve(m, touched=self.touched, plural_ref=plural)
            if not found:
                raise Unclear(self._missing(m), [add_one(slots.label(m))] if m.role or m.instrument else None)
            ids += [i for i in found if i not in ids]
        if any(m.ref == "rest" for m in named):  # the stems this command has not named yet
            ids = [i for i in self.index.ids() if i not in ids and i not in self.named]
        self.named |= set(ids)
        if not named:
            if default == "touched":
                ids = list(self.touched[-1:]) or (self.index.ids() if len(self.index.ids()) == 1 else [])
            elif default == "all":
                ids = list(self.touched[-1:]) or self.index.ids()
        excluded = {i for m in f.excepted for i in self.index.resolve(m, touched=self.touched)}
        ids = [i for i in ids if i not in excluded]
        self.said += [i for i in ids if i not in self.said]
        return ids

    def _missing(self, m: Mention) -> str:
        have = ", ".join(f"{e.stem_id} ({e.instrument})" for e in self.index.entries) or "none yet"
        if m.ref == "it":
            return f"I could not tell which stem 'it' means (stems: {have})"
        name = slots.label(m)
        plural = name.endswith("s") and not name.endswith("ss")  # "no drums", "no bass"
        return f"there {'are' if plural else 'is'} no {name} in this session (stems: {have})"

    # the rules --------------------------------------------------------------------------
    def clause(self, f: Frame) -> bool:
        """Plan one clause; a clause with several time scopes ("bars 5-8 and 13-16") is planned once
        for each, so every range is carried out."""
        if self._copy_bars(f):
            return True
        scopes = f.scopes
        than = next((t.pos for t in f.tokens if t.kind == "compare"), None)
        if than is not None and len(scopes) > 1:  # "make the chorus louder than the verse": the chorus
            scopes = [t.value for t in f.tokens if t.kind == "scope" and t.pos < than] or scopes[:1]
        if len(scopes) > 1:
            said, done = self.said, False
            for k in scopes:
                self.said = said
                done = self._clause(f, self.scopes[k]) or done
            return done
        return self._clause(f, self.scopes[scopes[0]] if scopes else None)

    def _clause(self, f: Frame, scope: Scope | None) -> bool:
        self.previous, self.said = self.said or self.previous, []
        before = len(self.actions)
        self.scope = scope
        if self._cut_bars(f):
            return True
        if f.has("verb", "refit") and f.verb not in _ADDING and not f.has("voice") and (
                any(m.role in ("chords", "pad") for m in f.mentions)
                or any(t.kind == "verb" and t.text in ("refit", "re-fit") for t in f.tokens)
                or [t.value for t in f.tokens if t.kind not in ("filler", "det", "prep")][-1:] == ["refit"]):
            return self.refit(f)  # "make the bass follow the new chords"
        if self.automation(f):  # fades, sweeps, builds, ducking: lanes over time
            return True
        if self._riser(f):
            return True
        if self.accompany(f):  # parts made to fit the ones there are ("harmonize my melody")
            return True
        if f.has("progression"):  # "play Am F C G", "change the chords to ii V I in the chorus"
            self.session_wide(f)  # "... in D": the key first, so numerals are read in it
            return self.written_chords(f)
        if self.session_wide(f):
            self.add_parts(f)  # "write a chord progression in D minor": the key, and the chords
            return True
        for rule in (self.double, self.add_parts, self.reset, self.effects, self.remove, self.balance, self.mute, self.gain, self.pan,
                     self.instrument, self.parts, self.shape):
            if rule(f):
                break
        return len(self.actions) > before

    # tempo, key, length, meter, genre ----------------------------------------------------
    def session_wide(self, f: Frame) -> bool:
        named = [m for m in f.stems if m.role or m.instrument or m.family]
        if f.has("style") and any(m.ref for m in f.stems):  # "turn it into a jazz tune": the song, not a melody
            named = [m for m in named if f.tokens[m.pos].text not in _SONG_WORDS]
        done = False
        tempo = slots.tempo(f, stems_named=bool(named))
        last = self.actions[-1] if self.actions else None
        if tempo and not f.has("verb") and self.scope is None and last is not None and last.intent == "tempo" and last.scope:
            said = slots.first_number(f)  # "make the last 8 bars faster, at 110 bpm": how much, as a tempo
            self.actions[-1] = replace(last, params={"bpm": said[0]} if said and said[1] == "bpm" else tempo)
            done = True
        elif tempo:
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
        elif not named and not f.has("voice") and not self._it_is_a_part(f) and (semis := slots.semitones(f)) is not None:
            self.emit(Action("arrange", "key", params={"semitones": semis}))
            done = True
        bars = slots.bars(f)
        if bars and "seconds" in bars:
            bars = {"bars": phrases(bars["seconds"], self.ctx.state.meta)}
        if bars and not f.has("effect"):
            self.emit(Action("arrange", "bars", params=bars))
            done = True
        if f.has("timesig"):
            self.emit(Action("arrange", "time_signature", params={"time_signature": f.first("timesig")}))
            done = True
        styles = [t.value for t in f.tokens if t.kind == "style"]
        if not styles and f.has("meta", "genre") and f.has("adj", "lo-fi"):
            styles = ["lo-fi"]  # "switch the genre to lo-fi": the word is a sound and a genre
        wished = f.verb in _ADDING and any(t.kind == "verb" and t.text in WISHES for t in f.tokens) and (
            f.has("meta", "genre") or (f.stems and all(m.ref in ("it", "all") for m in f.stems)))
        genre_words = f.has("meta", "genre") or f.verb in ("make", "set", "replace", "turn", None) or wished
        adding = f.verb in _ADDING and not wished  # "add a house beat" is a part; "I want it to be house" the genre
        if styles and not named and not f.has("voice") and genre_words and not f.has("fill") and not adding:
            self.emit(Action("arrange", "genre", params={"genre": styles[-1]}))
            done = True
        return done

    def _copy_bars(self, f: Frame) -> bool:
        """ "copy bars 1 to 4 onto 13 to 16", "repeat the first 4 bars (for the whole song)", "copy the chorus
        to bars 1 to 4": the first scope played again at the second, or after itself to the song's end."""
        if not f.scopes or not any(t.text in _COPYING for t in f.tokens):
            return False
        total = self.ctx.state.meta.bars
        source = self.scopes[f.scopes[0]].bars(total=total)
        if len(f.scopes) > 1:
            to, until = self.scopes[f.scopes[1]].bars(total=total)
        elif any(t.text in ("repeat", "loop") for t in f.tokens):
            to, until = source[1] + 1, total  # "repeat the first 4 bars": over the rest of the song
        else:
            raise Unclear(f"I could not tell where bars {source[0]}-{source[1]} should go",
                          [f"copy bars {source[0]} to {source[1]} onto bars {source[1] + 1} to {2 * source[1] - source[0] + 1}"])
        if to > total:
            raise Unclear(f"bars {source[0]}-{source[1]} are the end of the song: there is nowhere after them to repeat "
                          "them", [f"make it {total + source[1] - source[0] + 1} bars long"])
        params = {"first_bar": source[0], "last_bar": source[1], "to_bar": to, "until_bar": until}
        targets = self.targets(f, default="none")
        if not targets and self.protected:  # every part but those the command leaves alone
            targets = [i for i in self.index.ids() if i not in self.protected]
        targets = [i for i in targets if i not in self.protected]
        if not targets and (f.stems or self.protected):
            return False
        for target in targets or [None]:
            self.actions.append(Action("arrange", "copy_bars", params={**params, **({"only": target} if target else {})}))
        self.placed = True
        return True

    def _cut_bars(self, f: Frame) -> bool:
        """ "cut the last 4 bars", "delete bars 5 to 8": bars taken out of the song, not a part."""
        if self.scope is None or self.scope.first_bar is None or f.verb not in _CUTTING or f.stems or any(
                f.has(k) for k in ("effect", "voice", "fxall", "adj")) or f.has("meta", "tempo") or any(
                v[1] == "bpm" for v in f.values("number")):  # "drop the tempo to 70 bpm in bars 13 to 16"
            return False
        first, last = self.scope.bars(total=self.ctx.state.meta.bars)
        if self.protected:  # taking bars out moves every part: never past what the command protects
            raise Unclear(f"taking bars out of the song changes every part, and the command leaves "
                          f"{', '.join(sorted(self.protected))} as it is", [f"mute the other parts in bars {first} to {last}"])
        self.actions.append(Action("arrange", "delete_bars", params={"first_bar": first, "last_bar": last}))
        self.placed = True  # the scope is what the action takes out
        return True

    def refit(self, f: Frame) -> bool:
        """The parts named (or every stale one) made again over the chords the song plays now, with
        their own settings and seed: the same kind of line, on the new chords."""
        state = self.ctx.state
        named = [m for m in f.stems if m.role not in ("chords", "pad")]
        ids = self.targets(f, mentions=named, default="none") if named else sorted(state.stale)
        followers = {s.stem_id for s in state.stems if s.agent in ("bass", "melody")}
        if any(m.ref for m in named):  # "make everything follow the new chords": the parts that follow them
            ids = [i for i in ids if i in followers]
        if not ids:
            raise Unclear("every part already follows the chords the song plays", ["play Am F C G"])
        for target in ids:
            if target not in followers:
                raise Unclear(f"{target} is not a part written over the chords (the bass and melody parts are)",
                              [f"make the {self.index.get(i).role} follow the chords" for i in sorted(followers)][:2])
            self.emit(Action(self.index.get(target).agent, "refit", target))
        return True

    def written_chords(self, f: Frame) -> bool:
        """The chords the clause writes, played exactly by every harmony part of the session (a part
        the clause adds, on the instrument it names, or a chords part when there is none, plays them too)."""
        progression = self.progressions[f.first("progression")]
        params = {"chords": list(progression.chords), "chord_bars": progression.bars_each}
        harmony = [s.stem_id for s in self.ctx.state.stems if s.agent == "harmony" and s.role in ("chords", "pad")]
        mention = next((m for m in f.stems if (m.role or INSTRUMENT_ROLE.get(m.instrument)) in ("chords", "pad")), None)
        adding = mention is not None and (f.verb in _ADDING or not harmony) and self._is_new(mention, f)
        if not harmony and self.scope is not None:
            raise Unclear(f"there are no chords in this session to change in {self.scope.describe()}",
                          ["add piano chords", f"play {' '.join(progression.chords)}"])
        target = harmony[0] if harmony else None
        if adding or not harmony:
            scope, self.scope = self.scope, None  # the part is added whole; its chords change where asked
            if adding:
                self._add(mention, f)
                target = target or self.touched[-1]
            else:
                target = self.index.new_id("chords")
                self.emit(Action("harmony", "add", target, {"role": "chords"}))
                self.index.add(target, "chords", DEFAULT_INSTRUMENT["chords"], "harmony")
            self.scope = scope
        self.emit(Action("harmony", "chords", target, params))
        return True

    def _riser(self, f: Frame) -> bool:
        """ "add a riser into the chorus", "a riser in bars 7 to 8": a part that rises over those bars (into a
        section: the bars that lead into it)."""
        if self.scope is None or f.verb not in _ADDING or not any(
                m.indefinite and f.tokens[m.pos].text in RISER_WORDS for m in f.stems):
            return False
        first, last = self.scope.bars(total=self.ctx.state.meta.bars)
        if (self.scope.section or "").startswith("into "):
            first = max(1, last - RISER_BARS + 1)
        self.actions.append(Action("arrange", "riser", params={"first_bar": first, "last_bar": last}))
        self.placed = True
        return True

    def _it_is_a_part(self, f: Frame) -> bool:
        """ "the bass is too low, move it up an octave": "it" is the part the clause before named."""
        return bool(self.previous) and any(m.ref == "it" for m in f.stems)

    # new parts --------------------------------------------------------------------------
    def add_parts(self, f: Frame) -> bool:
        verbless = f.verb is None and all(t.kind in _NOUN_PHRASE for t in f.tokens) and not f.predicate_adjectives
        adding = f.verb in _ADDING or (f.verb == "make" and any(m.indefinite for m in f.stems)) or verbless
        if not adding or self.swaps(f):
            return False
        new = [m for m in f.stems if (m.role or m.instrument or m.family) and not m.excepted and self._is_new(m, f)]
        if not new:
            self._one_of_each(f)
            return False
        for m in new:
            self._add(m, f)
        self._loose_effects(f)
        return True

    def _loose_effects(self, f: Frame) -> None:
        """Effects the clause names apart from a part, put on the part it added last ("warm piano chords
        drenched in reverb")."""
        loose = [t.value for t in f.tokens if t.kind == "effect"]
        for fx in [fx for m in f.mentions for fx in m.effects]:
            loose.remove(fx)
        for fx in loose:
            self.emit(Action("effects", "add", self.touched[-1], {"effect": fx, **({"amount": 2.0} if f.has("verb", "drench") else {})}))

    def _one_of_each(self, f: Frame) -> None:
        """"add a bass line" when one plays: a session has one kit and one bass; say so."""
        if any(f.has(k) for k in ("effect", "adj", "dir", "number", "pattern", "voicing", "swing", "humanize", "density", "feel",
                                  "more", "less")):
            return
        for m in f.stems:
            if not (m.definite or m.fresh) and m.role in ("drums", "bass") and not (m.styles or m.instrument) and (
                    have := self.index.with_role(m.role)):
                entry = self.index.get(have[0])
                raise Unclear(f"there is already a {'drum' if m.role == 'drums' else m.role} part ({entry.stem_id}, {entry.instrument.replace('_', ' ')}); "
                              f"a session has one", [f"regenerate the {m.role}", f"remove the {m.role}",
                                                     "add a walking bass" if m.role == "bass" else "add a trap beat"])

    def _is_new(self, m: Mention, f: Frame) -> bool:
        if m.fresh and not any(t.kind == "verb" and t.text in ("add", "layer", "include") for t in f.tokens):
            return not self.index.resolve(m)  # "give me a different melody": regenerate
        role = m.role or (INSTRUMENT_ROLE.get(m.instrument) if m.instrument else "chords")
        existing = self.index.resolve(m)
        if not existing and m.definite and not m.indefinite and (fx := self._put_on(m, f)):
            raise Unclear(self._missing(m), [f"{add_one(slots.label(m))} with {fx}"])  # "an echo on the organ" with no organ
        if not existing:
            return True
        if (m.definite and not m.indefinite) or (f.verb is None and not m.indefinite):
            return False
        return not (role in ("drums", "bass") and not (m.styles or m.instrument))  # "add drums" twice: one kit

    @staticmethod
    def _put_on(m: Mention, f: Frame) -> str | None:
        """The effect a clause puts on the part ``m`` names after "on"/"to" ("a lowpass on the pad")."""
        before = [t for t in f.tokens[:m.pos] if t.kind not in ("det", "filler", "adj")]
        i = next((i for i, t in enumerate(f.tokens) if t.kind == "effect"), None)
        if i is None:
            return None
        effect = f"{f.tokens[i - 1].text} {f.tokens[i].text}" if i and f.tokens[i - 1].kind == "det" else f.tokens[i].text
        return effect if before and before[-1].kind == "prep" and before[-1].text in ("on", "to", "onto") else None

    def _add(self, m: Mention, f: Frame, *, extra: dict | None = None) -> None:
        """The part ``m`` names added (or, for a kit or bass the session has, changed to what it asks);
        ``extra`` settings go with a new part ("drums that fit my bass": the kick with the bass)."""
        role = m.role or (INSTRUMENT_ROLE[m.instrument] if m.instrument else "chords")
        instrument = m.instrument or ("piano" if m.family == "keys" else None)
        if instrument == "drum_kit" and role not in ("drums", "percussion"):
            instrument = None
        if role in ("drums", "percussion") and instrument not in (None, "drum_kit"):
            instrument = None
        agent = GENERATOR_FOR_ROLE[role]
        style = slots.part_style(agent, m.styles, f)
        if agent == "drums" and not style and {a for a, _, _ in m.adjectives} & {"lo-fi", "dusty", "mellow"}:
            style = "lofi"  # "a chill lo-fi beat", "a dusty drum beat"
        if agent == "harmony" and f.has("extensions") and not extended(family := family_for(self.ctx.state.meta.genre, style)):
            if style:  # "rock chords with 7ths": a style of triads is not made with sevenths
                with_them = ", ".join(name for name in FAMILIES if extended(name))
                raise Unclear(f"{family} chords here are triads; sevenths and ninths come with {with_them}",
                              [f"add {EXTENDED_FAMILY} chords", f"add {style} chords"])
            style = EXTENDED_FAMILY  # "chords with 7ths and 9ths" in a genre of triads: the family that has them
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
            if role in ("melody", "lead") and f.has("melstyle"):
                params["style"] = f.first("melstyle")
            params.update(slots.pattern_params(agent, f))  # "add sustained chords", "an offbeat bass line"
            params.update(extra or {})
            self.emit(Action(agent, "add", target, params))
            self.index.add(target, role, instrument or DEFAULT_INSTRUMENT[role], agent)
        for adjective, sign, amount in m.adjectives:
            self.emit(Action("sound", "shape", target, slots.shape_params(adjective, sign * amount)))
        for fx in m.effects:
            self.emit(Action("effects", "add", target, {"effect": fx}))

    # effects ----------------------------------------------------------------------------


#: Lengths given in time are whole phrases of this many bars.
PHRASE_BARS = 4


def phrases(seconds: float, meta: Meta) -> int:
    """The number of bars nearest ``seconds`` that is a whole number of 4-bar phrases at the
    session's tempo and meter (at least one phrase, at most 256 bars).

    >>> phrases(180, Meta(bpm=90, key="Cm", genre="lo-fi"))
    68
    """
    bar_s = meta.beats_per_bar * 60.0 / meta.bpm
    bars = int(max(PHRASE_BARS, PHRASE_BARS * round(seconds / bar_s / PHRASE_BARS)))
    if bars > 256:
        longest = int(256 * bar_s)
        raise Unclear(f"{_clock(seconds)} is {bars} bars at {meta.bpm:g} bpm, and a song is at most 256 bars "
                      f"({_clock(longest)} at this tempo)", [f"make it {_clock(longest)} long", "make it 256 bars long"])
    return bars


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 60}:{s % 60:02d}"
