"""The harmony agent: chord progressions in the key and genre, voice-led voicings, comping.

>>> import numpy as np
>>> from orchestria_lab.state import Meta, State, apply
>>> state = State(Meta(bpm=90, key="Cm", genre="lo-fi", seed=7))
>>> edit = AGENT(state, Action("harmony", "add", params={"instrument": "piano"}), np.random.default_rng(0))
>>> stem = apply(state, edit).stem("chords")
>>> stem.role, stem.instrument, stem.agent, len(stem.notes) > 0
('chords', 'piano', 'harmony', True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from orchestria_lab.agents.base import Action, AgentSpec, Param, Target
from orchestria_lab.agents.context import (
    harmony_chords,
    model_function,
    progression_source,
    stem_range,
    users_parts,
)
from orchestria_lab.agents.generator import (
    SCOPED,
    GeneratorAgent,
    common_params,
    inside_scope,
    targets,
)
from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.analysis import estimate_chords, strong_beat_tones
from orchestria_lab.music.chords import parse_chords
from orchestria_lab.music.genres import GENRES
from orchestria_lab.music.harmonize import harmonize
from orchestria_lab.music.progressions import (
    COMPING,
    FAMILIES,
    comping_pattern,
    family_for,
    voice_lead,
)
from orchestria_lab.music.rhythm import Meter, swing
from orchestria_lab.state import Edit, FrozenParams, Note, State, Stem, apply

VOICINGS = ("close", "open", "shell", "power")
_ROLES = ("chords", "pad")
_ALL = ("role", "instrument", "style", "density", "octave", "swing", "backend", "voicing", "comping")
_CHANGE = ("style", "density", "density_change", "octave", "swing", "swing_change", "backend", "humanize", "voicing", "comping")


class HarmonyAgent(GeneratorAgent):
    """Chords and pads that follow the session's key and genre."""

    roles = _ROLES
    extra = ("voicing", "comping")
    declared = AgentSpec(
        name="harmony",
        description="Chord progressions in the session's key and genre (7ths and 9ths with ii-V motion "
                    "for lo-fi and jazz, minor-7 stabs for house, triads and power chords for rock, "
                    "I-V-vi-IV for pop), voice-led voicings and a comping rhythm for the genre.",
        capabilities=("add", "regenerate", "change", "shift", "chords"),
        parameters=(*common_params(_ROLES, tuple(FAMILIES)),
                    Param("voicing", "str", None, choices=VOICINGS, description="how the chord is spread"),
                    Param("comping", "str", None, choices=tuple(COMPING), description="rhythm of the chord hits"),
                    Param("chords", "list", None, description="chords to play exactly, as symbols (Am, Cmaj7, F/A) "
                          "or Roman numerals in the key (ii, V7, bVII)"),
                    Param("chord_bars", "float", 1.0, low=0.25, high=16.0, unit="bars",
                          description="bars each written chord lasts"),
                    Param("melody", "str", None, description="instead of chords written, the part (a stem id) "
                          "whose notes the chords are chosen to fit: an imported melody, a lead, a bass line")),
        backend="baseline",
        intent_params={"add": _ALL, "regenerate": _CHANGE, "change": _CHANGE,
                       "shift": ("octaves", "semitones"), "chords": ("chords", "chord_bars", "melody")},
        targets={**targets(("add", "regenerate", "change", "shift")), "chords": Target.OWN},
        scoped=(*SCOPED, "chords"),
    )

    def initial_settings(self, state: State, role: str, settings: Mapping[str, Any]) -> dict[str, Any]:
        source = progression_source(state)
        if "style" in settings:
            source.pop("style", None)
        if not any(s.agent == self.name and s.role in _ROLES for s in state.stems):
            entry = self._users_chords(state, style=settings.get("style"), settings=settings)
            if entry is not None:  # the first harmony part plays to the user's own parts
                source["chord_plan"] = (entry,)
        return source

    def _users_chords(self, state: State, *, style: str | None, settings: Mapping[str, Any]) -> FrozenParams | None:
        """The chords a session's first harmony part plays where the user brought parts of their own: those
        their chord part plays (read back from its notes), else chords fitted to their one melody."""
        meta = state.meta
        if theirs := users_parts(state, *_ROLES):
            read = estimate_chords(theirs[0].notes, key=meta.key, time_signature=meta.time_signature, bars=meta.bars)
            return _entry(read, meta, first=1, last=0, reads=theirs[0].stem_id)
        tunes = users_parts(state, "melody", "lead")
        if len(tunes) == 1:
            return self._fit(state, tunes[0], first=1, last=0, style=style, backend=str(settings.get("backend")),
                             seed=int(settings.get("seed", meta.seed)))[0]
        return None

    def _fit(self, state: State, source: Stem, *, first: int, last: int, style: str | None, backend: str,
             seed: int) -> tuple[FrozenParams, list, int]:
        """The chord-plan entry of chords fitted to ``source`` over bars ``first``-``last`` (0: the bars it
        plays, then repeated to the end), the chords, and the last bar fitted. With the model backend (a
        harmony checkpoint that hears a melody, a genre it learnt, no style asked for), the model samples
        them conditioned on the melody (drawn from ``seed``); else the rule harmoniser (:func:`~orchestria_lab.music.harmonize.harmonize`)."""
        meta = state.meta
        until = last or max(1, min(meta.bars, int(np.ceil(max(n.start for n in source.notes) / meta.beats_per_bar
                                                           + 1e-6))))
        sample = model_function("harmony", "chords", backend, genre=meta.genre) if style is None else None
        if sample is not None and _hears_melody():
            offset = (first - 1) * meta.beats_per_bar
            heard = [n._replace(start=n.start - offset) for n in source.notes
                     if offset - 1e-9 <= n.start < until * meta.beats_per_bar - 1e-9]
            made = sample(key=meta.key, genre=meta.genre, time_signature=meta.time_signature, bars=until - first + 1,
                          rng=np.random.default_rng([seed, 4]), melody=heard)
            chosen = _joined([(round(s + offset, 4), d, c) for s, d, c in made])
        else:
            chosen = harmonize(source.notes, key=meta.key, genre=meta.genre, time_signature=meta.time_signature,
                               bars=until - first + 1, first_bar=first, style=style)
        return _entry(chosen, meta, first=first, last=last, fits=source.stem_id), chosen, until

    def reseed(self, state: State, stem: Stem, rng: np.random.Generator) -> dict[str, Any]:
        return {"progression_seed": int(rng.integers(2**31))}

    def regenerate(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        edit = super().regenerate(state, action, rng)
        return Edit(update=edit.update, summary=edit.summary + _stale_note(state, edit))

    def chords(self, state: State, action: Action, rng: np.random.Generator) -> Edit:
        """Play the chords written (``chords``, ``chord_bars`` bars each) exactly, or chords fitted to the
        part ``melody`` names (:meth:`fitted`), in the bars of the action's scope or the whole song. Every
        harmony part plays them; the bars outside the scope stay note for note, and the parts written
        over the old chords are named (they are stale)."""
        if action.params.get("melody") is not None:
            if action.params.get("chords"):
                raise InvalidValue("chords", list(action.params["chords"]), "no chords written when they are to "
                                   "be fitted to a melody (one or the other)")
            return self.fitted(state, action)
        meta = state.meta
        symbols = tuple(str(c) for c in action.params.get("chords") or ())
        if not symbols:
            raise InvalidValue("chords", [], "at least one chord, such as Am F C G")
        chords = parse_chords(symbols, key=meta.key)  # a part that is not a chord is named here
        each = float(action.params.get("chord_bars", 1.0))
        first, last = action.scope.bars(total=meta.bars) if action.scope is not None else (1, 0)
        entry = FrozenParams(chords=symbols, bars=each, first=first, last=last, key=meta.key)
        updated = self._lay(state, action, entry)
        names = " ".join(c.symbol for c in chords)
        span = f"{_bars(each)} each" + (f", in {action.scope.describe()}" if action.scope is not None else "")
        edit = Edit(update=updated, summary=f"{', '.join(s.stem_id for s in updated)} play {names} ({span})")
        return Edit(update=edit.update, summary=edit.summary + _stale_note(state, edit))

    def fitted(self, state: State, action: Action) -> Edit:
        """Chords chosen to fit the notes of the part ``melody`` names (:func:`~orchestria_lab.music.
        harmonize.harmonize`), over the bars it plays (or the action's scope), then repeated to the song's
        end; every harmony part plays them, as written chords. The part they fit is not stale: they
        were made for it."""
        meta = state.meta
        source = state.stem(str(action.params.get("melody") or ""))  # a part that is not there is named
        if source.is_drums or source.role in _ROLES or not source.notes:
            raise InvalidValue("melody", source.stem_id, "a part with pitched notes to fit chords to (a melody, "
                               "a lead, a bass line), not drums or the chords themselves")
        bar = meta.beats_per_bar
        first, last = action.scope.bars(total=meta.bars) if action.scope is not None else (1, 0)
        own = next((s for s in state.stems if s.agent == self.name and s.role in _ROLES), None)
        style, backend = (own.params.get("style"), own.params.get("backend")) if own is not None else (None, None)
        entry, chosen, until = self._fit(state, source, first=first, last=last, style=style,
                                         backend=str(backend or self._backend(action.params.get("backend"))),
                                         seed=int(own.params.get("seed", meta.seed)) if own is not None else meta.seed)
        updated = self._lay(state, action, entry)
        digest = apply(state, Edit(update=updated)).chords_digest
        if "follows" in source.params:  # the chords were made for this part: it follows them
            updated.append(source.evolve(params=source.params.updated(follows=digest)))
        heard = [n for n in source.notes if (first - 1) * bar - 1e-9 <= n.start < until * bar - 1e-9]
        tones = strong_beat_tones(heard, harmony_chords(meta, updated[0].params), time_signature=meta.time_signature)
        names = " ".join(c.symbol for _, _, c in chosen[:8]) + (" ..." if len(chosen) > 8 else "")
        where = f"bars {first}-{until}" + ("" if last else (", repeated to the end" if until < meta.bars else ""))
        rate = f"; {np.mean(tones):.0%} of its strong-beat notes are chord tones" if tones else ""
        edit = Edit(update=updated, summary=f"{', '.join(s.stem_id for s in updated if s.role in _ROLES)} fitted to "
                                            f"{source.stem_id}: {names} ({where}{rate})")
        return Edit(update=edit.update, summary=edit.summary + _stale_note(state, edit))

    def _lay(self, state: State, action: Action, entry: FrozenParams) -> list[Stem]:
        """Every harmony part (or the one the action names) with ``entry`` added to its chord plan (in
        place of it when the action covers the whole song), its notes made again inside the scope."""
        targets = [s for s in state.stems if s.agent == self.name and s.role in _ROLES] or [self._target(state, action)]
        inside = (lambda n: True) if action.scope is None else inside_scope(state, action.scope)
        updated = []
        for stem in targets:
            plan = (*(stem.params.get("chord_plan", ()) if action.scope is not None else ()), entry)
            new = stem.evolve(params=stem.params.updated(chord_plan=plan))
            made = self.notes_for(state, new)
            keep = [n for n in stem.notes if not inside(n)]
            updated.append(new.evolve(notes=tuple(sorted(keep + [n for n in made if inside(n)]))))
        return updated

    def make_notes(self, state: State, stem: Stem) -> list[Note]:
        meta, p = state.meta, stem.params
        chords = harmony_chords(meta, p)
        low, high = stem_range(stem.role, stem.instrument)
        family = family_for(meta.genre, p.get("style"))
        rng = np.random.default_rng([int(p["seed"]), 2])
        pad = stem.role == "pad"
        voicing = p.get("voicing") or ("open" if pad or family == "ambient" else "close")
        center = (low + high) / 2 if pad else min(max(low + 12, 62), high - 10)
        voices = voice_lead([c for _, _, c in chords], low=low, high=high, style=voicing, rng=rng, center=center)
        density = float(p.get("density", 0.5))
        if "comping" in p:
            pattern = COMPING[p["comping"]]
        elif pad:  # a pad holds its chords: re-struck each bar, twice a bar when busy, through each chord when sparse
            pattern = COMPING["halves" if density >= 0.67 else "sustain"]
        else:
            pattern = comping_pattern(family, meta.time_signature, density=density)
        meter = Meter.of(meta.time_signature)
        bar = meter.beats_per_bar
        amount = float(p.get("swing", GENRES[meta.genre].swing))
        strum = 0.012 if family in ("jazzy", "jazz") and not pad else 0.0
        notes: list[Note] = []
        for (start, dur, _), pitches in zip(chords, voices, strict=True):
            end = start + dur
            hits = [(b * bar + o, length) for b in range(int(start // bar), int(np.ceil(end / bar)))
                    for o, length in _fit(pattern, bar) if start - 1e-9 <= b * bar + o < end - 1e-9]
            if not hits or (pad and density < 0.34 and "comping" not in p):
                hits = [(start, dur)]
            for k, (t, length) in enumerate(hits):
                onset = swing(t, amount)
                length = min(length, end - onset)
                accent = 8 if meter.is_strong(round(t % bar, 6)) else 0
                base = (62 if pad else 74) + accent + rng.normal(0, 3)
                for i, pitch in enumerate(pitches):
                    vel = int(np.clip(round(base + (4 if i == len(pitches) - 1 else 0)), 30, 120))
                    notes.append(Note(pitch, round(onset + i * strum * (k == 0), 4), max(0.1, length - i * strum * (k == 0)), vel))
        return notes

    def describe_part(self, stem: Stem) -> str:
        plan = stem.params.get("chord_plan") or ()
        said = super().describe_part(stem)
        if plan and plan[-1].get("fits"):
            return f"{said}, chords fitted to {plan[-1]['fits']}"
        if plan and plan[-1].get("reads"):
            return f"{said}, the chords {plan[-1]['reads']} plays"
        return said

    def examples(self, state: State) -> list[Action]:
        out = [Action("harmony", "add", params={"instrument": "piano"}),
               Action("harmony", "add", params={"role": "pad", "style": "ambient"})]
        for s in state.stems_with_role(*_ROLES):
            out += [Action("harmony", "regenerate", s.stem_id), Action("harmony", "change", s.stem_id, {"density": 0.9}),
                    Action("harmony", "shift", s.stem_id, {"octaves": -1})]
            out += [Action("harmony", "chords", s.stem_id, {"melody": m.stem_id})
                    for m in state.stems_with_role("melody", "lead")[:1]]
        return out


def _entry(chords: list, meta: Any, *, first: int, last: int, **why: str) -> FrozenParams:
    """A chord-plan entry playing ``chords`` (timed) as written, from bar ``first`` to ``last`` (0: the
    end), with what they were made from (``fits``: the part they were fitted to; ``reads``: the part
    they were read from)."""
    return FrozenParams(chords=tuple(c.symbol for _, _, c in chords), beats=tuple(d for _, d, _ in chords),
                        first=first, last=last, key=meta.key, **why)


def _hears_melody() -> bool:
    from orchestria_lab.models.generate import hears_melody

    return hears_melody()


def _joined(chords: list) -> list:
    """``chords`` (timed) with each run of one chord joined into one entry: the chord held."""
    out: list = []
    for start, length, chord in chords:
        if out and out[-1][2] == chord:
            out[-1] = (out[-1][0], round(out[-1][1] + length, 4), chord)
        else:
            out.append((start, length, chord))
    return out


def _bars(n: float) -> str:
    return "a bar" if n == 1 else f"{n:g} bars" if n >= 1 else f"{n:g} of a bar"


def _stale_note(state: State, edit: Edit) -> str:
    """What a change of the chords leaves behind: the parts written over the old ones, named."""
    after = apply(state, edit)
    stale = sorted(after.stale)
    if not stale:
        return ""
    follow = f"make the {after.stem(stale[0]).role} follow the new chords"
    return f"; {', '.join(stale)} {'was' if len(stale) == 1 else 'were'} written over the old chords " \
           f"and {'is' if len(stale) == 1 else 'are'} marked stale (say \"{follow}\" to refit)"


def _fit(pattern: tuple[tuple[float, float], ...], bar: float) -> list[tuple[float, float]]:
    """A 4/4 pattern cut to a bar of ``bar`` beats (the comping helper makes non-4/4 ones)."""
    return [(o, min(length, bar - o)) for o, length in pattern if o < bar - 1e-9]


AGENT = HarmonyAgent()
