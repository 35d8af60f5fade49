"""Run one function over many inputs: serially, on local processes, or on a Dask cluster.

Cities are independent and each takes seconds to minutes, so one task per city is the right
grain, and workers are processes: the OSM reader and GeoPandas steps hold the GIL. Results
come back to the caller in input order, whatever order they finish in.

On one machine the workers are forked from this process where the platform has ``fork``
(Linux): they start with the geospatial stack and rescity already imported (the caller
imported them to build the tasks). A spawned worker is a new interpreter importing GeoPandas,
pyarrow, osmium and rescity: seconds each, which is what made two small cities slower on
Dask than one after the other. :func:`map_processes` (the default of ``rescity compare``)
forks a plain process pool: ~0.1 s to start. :func:`map_dask` on a local cluster forks its
workers too, but still imports ``distributed`` and starts a scheduler and nannies (~1 s on 2
cores), so it pays only when each city takes clearly longer than that.
docs/assess/benchmark.md ("compare on Dask") has the figures.

Forked workers write to the real stdout/stderr, never through a proxy that a progress bar
installed in this process (its lock may be held by a thread that does not exist in the
child).

A remote cluster (``scheduler="tcp://host:port"``) needs rescity installed on its workers and
the extracts readable there under the same paths.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, TypeVar

from rescity.core.heap import frozen_heap

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

_forking = False  # true while this module forks local workers


def _real_streams_in_child() -> None:
    if _forking:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_real_streams_in_child)


@contextmanager
def _forks() -> Iterator[None]:
    """While workers are forked: the objects this process has so far are moved out of the
    garbage collector's reach (``gc.freeze``), so that a collection in a worker does not
    touch, and so copy, every page of the inherited heap."""
    global _forking
    _forking = True
    try:
        with frozen_heap():
            yield
    finally:
        _forking = False


def start_method() -> str:
    """``fork`` where the platform offers it safely (Linux; not macOS, not Windows), else
    ``spawn``."""
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "spawn"


def _n_workers(workers: int | None, n_items: int) -> int:
    return workers or max(1, min(n_items, os.cpu_count() or 1))


def map_serial(fn: Callable[[T], R], items: Sequence[T], *,
               on_done: Callable[[int], None] | None = None) -> list[R]:
    """The same contract in this process: the reference the parallel runs must equal."""
    out = []
    for i, item in enumerate(items):
        out.append(fn(item))
        if on_done:
            on_done(i)
    return out


def map_processes(fn: Callable[[T], R], items: Sequence[T], *, workers: int | None = None,
                  on_done: Callable[[int], None] | None = None) -> list[R]:
    """``[fn(x) for x in items]`` on a pool of local processes, forked from this one."""
    ctx = multiprocessing.get_context(start_method())
    with _forks(), ProcessPoolExecutor(_n_workers(workers, len(items)), mp_context=ctx) as pool:
        futures = {pool.submit(fn, x): i for i, x in enumerate(items)}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in done if on_done else ():
                on_done(futures[f])  # type: ignore[misc]
        return [f.result() for f in futures]


def local_cluster(n: int) -> Any:
    """A local Dask cluster of ``n`` single-threaded worker processes, forked where possible."""
    dask: Any = importlib.import_module("dask")
    dist: Any = importlib.import_module("distributed")
    # No statistical profiler: it samples every thread 100 times a second for a dashboard
    # that a batch run does not show.
    settings = {"distributed.worker.multiprocessing-method": start_method(),
                "distributed.worker.profile.enabled": False}
    with _forks(), dask.config.set(settings):
        return dist.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                 dashboard_address=None, silence_logs=logging.WARNING)


def map_dask(fn: Callable[[T], R], items: Sequence[T], *, workers: int | None = None,
             scheduler: str | None = None,
             on_done: Callable[[int], None] | None = None) -> list[R]:
    """``[fn(x) for x in items]`` on a Dask cluster (a new local one unless ``scheduler``)."""
    # distributed is only partly typed; treat it as dynamic rather than sprinkle ignores.
    dist: Any = importlib.import_module("distributed")
    client_cls, as_completed = dist.Client, dist.as_completed
    cluster: Any = None
    if scheduler:
        client = client_cls(scheduler, set_as_default=False)
    else:
        cluster = local_cluster(_n_workers(workers, len(items)))
        client = client_cls(cluster, set_as_default=False)
    try:
        log.info("dask: %d tasks on %s", len(items), client.scheduler_info().get("address"))
        futures = client.map(fn, list(items), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in as_completed(futures, loop=client.loop):
            if on_done:
                on_done(index[fut.key])
        results: list[R] = client.gather(futures)
        return results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
