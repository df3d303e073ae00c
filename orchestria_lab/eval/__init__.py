"""Evaluation: musical metrics (:mod:`~orchestria_lab.eval.metrics`) and the evaluation of the
generator models against their baselines (:mod:`~orchestria_lab.eval.models`,
``orchestria eval models``)."""
