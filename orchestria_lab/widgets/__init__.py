"""JupyterLab front-end: matplotlib views (``plots``), rich display (``display``) and the Studio.

``Studio`` is imported on first use, so ``session.plot`` and the display hook do not load
ipywidgets.
"""

from __future__ import annotations

from typing import Any

from orchestria_lab.widgets import plots

__all__ = ["Studio", "plots"]


def __getattr__(name: str) -> Any:
    if name == "Studio":
        from orchestria_lab.widgets.studio import Studio

        return Studio
    raise AttributeError(f"module 'orchestria_lab.widgets' has no attribute {name!r}")
