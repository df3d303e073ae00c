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
import re

import numpy as np

from orchestria_lab.agents.base import Action, Agent, AgentSpec, Param, Target
from orchestria_lab.agents.context import REMAKE_ORDER
from orchestria_lab.agents.sections import compose, cut, material, splice
from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.arrangement import character, kind_of, layout
from orchestria_lab.music.form import (
    add_section,
    find_section,
    fit_sections,
    rename_section,
    renumber,
)
from orchestria_lab.music.genres import GENRES, match_genre
from orchestria_lab.music.tempo import KeyChange, TempoChange, changed, deleted
from orchestria_lab.music.theory import Key, parse_key, parse_time_signature
from orchestria_lab.state import Edit, Meta, Note, State, Stem, apply

#: How a riser sounds: the instrument, its level, and where its gain and lowpass start and end.
RISER = {"instrument": "synth_lead", "level_db": -6.0, "gain_db": (-30.0, 0.0), "lowpass_hz": (300.0, 16000.0)}


class ArrangeAgent(Agent):
    """Session-wide changes: tempo, key, bars, meter, genre; removing and restoring stems."""

    spec = AgentSpec(
        name="arrange",
        description="Tempo, key (transposes every pitched stem), length in bars, time signature (patterns "
                    "re-made in the new meter), genre (parts re-styled), and which stems are in the track.",
        capabilities=("tempo", "key", "bars", "time_signature", "genre", "remove", "restore", "section",
                      "rename_section", "delete_bars", "clear", "copy_bars", "form", "insert_section",
                      "repeat_section", "insert_bars", "move_bars", "riser"),
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
            Param("to_bar", "int", None, low=0, high=257, unit="bars", description="where copied or new bars go (their "
                  "first bar; for a new section 0 is the song's end)"),
            Param("until_bar", "int", None, low=1, high=256, unit="bars",
                  description="the last bar copies fill (repeating the source), default: one copy"),
            Param("only", "str", None, description="the one stem to copy bars of (default: every stem)"),
            Param("roles", "list", None, description="the only parts a new section plays (default: its kind's)"),
            Param("again", "bool", None, description="a new section that plays the song's last one of its kind again"),
            Param("sections", "list", None, description="a form: section names in order, each optionally with "
                  "its length ('intro:4', 'verse', 'chorus:8')"),
        ),
        intent_params={"tempo": ("bpm", "change_bpm", "factor"), "key": ("key", "semitones"),
                       "bars": ("bars", "change_bars", "factor"), "time_signature": ("time_signature",),
                       "genre": ("genre", "keep_tempo"), "remove": (), "restore": ("stem", "copy_of"),
                       "section": ("name", "first_bar", "last_bar"), "rename_section": ("name", "to"),
                       "delete_bars": ("first_bar", "last_bar"), "clear": (),
                       "copy_bars": ("first_bar", "last_bar", "to_bar", "until_bar", "only"),
                       "form": ("sections", "bars"), "insert_section": ("name", "bars", "to_bar", "roles", "again"),
                       "repeat_section": ("name",), "insert_bars": ("to_bar", "bars"),
                       "move_bars": ("first_bar", "last_bar", "to_bar"), "riser": ("first_bar", "last_bar")},
        targets={**dict.fromkeys(("tempo", "key", "bars", "time_signature", "genre", "section", "rename_section",
                                  "delete_bars", "copy_bars", "form", "insert_section", "repeat_section",
                                  "insert_bars", "move_bars"), Target.SESSION), "riser": Target.NEW,
                 "remove": Target.REMOVE, "restore": Target.NEW, "clear": Target.STEM},
        scoped=("clear", "tempo", "key"),
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
        if action.scope is not None:  # a tempo change at a bar line, and back after the scope
            return self._tempo_in(state, action, new)
        if new == bpm:
            return Edit(summary=f"the tempo is already {bpm:g} bpm")
        changes = state.meta.tempo_changes  # the song's tempo map moves with it, in proportion
        moved = {"tempo_changes": [{"bar": c.bar, "bpm": round(float(np.clip(c.bpm * new / bpm, 20, 300)), 2)}
                                   for c in changes]} if changes else {}
        return Edit(meta={"bpm": new, **moved}, summary=f"tempo {bpm:g} → {new:g} bpm")

    def _tempo_in(self, state: State, action: Action, new: float) -> Edit:
        meta = state.meta
        first, last = action.scope.bars(total=meta.bars)
        if all(meta.tempo_at(b) == new for b in range(first, last + 1)):
            return Edit(summary=f"{action.scope.describe()} already play at {new:g} bpm")
        changes = changed(meta.tempo_changes, meta.tempo_at(last + 1), first=first, last=last, total=meta.bars,
                          new=new, make=TempoChange)
        out = {"tempo_changes": [c.to_dict() for c in changes]}
        back = f", back to {meta.tempo_at(last + 1):g} from bar {last + 1}" if last < meta.bars else ""
        return Edit(meta=out, summary=f"{new:g} bpm in {action.scope.describe()}{back} (the notes stay on their beats)")

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
        if action.scope is not None:
            return self._key_in(state, action)
        changes = [{"bar": c.bar, "key": parse_key(c.key).transpose(delta).name} for c in state.meta.key_changes]
        meta = Meta(**{**state.meta.to_dict(), "key": new.name, "key_changes": changes})
        if new.mode == old.mode:
            stems = [s if s.is_drums else s.evolve(notes=_shift(s.notes, delta)) for s in state.stems]
            changed = State(meta, tuple(stems))
        else:
            stems = [s if s.is_drums or s.agent in REMAKE_ORDER else s.evolve(notes=_map_mode(s.notes, old, new))
                     for s in state.stems]
            changed = _remake(State(meta, tuple(stems)))
        direction = f" ({'up' if delta > 0 else 'down'} {abs(delta)} semitone{'s' * (abs(delta) != 1)})" if delta else ""
        return _as_edit(state, changed, f"key {old.name} → {new.name}{direction}", f"the key is already {old.name}")

    def _key_in(self, state: State, action: Action) -> Edit:
        """A key change over the scope's bars: the pitched notes there move to the new key (degree by
        degree when the mode changes), every other note stays, and the key comes back after them."""
        meta, p = state.meta, action.params
        first, last = action.scope.bars(total=meta.bars)
        old = parse_key(meta.key_at(first))
        if "key" in p:
            new = parse_key(p["key"])
            delta = (new.tonic_pc - old.tonic_pc) % 12
            delta = delta - 12 if delta > 6 else delta
        else:
            delta = int(p["semitones"])
            new = old.transpose(delta)
        if new.name == old.name:
            return Edit(summary=f"{action.scope.describe()} are already in {old.name}")
        beats = meta.beats_per_bar
        lo, hi = (first - 1) * beats, last * beats

        def moved(notes: tuple[Note, ...]) -> tuple[Note, ...]:
            inside = [n for n in notes if lo - 1e-9 <= n.start < hi - 1e-9]
            shifted = _shift(tuple(inside), delta) if new.mode == old.mode else _map_mode(tuple(inside), old, new)
            return tuple(sorted([n for n in notes if not lo - 1e-9 <= n.start < hi - 1e-9] + list(shifted)))

        changes = changed(meta.key_changes, meta.key_at(last + 1), first=first, last=last, total=meta.bars,
                          new=new.name, make=KeyChange)
        out: dict = {"key_changes": [c.to_dict() for c in changes]}
        stems = [moved_stem for s in state.stems if not s.is_drums and (moved_stem := s.evolve(notes=moved(s.notes))) != s]
        direction = f" ({'up' if delta > 0 else 'down'} {abs(delta)} semitone{'s' * (abs(delta) != 1)})" if delta else ""
        back = f", back to {meta.key_at(last + 1)} from bar {last + 1}" if last < meta.bars else ""
        return Edit(update=stems, meta=out, summary=f"{action.scope.describe()} in {new.name}{direction}{back}")

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
        remade = _remake(State(meta, tuple(stems)), until=old_total if total > old_total else 0.0)
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
        meta = Meta(**{**state.meta.to_dict(), "bars": total - (last - first + 1), "sections": sections,
                       "tempo_changes": deleted(state.meta.tempo_changes, first=first, last=last),
                       "key_changes": deleted(state.meta.key_changes, first=first, last=last)})
        def lane(points: tuple) -> tuple:  # automation in the cut goes; after it moves up
            return tuple(p._replace(beat=round(p.beat - gap, 4)) if p.beat >= cut_to - 1e-9 else p
                         for p in points if not cut_from - 1e-9 <= p.beat < cut_to - 1e-9)

        after = State(meta, tuple(s.evolve(notes=moved(s.notes), automation=lane(s.automation)) for s in state.stems))
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

    def form(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        """Lay the song out as the sections named ("intro:4", "verse", "chorus" ...), in ``bars`` bars
        if given (the pattern repeats to fill them). Each kind of section is made once from the song
        as it is, played as the genre plays that kind (music/arrangement.py), and comes back note for
        note; the verse keeps the song's own bars."""
        p = action.params
        names, lengths = [], []
        for item in p.get("sections") or ():
            name, _, bars = str(item).partition(":")
            names.append(name.strip().lower())
            lengths.append(int(bars) if bars.strip().isdigit() else 0)
        total = int(p["bars"]) if p.get("bars") else None
        laid = layout(names, lengths=lengths, total=total, genre=state.meta.genre)
        song = compose(state, laid)
        seconds = round(song.meta.duration_s)
        form = ", ".join(s.describe() for s in laid)
        return _as_edit(state, song, f"form: {form}; {song.meta.bars} bars ({seconds // 60}:{seconds % 60:02d} "
                                     f"at {song.meta.bpm:g} bpm)")

    def insert_section(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        """A new section ``name`` of ``bars`` bars (its kind's usual length) before bar ``to_bar`` (default or
        0: an intro at the start, anything else at the end), made from the bars next to it as the kind is
        played, with only ``roles`` playing if given; with ``again``, the song's last section of that kind
        played once more, note for note. What follows moves later, note for note."""
        p, meta = action.params, state.meta
        name = str(p.get("name") or "").strip().lower()
        if not name:
            raise InvalidValue("arrange.insert_section", dict(p), "`name` (intro, verse, chorus, bridge, outro ...)")
        at = int(p.get("to_bar") or (1 if kind_of(name) == "intro" and "to_bar" not in p else meta.bars + 1))
        same = [s for s in meta.sections if re.sub(r" \d+$", "", s.name) == name]
        if p.get("again") and same:
            bars = same[-1].bars
            part = cut(state, *same[-1].bars_range)
        else:
            bars = int(p.get("bars") or character(name, genre=meta.genre).bars)
            if at == 1:
                source = (1, min(bars, meta.bars))  # an intro grows out of the song's first bars
            else:
                source = (max(1, at - min(bars, meta.bars)), at - 1)  # anything later out of the bars before it
            part = material(state, name, bars, source=source, roles=tuple(p.get("roles") or ()))
        song = splice(state, at, part, bars, section=name)
        made = next(s for s in song.meta.sections if s.start_bar == at)
        playing = f" ({', '.join(p['roles'])} only)" if p.get("roles") else ""
        again = f", {same[-1].name} again" if p.get("again") and same else ""
        return _as_edit(state, song, f"added {made.describe()}{again}{playing}: length {meta.bars} → {song.meta.bars} bars")

    def repeat_section(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        """Section ``name`` played again right after itself, note for note, as a section of its own."""
        found = find_section(state.meta.sections, str(action.params.get("name") or ""))
        first, last = found.bars_range
        kind = re.sub(r" \d+$", "", found.name)
        song = splice(state, last + 1, cut(state, first, last), found.bars, section=kind)
        made = next(s for s in song.meta.sections if s.start_bar == last + 1)
        return _as_edit(state, song, f"{found.name} played again as {made.describe()}: length {state.meta.bars} → "
                                     f"{song.meta.bars} bars")

    def insert_bars(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        """``bars`` new bars before bar ``to_bar``, playing the bars just before them again (at the start
        of the song: the first bars); what follows moves later, note for note."""
        p, meta = action.params, state.meta
        bars, at = int(p.get("bars") or 0), int(p.get("to_bar") or meta.bars + 1)
        if bars < 1:
            raise InvalidValue("bars", bars, "a number of bars to insert, from 1")
        first = max(1, at - bars) if at > 1 else 1
        last = at - 1 if at > 1 else min(bars, meta.bars)
        source = cut(state, first, last)
        span = last - first + 1
        part = {k: tuple(n._replace(start=round(n.start + r * span * meta.beats_per_bar, 4)) for r in range(
            -(-bars // span)) for n in v if n.start + r * span * meta.beats_per_bar < bars * meta.beats_per_bar - 1e-9)
            for k, v in source.items()}
        song = splice(state, at, part, bars)
        where = f"bars {at}-{at + bars - 1}" if bars > 1 else f"bar {at}"
        return _as_edit(state, song, f"{where} added, playing bars {first}-{last} again: length {meta.bars} → "
                                     f"{song.meta.bars} bars")

    def move_bars(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        """Bars ``first_bar``-``last_bar`` taken out and put back before bar ``to_bar`` (of the song as it
        was; its length + 1: the end), note for note; the song keeps its length."""
        p, total = action.params, state.meta.bars
        first, last = int(p.get("first_bar") or 0), int(p.get("last_bar") or 0)
        to = int(p.get("to_bar") or total + 1)
        if not 1 <= first <= last <= total or not 1 <= to <= total + 1:
            raise InvalidValue("bars", f"{first}-{last} to bar {to}", f"ranges inside the song (bars 1 to {total})")
        if first <= to <= last + 1:
            return Edit(summary=f"bars {first}-{last} are already there")
        inside = [x for x in state.meta.sections if first <= x.start_bar and x.last_bar <= last]
        if any(x not in inside and not (x.last_bar < first or x.start_bar > last) for x in state.meta.sections):
            raise InvalidValue("bars", f"{first}-{last}", "whole sections, or bars outside every section (the "
                               f"song's: {', '.join(x.describe() for x in state.meta.sections)})")
        part, n = cut(state, first, last), last - first + 1
        without = apply(state, self.delete_bars(state, Action("arrange", "delete_bars",
                                                              params={"first_bar": first, "last_bar": last}), rng))
        at = to - n if to > last else to
        song = splice(without, at, part, n)
        moved = [{**x.to_dict(), "start_bar": x.start_bar - first + at} for x in inside]
        others = [x for x in song.meta.sections if not any(x.name == y.name for y in inside)]
        song = State(Meta(**{**song.meta.to_dict(), "sections": renumber([*others, *moved])}), song.stems)
        return _as_edit(state, song, f"bars {first}-{last} moved to bars {at}-{at + n - 1}")

    def riser(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        """A riser over bars ``first_bar``-``last_bar``: a saw pulsing the key's root and fifth, faster in
        its last bar, while its level climbs and a lowpass opens (:data:`RISER`), silent elsewhere; every
        other part stays."""
        p, meta = action.params, state.meta
        first, last = int(p.get("first_bar") or 0), int(p.get("last_bar") or 0)
        if not 1 <= first <= last <= meta.bars:
            raise InvalidValue("bars", f"{first}-{last}", f"bars inside the song (1 to {meta.bars})")
        beats = meta.beats_per_bar
        lo, hi = (first - 1) * beats, last * beats
        root = 60 + parse_key(meta.key_at(first)).tonic_pc
        notes = []  # the root and fifth struck on every beat, every half beat in the last bar: it speeds up
        for bar in range(first, last + 1):
            step = 0.5 if bar == last else 1.0
            start = (bar - 1) * beats
            for k in range(int(round(beats / step))):
                notes += [Note(pitch, round(start + k * step, 4), step, 96) for pitch in (root, root + 7, root + 12)]
        gain, cutoff = RISER["gain_db"], RISER["lowpass_hz"]
        lanes = [("gain_db", lo, gain[0]), ("gain_db", hi, gain[1]), ("lowpass_hz", lo, cutoff[0], "exp"),
                 ("lowpass_hz", hi, cutoff[1])]
        stem = Stem(state.new_stem_id("riser"), role="fx", instrument=RISER["instrument"], agent="arrange",
                    notes=notes, gain_db=RISER["level_db"], automation=lanes)
        span = f"bar {first}" if first == last else f"bars {first}-{last}"
        return Edit(add=[stem], summary=f"added {stem.stem_id}: rising over {span}")

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


def _remake(state: State, *, until: float = 0.0) -> State:
    """Re-make every generated stem in ``state``'s meta, chords first, then drums, bass, melody; with
    ``until`` (beats), each continuing from its own notes before it (a learned model is given them)."""
    from orchestria_lab.agents.generator import GeneratorAgent
    from orchestria_lab.agents.registry import get_agent

    for name in REMAKE_ORDER:
        agent = get_agent(name)
        if not isinstance(agent, GeneratorAgent):
            continue
        for stem in state.stems:
            if stem.agent == name and "seed" in stem.params:
                state = apply(state, Edit(update=[agent.remake(state, stem, until=until)]))
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
