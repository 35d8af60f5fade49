"""Background assessments for the web page: a small in-process job registry.

An assessment takes seconds to minutes, longer than a request should. The registry runs jobs
on one worker thread (the compiled kernels already use every core inside a job), records the
engine's stage callbacks (and the read's share done) as progress, writes the outputs under
``<data_dir>/assess/jobs/<id>/`` and keeps the finished city in memory for the map's
questions. Jobs are not persisted: after a restart the result folders remain, the registry
starts empty.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from rescity.assess.adapters.result_store import from_assessment, write_config
from rescity.assess.adapters.writers import write_outputs
from rescity.assess.services.explore import Explorer
from rescity.assess.services.pipeline import STAGES, evaluate
from rescity.core.errors import NotFound, RescityError
from rescity.core.storage.db import utcnow

log = logging.getLogger(__name__)

State = Literal["queued", "running", "done", "failed"]
STEPS = (*STAGES, "write", "explore")


@dataclass
class Job:
    id: str
    extract: str
    path: Path
    origins: str | None
    owner: str
    created: datetime = field(default_factory=utcnow)
    state: State = "queued"
    stage: str | None = None
    steps_done: int = 0
    stage_done: float = 0.0  # share of the current step, where the step reports one
    error: str | None = None
    finished: datetime | None = None
    explorer: Explorer | None = None
    out_dir: Path | None = None

    @property
    def progress(self) -> float:
        if self.state == "done":
            return 1.0
        return (self.steps_done + self.stage_done) / len(STEPS)

    def public(self) -> dict[str, Any]:
        """What the status endpoint shows (no paths on the server)."""
        return {"id": self.id, "extract": self.extract, "origins": self.origins,
                "owner": self.owner, "state": self.state, "stage": self.stage,
                "progress": round(self.progress, 3), "error": self.error,
                "created": self.created.isoformat(),
                "finished": self.finished.isoformat() if self.finished else None}


class JobRegistry:
    """Queued, running and finished assessments of one web app."""

    def __init__(self, root: Path, *, max_workers: int = 1) -> None:
        self.root = root
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=max_workers,
                                        thread_name_prefix="rescity-assess")

    def submit(self, path: Path, *, extract: str, origins: str | None, owner: str) -> Job:
        job = Job(secrets.token_hex(6), extract, path, origins, owner)
        with self._lock:
            self._jobs[job.id] = job
        self._pool.submit(self._run, job)
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"no assessment job {job_id!r}")
        return job

    def done(self, job_id: str) -> Explorer:
        """The finished job's explorer, or 404 while it is not ready."""
        job = self.get(job_id)
        if job.state != "done" or job.explorer is None:
            raise NotFound(f"assessment {job_id!r} is {job.state}, not done")
        return job.explorer

    def all(self) -> list[Job]:
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.created, reverse=True)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _step(self, job: Job, name: str, seconds: float | None) -> None:
        job.stage_done = 0.0
        if seconds is None:
            job.stage = name
        else:
            job.steps_done += 1

    @staticmethod
    def _within(job: Job, name: str, share: float) -> None:
        if job.stage == name:
            job.stage_done = max(0.0, min(share, 0.99))

    def _run(self, job: Job) -> None:
        job.state = "running"
        try:
            result = evaluate(job.path, origins=job.origins,
                              on_stage=lambda n, s: self._step(job, n, s),
                              on_progress=lambda n, f: self._within(job, n, f))
            self._step(job, "write", None)
            out = self.root / job.id
            write_outputs(result, out, on_progress=lambda f: self._within(job, "write", f))
            write_config(result.config, out)
            job.out_dir = out
            self._step(job, "write", 0.0)
            self._step(job, "explore", None)
            job.explorer = Explorer.build(from_assessment(result, job.extract))
            self._step(job, "explore", 0.0)
            job.state = "done"
        except RescityError as exc:
            job.state, job.error = "failed", _without_paths(str(exc), job)
        except Exception as exc:  # a bug: keep the traceback in the log, tell the user briefly
            log.exception("assessment job %s failed", job.id)
            job.state, job.error = "failed", f"internal error: {type(exc).__name__}"
        finally:
            if job.state == "failed" and job.path.parent.name == "uploads":
                job.path.unlink(missing_ok=True)  # an upload that failed is not kept
            job.stage = None if job.state == "done" else job.stage
            job.finished = utcnow()


_ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(?:[^\s/:'\"]+/)+([^\s/:'\"]+)")


def _without_paths(message: str, job: Job) -> str:
    """The error for the user: the extract's name, never where the server keeps files."""
    message = message.replace(str(job.path), job.extract)
    return _ABSOLUTE_PATH.sub(lambda m: m.group(1), message)
