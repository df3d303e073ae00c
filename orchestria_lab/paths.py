"""Where things live on disk, read from the environment at call time.

A leaf module, so every layer (``audio/`` included) can ask without importing ``session/``.

>>> import os
>>> os.environ["ORCHESTRIA_DATA_DIR"] = "/tmp/orchestria-doc"
>>> str(data_dir())
'/tmp/orchestria-doc'
>>> del os.environ["ORCHESTRIA_DATA_DIR"]
"""

from __future__ import annotations

import os
from pathlib import Path


def default_db_path() -> Path:
    """The session store: ``ORCHESTRIA_DB`` if set, else ``./orchestria.db``."""
    return Path(os.environ.get("ORCHESTRIA_DB") or "orchestria.db")


def data_dir() -> Path:
    """Caches and exports: ``ORCHESTRIA_DATA_DIR`` if set, else ``./.orchestria/``."""
    return Path(os.environ.get("ORCHESTRIA_DATA_DIR") or ".orchestria")
