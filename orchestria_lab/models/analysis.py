"""Music analysis used to label the corpora: key finding and chord labelling by templates.

Pure numpy, so it is tested without music21. Notes are ``(pitch, start, end)`` rows in grid
steps. Keys come from Krumhansl-Kessler profile correlation (folk tunes, which end on their
tonic, prefer the final note); chords from template matching in the manner of Pardo and
Birmingham (2002): matched weight, minus unmatched weight, minus a penalty per missing tone.

>>> from orchestria_lab.models.tokens import roman
>>> notes = np.array([[60, 0, 8], [64, 0, 8], [67, 0, 8], [65, 8, 16], [69, 8, 16], [72, 8, 16]])
>>> tokens = label_chords(notes, n_slots=2, slot_steps=8, levels=np.zeros(16, int), tonic=0, mode="major")
>>> [roman(int(t)) for t in tokens]
['I', 'IV']
>>> find_key(np.bincount(np.array([0, 2, 4, 5, 7, 9, 11, 0, 4, 7]), minlength=12).astype(float))
(0, 'major')
"""

from __future__ import annotations

import numpy as np

from orchestria_lab.models.tokens import NO_CHORD, QUALITIES, QUALITY_NAMES, chord_token
from orchestria_lab.music.theory import MODES

#: Krumhansl-Kessler probe-tone profiles (Krumhansl 1990), tonic first.
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def key_scores(profile: np.ndarray) -> np.ndarray:
    """Correlation of a pitch-class profile with every major (row 0) and minor (row 1) key."""
    profile = np.asarray(profile, dtype=float)
    out = np.zeros((2, 12))
    for row, template in enumerate((KK_MAJOR, KK_MINOR)):
        for tonic in range(12):
            rotated = np.roll(template, tonic)
            out[row, tonic] = np.corrcoef(profile, rotated)[0, 1] if profile.std() > 0 else 0.0
    return out


def find_key(profile: np.ndarray, *, final_pc: int | None = None) -> tuple[int, str]:
    """``(tonic pitch class, "major" | "minor")`` of a duration-weighted pitch-class profile.

    With ``final_pc`` (the last melody note) the tonic is that note when it is among the three
    best-fitting tonics, as folk tunes end on the tonic; the mode then follows the third.
    """
    scores = key_scores(profile)
    best_per_tonic = scores.max(axis=0)
    if final_pc is not None and best_per_tonic[final_pc] >= np.sort(best_per_tonic)[-3]:
        tonic = int(final_pc)
        minor = profile[(tonic + 3) % 12] > profile[(tonic + 4) % 12]
        return tonic, "minor" if minor else "major"
    mode_row, tonic = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return int(tonic), ("major", "minor")[int(mode_row)]


def _templates() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    roots, quals, masks = [], [], []
    for root in range(12):
        for q, (_, intervals) in enumerate(QUALITIES):
            mask = np.zeros(12, dtype=bool)
            mask[[(root + i) % 12 for i in intervals]] = True
            roots.append(root)
            quals.append(q)
            masks.append(mask)
    return np.array(roots), np.array(quals), np.array(masks)


_ROOTS, _QUALS, _MASKS = _templates()
_EXTRA_TONES = _MASKS.sum(axis=1) - 3
#: How much a sounding note counts at each metric level (downbeat, beat, eighth, 16th); the
#: first step of a slot counts 2. Sampling on the beat keeps passing notes from making sevenths.
_STEP_WEIGHTS = np.array([1.0, 1.0, 0.3, 0.15])


def folk_candidates(mode: str) -> list[tuple[int, str]]:
    """The chords a folk tune is harmonised with: diatonic triads (no diminished), V and V7."""
    scale = MODES["minor" if mode == "minor" else "major"]
    out = []
    for i, degree in enumerate(scale):
        third = (scale[(i + 2) % 7] - degree) % 12
        fifth = (scale[(i + 4) % 7] - degree) % 12
        if fifth == 7:
            out.append((degree, "" if third == 4 else "m"))
    out += [(7, ""), (7, "7")]
    return sorted(set(out))


