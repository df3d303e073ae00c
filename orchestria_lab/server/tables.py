"""The server's own tables, kept beside the sessions through the service store.

Keys, limits and exports live in the sessions' database (SQLite or PostgreSQL) so that several
server processes on it share them. The SQL is the service store's
(:mod:`orchestria_lab.session.service`); the server only asks for the tables to be there.

>>> import tempfile, os
>>> from orchestria_lab.session.store import SQLiteStore
>>> store = SQLiteStore(os.path.join(tempfile.mkdtemp(), "t.db"))
>>> ensure_tables(store).migrate()  # made once; asking again changes nothing
(1, 1)
"""

from __future__ import annotations

from typing import Any

from orchestria_lab.session.service import SERVICE_TABLES, ServiceStore, service_store

SERVER_TABLES = SERVICE_TABLES

__all__ = ["SERVER_TABLES", "ensure_tables"]


def ensure_tables(store: Any) -> ServiceStore:
    """The service store of ``store``, its tables made if they are missing (idempotent, safe from
    many processes)."""
    return service_store(store)
