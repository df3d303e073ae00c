"""Standard MIDI files in and out: one track per stem, tempo, key and time signature.

Written files are plain General MIDI: every stem is a track named after the stem (default
names are the role: ``chords``, ``melody`` ...), with the General MIDI program of its
instrument; drums go to channel 10. A text event at time zero also records the exact key
name and each stem's role and instrument, so a file this module wrote reads back to the
same stems; any other MIDI file reads as tracks of notes.

>>> from orchestria_lab.state import Meta, Note, State, Stem
>>> state = State(Meta(bpm=90, key="Cm", genre="lo-fi"), (
...     Stem("chords", role="chords", instrument="piano", notes=[Note(60, 0.0, 2.0, 90)]),
...     Stem("drums", role="drums", instrument="drum_kit", notes=[Note(36, 0.0, 0.25, 110)])))
>>> pm = state_to_midi(state)
>>> [(i.name, i.program, i.is_drum) for i in pm.instruments]
[('chords', 0, False), ('drums', 0, True)]
>>> song = midi_to_song(pm)
>>> song.bpm, song.key, song.time_signature, [t.notes for t in song.tracks][0]
(90.0, 'Cm', '4/4', (Note(pitch=60, start=0.0, duration=2.0, velocity=90),))
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pretty_midi

from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.theory import parse_key, parse_time_signature
from orchestria_lab.music.vocabulary import DEFAULT_INSTRUMENT, GM_PROGRAMS, ROLES
from orchestria_lab.state import Note, State, Stem, gm_program

#: Ticks per beat: divisible by 2, 3, 4, 5, 6, 8, 16 and 64, so usual grids are exact.
RESOLUTION = 960
_TAG = "orchestria:"
_RELATIVE_MAJOR = {"dorian": 2, "phrygian": 4, "lydian": 5, "mixolydian": 7, "locrian": 11}


@dataclass(frozen=True)
class MidiTrack:
    """One track read back: its name, General MIDI program, drum flag and notes in beats."""

    name: str
    program: int
    is_drum: bool
    notes: tuple[Note, ...]
    role: str | None = None
    instrument: str | None = None


@dataclass(frozen=True)
class MidiSong:
    """What a MIDI file holds, in the session's terms: tempo, key, metre and tracks."""

    bpm: float
    key: str | None
    time_signature: str
    tracks: tuple[MidiTrack, ...]

    def track(self, name: str) -> MidiTrack:
        for t in self.tracks:
            if t.name == name:
                return t
        raise InvalidValue("track", name, "one of " + ", ".join(t.name for t in self.tracks))


def _key_number(key: str) -> int:
    """pretty_midi key number (0-11 major, 12-23 minor); other modes use their signature's major."""
    k = parse_key(key)
    if k.mode in ("minor", "harmonic minor"):
        return 12 + k.tonic_pc
    if k.mode == "major":
        return k.tonic_pc
    return (k.tonic_pc - _RELATIVE_MAJOR[k.mode]) % 12


def _mido_key(key: str) -> str:
    """A key as mido names key signatures ("Cm", "F#", "Bb"); other modes by their signature's major."""
    number = _key_number(key)
    minor, pc = number >= 12, number % 12
    names = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B") if not minor else (
        "Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm")
    return names[pc]


def state_to_midi(state: State) -> pretty_midi.PrettyMIDI:
    """A PrettyMIDI object of ``state``: one instrument per stem, in stem order."""
    meta = state.meta
    pm = pretty_midi.PrettyMIDI(resolution=RESOLUTION, initial_tempo=float(meta.bpm))
    num, den = parse_time_signature(meta.time_signature)
    pm.time_signature_changes.append(pretty_midi.TimeSignature(num, den, 0.0))
    pm.key_signature_changes.append(pretty_midi.KeySignature(_key_number(meta.key), 0.0))
    info = {"key": meta.key, "stems": [[s.name, s.role, s.instrument] for s in state.stems]}
    pm.text_events.append(pretty_midi.Text(_TAG + json.dumps(info, separators=(",", ":")), 0.0))
    spb = 60.0 / meta.bpm
    for stem in state.stems:
        inst = pretty_midi.Instrument(program=gm_program(stem.instrument), is_drum=stem.is_drums, name=stem.name)
        for n in stem.notes:
            inst.notes.append(pretty_midi.Note(velocity=n.velocity, pitch=n.pitch, start=n.start * spb,
                                               end=(n.start + n.duration) * spb))
        pm.instruments.append(inst)
    return pm


def write_midi(state: State, path: str | os.PathLike[str]) -> Path:
    """Write ``state`` as a Standard MIDI File (type 1) at ``path``; returns the path."""
    path = Path(path)
    state_to_midi(state).write(str(path))
    meta = state.meta
    if meta.sections or meta.tempo_changes or meta.key_changes:
        _write_timeline(path, state)
    return path


