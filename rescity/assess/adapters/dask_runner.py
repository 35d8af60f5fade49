"""Run one function over many inputs on Dask: a local cluster, or an existing one.

Cities are independent and each takes seconds to minutes, so one task per city is the right
grain: the scheduler balances them over workers, and a city's numba kernels use the worker's
cores. Workers are processes (``threads_per_worker=1``): the OSM reader and GeoPandas steps hold
the GIL. Results come back to the caller in input order, whatever order they finish in.

A remote cluster (``scheduler="tcp://host:port"``) needs rescity installed on its workers and
the extracts readable there under the same paths.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


def map_serial(fn: Callable[[T], R], items: Sequence[T], *,
               on_done: Callable[[int], None] | None = None) -> list[R]:
    """The same contract without Dask: the reference the distributed run must equal."""
    out = []
    for i, item in enumerate(items):
        out.append(fn(item))
        if on_done:
            on_done(i)
    return out


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
        n = workers or max(1, min(len(items), os.cpu_count() or 1))
        cluster = dist.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                    dashboard_address=None, silence_logs=logging.WARNING)
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
