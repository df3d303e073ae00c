"""Render stems and the mix, with a per-stem cache in memory and on disk.

A stem's sound is a function of its notes, instrument, tone, effects, the tempo, the
sample rate, the loop length and the seed; :func:`stem_cache_key` hashes exactly those, so
an edit to one stem re-renders that stem alone, and gain, pan, mute and solo (applied
after the cache) re-render nothing. The master bus removes DC, brings the mix to the
target loudness (ITU-R BS.1770, -14 LUFS by default) and limits peaks to -1 dBFS.

Loops (``loop=True``, the default) are exactly ``meta.duration_s`` long and every tail,
from a note's release to a reverb, wraps round to the start, so the loop plays round
seamlessly; with ``loop=False`` tails ring out past the end. A stem whose notes repeat
(a one-bar groove over eight bars) is rendered for one period and repeated
(:func:`pattern_period`).

>>> from orchestria_lab.state import Meta, Note, State, Stem
>>> stem = Stem("bass", role="bass", instrument="sub_bass", notes=[Note(40, 0, 2, 100)])
>>> state = State(Meta(bpm=120, key="E", genre="pop", bars=1, sample_rate=8000), (stem,))
>>> mix = render_mix(state, cache=False)
>>> mix.shape, mix.dtype, bool(abs(mix).max() <= 10 ** (-1 / 20))
((2, 16000), dtype('float32'), True)
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import Counter, OrderedDict, deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from orchestria_lab.audio import soundfont
from orchestria_lab.audio.automate import apply_lanes, automate, lanes_need_the_chain
from orchestria_lab.audio.dsp import db_to_gain, view_tensor
from orchestria_lab.audio.dynamics import master, true_peak
from orchestria_lab.audio.effects import apply_chain
from orchestria_lab.audio.engines import render_instrument
from orchestria_lab.errors import InvalidValue
from orchestria_lab.paths import data_dir
from orchestria_lab.state import State, Stem
from orchestria_lab.threads import one_thread, render_threads

#: Bump when the sound of any stem changes, so caches made by older code are not reused.
ENGINE_VERSION = 7
TARGET_LUFS = -14.0
CEILING_DB = -1.0
MEMORY_CACHE_BYTES = 256 << 20


class _MemoryCache:
    """A byte-bounded LRU of read-only stem arrays, shared by the threads of one process."""

    def __init__(self, limit: int) -> None:
        self.limit, self.size = limit, 0
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> np.ndarray | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: str, audio: np.ndarray) -> None:
        if audio.nbytes > self.limit // 4:
            return
        audio.setflags(write=False)
        with self._lock:
            if key not in self._items:
                self.size += audio.nbytes
            self._items[key] = audio
            while self.size > self.limit:
                _, old = self._items.popitem(last=False)
                self.size -= old.nbytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0


MEMORY_CACHE = _MemoryCache(MEMORY_CACHE_BYTES)


def cache_dir() -> Path:
    """Where rendered stems are kept between processes: ``data_dir()/cache/stems``."""
    return data_dir() / "cache" / "stems"


def loop_samples(state: State) -> int:
    """Samples in one pass of the loop: ``duration_s * sample_rate``, rounded."""
    return int(round(state.meta.duration_s * state.meta.sample_rate))


def stem_seed(state: State, stem: Stem) -> int:
    """The seed of a stem's noise: from the session seed and the stem's id, stable across edits."""
    digest = hashlib.sha256(f"{state.meta.seed}:{stem.stem_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 1


def stem_cache_key(state: State, stem: Stem, *, loop: bool) -> str:
    """Hash of everything a stem's sound (before gain and pan) depends on."""
    m = state.meta
    blob = json.dumps({
        "engine": ENGINE_VERSION, "instrument": stem.instrument, "drums": stem.is_drums,
        "notes": [list(n) for n in stem.notes], "tone": stem.tone.to_dict(),
        "effects": [e.to_dict() for e in stem.effects], "bpm": m.bpm, "sr": m.sample_rate,
        "tempo": [c.to_dict() for c in m.tempo_changes], "automation": [list(p) for p in stem.automation],
        "n": loop_samples(state), "loop": loop, "seed": stem_seed(state, stem),
        **({"soundfont": soundfont.load(m.soundfont or None).identity}
           if stem.instrument.startswith(soundfont.PREFIX) else {}),
    }, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


#: The disk cache holds at most this many bytes of stems, least recently used out first;
#: ``ORCHESTRIA_STEM_CACHE_MB`` overrides it.
DISK_CACHE_BYTES = 2 << 30

_PENDING: dict[Path, np.ndarray] = {}
_WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="orchestria-stem-cache")
_WRITTEN = [1 << 62]  # bytes written since the last prune: the first write of a process prunes


