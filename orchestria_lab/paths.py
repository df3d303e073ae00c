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


def database_url() -> str:
    """Which database holds the sessions: ``ORCHESTRIA_DATABASE_URL`` if set (``sqlite:///PATH`` or
    ``postgresql://...``), else ``sqlite:///`` and :func:`default_db_path`."""
    return os.environ.get("ORCHESTRIA_DATABASE_URL") or f"sqlite:///{default_db_path()}"


def default_db_path() -> Path:
    """The SQLite session store: the path of ``ORCHESTRIA_DATABASE_URL`` when that is ``sqlite:///PATH``,
    else ``ORCHESTRIA_DB`` if set, else ``./orchestria.db``."""
    url = os.environ.get("ORCHESTRIA_DATABASE_URL") or ""
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///"):])
    return Path(os.environ.get("ORCHESTRIA_DB") or "orchestria.db")


def data_dir() -> Path:
    """Caches and exports: ``ORCHESTRIA_DATA_DIR`` if set, else ``./.orchestria/``."""
    return Path(os.environ.get("ORCHESTRIA_DATA_DIR") or ".orchestria")
