"""The training corpora: token arrays prepared from music21's corpus, and their loaders.

``prepare()`` (``orchestria train prepare``) is the only code that needs music21 (the ``data``
extra): it reads the Bach chorales and the folk collections, finds keys, labels chords and
writes compact, deterministic ``.npz`` token arrays under ``data/corpus/`` with a manifest of
their hashes. Training, evaluation and tests only ever read those arrays (``load``).
The Essen tunes, distributed for non-commercial use only, go into their own file
(``essen.npz``), which only the research corpus reads (see ``licences``).
``pairs.npz`` is derived from the chorales and the folk tunes without music21: the melody each
of their chord slots harmonises (``features.melody_features``), what the harmony model is
conditioned on (``prepare(only=("pairs",))`` rebuilds it alone).

Each array file holds ragged sequences: ``<part>`` tokens concatenated over pieces, indexed
by ``offsets`` (one more than the number of pieces); ``chords`` by ``chord_offsets``.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections import Counter
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from orchestria_lab.errors import NotFound, OrchestriaError
from orchestria_lab.models.analysis import find_key, label_chords
from orchestria_lab.models.licences import COLLECTIONS, collections_of
from orchestria_lab.models.tokens import (
    HOLD,
    METERS,
    NO_CHORD,
    PITCH_HIGH,
    PITCH_LOW,
    REST,
    STEPS_PER_BEAT,
    chord_slots,
    meter_id,
    metric_levels,
    pitch_token,
    steps_per_bar,
)

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
MANIFEST = DATA_DIR / "MANIFEST.json"
#: Array files by name, relative to ``data/``.
DATASETS = {"chorales": "corpus/chorales.npz", "folk": "corpus/folk.npz", "essen": "corpus/essen.npz",
            "drums": "corpus/drums.npz", "pairs": "corpus/pairs.npz"}
#: Datasets derived from others (their arrays, not music21): each with the datasets it is made from.
DERIVED = {"pairs": ("chorales", "folk")}
#: The music21 collections of each folk dataset (from their licence records).
FOLK_COLLECTIONS = {d: tuple(c.name for c in COLLECTIONS if c.dataset == d) for d in ("folk", "essen")}
#: Chorale encodings read. Not ``.krn``: music21's three Humdrum chorales reserve "rights to all
#: derivative electronic formats" (CCARH), and the same chorales come as MusicXML too.
CHORALE_FORMATS = (".mxl", ".xml")
MIN_BARS, MAX_BARS = 4, 96


class DataMissing(OrchestriaError):
    """A prepared data file is missing or does not match its recorded hash."""

    code = "data_missing"
    status = 500


# --- deterministic array files ---------------------------------------------------------------
def save_arrays(path: Path, arrays: Mapping[str, np.ndarray]) -> str:
    """Write ``arrays`` as an ``.npz`` whose bytes depend only on the arrays; return its sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name in sorted(arrays):
            blob = io.BytesIO()
            np.lib.format.write_array(blob, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, blob.getvalue(), compresslevel=9)
    path.write_bytes(buffer.getvalue())
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def manifest() -> dict[str, Any]:
    """The recorded provenance and hashes of the prepared data (``data/MANIFEST.json``)."""
    if not MANIFEST.is_file():
        raise DataMissing(f"{MANIFEST} is missing; run `orchestria train prepare` (needs the data extra).")
    return json.loads(MANIFEST.read_text())


@lru_cache(maxsize=8)
def load(name: str) -> dict[str, np.ndarray]:
    """The arrays of dataset ``name`` (chorales, folk, essen, drums), checked against the manifest."""
    if name not in DATASETS:
        raise NotFound("dataset", name, DATASETS)
    path = DATA_DIR / DATASETS[name]
    if not path.is_file():
        raise DataMissing(f"{path} is missing; run `orchestria train prepare`.")
    recorded = manifest()["files"][DATASETS[name]]["sha256"]
    actual = file_sha256(path)
    if actual != recorded:
        raise DataMissing(f"{path} has sha256 {actual[:12]}..., but the manifest records "
                          f"{recorded[:12]}...; run `orchestria train prepare` again.")
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def data_hash(*names: str) -> str:
    """A short hash of the named datasets (recorded in every checkpoint)."""
    files = manifest()["files"]
    joined = "".join(files[DATASETS[n]]["sha256"] for n in sorted(names))
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