def _write_timeline(path: Path, state: State) -> None:
    """What changes at bar lines, on the first track (the tempo map's): each section as a marker,
    each tempo change as a set_tempo event, each key change as a key signature. Notes are written
    in beats, so they stay on their beats under the new tempo."""
    import mido

    mid = mido.MidiFile(str(path))
    track = mid.tracks[0]
    at, absolute = 0, []
    for msg in track:
        at += msg.time
        absolute.append((at, msg))
    meta = state.meta
    if meta.tempo_changes:  # pretty_midi wrote the notes at the song's own tempo: that is beat 0's
        absolute = [(t, m) for t, m in absolute if m.type != "set_tempo"] + [
            (0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(meta.bpm)))]
    per_bar = meta.beats_per_bar * mid.ticks_per_beat
    tick = lambda bar: round((bar - 1) * per_bar)  # noqa: E731
    absolute += [(tick(s.start_bar), mido.MetaMessage("marker", text=s.name)) for s in meta.sections]
    absolute += [(tick(c.bar), mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(c.bpm))) for c in meta.tempo_changes]
    absolute += [(tick(c.bar), mido.MetaMessage("key_signature", key=_mido_key(c.key))) for c in meta.key_changes]
    end = [m for m in absolute if m[1].type == "end_of_track"]
    body = sorted((m for m in absolute if m[1].type != "end_of_track"), key=lambda m: m[0])
    last = max([t for t, _ in body] + [t for t, _ in end]) if body else 0
    track.clear()
    previous = 0
    for t, msg in [*body, (last, mido.MetaMessage("end_of_track"))]:
        track.append(msg.copy(time=t - previous))
        previous = t
    mid.save(str(path))


def read_markers(path: str | os.PathLike[str]) -> list[tuple[str, float]]:
    """``(text, beat)`` of every marker in a MIDI file (what DAWs show as section names).

    >>> from orchestria_lab.state import Meta, State
    >>> import tempfile, os
    >>> state = State(Meta(bpm=120, key="C", genre="pop", bars=8, sections=[{"name": "chorus", "start_bar": 5, "bars": 4}]))
    >>> read_markers(write_midi(state, os.path.join(tempfile.mkdtemp(), "s.mid")))
    [('chorus', 16.0)]
    """
    import mido

    mid = mido.MidiFile(str(path))
    out, at = [], 0
    for msg in mid.tracks[0]:
        at += msg.time
        if msg.type == "marker":
            out.append((msg.text, at / mid.ticks_per_beat))
    return out


def _ticks(pm: pretty_midi.PrettyMIDI, seconds: float) -> int:
    return int(pm.time_to_tick(seconds))


def midi_to_song(pm: pretty_midi.PrettyMIDI) -> MidiSong:
    """Tempo (the first), key, time signature and tracks of ``pm``, notes in beats."""
    _, tempi = pm.get_tempo_changes()
    bpm = round(float(tempi[0]), 3) if len(tempi) else 120.0
    ts = pm.time_signature_changes[0] if pm.time_signature_changes else None
    time_signature = f"{ts.numerator}/{ts.denominator}" if ts else "4/4"
    info: dict = {}
    for text in pm.text_events:
        if text.text.startswith(_TAG):
            info = json.loads(text.text[len(_TAG):])
    key = info.get("key")
    if key is None and pm.key_signature_changes:
        number = pm.key_signature_changes[0].key_number
        key = pretty_midi.key_number_to_key_name(number).replace(" Major", "").replace(" minor", "m")
    described = {name: (role, inst) for name, role, inst in info.get("stems", [])}
    tracks = []
    for inst in pm.instruments:
        notes = tuple(sorted(
            (Note(n.pitch, _ticks(pm, n.start) / pm.resolution,
                  (_ticks(pm, n.end) - _ticks(pm, n.start)) / pm.resolution, n.velocity)
             for n in inst.notes), key=lambda n: (n.start, n.pitch, n.duration, n.velocity)))
        role, instrument = described.get(inst.name, (None, None))
        tracks.append(MidiTrack(inst.name, inst.program, inst.is_drum, notes, role, instrument))
    names = {t.name for t in tracks}
    for name, (role, instrument) in described.items():  # stems without notes write no events
        if name not in names:
            tracks.append(MidiTrack(name, gm_program(instrument), role in ("drums", "percussion"), (),
                                    role, instrument))
    return MidiSong(bpm, key, time_signature, tuple(tracks))


def read_midi(path: str | os.PathLike[str]) -> MidiSong:
    """Read a MIDI file (ours or any other tool's) as a :class:`MidiSong`."""
    path = Path(path)
    if not path.is_file():
        raise InvalidValue("MIDI path", str(path), "an existing .mid file")
    return midi_to_song(pretty_midi.PrettyMIDI(str(path)))


def _instrument_for(program: int, is_drum: bool) -> str:
    if is_drum:
        return "drum_kit"
    exact = [name for name, p in GM_PROGRAMS.items() if p == program and name != "drum_kit"]
    if exact:
        return exact[0]
    family = [name for name, p in GM_PROGRAMS.items() if p // 8 == program // 8 and name != "drum_kit"]
    return family[0] if family else "piano"


def song_to_stems(song: MidiSong) -> list[Stem]:
    """Stems for every track: role and instrument as recorded, else guessed from name and program.

    >>> song = MidiSong(100.0, "C", "4/4", (MidiTrack("Bass", 33, False, (Note(36, 0.0, 1.0, 90),)),))
    >>> [(s.stem_id, s.role, s.instrument) for s in song_to_stems(song)]
    [('bass', 'bass', 'bass_guitar')]
    """
    stems, taken = [], set()
    for i, track in enumerate(song.tracks):
        name = track.name.strip() or f"track-{i + 1}"
        instrument = track.instrument or _instrument_for(track.program, track.is_drum)
        guess = name.lower().split()[0] if name.lower().split() else ""
        role = track.role or ("drums" if track.is_drum else guess if guess in ROLES else next(
            (r for r, inst in DEFAULT_INSTRUMENT.items() if inst == instrument), "melody"))
        stem_id = "".join(c if c.isalnum() or c in "-_" else "-" for c in name.lower())[:64] or f"track-{i + 1}"
        base, k = stem_id, 2
        while stem_id in taken:
            stem_id, k = f"{base}-{k}", k + 1
        taken.add(stem_id)
        stems.append(Stem(stem_id, role=role, instrument=instrument, agent="midi", name=name, notes=track.notes))
    return stems
