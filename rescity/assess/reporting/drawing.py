"""Draw a report's figures on forked worker processes, in the background.

Matplotlib draws on one core, and a report is a dozen or more figures of ~0.3–0.6 s each.
Workers are *forked* (Linux): they inherit the imported libraries and the cities already in
memory, so neither the imports (seconds) nor the data are repeated or pickled; a worker gets
only the index of its job and sends back the file names. Where fork is unavailable, or only
one core is, figures are drawn in this process instead.

Warnings and log records raised while a worker draws (a missing glyph, say) are sent back and
raised again here, so they reach the caller's filters and handlers as if drawn in process.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from rescity.assess.reporting.figures import FigureJob, render_job
from rescity.assess.reporting.style import FigureFiles
from rescity.core.heap import frozen_heap

log = logging.getLogger(__name__)

MAX_WORKERS = 4
"""More processes than this gain little (each holds its own figure buffers) on a report's
dozen figures."""

_batches: dict[int, tuple[Sequence[FigureJob], Path, bool]] = {}
"""Jobs by batch, set before the batch's workers fork: they read their job from here."""
_batch_ids = itertools.count()
_warned: dict[str | tuple[str, type[Warning], int], int] = {}
"""Registry for warnings raised again: each is shown once per place, as when drawn here."""


@dataclass(frozen=True)
class _Drawn:
    files: list[FigureFiles]
    warnings: list[tuple[str, type[Warning], str, int]]
    records: list[logging.LogRecord]


def _units(jobs: Sequence[FigureJob]) -> list[list[int]]:
    """Job indices grouped into what one worker draws in a row: consecutive jobs of the same
    ``group`` together (they share work, e.g. the surfaces' grid), others alone."""
    units: list[list[int]] = []
    for i, job in enumerate(jobs):
        if units and job.group is not None and jobs[units[-1][-1]].group == job.group:
            units[-1].append(i)
        else:
            units.append([i])
    return units


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None  # arguments may not pickle
        record.exc_info = record.exc_text = None
        self.records.append(record)


def _quiet_handlers() -> None:
    """In a worker: no handler of the parent's writes anything (the parent handles the
    records once they are sent back)."""
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        if isinstance(logger, logging.Logger):
            logger.handlers = []


def _draw_in_worker(batch: int, unit: list[int]) -> _Drawn:
    jobs, out_dir, svg = _batches[batch]
    _quiet_handlers()
    handler = _Collect()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")  # the parent's filters decide, once re-raised
            files = []
            for i in unit:
                cpu = time.process_time()
                files.append(render_job(jobs[i], out_dir, svg=svg))
                log.debug("drew %s in a worker: %.2f s CPU", jobs[i].name,
                          time.process_time() - cpu)
    finally:
        root.removeHandler(handler)
    return _Drawn(files, [(str(w.message), w.category, w.filename, w.lineno) for w in caught],
                  handler.records)


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_workers() -> int:
    """Worker processes for drawing: one per available core (at most :data:`MAX_WORKERS`),
    none where processes cannot be forked."""
    if not sys.platform.startswith("linux"):
        return 0
    n = min(available_cores(), MAX_WORKERS)
    return n if n > 1 else 0


class Drawing:
    """Figures being drawn; :meth:`result` waits for them (in the order of the jobs).

    ``done(files)`` is called once per figure as it is finished (from a background thread
    when drawn by workers; calls never overlap).
    """

    def __init__(self, jobs: Sequence[FigureJob], out_dir: Path, *, svg: bool = False,
                 workers: int | None = None,
                 done: Callable[[FigureFiles], None] | None = None) -> None:
        self._jobs = list(jobs)
        self._out_dir, self._svg, self._done = out_dir, svg, done
        self._lock = threading.Lock()
        workers = default_workers() if workers is None else workers
        workers = min(workers, len(self._jobs))
        self._units = _units(self._jobs)
        workers = min(workers, len(self._units))
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future[_Drawn]] = []
        if workers > 1:
            self._batch = next(_batch_ids)
            _batches[self._batch] = (self._jobs, out_dir, svg)
            # The workers fork on the first submit. With the heap frozen meanwhile, their
            # collections leave the objects they inherit alone instead of touching (and so
            # copying) every page that holds one.
            with frozen_heap():
                self._pool = ProcessPoolExecutor(
                    workers, mp_context=multiprocessing.get_context("fork"))
                for unit in self._units:
                    fut = self._pool.submit(_draw_in_worker, self._batch, unit)
                    fut.add_done_callback(self._report)
                    self._futures.append(fut)

    def _report(self, fut: Future[_Drawn]) -> None:
        if self._done is None or fut.cancelled() or fut.exception() is not None:
            return
        with self._lock:
            for files in fut.result().files:
                self._done(files)

    def _here(self, job: FigureJob) -> FigureFiles:
        files = render_job(job, self._out_dir, svg=self._svg)
        if self._done is not None:
            with self._lock:
                self._done(files)
        return files

    def result(self) -> list[FigureFiles]:
        """The figures' files, once all are drawn; a figure whose worker died is drawn
        here."""
        if self._pool is None:
            return [self._here(job) for job in self._jobs]
        out: list[FigureFiles] = []
        try:
            for unit, fut in zip(self._units, self._futures, strict=True):
                try:
                    drawn = fut.result()
                except BrokenProcessPool:
                    log.warning("a figure worker died; drawing %s in this process",
                                ", ".join(self._jobs[i].name for i in unit))
                    out += [self._here(self._jobs[i]) for i in unit]
                    continue
                for message, category, filename, lineno in drawn.warnings:
                    warnings.warn_explicit(message, category, filename, lineno,
                                           registry=_warned)
                for record in drawn.records:
                    logging.getLogger(record.name).handle(record)
                out += drawn.files
        finally:
            self.close()
        return out

    def close(self) -> None:
        """Stop: figures not yet started are not drawn (waits for those being drawn)."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            _batches.pop(self._batch, None)


def draw_figures(jobs: Sequence[FigureJob], out_dir: Path, *, svg: bool = False,
                 workers: int | None = None,
                 done: Callable[[FigureFiles], None] | None = None) -> list[FigureFiles]:
    """Draw ``jobs`` (on workers where it pays) and return their files in order."""
    return Drawing(jobs, out_dir, svg=svg, workers=workers, done=done).result()
