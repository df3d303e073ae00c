"""The model backend of the generator agents (harmony, melody, bass, drums).

Contract used by ``agents/``: ``available(name)`` says whether a trained checkpoint ships for
that agent and ``checkpoint_hash(name)`` identifies it; ``chords``, ``melody``, ``bass`` and
``drums`` generate parts, and ``continue_melody`` plays on after a given line, primed on it. Each
call draws one seed from ``rng`` for a ``torch.Generator``, so the same rng state gives the same notes. Checkpoints are loaded lazily, once, from
``data/checkpoints/`` with ``torch.load(weights_only=True)``; nothing touches the network.
A checkpoint whose card does not carry the project's licence (one trained with ``--corpus
essen``) counts as absent, with a warning saying why, unless ``ORCHESTRIA_ALLOW_NONCOMMERCIAL=1``.

Sampling is constrained where music requires it: every chord is made of notes of the key's
scale (in minor keys the dominant may be major, with the raised leading tone); melody and
bass pitches stay in ``[low, high]`` and in the key's scale or the sounding chord; a bass
attacks on every chord change, preferring the root, and prefers to attack with the kick;
everything sits on the meter's 16th grid, bar by bar.

>>> from orchestria_lab.music.theory import parse_key
>>> rng = np.random.default_rng(7)
>>> if available("harmony") and available("melody"):
...     progression = chords(key=parse_key("Am"), genre="pop", time_signature="4/4", bars=4, rng=rng)
...     line = melody(key=parse_key("Am"), genre="pop", time_signature="4/4", bars=4, chords=progression,
...                   low=60, high=84, rng=rng)
...     ok = all(60 <= n.pitch <= 84 for n in line) and progression[-1][0] + progression[-1][1] == 16.0
... else:
...     ok = True
>>> ok
True
"""

from __future__ import annotations

import hashlib
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np

from orchestria_lab.errors import InvalidValue, NotFound
from orchestria_lab.models import corpus, licences
from orchestria_lab.models.drumset import GENRE_NAMES
from orchestria_lab.models.features import (
    MELODY_BEATS,
    MELODY_REST,
    chord_steps,
    drum_features,
    harmony_features,
    melody_features,
    pitched_features,
)
from orchestria_lab.models.tokens import (
    CHORD_VOCAB,
    HOLD,
    METERS,
    PITCH_HIGH,
    PITCH_LOW,
    PITCH_OFFSET,
    QUALITIES,
    REST,
    TOKEN_PITCHES,
    chord_of,
    chord_parts,
    chord_slots,
    metric_levels,
    pitch_token,
    steps_per_bar,
    style_id,
    token_pitch,
)
from orchestria_lab.music.genres import model_genre
from orchestria_lab.music.rhythm import Meter
from orchestria_lab.music.theory import Chord, Key, beats_per_bar, parse_key
from orchestria_lab.music.vocabulary import GM_DRUMS
from orchestria_lab.state import Note

CHECKPOINT_DIR = Path(__file__).resolve().parents[2] / "data" / "checkpoints"
GENERATORS = ("harmony", "melody", "bass", "drums")
#: Logit bonus for chord tones on the beat (melody) and the root on a chord change (bass).
CHORD_TONE_BONUS = 1.0
ROOT_BONUS = 5.0
#: Logit bonus of a bass attack where the kick plays.
KICK_BONUS = 1.5
#: Logit bonus of every onset per unit of ``density`` above 0.5 (negative below: sparser).
DENSITY_SCALE = 4.0
#: Classifier-free guidance of the drum model's genre: how far the genre pushes the sampling.
GENRE_GUIDANCE = 2.0
#: Logit bonus of a chord for each of the melody's notes over its slot it holds (harmonising a melody).
MELODY_TONE_BONUS = 1.0
#: Chord qualities a melody note no chord of the key holds may be harmonised with (a secondary dominant ...).
CHROMATIC_QUALITIES = ("", "7", "m")
#: The fewest bars of a line a continuation is primed on, however long it is asked to be (a phrase).
PHRASE_BARS = 4


def checkpoint_path(name: str) -> Path:
    return CHECKPOINT_DIR / f"{name}.pt"


