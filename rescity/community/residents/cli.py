"""``rescity community …``: the retention job, the missed-check-in sweep, key rotation."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from rescity.cli.context import database, moment, settings_of, zoned
from rescity.community.health import services as checkins
from rescity.community.residents import privacy
from rescity.community.shared.runtime import Runtime
from rescity.core.storage.uow import UnitOfWork

console = Console()
community_app = typer.Typer(help="Community operations: retention, sweeps, keys.",
                            no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(community_app, name="community")


def _runtime(ctx: typer.Context, at: str | None) -> Runtime:
    settings = settings_of(ctx)
    if at is None:
        return Runtime.create(settings)
    when = moment(at, ZoneInfo(settings.community_timezone))
    console.print(f"acting as if it were {zoned(when, ZoneInfo(settings.community_timezone))}")
    return Runtime.create(settings, clock=lambda: when)


Now = Annotated[str | None, typer.Option(
    "--at", "--now",
    help="Rehearse: act as if it were this date-time (ISO; local time of "
         "RESCITY_COMMUNITY_TIMEZONE unless an offset is given); default: now.")]


@community_app.command("purge")
def purge(ctx: typer.Context, now: Now = None) -> None:
    """Delete or de-identify personal data past its retention period (run daily)."""
    rt = _runtime(ctx, now)
    _, factory = database(rt.settings)
    with UnitOfWork(factory) as uow:
        report = privacy.purge(uow, rt)
    table = Table("what", "rows", title=f"retention purge as of {report.now:%Y-%m-%d %H:%M} UTC")
    for what, n in report.counts.items():
        table.add_row(what, str(n))
    if not report.counts:
        table.add_row("nothing past its retention period", "0")
    console.print(table)


@community_app.command("sweep")
def sweep(
    ctx: typer.Context,
    place: Annotated[str, typer.Option(help="Place code (default: the whole city).")] = "",
    now: Now = None,
) -> None:
    """Raise missed-check-in alerts for residents who have not checked in by the deadline."""
    rt = _runtime(ctx, now)
    _, factory = database(rt.settings)
    with UnitOfWork(factory) as uow:
        if place:
            raised = checkins.sweep(uow, rt, None, place_code=place)
        else:
            raised = checkins.sweep_missed(uow.session, rt)
            uow.commit()
    # Only alerts this run raised: those of an earlier run the same day are not counted again.
    console.print(f"missed-check-in alerts raised: {raised}")


@community_app.command("reseal")
def reseal(ctx: typer.Context) -> None:
    """Re-encrypt stored identifiers under the newest key in RESCITY_DATA_KEYS (rotation)."""
    rt = _runtime(ctx, None)
    _, factory = database(rt.settings)
    with UnitOfWork(factory) as uow:
        moved = privacy.reseal_all(uow, rt)
    console.print(f"values moved to the newest key: {moved}")
