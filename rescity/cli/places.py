"""``rescity places``: import the place hierarchy with boundaries, find the place of a point."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from rescity.cli.context import database, settings_of
from rescity.core import audit as audit_log
from rescity.core.audit import AuditKind
from rescity.core.places import Place
from rescity.core.storage.uow import UnitOfWork

console = Console(highlight=False)
places_app = typer.Typer(
    help="Places and their boundaries: import from GeoJSON or GeoPackage, locate points.",
    no_args_is_help=True, rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    app.add_typer(places_app, name="places")


@places_app.command("import")
def places_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A .geojson/.json or .gpkg file.", exists=True,
                                         dir_okay=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run",
                                          help="Check and report, write nothing.")] = False,
) -> None:
    """Create or update places with boundaries from FILE, all or nothing.

    Each feature needs the properties code, name, level (city, district, subdistrict,
    community, grid) and parent (the parent's code; none for a city), optionally name_en,
    and a Polygon or MultiPolygon in WGS84 longitude/latitude. Any bad feature stops the
    import; every problem is listed with the feature's number in the file and its code.
    """
    from rescity.core.boundaries.importer import import_places
    from rescity.core.boundaries.sources import read_features

    features = read_features(file)
    _, factory = database(settings_of(ctx))
    with UnitOfWork(factory) as uow:
        report = import_places(uow.session, features, dry_run=dry_run)
        if dry_run:
            uow.rollback()
        else:
            audit_log.record(uow.session, None, kind=AuditKind.WRITE, action="place.import",
                             record_type="place", record_id=file.name,
                             detail={"by": "cli", "created": len(report.created),
                                     "updated": len(report.updated)})
            uow.commit()
    verb = "would create" if dry_run else "created"
    console.print(f"{verb} {len(report.created)} and "
                  f"{'would update' if dry_run else 'updated'} {len(report.updated)} places "
                  f"from {len(features)} features" + (" (dry run: nothing written)"
                                                       if dry_run else ""))


@places_app.command("locate")
def places_locate(
    ctx: typer.Context,
    lon: Annotated[float, typer.Argument(help="Longitude (WGS84 degrees).")],
    lat: Annotated[float, typer.Argument(help="Latitude (WGS84 degrees).")],
) -> None:
    """Print the innermost place whose boundary contains the point LON LAT.

    A point on a boundary belongs to the place; on an edge shared by two places of the same
    level, the one whose code sorts first wins. Exit code 1 when no boundary contains it.
    (Negative longitudes: put -- before the numbers.)
    """
    from rescity.core.boundaries import covering

    _, factory = database(settings_of(ctx))
    with factory() as session:
        found = covering(session, lon, lat)
        if not found:
            console.print(f"({lon}, {lat}) lies outside every place boundary")
            raise typer.Exit(1)
        # Plain tab-separated lines (no Rich layout), for scripts.
        typer.echo(_line(found[0]))
        for other in found[1:]:
            within = found[0].path.startswith(other.path)
            typer.echo(("  within " if within else "  also on its edge: ") + _line(other))


def _line(place: Place) -> str:
    names = place.name_zh + (f" / {place.name_en}" if place.name_en else "")
    return f"{place.code}\t{place.level}\t{names}\t{place.path}"
