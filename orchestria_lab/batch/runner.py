"""The batch runner: one task over many payloads, in this process or on Ray, with a progress bar.

:func:`run_tasks` calls ``task(payload, context)`` for every payload and returns one
:class:`Outcome` per payload, in their order. A task that raises fails only its own payload:
the outcome carries the error and the others go on. ``context`` is a dict that lives as
long as the process running the task, for what is worth keeping warm between payloads
(a setup cache, say); models and compiled kernels stay warm by themselves, since they are
cached per process.

Engines (:data:`ENGINES`):

- ``"serial"``: a plain loop in this process, the embedded default.
- ``"ray"``: a pool of Ray actors, one per CPU of the cluster (or ``workers``), each payload
  one actor task, at most :data:`IN_FLIGHT` queued per actor. The actors live for the whole
  run, so each loads models and compiles kernels once. Ray is the one already initialised
  in this process if there is one; else the cluster at ``address``; else a local Ray
  started for the run and shut down after it (:func:`ray_for_job`).
- ``"auto"``: ``"ray"`` when Ray is installed, else ``"serial"`` with a warning that says so.

Why actors and not Ray Data's ``map_batches``: payloads are nested, mixed-type values and
results carry lists, dicts and Python objects, none of which fit one Arrow schema; each
payload is seconds of Python work, so blocks buy nothing; and Ray Data's executor added
about 6 s to a four-item run on this machine against under 1 s for the actors. A pool of
plain actors is Ray's own pattern for "keep state warm, send it work" and needs nothing else.
``ray.util.ActorPool`` is not used because a task whose actor dies loses its payload's index
there; here it is reported as that payload's error (the actor restarts and takes more).

Both engines give the same outcomes for deterministic tasks; only ``seconds`` differ.

>>> def square(x, context):
...     if x < 0:
...         raise InvalidValue("x", x, "a number from 0 up")
...     return x * x
>>> [(o.value, o.error) for o in run_tasks(square, [3, -1, 2], engine="serial", progress=False)]
[(9, None), (None, 'InvalidValue: x=-1 is not valid: expected a number from 0 up.'), (4, None)]
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from orchestria_lab.errors import InvalidValue, OrchestriaError

__all__ = ["ENGINES", "IN_FLIGHT", "Outcome", "RayUnavailable", "ray_for_job", "resolve_engine", "run_tasks"]

#: ``auto`` (Ray when installed, else serial), ``ray`` or ``serial``.
ENGINES = ("auto", "ray", "serial")
#: Payloads queued on each actor at once: the next one is waiting when the last one ends.
IN_FLIGHT = 2
#: Environment variables sent to every actor: the toolkit's settings, so that workers on a
#: cluster make what this process would (limits, licences, SoundFont, data folder).
FORWARDED_ENV_PREFIX = "ORCHESTRIA_"
#: ... but not credentials, which stay on this machine (batch items keep their own stores).
NOT_FORWARDED = frozenset({"ORCHESTRIA_API_KEY", "ORCHESTRIA_SECRET", "ORCHESTRIA_SECRET_FILE",
                           "ORCHESTRIA_DATABASE_URL"})
INSTALL_HINT = "pip install 'orchestria-lab[scale]'"

Task = Callable[[Any, dict[str, Any]], Any]
log = logging.getLogger("orchestria_lab.batch")


class RayUnavailable(OrchestriaError):
    """Ray was asked for (``engine="ray"`` or an address) but is not installed."""

    code = "ray_unavailable"
    status = 501


@dataclass(frozen=True)
class Outcome:
    """What one payload gave: the task's ``value``, or ``error`` (``"Type: message"``), and the
    ``seconds`` the task ran where it ran."""

    value: Any
    error: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.error is None


def _describe(exc: BaseException) -> str:
    notes = getattr(exc, "__notes__", None)
    return f"{type(exc).__name__}: {exc}" + (f" ({'; '.join(notes)})" if notes else "")


def run_one(task: Task, payload: Any, context: dict[str, Any]) -> Outcome:
    """``task(payload, context)`` as an :class:`Outcome`; an exception becomes its error.

    A toolkit error is the payload's fault and says so itself; anything else is a bug, so its
    traceback also goes to stderr (on Ray, the driver's stderr).
    """
    start = time.perf_counter()
    try:
        value = task(payload, context)
    except Exception as exc:
        if not isinstance(exc, OrchestriaError):
            traceback.print_exc(file=sys.stderr)
        return Outcome(None, _describe(exc), time.perf_counter() - start)
    return Outcome(value, None, time.perf_counter() - start)


def ray_installed() -> bool:
    return importlib.util.find_spec("ray") is not None


def resolve_engine(engine: str, *, address: str | None = None, count: int | None = None) -> str:
    """``"ray"`` or ``"serial"`` for ``engine``; ``"auto"`` without Ray says so and runs serially.

    An ``address`` needs Ray. ``engine="ray"`` (or an address) without Ray raises
    :class:`RayUnavailable`, saying how to install it.
    """
    if engine not in ENGINES:
        raise InvalidValue("engine", engine, "one of " + ", ".join(ENGINES))
    if address and engine == "serial":
        raise InvalidValue("address", address, "no address with the serial engine (it runs in this process)")
    if engine == "serial":
        return "serial"
    if ray_installed():
        return "ray"
    if engine == "ray" or address:
        raise RayUnavailable(f"Ray is not installed, so {'the cluster at ' + address if address else 'Ray'} "
                             f"cannot be used. Install it with {INSTALL_HINT}, or run serially "
                             "(--serial, engine='serial').")
    what = "the items" if count is None else f"the {count} item{'' if count == 1 else 's'}"
    log.warning("Ray is not installed (%s): running %s one after another in this process.", INSTALL_HINT, what)
    return "serial"


@contextmanager
def ray_for_job(*, address: str | None = None, num_cpus: int | None = None) -> Iterator[str]:
    """Ray for one job; yields the cluster's address (``host:port``, for ``--address``).

    If Ray is initialised in this process already, that is used and left running. Else this
    joins the cluster at ``address``, or starts a local Ray with ``num_cpus`` CPUs (default:
    this machine's), and shuts down what it joined or started when the job ends.
    """
    if not ray_installed():
        raise RayUnavailable(f"Ray is not installed: install it with {INSTALL_HINT}.")
    import ray

    if ray.is_initialized():
        yield ray.get_runtime_context().gcs_address
        return
    options: dict[str, Any] = {"logging_level": logging.WARNING, "include_dashboard": False}
    if address:
        ray.init(address=address, **options)
    else:
        ray.init(num_cpus=num_cpus or os.cpu_count() or 1, **options)
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


class _Worker:
    """One actor of the pool: the task, and a context that lives as long as the actor."""

    def __init__(self, task: Task, env: dict[str, str]) -> None:
        # Set before the task imports anything that reads them; an actor's process is its own.
        os.environ.update(env)
        self.task, self.context = task, {}

    def run(self, payload: Any) -> Outcome:
        return run_one(self.task, payload, self.context)


def _run_on_ray(task: Task, payloads: Sequence[Any], *, workers: int | None, update: Callable[[], None]) -> list[Outcome]:
    import ray
    from ray.exceptions import RayError

    cpus = int(ray.cluster_resources().get("CPU", 1))
    count = max(1, min(workers or cpus, len(payloads)))
    env = {k: v for k, v in os.environ.items() if k.startswith(FORWARDED_ENV_PREFIX) and k not in NOT_FORWARDED}
    # An actor whose process dies comes back (max_restarts) and retries what was queued on it
    # once (max_task_retries): a payload that kills its worker fails, the others it held do not.
    worker_class = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=1)(_Worker)
    actors = [worker_class.remote(task, env) for _ in range(count)]
    outcomes: list[Outcome | None] = [None] * len(payloads)
    waiting = iter(enumerate(payloads))
    pending: dict[Any, tuple[int, Any]] = {}

    def submit(actor: Any) -> None:
        nxt = next(waiting, None)
        if nxt is not None:
            pending[actor.run.remote(nxt[1])] = (nxt[0], actor)

    try:
        for _ in range(IN_FLIGHT):
            for actor in actors:
                submit(actor)
        while pending:
            (done,), _ = ray.wait(list(pending), num_returns=1)
            index, actor = pending.pop(done)
            try:
                outcomes[index] = ray.get(done)
            except RayError as exc:
                outcomes[index] = Outcome(None, f"the Ray worker failed: {_describe(exc)}", 0.0)
            update()
            submit(actor)
    finally:
        for actor in actors:
            ray.kill(actor)
    return outcomes  # type: ignore[return-value]  # every slot was filled above


def run_tasks(task: Task, payloads: Sequence[Any], *, engine: str = "auto", address: str | None = None,
              workers: int | None = None, context: dict[str, Any] | None = None, progress: bool = True,
              desc: str = "items") -> list[Outcome]:
    """One :class:`Outcome` of ``task(payload, context)`` per payload, in order.

    ``engine`` is one of :data:`ENGINES`; ``address`` joins that Ray cluster, ``workers`` sets
    the number of actors (default: the cluster's CPUs; for a local Ray started here, also its
    CPUs). ``context`` is the serial loop's context (default: a new dict; each actor has its
    own). ``progress`` shows a tqdm bar named ``desc``. ``task`` must be picklable for Ray: a
    module-level function, or a ``functools.partial`` of one.
    """
    from tqdm.auto import tqdm

    payloads = list(payloads)
    engine = resolve_engine(engine, address=address, count=len(payloads))
    with tqdm(total=len(payloads), desc=desc, disable=not progress, file=sys.stderr) as bar:
        if engine == "serial":
            context = {} if context is None else context
            outcomes = []
            for payload in payloads:
                outcomes.append(run_one(task, payload, context))
                bar.update(1)
            return outcomes
        if not payloads:
            return []
        with ray_for_job(address=address, num_cpus=workers):
            return _run_on_ray(task, payloads, workers=workers, update=lambda: bar.update(1))
