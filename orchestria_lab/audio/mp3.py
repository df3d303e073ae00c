"""MP3 encoding (LAME through ``lameenc``) with a gapless LAME info tag.

An MP3 stream starts late and ends padded to a whole frame. LAME's encoder delay and the
padding are recorded in an *info tag*, a silent first frame that decoders (mpg123, hence
libsndfile, ffmpeg, browsers) read to trim both, so the file decodes to exactly the samples
that went in. ``lameenc`` does not write that frame, so :func:`encode_mp3` adds it.

>>> import io, numpy as np, soundfile as sf
>>> audio = np.zeros((2, 10000), np.float32)
>>> data = encode_mp3(audio, 44100, bitrate=128)
>>> sf.info(io.BytesIO(data)).frames
10000
"""

from __future__ import annotations

import struct

import numpy as np

#: Samples LAME holds back before the first encoded one.
ENCODER_DELAY = 576
_KBPS = {  # layer III bitrate index -> kbps, for MPEG-1 and for MPEG-2 / 2.5
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _frame(header: bytes) -> tuple[int, int, int, int]:
    """(frame bytes, samples per frame, side-info bytes, kbps) of the frame with ``header``."""
    version = (header[1] >> 3) & 0x3  # 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
    mpeg1 = version == 3
    kbps = _KBPS[1 if mpeg1 else 2][header[2] >> 4]
    sr = _RATES[version][(header[2] >> 2) & 0x3]
    padding = (header[2] >> 1) & 0x1
    mono = (header[3] >> 6) == 3
    size = (144000 if mpeg1 else 72000) * kbps // sr + padding
    side = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    return size, 1152 if mpeg1 else 576, side, kbps


def _count_frames(data: bytes) -> int:
    count, pos = 0, 0
    while pos + 4 <= len(data) and data[pos] == 0xFF and data[pos + 1] & 0xE0 == 0xE0:
        pos += _frame(data[pos:pos + 4])[0]
        count += 1
    return count


def _crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def info_tag(stream: bytes, samples: int) -> bytes:
    """The LAME info frame for ``stream`` (the encoded frames) holding ``samples`` per channel."""
    header = bytearray(stream[:4])
    header[2] &= 0xFD  # the tag frame itself carries no padding byte
    size, per_frame, side, kbps = _frame(bytes(header))
    frames = _count_frames(stream)
    padding = max(0, frames * per_frame - ENCODER_DELAY - samples)
    toc = bytes(int(i * 256 / 100) for i in range(100))
    xing = b"Info" + struct.pack(">III", 0x0F, frames, len(stream) + size) + toc + struct.pack(">I", 0)
    lame = bytearray(36)
    lame[0:9] = b"LAME3.100"
    lame[9] = 0x01  # tag revision 0, CBR
    lame[20] = min(kbps, 255)
    lame[21:24] = bytes([ENCODER_DELAY >> 4, ((ENCODER_DELAY & 0xF) << 4) | (padding >> 8), padding & 0xFF])
    lame[28:32] = struct.pack(">I", len(stream) + size)
    frame = bytearray(size)
    frame[:4] = header
    start = 4 + side
    frame[start:start + len(xing)] = xing
    lame_at = start + len(xing)
    frame[lame_at:lame_at + 36] = lame
    frame[lame_at + 34:lame_at + 36] = struct.pack(">H", _crc16(bytes(frame[:lame_at + 34])))
    return bytes(frame)


class Mp3Encoder:
    """CBR MP3 of audio given a piece at a time (the same bytes as :func:`encode_mp3` of the
    whole: LAME buffers across calls); :meth:`finish` returns the stream behind its info frame.
    Below 32 kHz MPEG-2 tops out at 160 kbps, which LAME then uses."""

    def __init__(self, sr: int, channels: int, *, bitrate: int = 192, quality: int = 2) -> None:
        import lameenc

        self._enc = lameenc.Encoder()
        self._enc.set_bit_rate(bitrate)
        self._enc.set_in_sample_rate(sr)
        self._enc.set_channels(channels)
        self._enc.set_quality(quality)
        self._parts: list[bytes] = []
        self.samples = 0

    def encode(self, audio: np.ndarray) -> None:
        """Add float32 ``(channels, samples)`` audio at the rate given."""
        pcm = np.clip(np.round(audio.astype(np.float64) * 32768.0), -32768, 32767).astype(np.int16)
        self.samples += pcm.shape[1]
        if pcm.shape[1]:
            self._parts.append(bytes(self._enc.encode(pcm.T.copy().tobytes())))

    def finish(self) -> bytes:
        """The whole file: the info frame, then every encoded frame."""
        stream = b"".join([*self._parts, bytes(self._enc.flush())])
        self._parts = []
        return info_tag(stream, self.samples) + stream if stream else stream


def encode_mp3(audio: np.ndarray, sr: int, *, bitrate: int = 192, quality: int = 2) -> bytes:
    """Stereo float32 ``(2, samples)`` at ``sr`` (8-48 kHz) to CBR MP3 bytes that decode gaplessly.

    Deterministic: the same audio always gives the same bytes.
    """
    enc = Mp3Encoder(sr, audio.shape[0], bitrate=bitrate, quality=quality)
    enc.encode(audio)
    return enc.finish()
