"""``rescity community …``: the retention job, the missed-check-in sweep, key rotation, and
``rescity community residents import/export`` (the office's register as XLSX or CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import select

from rescity.cli.context import database, moment, settings_of, zoned
from rescity.community.health import services as checkins
from rescity.community.residents import privacy
from rescity.community.residents import reseal as resealing
from rescity.community.shared.runtime import Runtime
from rescity.community.shared.sealed import BATCH
from rescity.core.accounts import User, principal_of
from rescity.core.errors import InputError, Problem
from rescity.core.security.policy import Principal
from rescity.core.storage.uow import UnitOfWork

console = Console()
community_app = typer.Typer(help="Community operations: retention, sweeps, keys.",
                            no_args_is_help=True)


residents_app = typer.Typer(help="The office's resident register: import and export.",
                            no_args_is_help=True)
community_app.add_typer(residents_app, name="residents")


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
def reseal(
    ctx: typer.Context,
    batch: Annotated[int, typer.Option(min=1, help="Rows re-encrypted and committed at a "
                                                   "time.")] = BATCH,
) -> None:
    """Re-encrypt every sealed value and lookup digest under the newest data key (rotation).

    Covers every sealed column of every capability (residents, visitors, volunteers, help
    requests, case reporters, outbreak cases, venue keys); safe to run again. Exits 1 when a
    value opens with none of the configured keys: keep the old key until that is resolved.
    """
    rt = _runtime(ctx, None)
    _, factory = database(rt.settings)
    with UnitOfWork(factory) as uow:
        report = resealing.reseal_all(uow, rt, batch=batch)
    table = Table("column", "moved", "unreadable", title=f"moved to key {report.key_id}")
    for label, moved in report.moved.items():
        table.add_row(label, str(moved), str(len(report.unreadable.get(label, []))))
    console.print(table)
    console.print(f"values moved to the newest key: {report.total}")
    if report.unreadable:
        for label, ids in report.unreadable.items():
            shown = ", ".join(str(i) for i in ids[:20]) + (" …" if len(ids) > 20 else "")
            console.print(f"[red]{label}: {len(ids)} value(s) no configured key opens "
                          f"(rows {shown}); do not remove an old key yet[/red]", soft_wrap=True)
        raise typer.Exit(1)


Place = Annotated[str, typer.Option("--place", help="Place code: every row's grid must lie "
                                                    "under it (a community or a grid).")]
As = Annotated[str, typer.Option("--as", help="Username of the office user this is done as: "
                                              "their roles limit it and the audit log names "
                                              "them.")]


def _principal(uow: UnitOfWork, username: str) -> Principal:
    user = uow.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise InputError([Problem("--as", f"no active user '{username}'")])
    return principal_of(user)


@residents_app.command("import")
def residents_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="An .xlsx workbook (first sheet) or a .csv "
                                              "file (UTF-8, UTF-8 with BOM or GB18030).",
                                         exists=True, dir_okay=False)],
    place: Place,
    as_user: As,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row and report; "
                                                            "write nothing.")] = False,
) -> None:
    """Register households and members from the office's sheet, all or nothing.

    Row 1 names the columns: household, grid, building, unit, room, name, relation, birth,
    phone, national_id (or 户号, 网格, 楼栋, 单元, 房号, 姓名, 与户主关系, 出生, 电话,
    身份证号). Every problem is listed with its row and column; one bad row or duplicate and
    nothing is written. Phone and national ID are stored encrypted.
    """
    from rescity.community.residents.bulk import import_residents
    from rescity.community.residents.sheet import MAX_BYTES

    if file.stat().st_size > MAX_BYTES:
        raise InputError([Problem(str(file), f"larger than {MAX_BYTES // 2**20} MB; split it")])
    rt = _runtime(ctx, None)
    _, factory = database(rt.settings)
    with UnitOfWork(factory) as uow, Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"reading and checking {file.name}", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, description="storing residents", completed=done, total=total)

        report = import_residents(
            uow, rt, _principal(uow, as_user), data=file.read_bytes(), filename=file.name,
            place_code=place, dry_run=dry_run, progress=progress,
        )
    read = f"{report.format.upper()}" + (f", {report.encoding}" if report.encoding else "")
    console.print(f"read {file.name} ({read}): {report.residents} residents in "
                  f"{report.households} households")
    verb = "would store" if dry_run else "stored"
    console.print(f"{verb}: {report.residents} residents, {report.households} households "
                  f"({report.households_joined} joining existing ones), "
                  f"{report.dwellings_new} new dwellings"
                  + (" (dry run: nothing written)" if dry_run else ""))


@residents_app.command("export")
def residents_export(
    ctx: typer.Context, place: Place, as_user: As,
    output: Annotated[Path, typer.Option("-o", "--output", help="The .xlsx file to write.",
                                         dir_okay=False)],
) -> None:
    """Write the current residents under a place to an XLSX file in the import's columns.

    Phone and national ID are written only where the user's role may reveal them (left empty
    otherwise); the export is recorded in the audit log as a read of personal data.
    """
    from rescity.community.residents.bulk_export import export_residents

    rt = _runtime(ctx, None)
    _, factory = database(rt.settings)
    with UnitOfWork(factory) as uow:
        exported = export_residents(uow, rt, _principal(uow, as_user), place_code=place)
    output.write_bytes(exported.content)
    console.print(f"wrote {exported.residents} residents to {output} (identifiers in the clear: "
                  f"{', '.join(exported.revealed) or 'none'})")
