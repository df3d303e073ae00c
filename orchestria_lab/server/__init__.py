"""The REST shim: the API preview over the same sessions as the library.

``create_app()`` builds the FastAPI app; ``orchestria serve`` runs it with uvicorn;
``orchestria keys create --account NAME`` makes keys. Services (keys, limits, downloads)
hold the little logic the HTTP layer needs; everything else is ``session/``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Lazy, so that the client can import server.errors without loading FastAPI.
    if name == "create_app":
        from orchestria_lab.server.app import create_app

        return create_app
    raise AttributeError(f"module 'orchestria_lab.server' has no attribute {name!r}")