def available(name: str) -> bool:
    """Whether a trained checkpoint for generator ``name`` is present and may be used.

    One whose licence is not the project's is not, unless ``ORCHESTRIA_ALLOW_NONCOMMERCIAL=1``
    (a warning says so once per file).
    """
    if name not in GENERATORS or not checkpoint_path(name).is_file():
        return False
    path = checkpoint_path(name)
    reason = licences.refusal(path)
    if reason is not None:
        _warn_once(reason, path.stat().st_mtime_ns)
    return reason is None


@lru_cache(maxsize=16)
def _warn_once(reason: str, _mtime: int) -> None:
    warnings.warn(reason + " The agents use the music-theory baseline instead.", stacklevel=3)


def checkpoint_hash(name: str) -> str | None:
    """First 16 hex digits of the sha256 of generator ``name``'s checkpoint (None if absent)."""
    if not available(name):
        return None
    return _file_hash(checkpoint_path(name), checkpoint_path(name).stat().st_mtime_ns)


def licence(name: str) -> str | None:
    """The licence on the card of generator ``name``'s checkpoint (None if none may be used).

    >>> licence("vocals") is None
    True
    """
    if not available(name):
        return None
    card = licences.card_of(checkpoint_path(name)) or {}
    return str(card.get("licence", "unknown"))