def disk_cache_limit() -> int:
    """Bytes the stem cache on disk may hold (``ORCHESTRIA_STEM_CACHE_MB``, else 2 GiB)."""
    value = os.environ.get("ORCHESTRIA_STEM_CACHE_MB")
    try:
        return DISK_CACHE_BYTES if value is None else max(0, int(float(value) * (1 << 20)))
    except ValueError:
        raise InvalidValue("ORCHESTRIA_STEM_CACHE_MB", value, "a number of megabytes, such as 2048") from None


def prune_cache(limit: int | None = None) -> int:
    """Delete the least recently used stems on disk until at most ``limit`` bytes remain
    (default :func:`disk_cache_limit`); returns the bytes freed. Reading a stem counts as
    using it. Safe beside other processes: a stem deleted under a reader is rendered again.
    """
    limit = disk_cache_limit() if limit is None else limit
    entries = []
    try:
        with os.scandir(cache_dir()) as found:
            for entry in found:
                if entry.name.endswith(".npy"):
                    try:
                        info = entry.stat()
                    except OSError:
                        continue
                    entries.append((info.st_mtime, info.st_size, entry.path))
    except OSError:
        return 0
    total, freed = sum(size for _, size, _ in entries), 0
    for _, size, path in sorted(entries):
        if total <= limit:
            break
        try:
            os.remove(path)
        except OSError:
            continue
        total, freed = total - size, freed + size
    return freed


def _load(path: Path) -> np.ndarray | None:
    pending = _PENDING.get(path)
    if pending is not None:
        return pending
    try:
        audio = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    try:
        os.utime(path)  # used now: the last to be pruned
    except OSError:
        pass
    return audio


def _write(path: Path, audio: np.ndarray) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp")
        with open(tmp, "wb") as f:
            np.save(f, audio, allow_pickle=False)
        os.replace(tmp, path)
        _WRITTEN[0] += audio.nbytes
        limit = disk_cache_limit()
        if _WRITTEN[0] > limit // 16:  # now and then, not at every write: a prune reads the folder
            _WRITTEN[0] = 0
            prune_cache(limit)
    except OSError:
        pass  # a cache that cannot be written is only slower, never wrong
    finally:
        _PENDING.pop(path, None)


def _save(path: Path, audio: np.ndarray) -> None:
    """Write a stem to the disk cache in the background (readers see it at once, from memory)."""
    _PENDING[path] = audio
    _WRITER.submit(_write, path, audio)


def flush_cache() -> None:
    """Wait until every stem queued for the disk cache is written."""
    _WRITER.submit(lambda: None).result()


def render_dry_stem(state: State, stem: Stem, *, cache: bool = True, loop: bool = True) -> np.ndarray:
    """A stem through its instrument and effects, before gain and pan: float32 ``(channels, samples)``."""
    audio, repeats = _dry_period(state, stem, cache=cache, loop=loop)
    return audio if repeats == 1 else np.tile(audio, (1, repeats))


