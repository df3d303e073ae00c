"""Exports made a block at a time, so a long song needs the memory of one stem, not of all.

A stem export renders each stem once, on its own: its audio, with gain and pan, is added to
the mix (for the shared loudness gain) and kept for its file, then let go before the next
stem renders. What is kept, the :class:`Spill`, lives in memory for a short song and in an
unnamed file on disk for one whose audio would pass :data:`STREAM_BYTES`. A long mix is built
the same way, then mastered a block at a time: one pass finds its DC, one measures every
block's K-weighted energy and peak (:func:`~orchestria_lab.audio.dynamics.block_stats`, the
filter's state carried across), the master's gains come from those measurements alone
(:func:`~orchestria_lab.audio.dynamics.master_gains`), and the last pass applies them on the
way to the file (:class:`~orchestria_lab.audio.writer.AudioWriter`). A short mix is rendered
whole (:func:`~orchestria_lab.audio.render.render_mix`); both give the same audio.

>>> import io, soundfile as sf
>>> from orchestria_lab.state import Meta, Note, State, Stem
>>> state = State(Meta(bpm=120, key="C", genre="pop", bars=2, sample_rate=8000),
...               (Stem("bass", role="bass", instrument="sub_bass", notes=[Note(36, 0, 4, 100)]),))
>>> buf = io.BytesIO()
>>> write_mix(state, buf, "wav", bit_depth="float", loop=True, chunk=1000)
>>> _ = buf.seek(0); sf.info(buf).frames
32000
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from orchestria_lab.audio.dynamics import (
    apply_gains,
    block_stats,
    loudness_block,
    master_gains,
    true_block_peaks,
    true_peak_taps,
)
from orchestria_lab.audio.render import (
    CEILING_DB,
    TARGET_LUFS,
    _dry_period,
    audible_stems,
    loop_samples,
    mix_stems,
)
from orchestria_lab.audio.writer import AudioWriter
from orchestria_lab.state import State, Stem

#: An export whose audio (the mix and the stems it keeps, float32 stereo) would hold more
#: bytes than this is built on disk and written a block at a time.
STREAM_BYTES = 192 << 20
#: Frames per block of a streamed export (rounded to whole loudness blocks): about 6 s at 44.1 kHz.
CHUNK = 1 << 18


class Spill:
    """Float32 audio of ``channels`` channels, written, added to and read a block at a time:
    in memory, or (``on_disk``) in an unnamed temporary file that goes when it is closed.
    It grows as it is written; reads past what was written are silence. On disk the audio is
    kept in pages of ``page`` frames, each page channel after channel, so a block is read and
    written as it is held, with no interleaving.

    >>> s = Spill(2, on_disk=True, page=4)
    >>> s.add(2, np.ones((2, 3), np.float32)); s.add(3, np.ones((2, 3), np.float32))
    >>> s.frames, s.read(0, 7)[0].tolist()
    (6, [0.0, 0.0, 1.0, 2.0, 2.0, 1.0, 0.0])
    >>> s.close()
    """

    def __init__(self, channels: int, *, on_disk: bool, page: int = CHUNK) -> None:
        self.channels, self.frames, self.page = channels, 0, page
        self._file = tempfile.TemporaryFile(prefix="orchestria-spill-") if on_disk else None
        self._audio = np.zeros((channels, 0), np.float32)

    def _runs(self, start: int, stop: int) -> Iterator[tuple[int, int, int]]:
        """``(offset in the file of channel 0, first frame, last frame + 1)`` for each page touched."""
        first = start
        while first < stop:
            number, at = divmod(first, self.page)
            last = min(stop, first + self.page - at)
            yield (number * self.channels * self.page + at) * 4, first, last
            first = last

    def read(self, start: int, stop: int) -> np.ndarray:
        """Frames ``start`` to ``stop`` as a new float32 ``(channels, stop - start)`` array."""
        out = np.zeros((self.channels, stop - start), np.float32)
        have = max(0, min(stop, self.frames) - start)
        if have and self._file is None:
            out[:, :have] = self._audio[:, start:start + have]
        elif have:
            fd = self._file.fileno()
            for offset, first, last in self._runs(start, start + have):
                for c in range(self.channels):
                    os.preadv(fd, [out[c, first - start:last - start]], offset + c * self.page * 4)
        return out

    def write(self, start: int, piece: np.ndarray) -> None:
        """Put ``piece`` (``(channels, frames)``) at frame ``start``."""
        stop = start + piece.shape[1]
        if self._file is None:
            if stop > self._audio.shape[1]:  # room for twice as much: appends cost amortised O(1)
                grown = np.zeros((self.channels, max(stop, 2 * self._audio.shape[1])), np.float32)
                grown[:, :self.frames] = self._audio[:, :self.frames]
                self._audio = grown
            self._audio[:, start:stop] = piece
        else:
            piece = np.ascontiguousarray(piece, dtype=np.float32)
            fd = self._file.fileno()
            for offset, first, last in self._runs(start, stop):
                for c in range(self.channels):
                    os.pwrite(fd, piece[c, first - start:last - start], offset + c * self.page * 4)
        self.frames = max(self.frames, stop)

    def add(self, start: int, piece: np.ndarray) -> None:
        """Add ``piece`` into the audio at frame ``start`` (a first write, where nothing was yet)."""
        if start >= self.frames:
            self.write(start, piece)
        else:
            self.write(start, self.read(start, start + piece.shape[1]) + piece)

    def blocks(self) -> Iterator[np.ndarray]:
        """The audio, a page at a time."""
        for start in range(0, self.frames, self.page):
            yield self.read(start, min(start + self.page, self.frames))

    def peak(self) -> float:
        """The largest magnitude of any sample."""
        return max((float(np.abs(b).max(initial=0.0)) for b in self.blocks()), default=0.0)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._audio = np.zeros((self.channels, 0), np.float32)

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def held_bytes(state: State, stems: int) -> int:
    """Bytes of audio an export of the mix and ``stems`` stems would hold whole (float32 stereo)."""
    return loop_samples(state) * 8 * (stems + 1)


def _chunk(sr: int, chunk: int | None) -> int:
    """``chunk`` (default :data:`CHUNK`) rounded to whole loudness blocks."""
    block = loudness_block(sr)
    return block * max(1, (chunk or CHUNK) // block)


def _span(audio: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Frames ``start`` to ``stop`` of ``audio`` played round and round (one period of a part)."""
    period = audio.shape[1]
    if stop <= period:
        return audio[:, start:stop]
    return np.take(audio, np.arange(start, stop) % period, axis=1)


