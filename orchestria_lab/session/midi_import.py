"""Your own MIDI: a session made from a file (:func:`session_from_midi`), or a file's tracks added
to a session (:func:`import_midi`), each as one version of kind ``import``.

A file is read with its tempo, metre and key; a key it does not state is found from its notes
(:func:`~orchestria_lab.music.analysis.estimate_key`), and so is a tempo (:func:`with_found_tempo`);
arguments given win over both. Each
track becomes a stem whose role is read from how it plays (:func:`guess_role`): channel 10 is
drums, a bass program or a low register is bass, a part that mostly strikes three notes at once is
chords, long held chords on a pad or string program are a pad, anything else a melody; the
version's summary says each guess and why. New stems are levelled to their roles like any other.

A file that is not MIDI, is empty, has no notes, is format 2, sets a tempo outside 20-300 bpm,
has notes past 256 bars or is over 1 MB is refused, saying which, and no version is made.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from orchestria_lab.errors import InvalidValue, LimitExceeded
from orchestria_lab.music.analysis import estimate_key
from orchestria_lab.music.midi import MidiSong, MidiTrack, midi_to_song, song_to_stems
from orchestria_lab.music.naming import numbered
from orchestria_lab.state import Edit, State, Stem

#: How a new session's summary says where its tempo came from.
_TEMPO_HOW = {"file": "from the file", "found": "found from its notes: the file sets none",
              "default": "MIDI's default, which its notes keep: the file sets none"}
#: The largest MIDI file read (bytes).
MAX_MIDI_BYTES = 1 << 20
_BASS_PROGRAMS = range(32, 40)
_PAD_PROGRAMS = (*range(48, 56), *range(88, 96))


def read_song(source: str | os.PathLike[str] | bytes, *, name: str = "the file") -> tuple[MidiSong, str]:
    """The song a Standard MIDI File holds, and where its tempo came from: ``"file"`` (it sets
    one), ``"found"`` (it sets none, and its notes keep another than MIDI's default of 120 bpm:
    its beats are re-counted at the tempo found, :func:`with_found_tempo`) or ``"default"``. A bad
    file is refused with what is wrong with it."""
    import mido
    import pretty_midi

    data = source if isinstance(source, bytes) else _read(Path(source))
    if len(data) > MAX_MIDI_BYTES:
        raise LimitExceeded("the MIDI file's size in bytes", len(data), MAX_MIDI_BYTES, setting="MAX_MIDI_BYTES",
                            hint="Send a shorter file, or fewer tracks.")
    if not data:
        raise InvalidValue("MIDI file", name, "a Standard MIDI File; this one is empty")
    if data[:4] != b"MThd":
        raise InvalidValue("MIDI file", name, "a Standard MIDI File (it starts with MThd); this is not MIDI")
    try:
        mid = mido.MidiFile(file=io.BytesIO(data))
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise InvalidValue("MIDI file", name, f"a Standard MIDI File that can be read ({exc})") from None
    if mid.type == 2:
        raise InvalidValue("MIDI file", name, "format 0 or 1; this is format 2 (independent sequences)")
    tempi = [m.tempo for t in mid.tracks for m in t if m.type == "set_tempo"]
    for tempo in tempi:
        bpm = mido.tempo2bpm(tempo)
        if not 20 <= bpm <= 300:
            raise InvalidValue("MIDI file", name, f"tempi from 20 to 300 bpm; it sets {bpm:.4g} bpm")
    try:
        song = midi_to_song(pretty_midi.PrettyMIDI(io.BytesIO(data)))
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise InvalidValue("MIDI file", name, f"a Standard MIDI File that can be read ({exc})") from None
    if not any(t.notes for t in song.tracks):
        raise InvalidValue("MIDI file", name, "at least one note; it has none")
    if tempi:
        return song, "file"
    found = with_found_tempo(song)
    return found, "default" if found is song else "found"


#: A tempo found within this share of MIDI's default (120 bpm) is taken to be the default.
TEMPO_AGREES = 0.015


def with_found_tempo(song: MidiSong) -> MidiSong:
    """``song`` (read at MIDI's default of 120 bpm: it sets no tempo) with its beats re-counted at
    the tempo its notes keep (:func:`~orchestria_lab.music.analysis.estimate_tempo`), or ``song``
    itself when that is 120 bpm give or take :data:`TEMPO_AGREES` (a file written on the grid).

    >>> from orchestria_lab.music.midi import MidiTrack
    >>> from orchestria_lab.music.notes import Note
    >>> played = tuple(Note(36 + 2 * (i % 2), i * 120 / 93, 0.5, 100) for i in range(48))  # beats at 93 bpm
    >>> found = with_found_tempo(MidiSong(120.0, None, "4/4", (MidiTrack("kick", 0, True, played),)))
    >>> found.bpm, round(found.tracks[0].notes[1].start, 2)
    (93.0, 1.0)
    """
    from dataclasses import replace

    from orchestria_lab.music.analysis import estimate_tempo

    notes = [n for t in song.tracks for n in t.notes]
    seconds = [float(n.start) * 60 / song.bpm for n in notes]
    bpm = estimate_tempo(seconds, [max(int(n.velocity), 1) / 127 for n in notes])
    if abs(bpm / song.bpm - 1) <= TEMPO_AGREES:
        return song
    factor = bpm / song.bpm
    tracks = tuple(replace(t, notes=tuple(n._replace(start=n.start * factor, duration=n.duration * factor)
                                          for n in t.notes)) for t in song.tracks)
    return replace(song, bpm=bpm, tracks=tracks)


def _read(path: Path) -> bytes:
    if not path.is_file():
        raise InvalidValue("MIDI path", str(path), "an existing .mid file")
    if path.stat().st_size > MAX_MIDI_BYTES:
        raise LimitExceeded("the MIDI file's size in bytes", path.stat().st_size, MAX_MIDI_BYTES,
                            setting="MAX_MIDI_BYTES", hint="Send a shorter file, or fewer tracks.")
    return path.read_bytes()


def guess_role(track: MidiTrack) -> tuple[str, str]:
    """The role a track plays, and why: as recorded (a file this package wrote), its channel, its
    program, its register or how many notes it strikes at once."""
    if track.role:
        return track.role, "as the file records it"
    if track.is_drum:
        return "drums", "channel 10"
    words = track.name.lower().split()
    for role in ("drums", "bass", "chords", "pad", "lead", "melody", "arp"):
        if role in words or (role == "drums" and "drum" in words):
            return role, f"its name, {track.name!r}"
    if track.program in _BASS_PROGRAMS:
        return "bass", f"program {track.program + 1}, a bass"
    pitches = [n.pitch for n in track.notes]
    if pitches and float(np.median(pitches)) < 50:
        return "bass", f"its register (middle note {int(np.median(pitches))})"
    onsets: dict[float, int] = {}
    for n in track.notes:
        onsets[round(n.start, 3)] = onsets.get(round(n.start, 3), 0) + 1
    chordal = sum(1 for c in onsets.values() if c >= 3) / max(len(onsets), 1)
    if chordal > 0.5:
        long = float(np.median([n.duration for n in track.notes])) >= 2.0
        if long and track.program in _PAD_PROGRAMS:
            return "pad", f"held chords on program {track.program + 1}"
        return "chords", f"{chordal:.0%} of its onsets strike three notes or more"
    return "melody", "one line, in the middle register"


def stems_of(song: MidiSong, state: State, *, role: str | None = None, name: str | None = None,
             bars: int | None = None) -> tuple[list[Stem], list[str], int]:
    """Stems for the song's tracks in ``state`` (ids kept free of its own), what was guessed for
    each, and how many notes fall past the song's end (or past ``bars``) and are left out."""
    limit = min(state.meta.total_beats, (bars or math.inf) * state.meta.beats_per_bar)
    stems, said, left_out, taken = [], [], 0, {s.stem_id for s in state.stems}
    for track, base in zip(song.tracks, song_to_stems(song), strict=True):
        if not track.notes:
            continue
        guessed, why = (role, "as asked") if role else guess_role(track)
        notes = tuple(n for n in track.notes if n.start < limit - 1e-9)
        left_out += len(track.notes) - len(notes)
        if not notes:
            continue
        label = name if name and len(song.tracks) == 1 else (f"{name} {track.name}".strip() if name else base.name)
        stem_id = numbered("".join(c if c.isalnum() or c in "-_" else "-" for c in label.lower())[:60] or guessed, taken, sep="-")
        taken.add(stem_id)
        instrument = base.instrument if track.instrument else _instrument_for_role(guessed, base)
        notes = tuple(n._replace(duration=min(n.duration, limit - n.start)) for n in notes)
        stems.append(Stem(stem_id, role=guessed, instrument=instrument, agent="midi", name=label, notes=notes))
        said.append(f"{stem_id}: {guessed} ({why})")
    return stems, said, left_out


def _instrument_for_role(role: str, base: Stem) -> str:
    from orchestria_lab.music.vocabulary import DEFAULT_INSTRUMENT, INSTRUMENT_ROLE

    if role in ("drums", "percussion"):
        return "drum_kit"
    return base.instrument if INSTRUMENT_ROLE.get(base.instrument) == role and base.instrument != "drum_kit" \
        else DEFAULT_INSTRUMENT[role]


def song_bars(song: MidiSong, beats_per_bar: float) -> int:
    """Whole bars the song's notes fill; over 256 is refused."""
    end = max(n.start + n.duration for t in song.tracks for n in t.notes)
    bars = max(1, math.ceil(end / beats_per_bar - 1e-6))
    if bars > 256:
        raise InvalidValue("MIDI file", f"{bars} bars", "notes within 256 bars (the longest song)")
    return bars


def describe(said: Sequence[str], left_out: int, extra: Sequence[str] = ()) -> str:
    out = "imported " + "; ".join(said)
    if left_out:
        out += f"; {left_out} note(s) past the song's end left out"
    return "; ".join([out, *extra])


def session_from_midi(source: Any, *, genre: str, key: str | None = None, bpm: float | None = None,
                      name: str | None = None, **create: Any) -> Any:
    """A new session holding the file's tracks as stems (version 0 empty, version 1 the import)."""
    from orchestria_lab.audio.levels import level_new_stems
    from orchestria_lab.music.theory import beats_per_bar
    from orchestria_lab.session.session import Session

    label = name or (Path(source).name if not isinstance(source, bytes) else "the file")
    song, tempo_from = read_song(source, name=label)
    pitched = [n for t in song.tracks if not t.is_drum for n in t.notes]
    chosen_key = key or song.key or estimate_key(pitched)
    key_how = "as given" if key else "from the file" if song.key else "found from its notes"
    tempo = bpm if bpm is not None else song.bpm
    tempo_how = "as given" if bpm is not None else _TEMPO_HOW[tempo_from]
    bars = song_bars(song, beats_per_bar(song.time_signature))
    session = Session.create(bpm=tempo, key=chosen_key, genre=genre, time_signature=song.time_signature,
                             bars=bars, **create)
    stems, said, left_out = stems_of(song, session.state)
    levelled = level_new_stems(session.state, State(session.state.meta, tuple(stems)))
    summary = describe(said, left_out, [f"key {session.key} ({key_how})", f"{session.bpm:g} bpm ({tempo_how})",
                                        f"{song.time_signature}, {bars} bars"])
    session.commit(Edit(add=list(levelled.stems), summary=summary), command=f"import {label}",
                   agents=("midi",), kind="import")
    return session


def import_midi(session: Any, source: Any, *, role: str | None = None, name: str | None = None,
                bars: int | None = None, filename: str | None = None) -> Any:
    """Add the file's tracks to ``session`` as stems, on its tempo grid (one version); returns its record."""
    from orchestria_lab.audio.levels import level_new_stems
    from orchestria_lab.music.vocabulary import ROLES

    if role is not None and role not in ROLES:
        raise InvalidValue("role", role, "one of " + ", ".join(ROLES) + " (or none, to have each track's guessed)")
    if name is not None and not (isinstance(name, str) and 0 < len(name.strip()) <= 48):
        raise InvalidValue("name", name, "a name of 1 to 48 characters")
    label = filename or (Path(source).name if not isinstance(source, bytes) else name or "the file")
    song, tempo_from = read_song(source, name=label)
    if bars is not None and (isinstance(bars, bool) or not isinstance(bars, int) or bars < 1):
        raise InvalidValue("bars", bars, "a whole number of bars from 1")
    state = session.state
    stems, said, left_out = stems_of(song, state, role=role, name=name, bars=bars)
    if not stems:
        raise InvalidValue("MIDI file", label, f"notes inside the session's {state.meta.bars} bars")
    extra = []
    if tempo_from != "default" and abs(song.bpm - state.meta.bpm) > 0.01:
        at = "is at" if tempo_from == "file" else "sets no tempo; its notes keep"
        extra.append(f"the file {at} {song.bpm:g} bpm: its beats are played at the session's {state.meta.bpm:g}")

    def build(current: State, _rng: Any) -> Edit:
        taken = {s.stem_id for s in current.stems}
        fresh = [s if s.stem_id not in taken else s.evolve(stem_id=numbered(s.stem_id, taken, sep="-")) for s in stems]
        levelled = level_new_stems(current, State(current.meta, (*current.stems, *fresh)))
        return Edit(add=list(levelled.stems[len(current.stems):]), summary=describe(said, left_out, extra))

    return session.commit(build, command=f"import {label}", agents=("midi",), kind="import")
