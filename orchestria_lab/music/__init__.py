"""Music theory, the shared vocabulary and notes tables. No audio, no torch."""

from orchestria_lab.music.genres import GENRES, normalize_genre
from orchestria_lab.music.theory import Chord, Key, parse_key, pitch_name, same_key

__all__ = ["GENRES", "Chord", "Key", "normalize_genre", "parse_key", "pitch_name", "same_key"]