def pieces(arrays: Mapping[str, np.ndarray], key: str, offsets: str = "offsets") -> list[np.ndarray]:
    """Split a concatenated array into its per-piece sequences."""
    off = arrays[offsets]
    return [arrays[key][off[i]:off[i + 1]] for i in range(len(off) - 1)]


def split_of(name: str) -> str:
    """Deterministic train/valid/test split of a piece by its name (85/5/10 %).

    >>> sorted(Counter(split_of(f"piece{i}") for i in range(1000)).items())
    [('test', 92), ('train', 860), ('valid', 48)]
    """
    bucket = int(hashlib.sha1(name.encode()).hexdigest()[:8], 16) % 100
    return "test" if bucket < 10 else "valid" if bucket < 15 else "train"


# --- encoding lines --------------------------------------------------------------------------
def encode_line(notes: np.ndarray, n_steps: int, *, keep: str = "high") -> np.ndarray:
    """Grid tokens of a monophonic line from ``(pitch, start, end)`` rows in steps.

    Of notes starting together the highest (``keep="high"``) or lowest is kept; a note is cut
    where the next one starts.

    >>> encode_line(np.array([[60, 0, 2], [64, 2, 3], [67, 4, 8]]), 8).tolist()
    [41, 1, 45, 0, 48, 1, 1, 1]
    """
    tokens = np.full(n_steps, REST, dtype=np.uint8)
    if len(notes) == 0:
        return tokens
    order = np.lexsort((notes[:, 0] if keep == "low" else -notes[:, 0], notes[:, 1]))
    notes = notes[order]
    starts = notes[:, 1]
    first = np.r_[True, starts[1:] != starts[:-1]]
    notes = notes[first]
    for i, (pitch, start, end) in enumerate(notes):
        stop = min(end, notes[i + 1, 1]) if i + 1 < len(notes) else end
        start, stop = int(start), int(min(stop, n_steps))
        if start >= n_steps or stop <= start:
            continue
        tokens[start] = pitch_token(int(pitch))
        tokens[start + 1:stop] = HOLD
    return tokens


# --- preparation (music21, lazily) ----------------------------------------------------------
def _music21():
    try:
        import music21
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise OrchestriaError(
            "Preparing the corpora needs music21: install the data extra (pip install -e '.[data]')."
        ) from exc
    return music21


def _line_notes(part, shift: float, *, keep: str) -> np.ndarray:
    rows = []
    for n in part.stripTies().flatten().notes:
        ql = float(n.duration.quarterLength)
        if ql <= 0:
            continue
        pitches = [p.midi for p in n.pitches]
        pitch = max(pitches) if keep == "high" else min(pitches)
        start = round((float(n.offset) + shift) * STEPS_PER_BEAT)
        end = max(start + 1, round((float(n.offset) + ql + shift) * STEPS_PER_BEAT))
        rows.append((pitch, start, end))
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def _bar_shift(part, bar_ql: float) -> float:
    """Quarter lengths to add so that bar lines fall on multiples of the bar (pickups)."""
    residues = Counter(round(float(m.offset) % bar_ql, 4) for m in part.getElementsByClass("Measure")[1:])
    residue = residues.most_common(1)[0][0] if residues else 0.0
    return (-residue) % bar_ql


def _meter(score) -> str | None:
    music21 = _music21()
    found = {ts.ratioString for ts in score.recurse().getElementsByClass(music21.meter.TimeSignature)}
    if len(found) != 1:
        return None
    ts = found.pop()
    try:
        steps_per_bar(ts)
    except OrchestriaError:
        return None
    return ts


