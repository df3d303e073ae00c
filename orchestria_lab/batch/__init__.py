"""Batch work: many sessions, command suites or model evaluations, serially or on Ray.

:func:`run_batch` runs a batch file of sessions (``orchestria batch run FILE --out DIR``);
:func:`run_tasks` is the runner beneath it, which ``eval`` uses too
(:func:`~orchestria_lab.eval.commands.run_suite` and
:func:`~orchestria_lab.eval.models.evaluate_models` take ``engine=``). Ray is optional
(``pip install 'orchestria-lab[scale]'``): without it, ``engine="auto"`` runs serially, in
this process, with the same results.
"""

from orchestria_lab.batch.runner import ENGINES, Outcome, RayUnavailable, ray_for_job, run_tasks
from orchestria_lab.batch.sessions import RESULT_COLUMNS, BatchItem, load_items, run_batch

__all__ = ["ENGINES", "RESULT_COLUMNS", "BatchItem", "Outcome", "RayUnavailable", "load_items", "ray_for_job",
           "run_batch", "run_tasks"]
