"""``rescity report``, ``rescity compare`` and ``rescity site``: act on assessment results.

Thin wrappers: they parse options, call the services, and print what was written. Errors
raised on purpose (a missing result file, an unknown item) become one message and exit 2 in
``rescity.cli.main``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from rescity.core.errors import InputError, Problem

if TYPE_CHECKING:
    from rescity.assess.adapters.result_store import CityResult
    from rescity.assess.reporting.report import ReportFiles
    from rescity.assess.services.siting import SitingResult

log = logging.getLogger(__name__)


def _stopwatch() -> Callable[[str], None]:
    """Log (at debug level: ``rescity -v``) each step's end, in wall time since the start and
    this process's CPU time, to see where a report's seconds go."""
    wall, cpu = time.perf_counter(), time.process_time()

    def mark(step: str) -> None:
        log.debug("report: %s at %.2f s (this process %.2f s CPU)", step,
                  time.perf_counter() - wall, time.process_time() - cpu)
    return mark


# Each command imports what it needs when it runs: ``rescity report`` starts the browser for
# the PDF before it imports the geospatial stack (seconds), and never imports Dask or the
# assessment pipeline, which only ``compare`` and ``site`` need.


class Origins(StrEnum):
    landuse = "landuse"
    buildings = "buildings"
    h3 = "h3"


class Lang(StrEnum):
    en = "en"
    zh = "zh"


ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", help="Assessment TOML overriding the defaults (weights, thresholds).")]
AnalysisOpt = Annotated[Path | None, typer.Option(
    "--analysis", help="TOML overriding the gap/siting/catchment defaults.")]
ItemsOpt = Annotated[list[str] | None, typer.Option(
    "--item", help="Facility item to site (repeat for several); default from the analysis.")]
KOpt = Annotated[int | None, typer.Option("--k", min=1, help="New sites per item.")]
LangOpt = Annotated[Lang, typer.Option("--lang", help="Language of the report text.")]
PdfOpt = Annotated[bool, typer.Option("--pdf/--no-pdf",
                                      help="Also print report.pdf with Chromium, if installed.")]
OriginsOpt = Annotated[Origins | None, typer.Option(
    "--origins", help="Origins: landuse, buildings or h3 (default from the config).")]
SvgOpt = Annotated[bool, typer.Option("--svg", help="Also write each figure as SVG (vector, "
                                      "for print; several MB per map).")]


def _results_in(folder: Path, config: Path | None) -> list[CityResult]:
    """One result folder, or a folder of them (the output of ``rescity compare``)."""
    from rescity.assess.adapters.result_store import REQUIRED, load_result

    if not folder.is_dir():
        raise InputError([Problem(str(folder), "not a folder")])
    if all((folder / f).is_file() for f in REQUIRED):
        return [load_result(folder, config=config)]
    subs = sorted(p for p in folder.iterdir()
                  if p.is_dir() and all((p / f).is_file() for f in REQUIRED))
    if not subs:
        raise InputError([Problem(str(folder), "no assessment results here (origins.parquet, "
                                  "summary.json …); run `rescity assess` first")])
    return [load_result(p, config=config, name=p.name) for p in subs]


def _print_report(console: Console, files: ReportFiles) -> None:
    console.print(f"report: {files.html}")
    console.print(f"data:   {files.json}")
    console.print(f"pdf:    {files.pdf}" if files.pdf else "pdf:    (no Chromium found)")
    console.print(f"figures: {len(files.figures)} in {files.html.parent / 'figures'}")


def _report_progress(console: Console) -> Progress:
    """Bars for the report's long steps (each figure takes ~0.5 s, the PDF a few seconds)."""
    return Progress(TextColumn("{task.description:<10}"), BarColumn(), TimeElapsedColumn(),
                    console=console, transient=False)


def _steps(progress: Progress, *, pdf: bool) -> Callable[[str, float], None]:
    tasks: dict[str, TaskID] = {"figures": progress.add_task("figures", total=1.0)}
    if pdf:
        tasks["pdf"] = progress.add_task("pdf", total=None, start=False)

    def on_progress(step: str, share: float) -> None:
        task = tasks[step]
        if step == "pdf" and share == 0.0:
            progress.start_task(task)
        elif step == "pdf":
            progress.update(task, total=1.0, completed=1.0)
        else:
            progress.update(task, completed=share)
    return on_progress


