"""The terms each training collection comes under, and the licence of a checkpoint trained on them.

One record per collection: which array file it goes into, which file states its terms, what
that file and the encodings themselves say, and whether that allows commercial use. A
checkpoint's card takes its ``licence`` from the collections it learnt from: ``Apache-2.0``
when none restricts commercial use, else ``non-commercial``. A non-commercial checkpoint is
never loaded unless asked for: ``ORCHESTRIA_ALLOW_NONCOMMERCIAL=1`` in the environment, or
``load_checkpoint(path, allow_noncommercial=True)``. This module imports neither torch nor music21.

>>> checkpoint_licence(("chorales", "folk"))["licence"]
'Apache-2.0'
>>> checkpoint_licence(("chorales", "folk", "essen"))["licence"]
'non-commercial'
>>> CORPORA["essen"]
('chorales', 'drums', 'essen', 'folk')
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestria_lab.errors import InvalidValue, OrchestriaError

#: The project's licence: the only one a checkpoint may carry to be loaded by default.
PROJECT_LICENCE = "Apache-2.0"
NON_COMMERCIAL = "non-commercial"
#: Set to 1 to let the generators and ``load_checkpoint`` use non-commercial checkpoints (research).
ALLOW_ENV = "ORCHESTRIA_ALLOW_NONCOMMERCIAL"

#: What music21's corpus/license.txt says of every collection without a licence file of its own.
MUSIC21_TERMS = (
    "music21's corpus/license.txt: the encodings \"are distributed with the permission of the encoders\"; "
    "\"Some encodings included in the corpus may not be used for commercial uses or have other restrictions: "
    "please see the licenses embedded in individual compositions or directories for more details.\""
)


@dataclass(frozen=True)
class Collection:
    """A collection of pieces the models learn from and the terms it comes under."""

    name: str  #: music21's name (``corpus.getComposer(name)``), or ``drums``
    title: str
    dataset: str  #: the array file it is prepared into (``corpus.DATASETS``)
    licence_file: str  #: the file that states its terms
    terms: str  #: what that file and the encodings say
    commercial: bool  #: whether the terms allow commercial use

    def describe(self) -> str:
        use = "no non-commercial restriction" if self.commercial else "NON-COMMERCIAL USE ONLY"
        return f"**{self.title}** (`{self.name}`, into `{self.dataset}`; {use}). {self.terms}"


COLLECTIONS: tuple[Collection, ...] = (
    Collection(
        "bach", "Bach chorales", "chorales", "music21/corpus/license.txt",
        "The bach folder has no licence file of its own. 361 of its 408 MusicXML files credit "
        "\"PDF © 2004 Margaret Greentree\" (a few add \"used by permission\"), with no terms; none has a "
        "`<rights>` element. Its three Humdrum files (bwv277, bwv281, bwv366 .krn) say \"Copyright 1994, "
        "Center for Computer Assisted Research in the Humanities ... Rights to all derivative electronic "
        "formats reserved. Refer to licensing agreement for further details.\": they are left out (the "
        "same three chorales are read from their MusicXML files).", True),
    Collection(
        "ryansMammoth", "Ryan's Mammoth Collection (1883)", "folk", "music21/corpus/license.txt",
        "The folder has no licence file, and none of its 1,059 ABC files states terms; their "
        "Z: lines credit the transcribers (Ray Davies, Bob Puckette, John Walsh and others).", True),
    Collection(
        "oneills1850", "O'Neill's Music of Ireland (1850 tunes)", "folk", "music21/corpus/license.txt",
        "The folder has no licence file, and none of its 39 ABC files states terms; their Z: "
        "lines credit the transcribers (Henrik Norbeck, Bob Safranek, Trish O'Neil, \"1997 by John "
        "Chambers\" and others).", True),
    Collection(
        "airdsAirs", "Aird's Selection of Scotch, English, Irish and Foreign Airs", "folk",
        "music21/corpus/license.txt",
        "The folder has no licence file, and none of its 6 ABC files states terms; the tunes "
        "credit \"Jack Campin * www.campin.me.uk * 2009\".", True),
    Collection(
        "miscFolk", "American fife music and Northumbrian Minstrelsy", "folk", "music21/corpus/license.txt",
        "Not named in issue 15 but in the same position as Aird's Airs (same encoder): the "
        "folder has no licence file, and its 2 ABC files state no terms; they credit Jack Campin (2000, "
        "2007).", True),
    Collection(
        "nottingham-dataset", "Nottingham Music Database (sample)", "folk", "music21/corpus/license.txt",
        "The folder has no licence file; its one ABC file (reels A-C) says \"% Nottingham "
        "Music Database\" and states no terms.", True),
    Collection(
        "essenFolksong", "Essen Folksong Collection", "essen", "music21/corpus/essenFolksong/license.txt",
        "Its licence file: \"The legal status of the Essen folksong database is unclear, as the data has been "
        "input by many people. Original encoding was completed under the supervision of Helmut Schaffrath. "
        "The project was taken over by Prof. AMU Dr. Habil. Ewa Dahlig-Turek, who has given permission for "
        "non-commercial distribution and use of these files in music21. ... The files distributed with music21 "
        "are ABC encodings, created by Seymour Schlien, and distributed with music21 by his permission.\" "
        "The arrays and any model trained on them inherit the non-commercial restriction.", False),
    Collection(
        "drums", "Orchestria drum grids", "drums", "data/drums/README.md",
        "Written for Orchestria Lab as text grids; \"Licence: Apache-2.0, like the rest of the project.\"", True),
)
BY_NAME = {c.name: c for c in COLLECTIONS}

#: Training corpora by name: the datasets a model may learn from. ``default`` is what the
#: shipped checkpoints learn from; ``essen`` adds the Essen tunes, for research only.
CORPORA: dict[str, tuple[str, ...]] = {
    "default": tuple(sorted({c.dataset for c in COLLECTIONS if c.commercial})),
    "essen": tuple(sorted({c.dataset for c in COLLECTIONS})),
}


class NonCommercialCheckpoint(OrchestriaError):
    """A checkpoint whose licence is not the project's was about to be used without the opt-in."""

    code = "noncommercial_checkpoint"
    status = 403


