"""Which stems a mention means: by name, role, instrument, family, drum voice or "it".

The index follows the plan as it is made, so a later clause can point at a stem an
earlier clause adds ("add piano chords and put reverb on them").

>>> from orchestria_lab.state import Meta, State, Stem, Note
>>> from orchestria_lab.language.frames import Mention
>>> state = State(Meta(bpm=90, key="Cm", genre="lo-fi"), (
...     Stem("chords", role="chords", instrument="electric_piano", notes=[Note(60, 0, 1)]),
...     Stem("bass", role="bass", instrument="sub_bass", notes=[Note(36, 0, 1)])))
>>> index = StemIndex(state)
>>> index.resolve(Mention(0, family="keys")), index.resolve(Mention(0, instrument="sub_bass"))
(['chords'], ['bass'])
>>> index.resolve(Mention(0, instrument="piano")), index.new_id("chords")
(['chords'], 'chords-2')
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestria_lab.agents.context import GENERATOR_FOR_ROLE
from orchestria_lab.language.frames import Mention
from orchestria_lab.music.naming import numbered
from orchestria_lab.music.vocabulary import INSTRUMENT_ROLE
from orchestria_lab.state import State

#: The role a part takes when only its instrument is named ("add a rhodes").
FAMILIES: dict[str, tuple[str, ...]] = {"keys": ("piano", "electric_piano", "organ")}
#: Where to look when no stem has the role asked for: only parts that are clearly the one
#: meant ("the melody" for the lead line, "the chords" for the pad that plays them). A
#: pad is not any chord part: "the pad" with piano chords only is refused, naming the stems.
RELATED_ROLES: dict[str, tuple[str, ...]] = {
    "melody": ("lead", "arp"), "lead": ("melody",), "chords": ("pad",),
    "drums": ("percussion",), "percussion": ("drums",),
}
#: Instruments that answer to each other's names ("the piano" for a rhodes).
PIANOS = ("piano", "electric_piano")
#: Instruments that make a part of another role a pad ("the pad" for string chords).
PAD_LIKE = ("pad", "strings")
#: Instruments that all stand for "the bass" when the one named is not there ("the 808").
BASSES = ("sub_bass", "synth_bass", "bass_guitar")
#: Parts "the synth" can mean when no synth lead plays (never the bass).
SYNTHS = ("synth_lead", "pad", "pluck")
#: The agents that generate parts: a part none of them made is the user's own ("my melody").
GENERATORS = frozenset(GENERATOR_FOR_ROLE.values())


class Unclear(Exception):
    """A clause that fits a rule but cannot be carried out as said (no such stem ...)."""

    def __init__(self, reason: str, suggestions: list[str] | None = None) -> None:
        super().__init__(reason)
        self.reason, self.suggestions = reason, suggestions or []


@dataclass
class Entry:
    stem_id: str
    name: str
    role: str
    instrument: str
    agent: str
    muted: bool = False
    solo: bool = False
    effects: tuple[str, ...] = field(default_factory=tuple)


class StemIndex:
    """The stems a plan can point at: those in the state plus those the plan adds."""

    def __init__(self, state: State) -> None:
        self.entries = [Entry(s.stem_id, s.name, s.role, s.instrument, s.agent, s.muted, s.solo,
                              tuple(e.type for e in s.effects)) for s in state.stems]
        self._taken = {s.stem_id for s in state.stems}

    def ids(self) -> list[str]:
        return [e.stem_id for e in self.entries]

    def get(self, stem_id: str) -> Entry | None:
        return next((e for e in self.entries if e.stem_id == stem_id), None)

    def with_role(self, *roles: str) -> list[str]:
        return [e.stem_id for e in self.entries if e.role in roles]

    def new_id(self, base: str) -> str:
        """Like ``State.new_stem_id``, counting the stems the plan adds."""
        return numbered(base, self._taken, sep="-")

    def add(self, stem_id: str, role: str, instrument: str, agent: str) -> None:
        self.entries.append(Entry(stem_id, stem_id, role, instrument, agent))
        self._taken.add(stem_id)

    def remove(self, stem_id: str) -> None:
        self.entries = [e for e in self.entries if e.stem_id != stem_id]

    def update(self, stem_id: str, **changes: object) -> None:
        for e in self.entries:
            if e.stem_id == stem_id:
                for k, v in changes.items():
                    setattr(e, k, v)

    def resolve(self, m: Mention, *, touched: tuple[str, ...] = (), plural_ref: bool = False) -> list[str]:
        """The stem ids ``m`` means ([] when none fits); "my melody" is the user's own where the session
        has theirs and a generated one (a part no generator made: imported, or written by hand)."""
        found = self._resolve(m, touched=touched, plural_ref=plural_ref)
        if m.own and len(found) > 1:
            theirs = [i for i in found if (e := self.get(i)) is not None and e.agent not in GENERATORS]
            return theirs or found
        return found

    def _resolve(self, m: Mention, *, touched: tuple[str, ...] = (), plural_ref: bool = False) -> list[str]:
        if m.name:
            return [e.stem_id for e in self.entries if m.name in (e.stem_id.lower(), e.name.lower())]
        if m.ref == "all":
            return self.ids()
        if m.ref == "it":
            live = [t for t in touched if self.get(t)]
            if live:
                return live if plural_ref else live[-1:]
            return self.ids() if len(self.entries) == 1 else []
        if m.voice and not (m.role or m.instrument):
            return self.with_role("drums")
        if m.family:
            hits = [e for e in self.entries if e.instrument in FAMILIES[m.family]]
            harmonic = [e.stem_id for e in hits if e.role in ("chords", "pad")]
            return harmonic or [e.stem_id for e in hits] or self.with_role("chords")
        if m.instrument:
            both = [e.stem_id for e in self.entries if e.instrument == m.instrument and (not m.role or e.role == m.role)]
            if both:
                return both
            if m.role:
                return self._by_role(m.role)
            same = [e.stem_id for e in self.entries if e.instrument == m.instrument]
            if same:
                return same
            if m.instrument in PIANOS:  # "the piano" for the electric piano chords (not for an organ)
                hits = [e for e in self.entries if e.instrument in PIANOS]
                return [e.stem_id for e in hits if e.role in ("chords", "pad")] or [e.stem_id for e in hits]
            if m.instrument in BASSES or m.instrument == "drum_kit":  # "the 808" for the bass
                return self.with_role(INSTRUMENT_ROLE[m.instrument])
            synths = [e.stem_id for e in self.entries if e.instrument in SYNTHS]
            if m.instrument == "synth_lead" and len(synths) == 1:  # "the synth": the one synth there is
                return synths
            return []  # "the guitar" is not the piano: refused, naming the stems there are
        if m.role:
            return self._by_role(m.role)
        return []

    def _by_role(self, role: str) -> list[str]:
        hits = self.with_role(role)
        if hits:
            return hits
        for other in RELATED_ROLES.get(role, ()):
            hits = self.with_role(other)
            if hits:
                return hits
        if role == "pad":  # string or synth-pad chords are the pad
            return [e.stem_id for e in self.entries if e.instrument in PAD_LIKE]
        return []


def add_one(name: str) -> str:
    """"add a pad", "add an organ", "add strings": a suggestion to add what was named."""
    article = "" if name.endswith("s") else "an " if name[0] in "aeiou" else "a "
    return f"add {article}{name}"
