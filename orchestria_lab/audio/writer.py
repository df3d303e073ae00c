"""Audio files written a piece at a time: WAV, FLAC (16 or 24 bit, or float WAV) and MP3.

PCM is quantised here by rounding without dither, so the same audio always gives the same
bytes, and giving a file its audio in pieces gives the same bytes as giving it whole: an
export too long to hold (:mod:`orchestria_lab.audio.stream`) writes exactly what a short one
would. MP3 stops at 48 kHz, so 88.2 and 96 kHz are halved on the way, a piece at a time with
the resampling filter's reach carried across, as if the whole had been halved.

>>> import io, numpy as np, soundfile as sf
>>> buf = io.BytesIO()
>>> with AudioWriter(buf, "flac", 8000, 2, bit_depth=16) as w:
...     for start in range(0, 8000, 3000):
...         w.write(np.zeros((2, min(3000, 8000 - start)), np.float32))
>>> _ = buf.seek(0); sf.info(buf).frames
8000
"""

from __future__ import annotations

from typing import Any, BinaryIO

import numpy as np
import scipy.signal as sig
import soundfile as sf

from orchestria_lab.audio.mp3 import Mp3Encoder

#: Halving 88.2 or 96 kHz for MP3: scipy's default polyphase filter reaches this far (input samples).
_HALVE_REACH = 32
#: Frames quantised and handed to the encoder at a time.
_SLICE = 1 << 16


def quantise(audio: np.ndarray, bits: int) -> np.ndarray:
    """Float audio to ``bits``-bit integers by rounding (no dither), clipped to the integer range.

    >>> quantise(np.array([[0.5, -1.0, 1.0]], np.float32), 16).tolist()
    [[16384, -32768, 32767]]
    """
    scale = float(2 ** (bits - 1))
    return np.clip(np.round(audio.astype(np.float64) * scale), -scale, scale - 1).astype(np.int32)


class _Halver:
    """``resample_poly(x, 1, 2)`` of a signal given a piece at a time. Output ``m`` reads input
    ``2m - R .. 2m + R`` (zeros outside the signal), so each call makes the outputs whose
    reach it has and keeps the input the next ones still need: the pieces join exactly."""

    def __init__(self, channels: int) -> None:
        self._x = np.zeros((channels, _HALVE_REACH), np.float32)  # the silence before the start
        self._x0 = -_HALVE_REACH  # input index of self._x[:, 0]
        self._m = 0  # the next output to make

    def push(self, piece: np.ndarray, *, last: bool) -> np.ndarray:
        reach = _HALVE_REACH
        self._x = np.concatenate([self._x, piece], axis=1)
        end = self._x0 + self._x.shape[1]  # input index after the last sample held
        if last:
            m1 = (end + 1) // 2
            self._x = np.concatenate([self._x, np.zeros((self._x.shape[0], reach + 1), np.float32)], axis=1)
        else:
            m1 = max(self._m, (end - reach) // 2)
        window = self._x[:, 2 * self._m - reach - self._x0:2 * m1 + reach - self._x0]
        y = sig.resample_poly(window, 1, 2, axis=1)[:, reach // 2:reach // 2 + m1 - self._m]
        drop = 2 * m1 - reach - self._x0
        self._x, self._x0, self._m = self._x[:, drop:], self._x0 + drop, m1
        return np.ascontiguousarray(y, dtype=np.float32)


class AudioWriter:
    """Writes float32 ``(channels, samples)`` pieces to ``file`` as one ``fmt`` file.

    ``file`` is a binary file object that can seek (WAV and FLAC headers are finished at the
    end). ``bit_depth`` is 16, 24 or ``"float"`` (WAV), ``bitrate`` the MP3 kbps. MP3 is
    encoded piece by piece and its stream (a few MB for a long song) written at :meth:`close`,
    after the gapless info frame that needs its length.
    """

    def __init__(self, file: BinaryIO, fmt: str, sr: int, channels: int, *, bit_depth: int | str = 24,
                 bitrate: int = 192) -> None:
        self.fmt, self.bit_depth = fmt, bit_depth
        self._file = file
        self._halver = None
        self._pending: np.ndarray | None = None
        if fmt == "mp3":
            if sr > 48000:
                self._halver, sr = _Halver(channels), sr // 2
            self._mp3: Mp3Encoder | None = Mp3Encoder(sr, channels, bitrate=bitrate)
            self._sf = None
        else:
            self._mp3 = None
            subtype = "FLOAT" if bit_depth == "float" else f"PCM_{bit_depth}"
            self._sf = sf.SoundFile(file, "w", samplerate=sr, channels=channels, format=fmt.upper(),
                                    subtype=subtype)

    def write(self, piece: np.ndarray) -> None:
        """Append ``piece`` (float32 ``(channels, samples)``), quantised a slice at a time so a
        long piece costs no copy of itself."""
        for start in range(0, piece.shape[1], _SLICE):
            self._write(piece[:, start:start + _SLICE])

    def _write(self, piece: np.ndarray) -> None:
        if self._mp3 is not None:
            if self._halver is not None:  # a piece is halved once the next one shows it is not the last
                if self._pending is not None:
                    self._mp3.encode(self._halver.push(self._pending, last=False))
                self._pending = piece
            else:
                self._mp3.encode(piece)
            return
        if self.bit_depth == "float":
            data: Any = np.ascontiguousarray(piece.T, dtype=np.float32)
        else:
            data = quantise(piece, int(self.bit_depth))
            data = data.astype(np.int16) if self.bit_depth == 16 else data << 8  # int32 full scale for 24-bit
            data = np.ascontiguousarray(data.T)
        self._sf.write(data)

    def close(self) -> None:
        """Finish the file (the headers, or the MP3 stream with its info frame)."""
        if self._mp3 is not None:
            if self._halver is not None and self._pending is not None:
                self._mp3.encode(self._halver.push(self._pending, last=True))
                self._pending = None
            self._file.write(self._mp3.finish())
            self._mp3 = None
        elif self._sf is not None:
            self._sf.close()
            self._sf = None

    def __enter__(self) -> AudioWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def audio_bytes(audio: np.ndarray, sr: int, fmt: str, *, bit_depth: int | str, bitrate: int) -> bytes:
    """``audio`` (float32 ``(channels, samples)``) as the bytes of one ``fmt`` file."""
    import io

    buf = io.BytesIO()
    with AudioWriter(buf, fmt, sr, audio.shape[0], bit_depth=bit_depth, bitrate=bitrate) as w:
        w.write(audio)
    return buf.getvalue()