def report(
    result_dir: Annotated[Path, typer.Argument(help="Result folder of `rescity assess` or "
                                               "`rescity compare`.")],
    out: Annotated[Path | None, typer.Option("--out", help="Report folder (default: "
                                             "RESULT_DIR).")] = None,
    config: ConfigOpt = None, analysis: AnalysisOpt = None, item: ItemsOpt = None,
    k: KOpt = None, lang: LangOpt = Lang.en, pdf: PdfOpt = True, svg: SvgOpt = False,
) -> None:
    """Write a self-contained HTML report (and PDF) with maps, tables and proposed sites."""
    from rescity.assess.adapters.pdf import PdfPrinter
    from rescity.core.heap import freeze_at_exit

    freeze_at_exit()

    mark = _stopwatch()
    console = Console(stderr=True)
    # Chromium starts (and warms up) while the rest is imported and the results are read.
    with PdfPrinter() if pdf else nullcontext() as printer:
        from rescity.assess.domain.analysis import load_analysis
        from rescity.assess.reporting.report import ReportDraft
        from rescity.assess.services.analyse import analyse_city

        mark("imports")
        cities = _results_in(result_dir, config)
        acfg = load_analysis(analysis)
        mark("results read")
        with _report_progress(console) as progress:
            step = progress.add_task("analyse", total=len(cities))
            # The maps needing no analysis are drawn meanwhile, on worker processes.
            with ReportDraft(cities, out or result_dir, pdf=pdf, printer=printer, svg=svg,
                             gap_maps_per_city=len(item if item is not None
                                                   else acfg.siting.items),
                             on_progress=_steps(progress, pdf=pdf)) as draft:
                mark("figures started")
                analyses = []
                for c in cities:
                    analyses.append(analyse_city(c, acfg, items=item, k=k))
                    progress.advance(step)
                mark("analysed")
                files = draft.finish(analyses, acfg, lang=lang.value, mark=mark)
    mark("done")
    _print_report(console, files)


def compare(
    extracts: Annotated[list[Path], typer.Argument(help="OSM extracts (.osm.pbf, .osm, "
                                                   ".osm.bz2), one per city.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder: one subfolder per "
                                      "city, the report at the top.")],
    config: ConfigOpt = None, analysis: AnalysisOpt = None, origins: OriginsOpt = None,
    item: ItemsOpt = None, k: KOpt = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Local worker "
                                                "processes (default: one per city, up to the "
                                                "CPU count).")] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Use an existing Dask "
                                                  "cluster, e.g. tcp://host:8786.")] = None,
    dask: Annotated[bool, typer.Option("--dask", help="Run on a new local Dask cluster "
                                       "instead of a plain process pool.")] = False,
    serial: Annotated[bool, typer.Option("--serial", help="Run in this process, one city "
                                         "after the other.")] = False,
    lang: LangOpt = Lang.en,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also print report.pdf with "
                                      "Chromium, if installed.")] = False,
    svg: SvgOpt = False,
) -> None:
    """Assess several cities with the same configuration, in parallel, and compare them."""
    from rescity.assess.domain.analysis import load_analysis
    from rescity.assess.domain.config import load_config
    from rescity.assess.services.compare import compare as run_compare
    from rescity.core.heap import freeze_at_exit

    freeze_at_exit()
    console = Console(stderr=True)
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        # The cluster's start/stop chatter is noise here; --verbose shows it.
        logging.getLogger("distributed").setLevel(logging.WARNING)
    missing = [Problem(str(p), "file not found") for p in extracts if not p.is_file()]
    if missing:
        raise InputError(missing, source="compare")
    cfg = load_config(config)
    acfg = load_analysis(analysis)

    with _report_progress(console) as progress:
        cities = progress.add_task("assess", total=len(extracts))

        def done(i: int) -> None:
            progress.console.print(f"assessed {extracts[i].name}")
            progress.advance(cities)

        result = run_compare(extracts, out, config=cfg, analysis=acfg,
                             origins=origins.value if origins else None, items=item, k=k,
                             serial=serial, workers=workers, scheduler=scheduler,
                             dask=dask, lang=lang.value, pdf=pdf, svg=svg, on_done=done,
                             on_report=_steps(progress, pdf=pdf))
    for name, folder in result.city_dirs.items():
        console.print(f"{name}: {folder}")
    how = "serially" if serial else "on Dask" if dask or scheduler else "on local processes"
    console.print(f"cities {result.timings['cities']:.1f} s ({how}), "
                  f"report {result.timings['report']:.1f} s")
    _print_report(console, result.report)


