"""``rescity assess``: run the assessment on one extract and write the outputs.

The root Typer app lives in ``rescity.cli``; this module only adds its command through
:func:`register`, so it can be tested on a small app of its own.
"""

from __future__ import annotations

import logging
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
) -> None:
    """Score every residential origin's 15-minute life circle and resilience indices."""
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description:<12}"), BarColumn(), TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(), console=console, transient=False,
    ) as progress:
        tasks: dict[str, TaskID] = {
            s: progress.add_task(s, total=1, note="", start=False) for s in STAGES
        }

        def on_stage(name: str, seconds: float | None) -> None:
            if seconds is None:
                progress.start_task(tasks[name])
            else:
                progress.update(tasks[name], completed=1, note=f"{seconds:.2f} s")
                log.info("assess stage %s took %.2f s", name, seconds)

        try:
            cfg = load_config(config)
            if population_raster is not None:
                oc = cfg.origins.model_copy(update={"population_raster": str(population_raster)})
                cfg = cfg.model_copy(update={"origins": oc})
            result = evaluate(city, cfg, origins=origins.value if origins else None,
                              on_stage=on_stage)
        except InputError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(code=2) from None
        paths = write_outputs(result, out)
    s = result.summary
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