def stem_pieces(state: State, stem: Stem, *, cache: bool, loop: bool, chunk: int) -> Iterator[tuple[int, np.ndarray]]:
    """``stem`` rendered (its gain and pan on), as ``(start, audio)`` pieces of ``chunk`` frames."""
    audio, repeats = _dry_period(state, stem, cache=cache, loop=loop)
    length = audio.shape[1] * repeats
    for start in range(0, length, chunk):
        stop = min(start + chunk, length)
        yield start, mix_stems([_span(audio, start, stop)], [stem], length=stop - start)


def mixdown(state: State, keep: Sequence[str] = (), *, cache: bool, loop: bool, on_disk: bool,
            chunk: int | None = None) -> tuple[Spill, dict[str, Spill]]:
    """The audible stems summed (with gain and pan, before the master), and the stems ``keep``
    names on their own; each stem is rendered once, and let go before the next."""
    chunk = _chunk(state.meta.sample_rate, chunk)
    audible = {s.stem_id for s in audible_stems(state)}
    mix, kept = Spill(2, on_disk=on_disk, page=chunk), {}
    try:
        for stem in state.stems:
            if stem.stem_id not in audible and stem.stem_id not in keep:
                continue
            if stem.stem_id in keep:
                kept[stem.stem_id] = Spill(2, on_disk=on_disk, page=chunk)
            for start, piece in stem_pieces(state, stem, cache=cache, loop=loop, chunk=chunk):
                if stem.stem_id in audible:
                    mix.add(start, piece)
                if stem.stem_id in kept:
                    kept[stem.stem_id].write(start, piece)
    except BaseException:
        for spill in [mix, *kept.values()]:
            spill.close()
        raise
    return mix, kept