def _sites_table(res: SitingResult) -> Table:
    table = Table(title=f"{res.item}: {res.uncovered_population:,.0f} residents without it "
                  f"within {res.threshold} ({res.distance_m:g} m)")
    for col in ("rank", "lon", "lat", "newly covered", "cumulative share"):
        table.add_column(col, justify="right")
    for r in res.sites.to_dict(orient="records"):
        table.add_row(str(r["rank"]), f"{r['lon']:.5f}", f"{r['lat']:.5f}",
                      f"{r['gain_population']:,.0f}",
                      f"{100 * r['cumulative_share_of_uncovered']:.1f} %")
    return table


def site(
    source: Annotated[Path, typer.Argument(help="A result folder, or an OSM extract to "
                                           "assess first.")],
    item: Annotated[str, typer.Option("--item", help="Facility item, e.g. kindergarten.")],
    k: Annotated[int, typer.Option("--k", min=1, help="Number of new sites.")] = 5,
    exact: Annotated[bool | None, typer.Option(
        "--exact/--no-exact", help="Also solve the exact MILP (default: when small).")] = None,
    config: ConfigOpt = None, analysis: AnalysisOpt = None, origins: OriginsOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write sites CSV/GeoJSON and a "
                                             "gap map here.")] = None,
) -> None:
    """Propose k new sites for an item that cover the most residents now without it."""
    from rescity.assess.adapters.result_store import from_assessment, load_result
    from rescity.assess.domain.analysis import load_analysis
    from rescity.assess.reporting.figures import render_figure
    from rescity.assess.reporting.maps import gap_map
    from rescity.assess.services.pipeline import evaluate
    from rescity.assess.services.siting import site_facilities

    console = Console()
    if source.is_dir():
        city = load_result(source, config=config)
    elif source.is_file():
        city = from_assessment(evaluate(source, config,
                                        origins=origins.value if origins else None))
    else:
        raise InputError([Problem(str(source), "no such file or folder")])
    res = site_facilities(city, item, k, analysis=load_analysis(analysis), exact=exact)
    console.print(_sites_table(res))
    if res.shortfall == "all_covered":
        console.print(f"{len(res.sites)} of {k} sites proposed: they already cover every "
                      f"resident without {item} within {res.distance_m:g} m; more sites would "
                      "add no one")
    elif res.shortfall == "unreachable":
        left = res.uncovered_population - res.greedy.covered
        console.print(f"{len(res.sites)} of {k} sites proposed: the {left:,.0f} residents "
                      "still without it live beyond walking distance of every street node a "
                      "site could take (or off the network)")
    if res.exact is not None:
        console.print(f"greedy covers {res.greedy.covered:,.0f}; exact optimum "
                      f"{res.exact.covered:,.0f} ({100 * (res.greedy_ratio or 1.0):.1f} %), "
                      f"{res.candidates} candidate nodes")
    else:
        console.print(f"exact optimum not computed ({res.candidates} candidate nodes); greedy "
                      "is guaranteed ≥ 63 % of it")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        res.sites.to_csv(out / f"sites_{item}.csv", index=False)
        features = [{"type": "Feature", "geometry": {"type": "Point",
                                                     "coordinates": [r["lon"], r["lat"]]},
                     "properties": {k: v for k, v in r.items() if k not in ("lon", "lat")}}
                    for r in res.sites.to_dict(orient="records")]
        (out / f"sites_{item}.geojson").write_text(json.dumps(
            {"type": "FeatureCollection", "features": features}, default=float), "utf-8")
        fig = render_figure(lambda: gap_map(city, item, res), out, f"{city.name}-gaps-{item}",
                      item)
        console.print(f"written: {out / f'sites_{item}.csv'}, {fig.png}")


def register(app: typer.Typer) -> None:
    """Add ``report``, ``compare`` and ``site`` to the root app."""
    app.command("report")(report)
    app.command("compare")(compare)
    app.command("site")(site)
