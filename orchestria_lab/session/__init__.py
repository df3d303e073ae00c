"""Sessions, versions, history and the store."""

from orchestria_lab.session.session import Session, VersionView
from orchestria_lab.session.store import SQLiteStore, Store, VersionRecord, default_store

__all__ = ["SQLiteStore", "Session", "Store", "VersionRecord", "VersionView", "default_store"]