def _measure(mix: Spill, length: int, sr: int, chunk: int, dc: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Every loudness block's K-weighted energy and peak over ``length`` frames of ``mix``."""
    block, zi = loudness_block(sr), np.zeros((2, 4))
    stats = [block_stats(mix.read(s, min(s + chunk, length)), sr, block, dc=dc, zi=zi)
             for s in range(0, length, chunk)]
    return (np.concatenate([p for p, _ in stats]) if stats else np.zeros(0),
            np.concatenate([k for _, k in stats]) if stats else np.zeros(0))


@dataclass(frozen=True)
class Mastering:
    """The master bus worked out for one mix: a gain per loudness block (loudness to the target,
    then the true-peak limiter), and the mix's DC. :meth:`apply` gives any piece of the mix, or of
    one of its stems, that gain: stems so gained sum to the mastered mix."""

    gains: np.ndarray
    dc: np.ndarray
    block: int
    ceiling: float

    def apply(self, piece: np.ndarray, start: int, *, mix: bool, dc: np.ndarray | None = None) -> np.ndarray:
        """``piece`` (frames ``start`` on, a new array the caller gives up) through the master's gain;
        ``mix`` takes the mix's DC away and clips at the ceiling, as the master does to the mix; a
        stem takes away ``dc``, its share of the mix's (:func:`dc_of`), so stems sum to the mix."""
        gains = self.gains
        if piece.shape[1] % self.block:  # the piece ends inside a block: the end of a stem shorter than the mix
            gains = gains[:start // self.block + -(-piece.shape[1] // self.block)]
        return apply_gains(piece, gains, self.block, ceiling_db=self.ceiling if mix else None, out=piece,
                           dc=self.dc if mix else dc, first=start // self.block)


def dc_of(audio: Spill, length: int, chunk: int) -> np.ndarray:
    """The mean of each channel of ``audio`` over ``length`` frames (zeros past its end), float64,
    read a block at a time: the mix's DC, or a stem's share of it."""
    dc = np.zeros(2)
    for s in range(0, min(length, audio.frames), chunk):
        dc += audio.read(s, min(s + chunk, length)).sum(axis=1, dtype=np.float64)
    return dc / max(length, 1)


def master_plan(mix: Spill, length: int, sr: int, *, loop: bool, target_lufs: float = TARGET_LUFS,
                ceiling: float = CEILING_DB, chunk: int | None = None) -> Mastering:
    """The master bus for the first ``length`` frames of ``mix``, measured a block at a time: its DC,
    every loudness block's K-weighted energy and peak, and the true peaks where the limiter needs them."""
    chunk, block = _chunk(sr, chunk), loudness_block(sr)
    dc = dc_of(mix, length, chunk)
    power, peak = _measure(mix, length, sr, chunk, dc)
    reach, per = true_peak_taps().shape[1], chunk // block

    def true_peak(blocks: np.ndarray) -> np.ndarray:
        out = np.zeros(len(blocks))
        for piece in np.unique(blocks // per):  # each piece once, with the samples around it the filter reads
            mine = np.flatnonzero(blocks // per == piece)
            start = int(piece) * chunk
            first = max(0, start - reach)
            seg = mix.read(first, min(length, start + chunk + reach))
            out[mine] = true_block_peaks(seg, blocks[mine] - piece * per, block, dc=dc, lead=start - first)
        return out

    gains = master_gains(power, peak, sr, block, loop=loop, target_lufs=target_lufs, ceiling=ceiling,
                         true_peak=true_peak)
    return Mastering(gains, dc, block, ceiling)


def write_mix(state: State, file: BinaryIO, fmt: str, *, loop: bool, bit_depth: int | str = 24,
              bitrate: int = 192, cache: bool = True, target_lufs: float = TARGET_LUFS,
              ceiling: float = CEILING_DB, chunk: int | None = None) -> None:
    """The mastered mix of ``state`` written to ``file`` as ``fmt``, a block at a time, with the
    unmastered mix on disk meanwhile (see the module's text)."""
    sr = state.meta.sample_rate
    chunk = _chunk(sr, chunk)
    mix, _ = mixdown(state, cache=cache, loop=loop, on_disk=True, chunk=chunk)
    with mix:
        length = loop_samples(state) if loop else max(loop_samples(state), mix.frames)
        plan = master_plan(mix, length, sr, loop=loop, target_lufs=target_lufs, ceiling=ceiling, chunk=chunk)
        with AudioWriter(file, fmt, sr, 2, bit_depth=bit_depth, bitrate=bitrate) as out:
            for s in range(0, length, chunk):
                out.write(plan.apply(mix.read(s, min(s + chunk, length)), s, mix=True))
