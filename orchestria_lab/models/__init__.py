"""Torch sequence models of the generator agents, their corpora, training and checkpoints.

- ``generate``: the backend the harmony, melody, bass and drums agents call;
- ``corpus`` / ``drumset``: token arrays prepared from music21's corpus and ``data/drums``;
- ``tokens``, ``features``, ``datasets``: vocabularies, conditioning and training examples;
- ``network``, ``train``, ``sampling``: the conditioned GRU, its training and decoding;
- ``ngram``: the Kneser-Ney baseline every model is measured against.

Nothing here imports music21 at import time; only ``orchestria train prepare`` needs it.
"""
