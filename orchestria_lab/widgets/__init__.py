"""JupyterLab front-end: matplotlib views (``plots``) and the ipywidgets Studio."""

from orchestria_lab.widgets import plots

__all__ = ["plots"]