def _dry_period(state: State, stem: Stem, *, cache: bool, loop: bool) -> tuple[np.ndarray, int]:
    """The dry stem as one period of its pattern (see :func:`pattern_period`) and how many
    times the period repeats: what is rendered, cached and mixed, never tiled out."""
    key = stem_cache_key(state, stem, loop=loop)
    n = loop_samples(state)
    if cache:
        hit = MEMORY_CACHE.get(key)
        if hit is None:
            hit = _load(cache_dir() / f"{key}.npy")
            if hit is not None:
                MEMORY_CACHE.put(key, hit)
        if hit is not None:
            return hit, (n // hit.shape[1] if loop and hit.shape[1] else 1)
    m = state.meta
    period = pattern_period(state, stem) if loop else m.bars
    if stem.automation and not lanes_need_the_chain(stem):  # the stem as it plays (cached, a period at a time),
        base, repeats = _dry_period(state, stem.evolve(automation=()), cache=cache, loop=loop)  # then its lanes
        audio = apply_lanes(state, stem, np.tile(base, (1, repeats)) if repeats > 1 else np.array(base, copy=True))
        if not any(p.param.endswith("_hz") for p in stem.automation):
            return audio, 1  # gain and pan lanes cost less than caching their result
    elif period < m.bars:  # a repeating part: render one period as a loop of its own
        part = State(replace(m, bars=period, sections=()), (stem.evolve(
            notes=[note for note in stem.notes if note.start < period * m.beats_per_bar]),))
        audio = _render_fresh(part, part.stems[0], loop=True)
    else:
        audio = _render_fresh(state, stem, loop=loop)
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    if cache and audio.nbytes > MEMORY_CACHE.limit // 4:
        _write(cache_dir() / f"{key}.npy", audio)  # at once: a long stem is not held for a writer
    elif cache:
        audio.setflags(write=False)  # shared from now on: with the cache and its writer
        _save(cache_dir() / f"{key}.npy", audio)
        MEMORY_CACHE.put(key, audio)
    return audio, m.bars // period


def dry_periods(state: State, stems: list[Stem], *, cache: bool = True, loop: bool = True,
                threads: int | None = None) -> Iterator[tuple[Stem, np.ndarray, int]]:
    """Each of ``stems`` with its dry period and repeats (:func:`_dry_period`), in order,
    rendered ``threads`` (default :func:`~orchestria_lab.threads.render_threads`) at a time
    on a pool of threads (the kernels and torch release the GIL), each on one torch thread.
    At most that many renders are held beyond the one the caller is working on, so memory
    stays bounded by a few stems whatever their number."""
    workers = min(render_threads() if threads is None else threads, len(stems))
    with one_thread():
        if workers <= 1:
            for stem in stems:
                yield stem, *_dry_period(state, stem, cache=cache, loop=loop)
            return
        pool, waiting = _render_pool(workers), iter(stems)
        running = deque((stem, pool.submit(_dry_period, state, stem, cache=cache, loop=loop))
                        for stem in islice(waiting, workers))
        try:
            while running:
                stem, future = running.popleft()
                audio, repeats = future.result()
                following = next(waiting, None)
                if following is not None:
                    running.append((following, pool.submit(_dry_period, state, following, cache=cache, loop=loop)))
                yield stem, audio, repeats
                del audio
        finally:
            for _, future in running:  # the caller stopped early: do not render what it will not read
                future.cancel()


_POOL: tuple[ThreadPoolExecutor, int] | None = None  # the pool and its size
_POOL_LOCK = threading.Lock()


def _render_pool(workers: int) -> ThreadPoolExecutor:
    """The process's stem-render threads, made anew with ``workers`` when asked for more."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL[1] < workers:
            _POOL = (ThreadPoolExecutor(max_workers=workers, thread_name_prefix="orchestria-render"), workers)
        return _POOL[0]


def _render_fresh(state: State, stem: Stem, *, loop: bool) -> np.ndarray:
    m = state.meta
    if stem.instrument.startswith(soundfont.PREFIX):  # a voice of the session's SoundFont
        played = soundfont.render_notes(soundfont.load(m.soundfont or None), stem.instrument[len(soundfont.PREFIX):],
                                        on_the_clock(m, stem.notes), drums=stem.is_drums, bpm=m.bpm,
                                        sr=m.sample_rate, n_samples=loop_samples(state), loop=loop)
    else:
        played = render_instrument(stem.instrument, on_the_clock(m, stem.notes), tone=stem.tone, drums=stem.is_drums,
                                   bpm=m.bpm, sr=m.sample_rate, n_samples=loop_samples(state), loop=loop,
                                   seed=stem_seed(state, stem))
    if stem.automation:
        return automate(state, stem, played, loop=loop)
    # The instrument's output is only held by apply_chain, which lets go of each stage.
    return apply_chain(played, m.sample_rate, stem.effects, bpm=m.bpm, loop=loop, consume=True)


def on_the_clock(meta: Any, notes: Any) -> Any:
    """``notes`` timed by the tempo map, in beats of the song's own tempo: under a map a note's start
    and length are where it falls in seconds, so the instruments play them at one tempo."""
    if not meta.tempo_changes or not len(notes):
        return notes
    arr = np.array([tuple(n)[:4] for n in notes], dtype=np.float64)
    start, end = meta.seconds(arr[:, 1]), meta.seconds(arr[:, 1] + arr[:, 2])
    spb = 60.0 / meta.bpm
    arr[:, 1], arr[:, 2] = start / spb, (end - start) / spb
    return arr


def pattern_period(state: State, stem: Stem) -> int:
    """The fewest bars after which the stem's notes repeat exactly (``meta.bars`` if never).

    Generated parts are mostly patterns: a one-bar groove, a four-bar progression. A loop
    of such a stem is that period played round, so the renderer renders one period (as a
    loop of its own, tails wrapped) and repeats it. Only periods that last a whole number
    of samples count, so the repeats line up exactly.

    >>> from orchestria_lab.state import Meta, Note, State, Stem
    >>> beat = Stem("d", role="drums", instrument="drum_kit", notes=[Note(36, b, 0.5, 100) for b in range(16)])
    >>> pattern_period(State(Meta(bpm=120, key="C", genre="pop", bars=4)), beat)
    1
    """
    m = state.meta
    if m.tempo_changes or stem.automation:  # a tempo map makes every bar its own length; a lane, its own sound
        return m.bars
    total = round(m.total_beats * 1e9)

    def key(n: tuple, shift: int = 0) -> tuple:
        return n[0], (round(n[1] * 1e9) + shift) % total, round(n[2] * 1e9), n[3]

    notes = Counter(key(n) for n in stem.notes)
    for period in range(1, m.bars):
        samples = period * m.beats_per_bar * 60.0 * m.sample_rate / m.bpm
        if m.bars % period or abs(samples - round(samples)) > 1e-6:
            continue
        shift = round(period * m.beats_per_bar * 1e9)
        if Counter(key(n, shift) for n in stem.notes) == notes:
            return period
    return m.bars


def pan_gains(pan: float, channels: int) -> tuple[float, float]:
    """Left and right gains: equal-power pan of a mono source, balance of a stereo one.

    >>> [round(g, 3) for g in pan_gains(0.0, 1)], pan_gains(0.0, 2), pan_gains(-1.0, 2)[1] < 1e-9
    ([0.707, 0.707], (1.0, 1.0), True)
    """
    angle = (pan + 1.0) * np.pi / 4.0
    left, right = float(np.cos(angle)), float(np.sin(angle))
    if channels == 1:
        return left, right
    return min(1.0, left * 2**0.5), min(1.0, right * 2**0.5)


def _gains(stem: Stem, channels: int) -> tuple[float, float]:
    g = db_to_gain(stem.level_db + stem.gain_db)  # its trim to the role's level, and the user's move
    panned = any(p.param == "pan" for p in stem.automation)  # its lane placed it already
    gl, gr = pan_gains(0.0 if panned else stem.pan, channels)
    return g * gl, g * gr


def render_stem(state: State, stem_id: str, *, cache: bool = True, loop: bool = True,
                headroom: bool = True) -> np.ndarray:
    """One stem with its level, gain and pan, before the master: float32 ``(2, samples)``. With
    ``headroom`` (the default: what is played or sent), a stem whose true peak would pass the
    ceiling (``CEILING_DB``) is turned down until it does not, never limited; without, it is as
    it sits in the mix, for measuring."""
    stem = state.stem(stem_id)
    audio, repeats = _dry_period(state, stem, cache=cache, loop=loop)
    out = mix_stems([audio], [stem], repeats=[repeats])
    if headroom:
        peak, limit = true_peak(out, state.meta.sample_rate), db_to_gain(CEILING_DB)
        if peak > limit:
            out *= np.float32(limit / peak)
    return out


def audible_stems(state: State) -> list[Stem]:
    """If any stem is soloed, the soloed stems; otherwise every stem that is not muted."""
    soloed = [s for s in state.stems if s.solo]
    return soloed if soloed else [s for s in state.stems if not s.muted]


def mix_stems(audios: list[np.ndarray] | np.ndarray, stems: list[Stem], *, length: int | None = None,
              out: np.ndarray | None = None, repeats: list[int] | None = None,
              chunk: int = 1 << 16) -> np.ndarray:
    """Sum stems with their gain and pan into a stereo ``(2, length)`` mix (or into ``out``).

    ``audios`` is a list of ``(channels, samples)`` arrays, or a stem bank: one
    ``(stems, channels, samples)`` array, as kept for remixing while gains and pans change.
    A bank is mixed by one matrix product (every stem read once, the mix written once: the
    memory bandwidth is the limit); a list in cache-sized chunks with a fused multiply-add
    per stem and channel. ``repeats[i]`` plays list entry ``i`` that many times in a row
    (one period of a repeating part), without tiling it out.

    >>> a = np.ones((1, 4), np.float32)
    >>> mix_stems([a, a], [Stem("x", role="pad", instrument="pad"), Stem("y", role="pad", instrument="pad", pan=1.0)])
    array([[0.70710677, 0.70710677, 0.70710677, 0.70710677],
           [1.7071068 , 1.7071068 , 1.7071068 , 1.7071068 ]], dtype=float32)
    >>> mix_stems([np.arange(2, dtype=np.float32)[None]], [Stem("x", role="pad", instrument="pad")], repeats=[3])[0]
    array([0.        , 0.70710677, 0.        , 0.70710677, 0.        , 0.70710677], dtype=float32)
    """
    import torch

    if isinstance(audios, np.ndarray) and audios.ndim == 3:
        count, channels, total = audios.shape
        weights = np.zeros((2, count * channels), np.float32)
        for i, stem in enumerate(stems):
            gl, gr = _gains(stem, channels)
            weights[0, i * channels] += gl
            weights[1, i * channels + channels - 1] += gr
        bank = view_tensor(audios.reshape(count * channels, total))
        mixed = (torch.from_numpy(weights) @ bank).numpy()
        if out is None:
            return mixed
        out[:, :total] += mixed
        return out
    repeats = [1] * len(audios) if repeats is None else repeats
    if out is None:
        total = max((a.shape[1] * r for a, r in zip(audios, repeats, strict=True)), default=0) \
            if length is None else length
        out = np.zeros((2, total), np.float32)
    total = out.shape[1]
    mix = torch.from_numpy(out)
    sources = [(view_tensor(a), *_gains(s, a.shape[0]), r)
               for a, s, r in zip(audios, stems, repeats, strict=True)]
    for start in range(0, total, chunk):
        for src, gl, gr, r in sources:
            period = src.shape[1]
            at, stop = start, min(start + chunk, total, period * r)
            while at < stop:  # a chunk may straddle the end of one repeat and the start of the next
                offset = at % period
                k = min(stop - at, period - offset)
                mix[0, at:at + k].add_(src[0, offset:offset + k], alpha=gl)
                mix[1, at:at + k].add_(src[-1, offset:offset + k], alpha=gr)
                at += k
    return out


def render_mix(state: State, *, cache: bool = True, loop: bool = True, target_lufs: float = TARGET_LUFS,
               ceiling: float = CEILING_DB) -> np.ndarray:
    """The mastered mix: float32 ``(2, samples)``, ``loop_samples(state)`` long when ``loop``."""
    sr = state.meta.sample_rate
    n = loop_samples(state)
    stems = audible_stems(state)
    if n * 8 * len(stems) <= MEMORY_CACHE_BYTES:  # short: all stems at once, one cache-friendly pass
        parts = [(audio, repeats) for _, audio, repeats in dry_periods(state, stems, cache=cache, loop=loop)]
        length = n if loop else max([n, *(a.shape[1] for a, _ in parts)])
        mix = mix_stems([a for a, _ in parts], stems, length=length, repeats=[r for _, r in parts])
    else:
        mix = _mix_long(state, stems, cache=cache, loop=loop)
    return master(mix, sr, loop=loop, target_lufs=target_lufs, ceiling=ceiling)


def _mix_long(state: State, stems: list[Stem], *, cache: bool, loop: bool) -> np.ndarray:
    """Mix a long session holding one stem at a time beside the mix.

    Stems that never repeat go first, and the first of them, when it is stereo and ours
    alone (writeable: arrays the cache shares are read-only), becomes the mix itself;
    repeating stems are added a period at a time. So a long session with one
    through-composed part needs memory for about one full-length stereo stem, not two.
    """
    n = loop_samples(state)
    bars = state.meta.bars
    if loop:
        stems = sorted(stems, key=lambda s: pattern_period(state, s) < bars)  # stable: ties keep their order
    mix = None
    # one stem at a time: what this path is for (a ten-minute render's peak: 1.39 GB on one
    # thread, 1.69 GB on two; benchmarks/bench_render.py)
    for stem, audio, repeats in dry_periods(state, stems, cache=cache, loop=loop, threads=1):
        if mix is None and repeats == 1 and audio.shape[0] == 2 and audio.flags.writeable:
            gl, gr = _gains(stem, 2)
            audio[0] *= np.float32(gl)
            audio[1] *= np.float32(gr)
            mix = audio
            continue
        if mix is None:
            mix = np.zeros((2, n), np.float32)
        if audio.shape[1] * repeats > mix.shape[1]:
            mix = np.pad(mix, ((0, 0), (0, audio.shape[1] * repeats - mix.shape[1])))
        mix_stems([audio], [stem], out=mix, repeats=[repeats])
        del audio  # before the next stem renders, not after
    return np.zeros((2, n), np.float32) if mix is None else mix
