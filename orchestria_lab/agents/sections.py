"""Composing a song's form: the material of each section, and splicing sections into the song.

:func:`material` makes one section's notes for every stem from bars of the song as it is,
played the way its kind is played in the genre (``music/arrangement.py``): the parts that sit
out are silent, generated parts are made again busier or sparser (and with a new take where
the kind has its own, the chorus melody), the rest repeats its bars; velocities follow the
kind's energy. :func:`compose` lays a whole form out of that material (a section that comes
back plays its material again, note for note), and :func:`splice` inserts bars into the song,
moving what follows.

>>> from orchestria_lab.state import Meta, Note, State, Stem
>>> keys = Stem("keys", role="chords", instrument="piano", notes=[Note(60, 0.0, 4.0, 80)])
>>> kick = Stem("beat", role="drums", instrument="drum_kit", notes=[Note(36, 0.0, 0.5, 100)])
>>> state = State(Meta(bpm=90, key="C", genre="pop", bars=1), (keys, kick))
>>> song = compose(state, layout(["intro", "verse", "verse"], lengths=[1, 1, 1]))
>>> [(s.name, s.start_bar) for s in song.meta.sections], song.meta.bars
([('intro', 1), ('verse', 2), ('verse 2', 3)], 3)
>>> [n.start for n in song.stem("beat").notes], [n.velocity for n in song.stem("keys").notes]
([4.0, 8.0], [64, 80, 80])
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import replace

import numpy as np

from orchestria_lab.agents.context import REMAKE_ORDER
from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.arrangement import character, kind_of, layout
from orchestria_lab.music.automation import Point, envelope
from orchestria_lab.music.form import Section, renumber
from orchestria_lab.music.naming import numbered
from orchestria_lab.music.tempo import inserted
from orchestria_lab.state import Edit, Meta, Note, State, apply

Material = dict[str, tuple[Note, ...]]


def material(state: State, kind: str, bars: int, *, source: tuple[int, int] | None = None,
             roles: tuple[str, ...] = ()) -> Material:
    """Each stem's notes for one section of ``kind``, ``bars`` long (from beat 0), made from the song's
    bars ``source`` (first, last; default: the whole song) as the kind is played in the genre (only
    ``roles`` playing, when given)."""
    from orchestria_lab.agents.generator import GeneratorAgent
    from orchestria_lab.agents.registry import get_agent

    meta = state.meta
    c = character(kind, genre=meta.genre)
    if roles:
        c = replace(c, plays_roles=tuple(roles))
    beats = meta.beats_per_bar
    first, last = source or (1, meta.bars)
    lo, hi = (first - 1) * beats, last * beats
    sub = State(Meta(**{**meta.to_dict(), "bars": bars, "sections": []}),
                tuple(s.evolve(notes=_tile(s.notes, lo, hi, bars * beats)) for s in state.stems))
    for name in REMAKE_ORDER:  # chords first, so the parts that follow them hear this section's
        agent = get_agent(name)
        if not isinstance(agent, GeneratorAgent):
            continue
        for stem in sub.stems:
            if stem.agent != name or "seed" not in stem.params or not c.plays(stem.role):
                continue
            if not c.density and stem.role not in c.fresh:
                continue
            params = stem.params.updated(density=round(float(np.clip(float(stem.params.get("density", 0.5))
                                                                         + c.density, 0.0, 1.0)), 3))
            if stem.role in c.fresh:  # a take of its own for this kind of section
                params = params.updated(seed=int(np.random.default_rng(
                    [int(stem.params["seed"]), zlib.crc32(kind_of(kind).encode())]).integers(2**31)))
            remade = agent.remake(sub, stem.evolve(params=params))
            sub = apply(sub, Edit(update=[stem.evolve(notes=remade.notes)]))
    return {s.stem_id: tuple(_louder(s.notes, c.velocity)) if c.plays(s.role) else () for s in sub.stems}


def compose(state: State, sections: Iterable[Section]) -> State:
    """The song laid out as ``sections``: each kind's material made once from the song as it is and
    played wherever that kind comes (a second chorus is the first one again, note for note)."""
    sections = list(sections)
    total = sum(s.bars for s in sections)
    made: dict[tuple[str, int], Material] = {}
    beats = state.meta.beats_per_bar
    notes: dict[str, list[Note]] = {s.stem_id: [] for s in state.stems}
    for section in sections:
        key = (kind_of(section.name), section.bars)
        if key not in made:
            made[key] = material(state, key[0], section.bars)
        offset = (section.start_bar - 1) * beats
        for stem_id, part in made[key].items():
            notes[stem_id] += [n._replace(start=round(n.start + offset, 4)) for n in part]
    meta = Meta(**{**state.meta.to_dict(), "bars": total, "sections": [s.to_dict() for s in sections],
                   "tempo_changes": [], "key_changes": []})  # a new form starts from the song's own tempo and key
    lane = lift_lane(sections, genre=meta.genre, beats_per_bar=beats)
    return State(meta, tuple(s.evolve(notes=tuple(sorted(notes[s.stem_id])), automation=(
        *[p for p in s.automation if p.param != "gain_db"], *lane)) for s in state.stems))


def lift_lane(sections: Iterable[Section], *, genre: str, beats_per_bar: float) -> tuple[Point, ...]:
    """A gain lane that lifts or lowers each section as its kind sits in the mix (``Character.lift_db``,
    a chorus a little louder than its verse); () when every section sits level."""
    sections = list(sections)
    lifts = [character(s.name, genre=genre).lift_db for s in sections]
    if not any(lifts):
        return ()
    return tuple(Point("gain_db", (s.start_bar - 1) * beats_per_bar, lift, "step") for s, lift in zip(sections, lifts,
                                                                                                      strict=True))


def splice(state: State, at_bar: int, part: Mapping[str, Iterable[Note]], bars: int, *,
           section: str | None = None) -> State:
    """``part`` (notes from beat 0, per stem) inserted as ``bars`` new bars before bar ``at_bar``
    (the song's length + 1: at the end). What followed moves later, note for note; a note ringing
    into the new bars stops at them. A ``section`` name makes the new bars a section (sections of
    one kind are numbered again in bar order); else a section they fall inside grows by them."""
    meta, beats = state.meta, state.meta.beats_per_bar
    if not 1 <= at_bar <= meta.bars + 1:
        raise InvalidValue("bar", at_bar, f"a bar from 1 to {meta.bars + 1} (the end of the song)")
    if meta.bars + bars > 256:
        raise InvalidValue("bars", meta.bars + bars, f"a song of at most 256 bars ({bars} more would make "
                           f"{meta.bars + bars})")
    at, gap = (at_bar - 1) * beats, bars * beats

    def moved(notes: Iterable[Note], new: Iterable[Note]) -> tuple[Note, ...]:
        out = []
        for n in notes:
            if n.start >= at - 1e-9:
                out.append(n._replace(start=round(n.start + gap, 4)))
            else:
                out.append(n if n.start + n.duration <= at + 1e-9 else n._replace(duration=round(at - n.start, 4)))
        return tuple(sorted(out + [n._replace(start=round(n.start + at, 4)) for n in new]))

    sections: list[dict] = []
    for s in meta.sections:
        if s.start_bar >= at_bar:
            sections.append({**s.to_dict(), "start_bar": s.start_bar + bars})
        elif s.last_bar >= at_bar and section is None:
            sections.append({**s.to_dict(), "bars": s.bars + bars})
        elif s.last_bar >= at_bar:
            raise InvalidValue("bar", at_bar, f"a bar where {s.describe()} starts or after it ends, to put "
                               f"a new section there")
        else:
            sections.append(s.to_dict())
    if section is not None:
        sections.append({"name": numbered(section, {s["name"] for s in sections}), "start_bar": at_bar, "bars": bars})
    def shifted(points: Iterable[Point]) -> tuple[Point, ...]:  # automation moves with the bars after
        return tuple(p._replace(beat=p.beat + gap) if p.beat >= at - 1e-9 else p for p in points)

    new_meta = Meta(**{**meta.to_dict(), "bars": meta.bars + bars, "sections": renumber(sections),
                       "tempo_changes": inserted(meta.tempo_changes, at=at_bar, bars=bars),
                       "key_changes": inserted(meta.key_changes, at=at_bar, bars=bars)})
    lift = character(section, genre=meta.genre).lift_db if section else 0.0
    out = []
    for s in state.stems:
        lane = shifted(s.automation)
        if lift:  # the new section sits as its kind does, and the bars after it as they did
            gain = [p for p in lane if p.param == "gain_db"]
            after = float(envelope(gain, times=[at + gap])[0]) if gain else 0.0
            resumes = at_bar <= meta.bars and not any(p.param == "gain_db" and abs(p.beat - at - gap) < 1e-9 for p in gain)
            lane = (*[p for p in lane if not (p.param == "gain_db" and at - 1e-9 <= p.beat < at + gap - 1e-9)],
                    Point("gain_db", at, lift, "step"), *([Point("gain_db", at + gap, after, "step")] if resumes else []))
            if at > 0 and not any(p.param == "gain_db" and p.beat < at - 1e-9 for p in lane):
                lane = (Point("gain_db", 0.0, 0.0, "step"), *lane)
        out.append(s.evolve(notes=moved(s.notes, part.get(s.stem_id, ())), automation=lane))
    return State(new_meta, tuple(out))


def cut(state: State, first: int, last: int) -> Material:
    """Each stem's notes that start in bars ``first``-``last``, from beat 0 (what :func:`splice` takes)."""
    beats = state.meta.beats_per_bar
    lo, hi = (first - 1) * beats, last * beats
    return {s.stem_id: tuple(n._replace(start=round(n.start - lo, 4)) for n in s.notes
                             if lo - 1e-9 <= n.start < hi - 1e-9) for s in state.stems}


def _tile(notes: Iterable[Note], lo: float, hi: float, total: float) -> tuple[Note, ...]:
    """The notes starting in beats ``[lo, hi)``, from beat 0, repeated to fill ``total`` beats."""
    span = hi - lo
    source = [n._replace(start=n.start - lo) for n in notes if lo - 1e-9 <= n.start < hi - 1e-9]
    out, k = [], 0
    while k * span < total - 1e-9 and span > 0:
        for n in source:
            start = n.start + k * span
            if start < total - 1e-9:  # a note keeps its own numbers unless the section's end cuts it
                ends = start + n.duration > total + 1e-9
                out.append(n._replace(start=round(start, 4) if k else n.start,
                                      duration=round(total - start, 4) if ends else n.duration))
        k += 1
    return tuple(out)


def _louder(notes: Iterable[Note], factor: float) -> list[Note]:
    if factor == 1.0:
        return list(notes)
    return [n._replace(velocity=int(np.clip(round(n.velocity * factor), 1, 127))) for n in notes]


__all__ = ["Material", "compose", "cut", "layout", "lift_lane", "material", "splice"]
