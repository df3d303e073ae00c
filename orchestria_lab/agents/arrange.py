"""The arrange agent: tempo, key, length, time signature, genre, and which stems are in.

A key change transposes every pitched stem (a change of mode re-makes the generated parts
in the new mode and maps other parts degree by degree); a new time signature, length or
genre re-makes the generated parts from their recorded settings, so the patterns are
written for the new meter rather than cut to fit.

>>> import numpy as np
>>> from orchestria_lab.state import Meta, State, Stem, Note, apply
>>> state = State(Meta(bpm=90, key="Cm", genre="lo-fi"),
...               (Stem("keys", role="chords", instrument="piano", notes=[Note(60, 0, 4), Note(63, 0, 4)]),))
>>> new = apply(state, AGENT(state, Action("arrange", "key", params={"semitones": 2}), np.random.default_rng(0)))
>>> new.meta.key, [n.pitch for n in new.stem("keys").notes]
('Dm', [62, 65])
"""

from __future__ import annotations

import json

import numpy as np

from orchestria_lab.agents.base import Action, Agent, AgentSpec, Param, Target
from orchestria_lab.agents.context import REMAKE_ORDER
from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.form import add_section, find_section, fit_sections, rename_section
from orchestria_lab.music.genres import GENRES, match_genre
from orchestria_lab.music.theory import Key, parse_key, parse_time_signature
from orchestria_lab.state import Edit, Meta, Note, State, Stem, apply