@lru_cache(maxsize=16)
def _file_hash(path: Path, _mtime: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


@lru_cache(maxsize=8)
def _stepper(path: Path, _mtime: int):
    from orchestria_lab.models.sampling import Stepper
    from orchestria_lab.models.train import load_checkpoint

    return Stepper(load_checkpoint(path))


def model(name: str):
    """The cached :class:`~orchestria_lab.models.sampling.Stepper` of generator ``name``."""
    path = checkpoint_path(name)
    if not available(name):
        if name in GENERATORS and path.is_file():
            licences.check(path)  # present but refused: say why
        raise NotFound("checkpoint", name, [g for g in GENERATORS if available(g)])
    return _stepper(path, path.stat().st_mtime_ns)


def _check(time_signature: str, bars: int) -> None:
    if isinstance(bars, bool) or not isinstance(bars, int) or not 1 <= bars <= 256:
        raise InvalidValue("bars", bars, "a whole number from 1 to 256")
    beats_per_bar(time_signature)


def _key(key: Key | str) -> Key:
    """Agents may pass the session's key name; both forms are accepted."""
    return parse_key(key) if isinstance(key, str) else key


def hears_melody() -> bool:
    """Whether the harmony checkpoint is conditioned on a melody (:func:`chords` with ``melody``).

    >>> hears_melody() in (True, False)
    True
    """
    return available("harmony") and "melody_main" in dict(model("harmony").model.config.features)


def melody_tokens(notes, *, steps: int) -> np.ndarray:
    """The top line of ``notes`` (beats) on the 16th grid, ``steps`` long: as the corpora encode a line.

    >>> melody_tokens([Note(60, 0.0, 0.5, 90), Note(64, 0.0, 1.0, 90), Note(67, 0.75, 0.25, 90)], steps=4).tolist()
    [45, 1, 1, 48]
    """
    rows = []
    for n in notes:
        pitch = int(n.pitch)
        while pitch < PITCH_LOW:
            pitch += 12
        while pitch > PITCH_HIGH:
            pitch -= 12
        a = int(round(n.start * 4))
        rows.append((pitch, a, max(a + 1, int(round((n.start + n.duration) * 4)))))
    return corpus.encode_line(np.array(rows, dtype=np.int64).reshape(-1, 3), steps, keep="high")


def chords(
    *, key: Key | str, genre: str, time_signature: str, bars: int, rng: np.random.Generator,
    temperature: float = 1.0, top_p: float = 0.95, melody=None, anchor: bool = True,
) -> list[tuple[float, float, Chord]]:
    """A progression as ``(start beat, duration, Chord)``: one chord per bar or half bar.

    With ``melody`` (notes, in beats from the song's start) the model hears the melody over each
    chord slot (a checkpoint that takes one: :func:`hears_melody`). With ``anchor`` the sampling
    also holds to it: a note that starts where a chord does is a tone of that chord (one of the
    key's, else of :data:`CHROMATIC_QUALITIES`), and chords holding the melody's other notes on
    the slot's beats are preferred (``MELODY_TONE_BONUS`` each); without, the model alone.
    """
    from orchestria_lab.models.sampling import sample

    _check(time_signature, bars)
    key = _key(key)
    slots = chord_slots(time_signature)
    stepper = model("harmony")
    tune = None
    if melody is not None:
        if not hears_melody():
            raise InvalidValue("melody", "given", "no melody: this harmony checkpoint is not conditioned on one "
                               "(train one with `orchestria train harmony`)")
        tune = melody_features(melody_tokens(melody, steps=bars * steps_per_bar(time_signature)),
                               meter=time_signature, tonic=key.tonic_pc)
    feats = harmony_features(meter=time_signature, mode=int(key.is_minor), style=style_id(genre), n_bars=bars,
                             melody=tune)[:, :len(stepper.model.config.features)]
    scale = {(pc - key.tonic_pc) % 12 for pc in key.scale}
    ok = np.zeros(CHORD_VOCAB, dtype=bool)
    holds = np.zeros((CHORD_VOCAB, 12), dtype=bool)  # key-relative pitch classes of each chord token
    for tok in range(1, CHORD_VOCAB):
        degree, q = chord_parts(tok)
        holds[tok, [(degree + i) % 12 for i in QUALITIES[q][1]]] = True
        diatonic = all((degree + i) % 12 in scale for i in QUALITIES[q][1])
        ok[tok] = diatonic or (key.is_minor and degree == 7 and QUALITIES[q][0] in ("", "7"))
    allowed = np.tile(ok, (len(feats), 1))
    bias = np.zeros(allowed.shape, dtype=np.float32)
    if tune is not None and anchor:
        chromatic = np.array([False] + [QUALITIES[chord_parts(t)[1]][0] in CHROMATIC_QUALITIES
                                        for t in range(1, CHORD_VOCAB)])
        for s, row in enumerate(tune):
            for value in row[:MELODY_BEATS]:
                if value < MELODY_REST:
                    bias[s] += MELODY_TONE_BONUS * holds[:, value // 2]
            first = int(row[0])
            if first < MELODY_REST and first % 2:  # a note starts with the chord
                fits = allowed[s] & holds[:, first // 2]
                allowed[s] = fits if fits.any() else chromatic & holds[:, first // 2]
    tokens = sample(stepper, feats, bar=slots, allowed=allowed, bias=bias, rng=rng,
                    temperature=temperature, top_p=top_p)
    span = beats_per_bar(time_signature) / slots
    return [(i * span, span, chord_of(int(t), tonic_pc=key.tonic_pc, flats=key.flats)) for i, t in enumerate(tokens)]


def primer_tokens(notes, *, until: float) -> np.ndarray:
    """The tokens of a line's notes before beat ``until``, on the 16th grid: what the model is given as
    the bars before, to continue from (a note is its onset token and holds; a later onset cuts it).

    >>> primer_tokens([Note(60, 0.0, 0.5, 90), Note(62, 1.0, 0.25, 90)], until=1.5).tolist() == [
    ...     pitch_token(60), HOLD, REST, REST, pitch_token(62), REST]
    True
    """
    n = int(round(until * 4))
    tokens = np.full(n, REST, dtype=np.int64)
    for note in sorted(notes, key=lambda x: x.start):
        a = int(round(note.start * 4))
        if not 0 <= a < n or not PITCH_LOW <= note.pitch <= PITCH_HIGH:
            continue
        b = min(n, max(a + 1, int(round((note.start + note.duration) * 4))))
        tokens[a] = pitch_token(note.pitch)
        tokens[a + 1:b] = HOLD
    return tokens


def _pitched(
    part: str, *, key: Key, genre: str, time_signature: str, bars: int, chords, low: int, high: int,
    rng: np.random.Generator, kick: np.ndarray | None, temperature: float, top_p: float, density: float,
    primer=(), until: float = 0.0,
) -> list[Note]:
    from orchestria_lab.models.sampling import sample

    _check(time_signature, bars)
    key = _key(key)
    if not (PITCH_LOW <= low <= high <= PITCH_HIGH):
        raise InvalidValue("pitch range", (low, high), f"low <= high, both from {PITCH_LOW} to {PITCH_HIGH}")
    spb = steps_per_bar(time_signature)
    n = bars * spb
    root, quality, start = chord_steps(list(chords), n)
    feats = pitched_features(meter=time_signature, tonic=key.tonic_pc, mode=int(key.is_minor), style=style_id(genre),
                             chord_root=root, chord_quality=quality, chord_start=start, total_bars=bars, kick=kick)
    pcs = np.where(TOKEN_PITCHES >= 0, TOKEN_PITCHES % 12, -1)
    chord_pcs = _chord_pc_table(chords, n)
    in_scale = np.isin(pcs, key.scale)
    in_chord = np.take_along_axis(chord_pcs, np.broadcast_to(np.maximum(pcs, 0), (n, len(pcs))), axis=1) & (pcs >= 0)
    in_range = (TOKEN_PITCHES >= low) & (TOKEN_PITCHES <= high)
    allowed = in_range & (in_scale | in_chord)
    allowed[:, [REST, HOLD]] = True
    bias = np.zeros(allowed.shape, dtype=np.float32)
    bias[:, TOKEN_PITCHES >= 0] += _density_bias(density)
    beat = np.tile(metric_levels(time_signature) <= 1, bars)
    if part == "melody":
        bias += CHORD_TONE_BONUS * (in_chord & beat[:, None])
    else:
        change = start == 1
        allowed[change, REST] = allowed[change, HOLD] = False
        bias += ROOT_BONUS * ((pcs[None, :] == root[:, None]) & change[:, None])
        bias[:, TOKEN_PITCHES >= 0] += KICK_BONUS * (np.asarray(kick)[:, None] == 1)
    tokens = sample(model(part), feats, bar=spb, allowed=allowed, bias=bias, rng=rng,
                    temperature=temperature, top_p=top_p, hold=HOLD, rest=REST,
                    primer=primer_tokens(primer, until=min(until, n / 4)) if until else None)
    return _notes_from_tokens(tokens, time_signature, rng)


def _density_bias(density: float) -> float:
    if not (0.0 <= density <= 1.0):
        raise InvalidValue("density", density, "a number from 0 (sparse) to 1 (busy)")
    return DENSITY_SCALE * (density - 0.5)


def _chord_pc_table(chords, n: int) -> np.ndarray:
    table = np.zeros((n, 12), dtype=bool)
    for beat, duration, chord in chords:
        a, b = max(0, round(beat * 4)), min(n, round((beat + duration) * 4))
        for pc in chord.pitch_classes:
            table[a:b, pc] = True
    return table


def _notes_from_tokens(tokens: np.ndarray, time_signature: str, rng: np.random.Generator) -> list[Note]:

    levels = np.tile(metric_levels(time_signature), len(tokens) // len(metric_levels(time_signature)))
    jitter = rng.integers(-4, 5, size=len(tokens))
    notes = []
    t = 0
    while t < len(tokens):
        if tokens[t] >= PITCH_OFFSET:
            end = t + 1
            while end < len(tokens) and tokens[end] == HOLD:
                end += 1
            velocity = max(1, min(127, 92 + (10, 5, 0, -6)[levels[t]] + int(jitter[t])))
            notes.append(Note(token_pitch(int(tokens[t])), t / 4, (end - t) / 4, velocity))
            t = end
        else:
            t += 1
    return notes


def melody(
    *, key: Key | str, genre: str, time_signature: str, bars: int, chords: list[tuple[float, float, Chord]],
    low: int, high: int, rng: np.random.Generator, temperature: float = 1.0, top_p: float = 0.95,
    density: float = 0.5, primer=(), until: float = 0.0,
) -> list[Note]:
    """A melody over ``chords``: pitches in ``[low, high]``, in the scale or the sounding chord.

    ``temperature`` and ``top_p`` shape the sampling; ``density`` (0 sparse .. 1 busy) biases
    how often a note starts, 0.5 leaving the model as trained. With ``until`` (beats), the model is
    given the notes of ``primer`` before it and continues from them (the bars before an infill or
    an extension); its notes there are those notes.
    """
    return _pitched("melody", key=key, genre=genre, time_signature=time_signature, bars=bars, chords=chords,
                    low=low, high=high, rng=rng, kick=None, temperature=temperature, top_p=top_p, density=density,
                    primer=primer, until=until)


#: How far (beats) a note of a line may start from the 16th grid and still be read onto it (a played
#: line's timing); further off is a rhythm the tokens cannot hold (triplets, quintuplets ...).
GRID_TOLERANCE = 0.04


def encoding_problem(notes, *, time_signature: str) -> str | None:
    """Why the melody model's tokens cannot hold ``notes`` (beats) in ``time_signature``, or None if they can:
    16th-note steps, one onset token per MIDI pitch from 21 to 108 (chords are read as their top line).

    >>> encoding_problem([Note(60, 0.0, 1.0, 90), Note(62, 1.5, 0.5, 90)], time_signature="4/4") is None
    True
    >>> encoding_problem([Note(60, 4 + 1 / 3, 1 / 3, 90)], time_signature="4/4")
    'bar 2 has a note at beat 1.33, off the 16th-note grid the melody model writes on'
    """
    try:
        steps_per_bar(time_signature)
    except InvalidValue:
        return f"a bar of {time_signature} is not a whole number of 16th notes, the melody model's steps"
    bar = beats_per_bar(time_signature)
    for n in sorted(notes, key=lambda x: x.start):
        if abs(n.start * 4 - round(n.start * 4)) > 4 * GRID_TOLERANCE:
            return (f"bar {int(n.start // bar) + 1} has a note at beat {n.start % bar + 1:.3g}, off the 16th-note "
                    "grid the melody model writes on")
        if not PITCH_LOW <= n.pitch <= PITCH_HIGH:
            return f"it plays MIDI pitch {n.pitch}, outside the {PITCH_LOW}-{PITCH_HIGH} the melody model knows"
    return None


def primed_bars(line_bars: int, bars: int, time_signature: str) -> int:
    """How many of a line's last bars :func:`continue_melody` primes the model on to continue it for ``bars``:
    as many as fit the model's training window (``datasets.MAX_TOKENS``) with the new ones, at least a
    phrase (:data:`PHRASE_BARS`), at most the line's.

    >>> primed_bars(8, 8, "4/4"), primed_bars(24, 8, "4/4"), primed_bars(24, 16, "4/4"), primed_bars(2, 8, "3/4")
    (8, 8, 4, 2)
    """
    from orchestria_lab.models.datasets import MAX_TOKENS

    return min(line_bars, max(PHRASE_BARS, MAX_TOKENS["melody"] // steps_per_bar(time_signature) - bars))


def continue_melody(
    notes, *, key: Key | str, genre: str, time_signature: str, from_beat: float, bars: int,
    chords: list[tuple[float, float, Chord]], rng: np.random.Generator, low: int | None = None,
    high: int | None = None, temperature: float = 1.0, top_p: float = 0.95, density: float = 0.5,
    primed: bool = True,
) -> list[Note]:
    """``bars`` bars of melody from ``from_beat`` (a bar line) continuing ``notes``, the line before it.

    The line is encoded as the model was trained (:func:`melody_tokens`: its top line on the 16th grid,
    the key and meter as features, on ``chords``, in beats from the song's start) and run through the
    GRU as a teacher-forced prefix, so its hidden state (and the lookback to the bars before) carries
    the line's rhythms and motifs; the new bars are then sampled as :func:`melody` samples (chord tones
    favoured on the beats), in the key's scale and ``[low, high]`` (default: the line's own range), a
    note starting on a strong beat (:attr:`Meter.strong`) being a tone of the chord there, as the rule
    continuation pulls it; they are as loud as the line on average. The prefix is the line's last
    bars, as many as fit the model's training window (``datasets.MAX_TOKENS``) with the new ones. With ``primed=False`` the model writes the same bars
    without hearing the line, from its own first bars (what priming is measured against). A line the
    tokens cannot hold (:func:`encoding_problem`) is refused, saying why.

    >>> tune = [Note(p, float(i), 1.0, 80) for i, p in enumerate((60, 62, 64, 65, 67, 65, 64, 62) * 2)]
    >>> c_major = [(4.0 * b, 4.0, Chord(0, (0, 4, 7))) for b in range(6)]
    >>> more = continue_melody(tune, key="C", genre="folk", time_signature="4/4", from_beat=16.0, bars=2,
    ...                        chords=c_major, rng=np.random.default_rng(0)) if available("melody") else []
    >>> all(16 <= n.start and n.start + n.duration <= 24 and 60 <= n.pitch <= 67 and n.pitch % 12 in (0, 2, 4, 5, 7, 9, 11)
    ...     for n in more)
    True
    """
    from orchestria_lab.models.sampling import sample

    _check(time_signature, bars)
    key = _key(key)
    line = [n for n in notes if n.start < from_beat - 1e-9]
    bar, spb = beats_per_bar(time_signature), steps_per_bar(time_signature)
    first = from_beat / bar
    if not line or not float(round(first, 6)).is_integer():
        raise InvalidValue("from_beat", from_beat, "a bar line after some of the line's notes")
    if (problem := encoding_problem(line, time_signature=time_signature)) is not None:
        raise InvalidValue("line", "its notes", f"a line the melody model's tokens hold ({problem})")
    first = int(round(first))
    context = primed_bars(first, bars, time_signature)
    origin = (first - context) * bar
    low = max(PITCH_LOW, min(n.pitch for n in line) if low is None else low)
    high = min(PITCH_HIGH, max(n.pitch for n in line) if high is None else high)
    if low > high:
        raise InvalidValue("pitch range", (low, high), f"low <= high, both from {PITCH_LOW} to {PITCH_HIGH}")
    n = (context + bars) * spb
    heard = [x._replace(start=x.start - origin) for x in line if x.start >= origin - 1e-9]
    prefix = melody_tokens(heard, steps=context * spb) if primed else None
    shifted = [(s - origin, d, c) for s, d, c in chords]
    root, quality, start = chord_steps(shifted, n)
    feats = pitched_features(meter=time_signature, tonic=key.tonic_pc, mode=int(key.is_minor), style=style_id(genre),
                             chord_root=root, chord_quality=quality, chord_start=start, start_bar=first - context,
                             total_bars=first + bars)
    pcs = np.where(TOKEN_PITCHES >= 0, TOKEN_PITCHES % 12, -1)
    in_chord = np.take_along_axis(_chord_pc_table(shifted, n), np.broadcast_to(np.maximum(pcs, 0), (n, len(pcs))),
                                  axis=1) & (pcs >= 0)
    allowed = np.tile((TOKEN_PITCHES >= low) & (TOKEN_PITCHES <= high) & np.isin(pcs, key.scale), (n, 1))
    allowed[:, [REST, HOLD]] = True
    allowed[context * spb, HOLD] = False  # the line's last note is the user's: the new bars start afresh
    strong = np.zeros(spb, dtype=bool)
    strong[[int(round(b * 4)) for b in Meter.of(time_signature).strong]] = True
    chordal = np.tile(strong, context + bars)[:, None] & in_chord.any(axis=1, keepdims=True)
    allowed[:, TOKEN_PITCHES >= 0] &= ~chordal | in_chord[:, TOKEN_PITCHES >= 0]
    bias = np.zeros(allowed.shape, dtype=np.float32)
    bias[:, TOKEN_PITCHES >= 0] += _density_bias(density)
    bias += CHORD_TONE_BONUS * (in_chord & np.tile(metric_levels(time_signature) <= 1, context + bars)[:, None])
    tokens = sample(model("melody"), feats, bar=spb, allowed=allowed, bias=bias, rng=rng, temperature=temperature,
                    top_p=top_p, hold=HOLD, rest=REST, primer=prefix)
    made = _notes_from_tokens(tokens[context * spb:], time_signature, rng)
    lift = round(float(np.mean([x.velocity for x in line]) - np.mean([x.velocity for x in made]))) if made else 0
    return [x._replace(start=round(x.start + from_beat, 4), velocity=int(np.clip(x.velocity + lift, 1, 127)))
            for x in made]


def bass(
    *, key: Key | str, genre: str, time_signature: str, bars: int, chords: list[tuple[float, float, Chord]],
    kick_beats: list[float], low: int, high: int, rng: np.random.Generator,
    temperature: float = 1.0, top_p: float = 0.95, density: float = 0.5, primer=(), until: float = 0.0,
) -> list[Note]:
    """A bass line on ``chords`` that attacks with the kick (``kick_beats``, in beats) and
    plays the root where the chord changes (settings as for :func:`melody`)."""

    _check(time_signature, bars)
    n = bars * steps_per_bar(time_signature)
    kick = np.zeros(n, dtype=np.int64)
    for beat in kick_beats:
        step = int(round(float(beat) * 4))
        if 0 <= step < n:
            kick[step] = 1
    return _pitched("bass", key=key, genre=genre, time_signature=time_signature, bars=bars, chords=chords,
                    low=low, high=high, rng=rng, kick=kick, temperature=temperature, top_p=top_p, density=density,
                    primer=primer, until=until)


def _drum_primer(genre: str, time_signature: str, labels: tuple[str, ...], rng: np.random.Generator) -> np.ndarray | None:
    """The first bar of a written groove of ``genre`` in this meter (drawn with ``rng``), or None."""
    arrays = corpus.load("drums")
    if tuple(str(c) for c in arrays["combos"]) != labels:  # data and checkpoint disagree on tokens
        return None
    g, m = GENRE_NAMES.index(model_genre(genre)), METERS.index(time_signature) if time_signature in METERS else -1
    grooves = [p for i, p in enumerate(corpus.pieces(arrays, "drums")) if arrays["genre"][i] == g and arrays["meter"][i] == m]
    if not grooves:
        return None
    return grooves[int(rng.integers(len(grooves)))][:steps_per_bar(time_signature)]


#: Velocity of each drum voice before accents (ghost snares are soft by definition).
_DRUM_VELOCITY = {"kick": 108, "snare": 104, "snare~": 42, "clap": 100, "rim": 88, "crash": 100, "ride": 84,
                  "closed_hat": 80, "pedal_hat": 70, "open_hat": 88}


def drums(
    *, genre: str, time_signature: str, bars: int, rng: np.random.Generator,
    temperature: float = 1.0, top_p: float = 1.0, density: float = 0.5,
) -> list[Note]:
    """A drum part for ``genre``: General MIDI drum notes, one 16th note long each.

    The model starts from the first bar of a written groove of the genre in this meter (drawn
    with ``rng``; a primer, as in Magenta's Drums RNN) where one exists, and plays on from
    there with its variations and fills, its genre pushed by classifier-free guidance. Settings
    as for :func:`melody`; ``density`` biases how often something is struck.
    """
    from orchestria_lab.models.sampling import sample

    _check(time_signature, bars)
    stepper = model("drums")
    spb = steps_per_bar(time_signature)
    feats = drum_features(genre=genre, meter=time_signature, n_bars=bars)
    labels = stepper.model.config.labels
    primer = _drum_primer(genre, time_signature, labels, rng)
    bias = np.tile(np.where(np.array(labels) == "", 0.0, _density_bias(density)), (len(feats), 1))
    tokens = sample(stepper, feats, bar=spb, allowed=np.ones((len(feats), len(labels)), dtype=bool), rng=rng,
                    bias=bias, temperature=temperature, top_p=top_p, guidance=GENRE_GUIDANCE,
                    unconditioned=drum_features(genre=None, meter=time_signature, n_bars=bars), primer=primer)
    levels = np.tile(metric_levels(time_signature), bars)
    jitter = rng.integers(-5, 6, size=(len(tokens), 4))
    notes = []
    for t, tok in enumerate(tokens):
        for j, voice in enumerate(v for v in labels[int(tok)].split("+") if v):
            velocity = _DRUM_VELOCITY.get(voice, 90) + (8, 4, 0, -8)[levels[t]] + int(jitter[t, j % 4])
            notes.append(Note(GM_DRUMS[voice.rstrip("~")], t / 4, 0.25, max(1, min(127, velocity))))
    return notes