#: Folk-harmonisation preference for the primary chords (fraction of the slot's weight).
_FOLK_PRIOR = {(0, ""): 0.15, (0, "m"): 0.15, (7, ""): 0.12, (7, "7"): 0.06, (5, ""): 0.1, (5, "m"): 0.1}


def label_chords(
    notes: np.ndarray,
    *,
    n_slots: int,
    slot_steps: int,
    levels: np.ndarray,
    tonic: int,
    mode: str,
    folk: bool = False,
    window: int | None = None,
) -> np.ndarray:
    """Key-relative chord token for each of ``n_slots`` consecutive slots of ``slot_steps`` steps.

    ``notes`` holds ``(pitch, start, end)`` rows in steps; ``levels`` the metric level of each
    step of a bar: a note counts by the steps it sounds, weighted by their level. ``folk=True`` restricts the labels to
    :func:`folk_candidates` with a preference for I, IV and V, and keeps the previous chord
    while it fits nearly as well (melody-only harmonisation). A slot without notes repeats
    the previous chord (``NO_CHORD`` at the very start). ``window`` limits the notes heard to
    the first steps of each slot: chorales change harmony on every beat, so their slot chord
    is the one on the slot's first beat.
    """
    notes = np.asarray(notes, dtype=float).reshape(-1, 3)
    levels = np.asarray(levels)
    weights = np.zeros((n_slots, 12))
    bass = np.full(n_slots, -1)
    for s in range(n_slots):
        a = s * slot_steps
        b = a + min(slot_steps, window or slot_steps)
        step_weight = _STEP_WEIGHTS[levels[np.arange(a, b) % len(levels)]]
        step_weight[0] = 2.0
        cumulative = np.r_[0.0, np.cumsum(step_weight)]
        lo = np.clip(notes[:, 1], a, b).astype(int) - a
        hi = np.clip(notes[:, 2], a, b).astype(int) - a
        w = cumulative[hi] - cumulative[lo]
        inside = w > 0
        if not inside.any():
            continue
        np.add.at(weights[s], notes[inside, 0].astype(int) % 12, w[inside])
        sounding_at_start = (notes[:, 1] <= a) & (notes[:, 2] > a)
        if sounding_at_start.any():
            bass[s] = int(notes[sounding_at_start, 0].min()) % 12

    if folk:
        allowed = {(d, q) for d, q in folk_candidates(mode)}
        cand = np.array([((r - tonic) % 12, QUALITY_NAMES[q]) in allowed for r, q in zip(_ROOTS, _QUALS, strict=True)])
        prior = np.array([_FOLK_PRIOR.get(((r - tonic) % 12, QUALITY_NAMES[q]), 0.0) for r, q in zip(_ROOTS, _QUALS, strict=True)])
    else:
        cand = np.ones(len(_ROOTS), dtype=bool)
        scale = {(tonic + i) % 12 for i in MODES["minor" if mode == "minor" else "major"]}
        prior = np.array([0.05 if all(pc in scale for pc in np.flatnonzero(m)) else 0.0 for m in _MASKS])

    out = np.full(n_slots, NO_CHORD, dtype=np.int64)
    previous = -1
    for s in range(n_slots):
        w = weights[s]
        total = w.sum()
        if total <= 0:
            out[s] = out[s - 1] if s else NO_CHORD
            continue
        present = w > 0
        unit = total / present.sum()
        matched = _MASKS @ w
        missing = (_MASKS & ~present).sum(axis=1)
        score = matched - (total - matched) - unit * (0.5 * missing + 0.25 * _EXTRA_TONES) + prior * total
        if bass[s] >= 0:
            score += 0.1 * unit * (_ROOTS == bass[s])
        score = np.where(cand, score, -np.inf)
        best = int(np.argmax(score))
        if folk and previous >= 0 and score[previous] >= score[best] - 0.1 * total:
            best = previous
        previous = best
        out[s] = chord_token((_ROOTS[best] - tonic) % 12, int(_QUALS[best]))
    return out