class ArrangeAgent(Agent):
    """Session-wide changes: tempo, key, bars, meter, genre; removing and restoring stems."""

    spec = AgentSpec(
        name="arrange",
        description="Tempo, key (transposes every pitched stem), length in bars, time signature (patterns "
                    "re-made in the new meter), genre (parts re-styled), and which stems are in the track.",
        capabilities=("tempo", "key", "bars", "time_signature", "genre", "remove", "restore", "section",
                      "rename_section", "delete_bars", "clear", "copy_bars"),
        parameters=(
            Param("bpm", "float", None, low=20, high=300, unit="bpm", description="absolute tempo"),
            Param("change_bpm", "float", None, low=-280, high=280, unit="bpm", description="tempo change"),
            Param("factor", "float", None, low=0.125, high=8.0, description="multiply tempo or length (double: 2)"),
            Param("key", "str", None, description="the new key, e.g. 'D minor', 'F#m', 'Eb'"),
            Param("semitones", "int", None, low=-24, high=24, unit="semitones", description="transpose by"),
            Param("bars", "int", None, low=1, high=256, unit="bars", description="absolute length"),
            Param("change_bars", "int", None, low=-255, high=255, unit="bars", description="length change"),
            Param("time_signature", "str", None, description="e.g. 3/4, 6/8, 7/8"),
            Param("genre", "str", None, description="the new genre: " + ", ".join(GENRES) + "; any other style maps to the nearest"),
            Param("keep_tempo", "bool", False, description="keep the tempo when the genre changes"),
            Param("stem", "str", None, description="a stem as JSON (Stem.to_dict), to restore"),
            Param("copy_of", "str", None, description="the stem the restored one copies (a layer or a double)"),
            Param("name", "str", None, description="a section's name: intro, verse, chorus, bridge, outro ..."),
            Param("first_bar", "int", None, low=1, high=256, unit="bars", description="a section's first bar (from 1)"),
            Param("last_bar", "int", None, low=1, high=256, unit="bars", description="a section's last bar"),
            Param("to", "str", None, description="a section's new name"),
            Param("to_bar", "int", None, low=1, high=256, unit="bars", description="where copied bars go (first bar)"),
            Param("until_bar", "int", None, low=1, high=256, unit="bars",
                  description="the last bar copies fill (repeating the source), default: one copy"),
            Param("only", "str", None, description="the one stem to copy bars of (default: every stem)"),
        ),
        intent_params={"tempo": ("bpm", "change_bpm", "factor"), "key": ("key", "semitones"),
                       "bars": ("bars", "change_bars", "factor"), "time_signature": ("time_signature",),
                       "genre": ("genre", "keep_tempo"), "remove": (), "restore": ("stem", "copy_of"),
                       "section": ("name", "first_bar", "last_bar"), "rename_section": ("name", "to"),
                       "delete_bars": ("first_bar", "last_bar"), "clear": (),
                       "copy_bars": ("first_bar", "last_bar", "to_bar", "until_bar", "only")},
        targets={**dict.fromkeys(("tempo", "key", "bars", "time_signature", "genre", "section", "rename_section",
                                  "delete_bars", "copy_bars"), Target.SESSION),
                 "remove": Target.REMOVE, "restore": Target.NEW, "clear": Target.STEM},
        scoped=("clear",),
    )

    def tempo(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        p, bpm = action.params, state.meta.bpm
        if "bpm" in p:
            new = p["bpm"]
        elif "factor" in p:
            new = bpm * p["factor"]
        elif "change_bpm" in p:
            new = bpm + p["change_bpm"]
        else:
            raise InvalidValue("arrange.tempo", dict(p), "`bpm`, `change_bpm` or `factor`")
        new = round(float(np.clip(new, 20, 300)), 2)
        new = int(new) if new.is_integer() else new
        if new == bpm:
            return Edit(summary=f"the tempo is already {bpm:g} bpm")
        return Edit(meta={"bpm": new}, summary=f"tempo {bpm:g} → {new:g} bpm")

    def key(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        old = parse_key(state.meta.key)
        p = action.params
        if "key" in p:
            new = parse_key(p["key"])
            delta = (new.tonic_pc - old.tonic_pc) % 12
            delta = delta - 12 if delta > 6 else delta
        elif "semitones" in p:
            delta = int(p["semitones"])
            new = old.transpose(delta)
        else:
            raise InvalidValue("arrange.key", dict(p), "`key` or `semitones`")
        meta = Meta(**{**state.meta.to_dict(), "key": new.name})
        if new.mode == old.mode:
            stems = [s if s.is_drums else s.evolve(notes=_shift(s.notes, delta)) for s in state.stems]
            changed = State(meta, tuple(stems))
        else:
            stems = [s if s.is_drums or s.agent in REMAKE_ORDER else s.evolve(notes=_map_mode(s.notes, old, new))
                     for s in state.stems]
            changed = _remake(State(meta, tuple(stems)))
        direction = f" ({'up' if delta > 0 else 'down'} {abs(delta)} semitone{'s' * (abs(delta) != 1)})" if delta else ""
        return _as_edit(state, changed, f"key {old.name} → {new.name}{direction}", f"the key is already {old.name}")

    def bars(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        p, bars = action.params, state.meta.bars
        if "bars" in p:
            new = int(p["bars"])
        elif "factor" in p:
            new = int(round(bars * p["factor"]))
        elif "change_bars" in p:
            new = bars + int(p["change_bars"])
        else:
            raise InvalidValue("arrange.bars", dict(p), "`bars`, `change_bars` or `factor`")
        if not 1 <= new <= 256:
            raise InvalidValue("bars", new, "a whole number from 1 to 256")
        sections = fit_sections(state.meta.sections, total=new)  # cut with the song
        meta = Meta(**{**state.meta.to_dict(), "bars": new, "sections": sections})
        old_total, total = state.meta.total_beats, meta.total_beats
        stems = [s if s.agent in REMAKE_ORDER else s.evolve(notes=_loop(s.notes, old_total, total)) for s in state.stems]
        seconds = round(meta.duration_s)
        remade = _remake(State(meta, tuple(stems)))
        kept = State(meta, tuple(_continue(state.stem(s.stem_id), s, old_total, total) if s.agent in REMAKE_ORDER else s
                                 for s in remade.stems))
        return _as_edit(state, kept,
                        f"length {bars} → {new} bars ({seconds // 60}:{seconds % 60:02d} at {meta.bpm:g} bpm)",
                        f"it is already {bars} bars long")

    def time_signature(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        text = action.params.get("time_signature")
        n, d = parse_time_signature(text)
        meta = Meta(**{**state.meta.to_dict(), "time_signature": f"{n}/{d}"})
        total = meta.total_beats
        stems = [s if s.agent in REMAKE_ORDER else s.evolve(notes=_loop(s.notes, state.meta.total_beats, total))
                 for s in state.stems]
        return _as_edit(state, _remake(State(meta, tuple(stems))), f"time signature {state.meta.time_signature} → {n}/{d}",
                        f"the time signature is already {n}/{d}")

    def genre(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        asked = action.params.get("genre")
        if asked is None:
            raise InvalidValue("genre", None, "one of " + ", ".join(GENRES))
        match = match_genre(asked)
        name = match.genre
        changes = {"genre": name}
        lo, hi = GENRES[name].bpm
        note = f" ({match.note})" if match.note else ""
        if not action.params.get("keep_tempo") and not lo <= state.meta.bpm <= hi:
            changes["bpm"] = lo if state.meta.bpm < lo else hi
            note += f", tempo {state.meta.bpm:g} → {changes['bpm']} bpm"
        meta = Meta(**{**state.meta.to_dict(), **changes})
        stems = [s.evolve(params=s.params.updated(style=None, swing=None)) if s.agent in REMAKE_ORDER else s
                 for s in state.stems]
        return _as_edit(state, _remake(State(meta, tuple(stems))), f"genre {state.meta.genre} → {name}{note}",
                        f"the genre is already {name}")

    def section(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        """Name bars ``first_bar``-``last_bar`` as a section; no note changes."""
        p = action.params
        if not p.get("name") or p.get("first_bar") is None:
            raise InvalidValue("arrange.section", dict(p), "`name`, `first_bar` and `last_bar`")
        first, last = int(p["first_bar"]), int(p.get("last_bar") or state.meta.bars)
        if last < first:
            raise InvalidValue("section bars", f"{first}-{last}", "a first bar before the last")
        sections = add_section(state.meta.sections, str(p["name"]), first_bar=first, last_bar=last,
                               total=state.meta.bars)
        made = next(s for s in sections if s.bars_range == (first, last))
        return Edit(meta={"sections": [s.to_dict() for s in sections]}, summary=f"section {made.describe()}")

    def delete_bars(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        """Take bars ``first_bar``-``last_bar`` out of the song: what came after moves up, note for note,
        and the song is that much shorter (a note ringing into the cut stops there)."""
        p, total = action.params, state.meta.bars
        first, last = int(p.get("first_bar") or 0), int(p.get("last_bar") or total)
        if not 1 <= first <= last <= total:
            raise InvalidValue("bars", f"{first}-{last}", f"a range inside the song (bars 1 to {total})")
        if last - first + 1 >= total:
            raise InvalidValue("bars", f"{first}-{last}", "a range that leaves some of the song (to start again, "
                               "remove the stems)")
        beats = state.meta.beats_per_bar
        cut_from, cut_to = (first - 1) * beats, last * beats
        gap = cut_to - cut_from

        def moved(notes: tuple[Note, ...]) -> tuple[Note, ...]:
            out = []
            for n in notes:
                if n.start < cut_from - 1e-9:
                    end = min(n.start + n.duration, cut_from)
                    out.append(n if end >= n.start + n.duration - 1e-9 else n._replace(duration=round(end - n.start, 4)))
                elif n.start >= cut_to - 1e-9:
                    out.append(n._replace(start=round(n.start - gap, 4)))
            return tuple(out)

        sections = []
        for s in state.meta.sections:
            keep = [b for b in range(s.start_bar, s.last_bar + 1) if not first <= b <= last]
            if keep:
                start = keep[0] if keep[0] < first else keep[0] - (last - first + 1)
                sections.append({"name": s.name, "start_bar": start, "bars": len(keep)})
        meta = Meta(**{**state.meta.to_dict(), "bars": total - (last - first + 1), "sections": sections})
        after = State(meta, tuple(s.evolve(notes=moved(s.notes)) for s in state.stems))
        span = f"bar {first}" if first == last else f"bars {first}-{last}"
        return _as_edit(state, after, f"took out {span}: length {total} → {meta.bars} bars")

    def copy_bars(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        """Bars ``first_bar``-``last_bar`` played again from ``to_bar`` (repeated up to ``until_bar``):
        what started in those bars is replaced, note for note; every other bar stays."""
        p, total = action.params, state.meta.bars
        first, last = int(p.get("first_bar") or 0), int(p.get("last_bar") or 0)
        to = int(p.get("to_bar") or last + 1)
        length = last - first + 1
        until = int(p.get("until_bar") or to + length - 1)
        if not (1 <= first <= last <= total and 1 <= to <= until <= total):
            raise InvalidValue("bars", f"{first}-{last} to {to}-{until}", f"ranges inside the song (bars 1 to {total})")
        beats = state.meta.beats_per_bar
        src_lo, src_hi, dst_lo, dst_hi = (first - 1) * beats, last * beats, (to - 1) * beats, until * beats
        only = p.get("only")
        if only is not None:
            state.stem(only)

        def copied(notes: tuple[Note, ...]) -> tuple[Note, ...]:
            source = [n for n in notes if src_lo - 1e-9 <= n.start < src_hi - 1e-9]
            out = [n for n in notes if not dst_lo - 1e-9 <= n.start < dst_hi - 1e-9]
            offset = dst_lo - src_lo
            while dst_lo - 1e-9 <= src_lo + offset < dst_hi - 1e-9:
                out += [n._replace(start=round(n.start + offset, 4)) for n in source
                        if n.start + offset < dst_hi - 1e-9]
                offset += length * beats
            return tuple(sorted(out))

        after = State(state.meta, tuple(s.evolve(notes=copied(s.notes)) if only in (None, s.stem_id) else s
                                        for s in state.stems))
        span = f"bar {first}" if first == last else f"bars {first}-{last}"
        where = f"bar {to}" if to == until else f"bars {to}-{until}"
        return _as_edit(state, after, f"{span} copied to {where}" + (f" ({only})" if only else ""),
                        f"bars {to}-{until} already play {span}")

    def clear(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        """Silence a stem in its scope's bars: the notes that start there go; every note outside
        stays identical, as every scoped edit leaves it (undo brings them back)."""
        if not action.target:
            raise InvalidValue("arrange.clear target", None, "the stem to clear")
        if action.scope is None:
            raise InvalidValue("arrange.clear scope", None, "the bars to clear (\"in bars 1 to 4\")")
        stem = state.stem(action.target)
        first, last = action.scope.bars(total=state.meta.bars)
        beats = state.meta.beats_per_bar
        start, end = (first - 1) * beats, last * beats
        kept = [n for n in stem.notes if not start - 1e-9 <= n.start < end - 1e-9]
        new = stem.evolve(notes=tuple(kept))
        if new == stem:
            return Edit(summary=f"{stem.stem_id} is already silent in {action.scope.describe()}")
        return Edit(update=[new], summary=f"{stem.stem_id}: silent in {action.scope.describe()} "
                                          f"({len(stem.notes) - len(kept)} notes out)")

    def rename_section(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        p = action.params
        if not p.get("name") or not p.get("to"):
            raise InvalidValue("arrange.rename_section", dict(p), "`name` and `to`")
        old = find_section(state.meta.sections, str(p["name"]))
        sections = rename_section(state.meta.sections, old.name, str(p["to"]))
        new = next(s for s in sections if s.start_bar == old.start_bar)
        return Edit(meta={"sections": [s.to_dict() for s in sections]}, summary=f"section {old.name} → {new.describe()}")

    def remove(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        if not action.target:
            raise InvalidValue("arrange.remove target", None, "the stem to remove")
        stem = state.stem(action.target)
        return Edit(remove=[stem.stem_id], summary=f"removed {stem.stem_id}")

    def restore(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        try:
            stem = Stem.from_dict(json.loads(action.params.get("stem") or ""))
        except (ValueError, TypeError, KeyError) as exc:
            raise InvalidValue("stem", action.params.get("stem"), f"a stem as JSON ({exc})") from None
        if state.has_stem(stem.stem_id):
            stem = stem.evolve(stem_id=state.new_stem_id(stem.stem_id), name="")
        if source := action.params.get("copy_of"):
            return Edit(add=[stem], summary=f"added {stem.stem_id} ({stem.instrument}), a copy of {source} at "
                                                  f"{stem.gain_db:+g} dB")
        return Edit(add=[stem], summary=f"brought back {stem.stem_id} ({stem.instrument})")

    def examples(self, state: State) -> list[Action]:
        out = [Action("arrange", "tempo", params={"change_bpm": 10.0}), Action("arrange", "key", params={"key": "D minor"}),
               Action("arrange", "key", params={"key": "Eb"}), Action("arrange", "bars", params={"bars": 4}),
               Action("arrange", "time_signature", params={"time_signature": "3/4"}),
               Action("arrange", "genre", params={"genre": "house"})]
        out += [Action("arrange", "remove", s.stem_id) for s in state.stems[:1]]
        return out


def _remake(state: State) -> State:
    """Re-make every generated stem in ``state``'s meta, chords first, then drums, bass, melody."""
    from orchestria_lab.agents.generator import GeneratorAgent
    from orchestria_lab.agents.registry import get_agent

    for name in REMAKE_ORDER:
        agent = get_agent(name)
        if not isinstance(agent, GeneratorAgent):
            continue
        for stem in state.stems:
            if stem.agent == name and "seed" in stem.params:
                state = apply(state, Edit(update=[agent.remake(state, stem)]))
    return state


def _as_edit(before: State, after: State, summary: str, unchanged: str = "") -> Edit:
    """The edit from ``before`` to ``after``; ``unchanged`` is its summary when they are the same."""
    meta = {k: v for k, v in after.meta.to_dict().items() if before.meta.to_dict()[k] != v}
    updates = [s for s in after.stems if s.hash != before.stem(s.stem_id).hash]
    return Edit(update=updates, meta=meta, summary=summary if (updates or meta or not unchanged) else unchanged)


def _shift(notes: tuple[Note, ...], delta: int) -> tuple[Note, ...]:
    if not delta:
        return notes
    out = []
    for n in notes:
        pitch = n.pitch + delta
        while pitch > 127:
            pitch -= 12
        while pitch < 0:
            pitch += 12
        out.append(n._replace(pitch=pitch))
    return tuple(out)


def _map_mode(notes: tuple[Note, ...], old: Key, new: Key) -> tuple[Note, ...]:
    """Each note to the same scale degree of ``new`` (chromatic notes keep their offset)."""
    delta = (new.tonic_pc - old.tonic_pc) % 12
    delta = delta - 12 if delta > 6 else delta
    old_degrees = [(s - old.tonic_pc) % 12 for s in old.scale]
    new_degrees = [(s - new.tonic_pc) % 12 for s in new.scale]
    out = []
    for n in notes:
        rel = (n.pitch - old.tonic_pc) % 12
        moved = new_degrees[old_degrees.index(rel)] if rel in old_degrees else rel
        out.append(n._replace(pitch=int(np.clip(n.pitch - rel + moved + delta, 0, 127))))
    return tuple(out)


def _continue(old: Stem, remade: Stem, old_total: float, total: float) -> Stem:
    """A generated part at a new length that keeps every bar it had: shortening cuts it (a note
    that rings past the new end stops there); lengthening keeps its bars and continues it with
    the bars after them from ``remade``, the part made again at the new length."""
    def ending(n: Note) -> Note:
        return n if n.start + n.duration <= total + 1e-9 else n._replace(duration=round(total - n.start, 4))

    kept = [ending(n) for n in old.notes if n.start < min(old_total, total) - 1e-9]
    added = [ending(n) for n in remade.notes if old_total - 1e-9 <= n.start < total - 1e-9]
    return remade.evolve(notes=tuple(sorted(kept + added)))


def _loop(notes: tuple[Note, ...], old_total: float, total: float) -> tuple[Note, ...]:
    """Notes repeated every ``old_total`` beats up to ``total`` (or cut to it)."""
    out = []
    if old_total <= 0:
        return notes
    copies = int(np.ceil(total / old_total))
    for k in range(copies):
        for n in notes:
            start = n.start + k * old_total
            if start >= total - 1e-9 or n.start >= old_total:
                continue
            out.append(n._replace(start=round(start, 4), duration=min(n.duration, total - start)))
    return tuple(out)


AGENT = ArrangeAgent()
