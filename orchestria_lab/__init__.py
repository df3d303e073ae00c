"""Orchestria Lab: AI music production by an orchestra of agents.

>>> import orchestria_lab as ol
>>> ol.__version__
'0.1.0'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    import pandas as pd

from orchestria_lab.session import Session

__all__ = ["Session", "__version__", "list_agents"]


def list_agents() -> pd.DataFrame:
    """The registered agents as a table: name, description, capabilities, parameters, status, backend, licence."""
    from orchestria_lab.agents.registry import agents_table

    return agents_table()


def __getattr__(name: str) -> Any:
    if name == "Studio":
        from orchestria_lab.widgets import Studio

        return Studio
    raise AttributeError(f"module 'orchestria_lab' has no attribute {name!r}")
