"""The cases CLI, ``rescity cases …``: the deadline sweep, handlers, Open311 keys, scores.
The runtime helper and the ``cli`` principal here are also used by ``rescity sensors`` and
``rescity help-requests``.

Commands act as the operator who runs them (a system principal with the administrator's
rights, named ``cli`` in the audit log): whoever can run the CLI can open the database.
"""

from __future__ import annotations

import csv
import json
import logging
import sys
import time
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from rescity.cli.context import database, moment, settings_of, zoned
from rescity.community.cases import handlers as handler_staff
from rescity.community.cases import open311
from rescity.community.cases import sweep as case_sweep
from rescity.community.cases.domain import HandlerKind
from rescity.community.cases.runtime import OpsRuntime
from rescity.core.places import get_place
from rescity.core.security.policy import Grant, Principal, Role
from rescity.core.storage.uow import UnitOfWork

console = Console()
log = logging.getLogger(__name__)
CLI = Principal(user_id=0, username="cli", grants=(Grant(Role.CITY_ADMIN, "/"),))

cases_app = typer.Typer(help="Work orders and hotline cases.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(cases_app, name="cases")


def runtime_of(ctx: typer.Context, at: str | None = None) -> tuple[OpsRuntime, Any]:
    """The runtime (its clock at ``at`` when given) and a session factory."""
    settings = settings_of(ctx)
    _, factory = database(settings)
    rt = OpsRuntime.create(settings)
    if at is not None:
        when = moment(at, rt.zone)
        console.print(f"acting as if it were {zoned(when, rt.zone)}")
        rt = rt.with_clock(lambda: when)
    return rt, factory


@cases_app.command("sweep")
def cases_sweep(
    ctx: typer.Context,
    every: Annotated[int, typer.Option(help="Repeat every N seconds (0: once).")] = 0,
    at: Annotated[str | None, typer.Option(
        help="Rehearse: act as if it were this date-time (ISO; local time of "
             "RESCITY_COMMUNITY_TIMEZONE unless an offset is given); default: now.")] = None,
) -> None:
    """Escalate overdue cases (alerts) and close resolved cases past the reopening window."""
    rt, factory = runtime_of(ctx, at)
    while True:
        with UnitOfWork(factory) as uow:
            r = case_sweep.sweep(uow, rt)
        console.print(f"escalated {r.escalated}, alerts {r.alerts}, closed {r.closed}")
        if not every or at is not None:
            return
        time.sleep(every)


@cases_app.command("add-handler")
def add_handler(
    ctx: typer.Context, code: str,
    kind: Annotated[HandlerKind, typer.Option(help="department or property_manager")],
    place: Annotated[str, typer.Option(help="Code of the place it serves.")],
    name_zh: Annotated[str, typer.Option()], name_en: Annotated[str, typer.Option()] = "",
) -> None:
    """Add a department or property manager that cases can be dispatched to."""
    _, factory = runtime_of(ctx)
    with UnitOfWork(factory) as uow:
        handler_staff.add_handler(uow, CLI, code=code, kind=kind, name_zh=name_zh,
                                name_en=name_en, place=get_place(uow.session, place))
    console.print(f"handler {code} added")


@cases_app.command("open311-key")
def open311_key(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="The client application's name.")],
    place: Annotated[str, typer.Option(help="Code of the area its requests belong to.")],
) -> None:
    """Create an Open311 API key (printed once; only its hash is stored)."""
    _, factory = runtime_of(ctx)
    with UnitOfWork(factory) as uow:
        key = open311.create_client(uow, CLI, name=name, place=get_place(uow.session, place))
    console.print(key)


@cases_app.command("scores")
def scores(
    ctx: typer.Context,
    month: Annotated[str, typer.Option(help="YYYY-MM")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON rows, for scripts.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV rows, for spreadsheets.")] = False,
) -> None:
    """The month's scoring table of departments and property managers (驾照式扣分)."""
    rt, factory = runtime_of(ctx)
    with UnitOfWork(factory) as uow:
        rows = [_score_row(h, r) for h, r in case_sweep.scores(uow.session, rt, CLI, month)]
    if as_json or as_csv:
        _write_rows(rows, "json" if as_json else "csv")
        return
    # Narrow columns and deductions below the table: it fits an 80-column terminal.
    table = Table("handler", "due", "on\ntime", "late", "open\noverdue", "on-time\nrate",
                  "reopen\nrate", "rating", "points", title=f"scores {month}",
                  box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    table.columns[0].no_wrap = True
    for row in rows:
        table.add_row(row["handler"], str(row["due"]), str(row["on_time"]), str(row["late"]),
                      str(row["open_overdue"]), pct(row["on_time_rate"]),
                      pct(row["reopen_rate"]),
                      "–" if row["mean_rating"] is None else f"{row['mean_rating']:.1f}",
                      f"{row['points']:g}")
    console.print(table)
    for row in rows:
        if row["deductions"]:
            console.print(f"{row['handler']}: " + ", ".join(
                f"{k} -{v:g}" for k, v in row["deductions"].items()))


def _score_row(handler: Any, r: Any) -> dict[str, Any]:
    return {"handler": handler.code, "name_zh": handler.name_zh, "name_en": handler.name_en,
            "due": r.due, "on_time": r.on_time, "late": r.late, "open_overdue": r.open_overdue,
            "on_time_rate": r.on_time_rate, "reopen_rate": r.reopen_rate,
            "mean_rating": r.mean_rating, "deductions": dict(r.deductions), "points": r.points}


def _write_rows(rows: list[dict[str, Any]], fmt: str) -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=[
        "handler", "name_zh", "name_en", "due", "on_time", "late", "open_overdue",
        "on_time_rate", "reopen_rate", "mean_rating", "deductions", "points"])
    writer.writeheader()
    for row in rows:
        flat = {**row, "deductions": "; ".join(f"{k} -{v:g}" for k, v in row["deductions"].items())}
        writer.writerow(flat)


def pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


