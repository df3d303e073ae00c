"""``data/README.md``: where every data file and checkpoint comes from, its licence and hash.

It is rendered from ``data/MANIFEST.json`` and the checkpoint cards, so it cannot drift from
them: ``orchestria train prepare`` and ``orchestria train <part> --out data/checkpoints`` rewrite it.
"""

from __future__ import annotations

import json

from orchestria_lab.models.corpus import DATA_DIR, DATASETS, manifest
from orchestria_lab.models.licences import (
    ALLOW_ENV,
    COLLECTIONS,
    CORPORA,
    MUSIC21_TERMS,
    PROJECT_LICENCE,
)

_INTRO = """# Data

What the generator models learn from and the checkpoints they ship with: provenance, licence
and hash of every file. This file is written by `orchestria train prepare` and
`orchestria train <part> --out data/checkpoints` from `MANIFEST.json` and the checkpoint cards;
do not edit it.

Rebuild the token arrays with `orchestria train prepare` (needs the `data` extra, music21);
training, evaluation and tests read only these arrays, never music21.

The shipped checkpoints learn from the `default` corpus ({default}): data whose terms carry no
non-commercial restriction. The Essen Folksong Collection is distributed for non-commercial use
only; its arrays are kept apart in `corpus/essen.npz`, read only by the research corpus
(`orchestria train PART --corpus essen`: {essen}). A checkpoint trained on it says
`non-commercial` on its card and is not loaded unless `{allow}=1`.

## Token arrays (`corpus/`)

| file | pieces | tokens | bytes | sha256 |
|---|---|---|---|---|
"""

_FORMAT = """
Each `.npz` holds ragged sequences: a part's tokens concatenated over pieces (`melody`, `bass`
or `drums`), cut by `offsets`; chord slots in `chords`, cut by `chord_offsets`; per piece its
`names`, `tonic` (pitch class), `mode` (1 minor), `meter` (index in `meters` of the manifest)
and, for drums, `genre` (index in `genres`) and `combos` (the voices of each drum token).

- Grid: one token per 16th note. Pitched parts: 0 rest, 1 hold, 2.. onset of MIDI pitch
  21-108. Chords: one per bar or half bar (4/4, 2/2, 6/8, 12/8, 6/4, 4/2), key-relative like
  Roman numerals: a root 0-11 semitones above the tonic and one of ten qualities.
- Augmentation by transposition to all twelve keys happens at training time (and for the
  n-gram baseline), not on disk.
- Pieces go to train, valid or test (85/5/10 %) by a hash of their name.
- `corpus/pairs.npz` holds, per chord slot of every chorale and folk piece (found by `names`, cut
  by `offsets`), what the harmony model hears of the melody there, in `melody` (four columns):
  the note on each of the slot's first three beats (2 x its pitch class above the tonic, + 1 when it
  starts there; 24 rest, 25 no such beat) and the pitch class sounding longest (12: none).
"""


def render() -> str:
    """The README text for the current manifest and checkpoints."""
    files = manifest()["files"]
    lines = [_INTRO.format(default=", ".join(f"`{d}`" for d in CORPORA["default"]),
                           essen=", ".join(f"`{d}`" for d in CORPORA["essen"]), allow=ALLOW_ENV).rstrip("\n")]
    for rel in sorted(DATASETS.values()):
        if rel in files:
            f = files[rel]
            lines.append(f"| `{rel}` | {f['pieces']} | {f['steps']} | {f['bytes']} | `{f['sha256'][:16]}...` |")
    lines.append("\n### Sources and licences\n")
    for rel in sorted(DATASETS.values()):
        if rel in files:
            lines.append(f"- `{rel}`: {files[rel]['source']} Licence: {files[rel]['licence']}")
    lines += ["\n### Licences of the collections\n",
              "What each collection's licence file and its encodings say (music21's bundled corpus, "
              f"`music21/corpus/`{_version(files)}). Every music21 collection comes under {MUSIC21_TERMS} "
              "Only the Essen folder has a licence file of its own. \"No non-commercial restriction\" below means "
              "none is stated: apart from the drum grids, no collection carries an explicit open licence either; "
              "the music is in the public domain and the encodings come with music21 by their encoders' "
              "permission.", ""]
    lines += [f"- {c.describe()}" for c in COLLECTIONS]
    lines.append(_FORMAT)
    cards = sorted((DATA_DIR / "checkpoints").glob("*.json"))
    if cards:
        lines += ["## Checkpoints (`checkpoints/`)", "",
                  "Written by `orchestria train <part> --out data/checkpoints --force` (preset `full`, seed 0) "
                  "on the 2-core CPU machine; each `.pt` loads with `torch.load(weights_only=True)`.", "",
                  "| file | corpus | licence | parameters | bytes | epochs | training (s) | valid NLL | test NLL "
                  "| data hash | sha256 |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for card_path in cards:
            card = json.loads(card_path.read_text())
            pt = card_path.with_suffix(".pt")
            lines.append(f"| `{pt.name}` | {card.get('corpus', '?')} | {card.get('licence', 'unknown')} | "
                         f"{card['parameters']} | {pt.stat().st_size if pt.exists() else 'missing'} | "
                         f"{card['epochs']} | {card['seconds']} | {card['valid_nll']:.4f} | {card['test_nll']:.4f} | "
                         f"`{card['data_hash']}` | `{card['sha256'][:16]}...` |")
        lines += ["", "NLL: mean negative log-likelihood per token, in nats, on the named split of the "
                  f"checkpoint's corpus. Only a checkpoint licensed {PROJECT_LICENCE} is loaded by default."]
        for card_path in cards:
            card = json.loads(card_path.read_text())
            if card.get("conditioning"):
                lines.append(f"`{card_path.with_suffix('.pt').name}` hears {card['conditioning']}: test NLL "
                             f"{card['test_nll']:.4f} with it, {card['test_nll_unconditioned']:.4f} without.")
    return "\n".join(lines) + "\n"


def _version(files: dict) -> str:
    versions = sorted({f["music21"] for f in files.values() if "music21" in f})
    return f", music21 {', '.join(versions)}" if versions else ""


def write() -> None:
    (DATA_DIR / "README.md").write_text(render())