def _frame(notes: np.ndarray, ts: str) -> tuple[int, int, int] | None:
    if ts not in METERS[:-1]:  # e.g. 4/8 or 8/4: not a meter the models know by name
        return None
    spb = steps_per_bar(ts)
    if len(notes) == 0 or notes[:, 0].min() < PITCH_LOW or notes[:, 0].max() > PITCH_HIGH:
        return None
    n_bars = min(MAX_BARS, -(-int(notes[:, 2].max()) // spb))
    if n_bars < MIN_BARS:
        return None
    slots = chord_slots(ts)
    return n_bars, spb, slots


def _trim(piece: dict[str, Any], spb: int, slots: int, parts: tuple[str, ...]) -> dict[str, Any] | None:
    """Drop leading bars whose downbeat is silent (pickups) and fill unlabelled chord slots."""
    melody = piece["melody"]
    downbeats = np.flatnonzero(melody[::spb] != REST)
    if len(downbeats) == 0 or len(melody) // spb - downbeats[0] < MIN_BARS:
        return None
    first = int(downbeats[0])
    for part in parts:
        tokens = piece[part]
        cut = first * spb
        if cut and tokens[cut] == HOLD:  # a note tied over the cut starts again here
            onset = cut - 1
            while tokens[onset] == HOLD:
                onset -= 1
            tokens = tokens.copy()
            tokens[cut] = tokens[onset]
        piece[part] = tokens[cut:]
    chords = piece["chords"][first * slots:].copy()
    known = np.flatnonzero(chords != NO_CHORD)
    if len(known) == 0:
        return None
    chords[:known[0]] = chords[known[0]]
    for i in range(1, len(chords)):
        if chords[i] == NO_CHORD:
            chords[i] = chords[i - 1]
    piece["chords"] = chords
    return piece


def _chorale(path: str) -> dict[str, Any] | None:
    music21 = _music21()
    score = music21.converter.parse(path)
    ts = _meter(score)
    if ts is None:
        return None
    voices = [p for p in score.parts if any(v in (p.partName or "") for v in ("Soprano", "Alto", "Tenor", "Bass"))]
    if len(voices) != 4:
        voices = list(score.parts)
    if len(voices) < 4:
        return None
    means = [np.mean([p.midi for n in v.flatten().notes for p in n.pitches] or [0]) for v in voices]
    soprano, bass = voices[int(np.argmax(means))], voices[int(np.argmin(means))]
    bar_ql = steps_per_bar(ts) / STEPS_PER_BEAT
    shift = _bar_shift(soprano, bar_ql)
    top = _line_notes(soprano, shift, keep="high")
    low = _line_notes(bass, shift, keep="low")
    everything = np.concatenate([_line_notes(v, shift, keep="high") for v in voices])
    frame = _frame(everything, ts)
    if frame is None or len(low) == 0:
        return None
    n_bars, spb, slots = frame
    key = score.analyze("key")
    mode = "minor" if key.mode in ("minor", "dorian", "phrygian") else "major"
    levels = metric_levels(ts)
    beat = int(np.flatnonzero(levels <= 1)[1]) if (levels <= 1).sum() > 1 else spb // slots
    chords = label_chords(everything, n_slots=n_bars * slots, slot_steps=spb // slots, levels=levels,
                          tonic=key.tonic.pitchClass, mode=mode, window=beat)
    piece = {
        "name": "bach/" + Path(path).stem, "tonic": key.tonic.pitchClass, "mode": mode, "meter": ts,
        "melody": encode_line(top, n_bars * spb, keep="high"),
        "bass": encode_line(low, n_bars * spb, keep="low"), "chords": chords,
    }
    return _trim(piece, spb, slots, ("melody", "bass"))


def _folk_file(item: tuple[str, str]) -> list[dict[str, Any]]:
    collection, path = item
    music21 = _music21()
    try:
        parsed = music21.converter.parse(path)
    except Exception:  # noqa: BLE001 - a few ABC files in the collections do not parse
        return []
    scores = list(parsed.scores) if hasattr(parsed, "scores") else [parsed]
    out = []
    for i, score in enumerate(scores):
        try:
            piece = _folk_tune(score)
        except Exception:  # noqa: BLE001 - skip one malformed tune, keep the collection
            piece = None
        if piece is not None:
            number = getattr(score.metadata, "number", None) or i
            piece["name"] = f"{collection}/{Path(path).stem}/{number}/{i}"
            out.append(piece)
    return out


def _folk_tune(score) -> dict[str, Any] | None:
    ts = _meter(score)
    if ts is None:
        return None
    part = score.parts[0] if score.parts else score
    bar_ql = steps_per_bar(ts) / STEPS_PER_BEAT
    notes = _line_notes(part, _bar_shift(part, bar_ql), keep="high")
    frame = _frame(notes, ts)
    if frame is None:
        return None
    n_bars, spb, slots = frame
    profile = np.bincount(notes[:, 0] % 12, weights=notes[:, 2] - notes[:, 1], minlength=12)
    tonic, mode = find_key(profile, final_pc=int(notes[-1, 0]) % 12)
    chords = label_chords(notes, n_slots=n_bars * slots, slot_steps=spb // slots,
                          levels=metric_levels(ts), tonic=tonic, mode=mode, folk=True)
    piece = {"tonic": tonic, "mode": mode, "meter": ts,
             "melody": encode_line(notes, n_bars * spb, keep="high"), "chords": chords}
    return _trim(piece, spb, slots, ("melody",))


def _pack(found: list[dict[str, Any]], parts: tuple[str, ...]) -> dict[str, np.ndarray]:
    found = sorted(found, key=lambda p: p["name"])
    arrays: dict[str, np.ndarray] = {
        "names": np.array([p["name"] for p in found]),
        "tonic": np.array([p["tonic"] for p in found], dtype=np.uint8),
        "mode": np.array([p["mode"] == "minor" for p in found], dtype=np.uint8),
        "meter": np.array([meter_id(p["meter"]) for p in found], dtype=np.uint8),
        "offsets": np.cumsum([0] + [len(p[parts[0]]) for p in found]).astype(np.int64),
        "chord_offsets": np.cumsum([0] + [len(p["chords"]) for p in found]).astype(np.int64),
        "chords": np.concatenate([p["chords"] for p in found]).astype(np.uint8),
    }
    for part in parts:
        arrays[part] = np.concatenate([p[part] for p in found]).astype(np.uint8)
    return arrays


def melody_pairs(*sources: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Melody-to-harmony pairs of the pieces of ``sources`` (chorales: the soprano and the chords
    labelled from all four voices; folk: the tune and its melody-only harmonisation): per chord
    slot, the :func:`~orchestria_lab.models.features.melody_features` of the top line there,
    in ``melody`` ``(slots, 4)``, cut by ``offsets`` and found by ``names``.

    >>> pairs = melody_pairs(load("chorales"))
    >>> pairs["melody"].shape[1], int(pairs["offsets"][-1]) == len(load("chorales")["chords"])
    (4, True)
    """
    from orchestria_lab.models.features import melody_features

    names, rows = [], []
    for arrays in sources:
        tunes, slots = pieces(arrays, "melody"), pieces(arrays, "chords", "chord_offsets")
        for i, name in enumerate(arrays["names"]):
            meter = METERS[int(arrays["meter"][i])]
            feats = melody_features(tunes[i], meter=meter, tonic=int(arrays["tonic"][i]))
            if len(feats) != len(slots[i]):
                raise OrchestriaError(f"{name}: {len(feats)} slots of melody for {len(slots[i])} chords")
            names.append(str(name))
            rows.append(feats)
    return {"names": np.array(names), "melody": np.concatenate(rows).astype(np.uint8),
            "offsets": np.cumsum([0] + [len(r) for r in rows]).astype(np.int64)}


def prepare(
    *, only: tuple[str, ...] = tuple(DATASETS), workers: int = 2, limit: int | None = None, progress: bool = True
) -> dict[str, Any]:
    """Build ``data/corpus/*.npz`` from music21's corpus and the drum grids; update the manifest.

    ``only`` names the datasets to rebuild; ``limit`` caps the files read per collection (for a
    quick look). The drum set alone does not need music21. Returns the manifest.
    """
    unknown = set(only) - set(DATASETS)
    if unknown:
        raise NotFound("dataset", sorted(unknown)[0], DATASETS)
    datasets: dict[str, dict[str, np.ndarray]] = {}
    if "drums" in only:
        from orchestria_lab.models import drumset

        datasets["drums"] = drumset.to_arrays(drumset.read_all())
    if {"chorales", "folk", "essen"} & set(only):
        datasets.update(_prepare_corpora(only=only, workers=workers, limit=limit, progress=progress))
    record = json.loads(MANIFEST.read_text()) if MANIFEST.is_file() else {"files": {}}
    record = _record(record, datasets)
    derived = {name: melody_pairs(*(datasets[d] if d in datasets else load(d) for d in DERIVED[name]))
               for name in DERIVED if name in only or set(DERIVED[name]) & set(datasets)}
    return _record(record, derived)


def _record(record: dict[str, Any], datasets: Mapping[str, Mapping[str, np.ndarray]]) -> dict[str, Any]:
    """Write ``datasets``' array files and their entries in the manifest; return the manifest."""
    for name, arrays in datasets.items():
        rel = DATASETS[name]
        digest = save_arrays(DATA_DIR / rel, arrays)
        record["files"][rel] = {
            "sha256": digest, "bytes": (DATA_DIR / rel).stat().st_size,
            "pieces": int(len(arrays["names"])), "steps": int(arrays["offsets"][-1]),
            "source": SOURCES[name], "licence": dataset_licence(name),
            **({"music21": str(arrays["music21"])} if "music21" in arrays else {}),
            **({"from": {DATASETS[d]: record["files"][DATASETS[d]]["sha256"] for d in DERIVED[name]}}
               if name in DERIVED else {}),
        }
    record["meters"] = list(METERS)
    MANIFEST.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    load.cache_clear()
    return record


def _prepare_corpora(
    *, only: tuple[str, ...], workers: int, limit: int | None, progress: bool
) -> dict[str, dict[str, np.ndarray]]:
    import multiprocessing

    from tqdm.auto import tqdm

    music21 = _music21()
    corpus = music21.corpus
    chorale_paths = sorted(str(p) for p in corpus.getComposer("bach") if str(p).endswith(CHORALE_FORMATS))
    if limit is not None:
        chorale_paths = chorale_paths[:limit]

    out = {}
    with multiprocessing.get_context("spawn").Pool(max(1, workers)) as pool:
        if "chorales" in only:
            found = [p for p in tqdm(pool.imap(_chorale, chorale_paths), total=len(chorale_paths),
                                     desc="chorales", disable=not progress) if p is not None]
            out["chorales"] = _pack(found, ("melody", "bass"))
        for dataset in ("folk", "essen"):
            if dataset not in only:
                continue
            items = []
            for name in FOLK_COLLECTIONS[dataset]:
                paths = [str(p) for p in sorted(corpus.getComposer(name), key=str)
                         if str(p).endswith(".abc") and not Path(str(p)).stem.startswith("test")]
                items += [(name, p) for p in paths[:limit]]
            found = [p for batch in tqdm(pool.imap(_folk_file, items), total=len(items),
                                         desc=f"{dataset} collections", disable=not progress) for p in batch]
            out[dataset] = _pack(found, ("melody",))
    for arrays in out.values():
        arrays["music21"] = np.array(music21.__version__)
    return out


#: Where each dataset comes from (copied into the manifest, beside its licence).
SOURCES: dict[str, str] = {
    "chorales": "Bach chorales in music21's bundled corpus (corpus.getComposer('bach'), MusicXML): soprano and "
                "bass lines, chords labelled from all four voices by template matching, keys by music21's analysis.",
    "folk": "Folk melodies in music21's bundled corpus: Ryan's Mammoth Collection, O'Neill's 1850, Aird's Airs, "
            "miscFolk and the Nottingham sample. Keys from the final note and Krumhansl-Kessler profiles; chords "
            "are a melody-only harmonisation (diatonic triads, V, V7).",
    "essen": "The Essen Folksong Collection in music21's bundled corpus (Schaffrath; ABC by Seymour Schlien), "
             "prepared like the folk melodies. For research only: the default corpus leaves it out.",
    "drums": "Drum patterns written for Orchestria Lab as text grids in data/drums/ (see data/drums/README.md).",
    "pairs": "Melody-to-harmony pairs derived from corpus/chorales.npz and corpus/folk.npz (no music21, no Essen "
             "tune): per chord slot, the top line there (the chorale soprano, the folk tune) as the harmony model "
             "reads it: the note on each of the slot's first three beats (pitch class above the tonic, and "
             "whether it starts there) and the pitch class sounding longest. Chorale pairs are Bach's own "
             "harmony; folk pairs are the melody-only harmonisation of the folk arrays.",
}


def dataset_licence(name: str) -> str:
    """The terms of dataset ``name``, from the records of its collections (see ``licences``)."""
    used = collections_of(DERIVED.get(name, (name,)))
    if all(c.commercial for c in used):
        return ("No non-commercial restriction (the terms of " + ", ".join(f"`{c.name}`" for c in used) +
                " are quoted under Licences in data/README.md).")
    return ("NON-COMMERCIAL USE ONLY: the encodings are distributed for non-commercial use "
            f"({', '.join(c.licence_file for c in used if not c.commercial)}); the arrays, and any model "
            "trained on them, inherit that restriction.")