def corpus_datasets(corpus: str) -> tuple[str, ...]:
    """The datasets of training corpus ``corpus`` (``default`` or ``essen``)."""
    if corpus not in CORPORA:
        raise InvalidValue("corpus", corpus, "one of " + ", ".join(CORPORA))
    return CORPORA[corpus]


def collections_of(datasets: tuple[str, ...] | list[str]) -> list[Collection]:
    return [c for c in COLLECTIONS if c.dataset in datasets]


def checkpoint_licence(datasets: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The ``licence``, ``licence_note`` and ``collections`` a card of a model trained on ``datasets`` carries."""
    used = collections_of(datasets)
    restricted = [c for c in used if not c.commercial]
    if restricted:
        note = ("For research and other non-commercial use only: trained on " +
                ", ".join(f"{c.title} ({c.licence_file})" for c in restricted) +
                f", distributed for non-commercial use only. Not loaded unless {ALLOW_ENV}=1.")
    else:
        note = "Weights under the project's licence; trained only on data whose terms carry no " \
               "non-commercial restriction (see data/README.md)."
    return {"licence": NON_COMMERCIAL if restricted else PROJECT_LICENCE, "licence_note": note,
            "collections": [c.name for c in used]}


def card_of(checkpoint: Path) -> dict[str, Any] | None:
    """The JSON card beside ``checkpoint`` (``<part>.json``), or None when there is none."""
    card = Path(checkpoint).with_suffix(".json")
    return json.loads(card.read_text()) if card.is_file() else None


def refusal(checkpoint: Path, *, allow_noncommercial: bool | None = None) -> str | None:
    """Why ``checkpoint`` may not be used by default, or None when it may.

    It may when its card carries the project's licence, or when the caller opted in
    (``allow_noncommercial=True``, or ``ORCHESTRIA_ALLOW_NONCOMMERCIAL=1`` when not given).
    """
    if allow_noncommercial is None:
        allow_noncommercial = os.environ.get(ALLOW_ENV, "").strip().lower() in ("1", "true", "yes")
    if allow_noncommercial:
        return None
    card = card_of(checkpoint)
    if card is None:
        licence, note = "unknown", f"it has no card ({Path(checkpoint).with_suffix('.json').name}) saying its licence"
    else:
        licence = card.get("licence", "unknown")
        note = card.get("licence_note") or "its card records no licence"
    if licence == PROJECT_LICENCE:
        return None
    return (f"{checkpoint} is not loaded by default: its licence is {licence!r}, not {PROJECT_LICENCE} ({note}). "
            f"For research, set {ALLOW_ENV}=1 (or pass allow_noncommercial=True to load_checkpoint).")


def check(checkpoint: Path, *, allow_noncommercial: bool | None = None) -> None:
    """Raise :class:`NonCommercialCheckpoint` when ``checkpoint`` may not be used (see :func:`refusal`)."""
    reason = refusal(checkpoint, allow_noncommercial=allow_noncommercial)
    if reason is not None:
        raise NonCommercialCheckpoint(reason, checkpoint=str(checkpoint), opt_in=ALLOW_ENV)
