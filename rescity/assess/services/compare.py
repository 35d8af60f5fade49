"""Compare cities: assess several extracts with the same configuration, then one report.

Each city is one task (:func:`assess_city`): evaluate, then gaps, siting and 2SFCA. Tasks run
serially, on local processes forked from this one (the default), or on Dask (a local cluster,
or an existing one): :mod:`rescity.assess.adapters.dask_runner`. All give the same numbers.
A task writes its city's folder itself, so the writing is spread over the workers too and
only the analysis travels back for the report. A task never raises across the process
boundary: a bad extract comes back as a :class:`CityFailure` with its problems, and
:func:`compare` reports all failures at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rescity.assess.adapters.dask_runner import map_dask, map_processes, map_serial
from rescity.assess.adapters.result_store import city_name, from_assessment, write_config
from rescity.assess.adapters.writers import write_outputs
from rescity.assess.domain.analysis import AnalysisConfig
from rescity.assess.domain.config import AssessConfig
from rescity.assess.reporting.report import ReportFiles, write_report
from rescity.assess.services.analyse import CityAnalysis, analyse_city
from rescity.assess.services.pipeline import AssessmentResult, evaluate
from rescity.core.errors import InputError, Problem, RescityError


@dataclass(frozen=True)
class CityTask:
    """Everything a worker needs to assess one city (picklable, no open handles)."""

    path: str
    name: str
    config: AssessConfig
    analysis: AnalysisConfig
    origins: str | None = None
    items: tuple[str, ...] | None = None
    k: int | None = None
    out_dir: str | None = None  # write the city's folder here, on the worker


@dataclass
class CityOutcome:
    result: AssessmentResult
    analysis: CityAnalysis
    folder: Path | None = None  # where the worker wrote it, if it did


@dataclass(frozen=True)
class CityFailure:
    name: str
    path: str
    problems: tuple[tuple[str, str], ...]


def assess_city(task: CityTask) -> CityOutcome | CityFailure:
    """One city, start to finish (runs on a Dask worker)."""
    try:
        result = evaluate(task.path, task.config, origins=task.origins)
        city = from_assessment(result, task.name)
        outcome = CityOutcome(result, analyse_city(city, task.analysis, items=task.items,
                                                   k=task.k))
        if task.out_dir is not None:
            outcome.folder = write_city(outcome, Path(task.out_dir))
        return outcome
    except InputError as exc:
        return CityFailure(task.name, task.path,
                           tuple((p.where, p.message) for p in exc.problems))
    except (RescityError, OSError) as exc:
        return CityFailure(task.name, task.path, ((task.path, str(exc)),))


def unique_names(paths: Sequence[str | Path]) -> list[str]:
    """City names from file names, made unique (``x``, ``x-2``) for output folders."""
    seen: dict[str, int] = {}
    out = []
    for p in paths:
        base = city_name(p)
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return out


def run_cities(
    tasks: Sequence[CityTask], *, serial: bool = False, workers: int | None = None,
    scheduler: str | None = None, dask: bool = False,
    on_done: Callable[[int], None] | None = None,
) -> list[CityOutcome]:
    """Assess every task; raise one :class:`InputError` listing every city that failed.

    Serially, on Dask (``dask``, or any ``scheduler``), else on forked local processes.
    """
    results: list[CityOutcome | CityFailure]
    if serial:
        results = map_serial(assess_city, tasks, on_done=on_done)
    elif dask or scheduler:
        results = map_dask(assess_city, tasks, workers=workers, scheduler=scheduler,
                           on_done=on_done)
    else:
        results = map_processes(assess_city, tasks, workers=workers, on_done=on_done)
    failures = [r for r in results if isinstance(r, CityFailure)]
    if failures:
        raise InputError([Problem(f"{f.name}: {w}", m) for f in failures for w, m in f.problems],
                         source="compare")
    return [r for r in results if isinstance(r, CityOutcome)]


@dataclass
class Comparison:
    outcomes: list[CityOutcome]
    city_dirs: dict[str, Path]
    report: ReportFiles
    timings: dict[str, float]  # seconds: "cities" (assessed and written), "report"


def write_city(outcome: CityOutcome, out_dir: Path) -> Path:
    """The engine's output files plus config.json and one CSV of proposed sites per item."""
    folder = out_dir / outcome.analysis.city.name
    write_outputs(outcome.result, folder)
    write_config(outcome.result.config, folder)
    for s in outcome.analysis.sitings:
        s.sites.to_csv(folder / f"sites_{s.item}.csv", index=False)
    return folder


def compare(
    paths: Sequence[str | Path], out_dir: Path | str, *, config: AssessConfig,
    analysis: AnalysisConfig, origins: str | None = None, items: Sequence[str] | None = None,
    k: int | None = None, serial: bool = False, workers: int | None = None,
    scheduler: str | None = None, dask: bool = False, lang: str = "en", pdf: bool = False,
    svg: bool = False,
    on_done: Callable[[int], None] | None = None,
    on_report: Callable[[str, float], None] | None = None,
) -> Comparison:
    """Assess ``paths`` with one configuration and write per-city folders and the report."""
    out = Path(out_dir)
    names = unique_names(paths)
    chosen = tuple(items) if items is not None else None
    # A remote cluster's workers would write on their own machines: there the caller writes.
    here = None if scheduler else str(out)
    tasks = [CityTask(str(p), n, config, analysis, origins, chosen, k, here)
             for p, n in zip(paths, names, strict=True)]
    t0 = time.perf_counter()
    outcomes = run_cities(tasks, serial=serial, workers=workers, scheduler=scheduler,
                          dask=dask, on_done=on_done)
    dirs = {o.analysis.city.name: o.folder or write_city(o, out) for o in outcomes}
    t1 = time.perf_counter()
    report = write_report([o.analysis for o in outcomes], out, analysis, lang=lang, pdf=pdf,
                          svg=svg, on_progress=on_report)
    return Comparison(outcomes, dirs, report,
                      {"cities": t1 - t0, "report": time.perf_counter() - t1})
