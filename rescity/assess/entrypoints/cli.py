"""``rescity assess``: run the assessment on one extract and write the outputs.

The root Typer app lives in ``rescity.cli``; this module only adds its command through
:func:`register`, so it can be tested on a small app of its own.
"""

from __future__ import annotations

import logging
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from rescity.assess.adapters.writers import write_outputs
from rescity.assess.domain.config import load_config
from rescity.assess.services.pipeline import STAGES, evaluate
from rescity.core.errors import InputError

log = logging.getLogger(__name__)


class OriginKind(StrEnum):
    landuse = "landuse"
    buildings = "buildings"
    h3 = "h3"


def assess(
    city: Annotated[Path, typer.Argument(help="OSM extract: .osm.pbf, .osm or .osm.bz2")],
    out: Annotated[Path, typer.Option("--out", help="Directory for the output files")],
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML file overriding the defaults")
    ] = None,
    origins: Annotated[
        OriginKind | None, typer.Option("--origins", help="Origins: landuse, buildings or h3")
    ] = None,
    population_raster: Annotated[
        Path | None, typer.Option(
            "--population-raster",
            help="GeoTIFF of persons per cell (any CRS): origin populations by areal "
                 "weighting instead of building floor area (origins.population_raster)"),
    ] = None,
    population_total: Annotated[
        float | None, typer.Option(
            "--population-total", min=0.0,
            help="Known number of residents (a census figure): every origin's population is "
                 "scaled so that they add up to it (origins.population_total)"),
    ] = None,
) -> None:
    """Score every residential origin's 15-minute life circle and resilience indices."""
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description:<12}"), BarColumn(), TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(), console=console, transient=False,
    ) as progress:
        tasks: dict[str, TaskID] = {
            s: progress.add_task(s, total=1, note="", start=False) for s in (*STAGES, "write")
        }

        def on_stage(name: str, seconds: float | None) -> None:
            if seconds is None:
                progress.start_task(tasks[name])
            else:
                # The pipeline logs each stage's time already: the bar only shows it.
                progress.update(tasks[name], completed=1, note=f"{seconds:.2f} s")

        try:
            cfg = load_config(config)
            update: dict[str, object] = {}
            if population_raster is not None:
                update["population_raster"] = str(population_raster)
            if population_total is not None:
                update["population_total"] = population_total
            if update:
                cfg = cfg.model_copy(update={"origins": cfg.origins.model_copy(update=update)})
            result = evaluate(city, cfg, origins=origins.value if origins else None,
                              on_stage=on_stage,
                              # A full bar stops its clock: it fills only when the stage
                              # ends (the read reports its share of the file, not its time).
                              on_progress=lambda n, f: progress.update(
                                  tasks[n], completed=min(f, 0.99)))
        except InputError as exc:
            console.print(f"[red]error:[/red] {exc}", soft_wrap=True, highlight=False)
            raise typer.Exit(code=2) from None
        progress.start_task(tasks["write"])
        t0 = time.perf_counter()
        paths = write_outputs(result, out,
                              on_progress=lambda f: progress.update(
                                  tasks["write"], completed=min(f, 0.99)))
        progress.update(tasks["write"], completed=1, note=f"{time.perf_counter() - t0:.2f} s")
    s = result.summary
    if not s.get("population_calibrated"):
        console.print(f"[yellow]population {s['population']:,.0f} is an uncalibrated estimate "
                      f"({s['population_source']}); give --population-total or a raster[/yellow]")
    if "origin_fallback" in s:
        console.print("[yellow]residential land is sparse: the origins are the residential "
                      "buildings (origins.sparse_landuse)[/yellow]")
    console.print(
        f"{s['origins']} origins ({s['origins_unsnapped']} unsnapped), "
        f"life-service median {s['indices']['life_service']['median']:.3f}, "
        f"health-resilience median {s['indices']['health_resilience']['median']:.3f}; "
        f"missing items: {', '.join(s['missing_items']) or 'none'}"
    )
    raster = s.get("population_raster")
    if raster:
        console.print(
            f"population from {raster['path']}: {raster['population_in_origins']:,.0f} persons "
            f"in origins, {raster['share_in_origins']:.1%} of the raster's "
            f"{raster['population_in_bbox']:,.0f} in their bounding box "
            f"(floor-area estimate {raster['population_floor_area']:,.0f})")
    for name, path in paths.items():
        console.print(f"  {name}: {path}")


def register(app: typer.Typer) -> None:
    """Add the ``assess`` command to the root app."""
    app.command("assess")(assess)
