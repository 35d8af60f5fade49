"""CLI of community part II: ``rescity cases …``, ``rescity sensors …``, ``rescity help …``.

Commands act as the operator who runs them (a system principal with the administrator's
rights, named ``cli`` in the audit log): whoever can run the CLI can open the database.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from rescity.cli.context import database, settings_of
from rescity.community.domain.help_requests import help_rules
from rescity.community.domain.sensors import sensor_rules
from rescity.community.domain.work_orders import HandlerKind
from rescity.community.services import (
    case_sweep,
    help_matching_run,
    open311,
    sensors,
    work_orders,
)
from rescity.community.services.ops_runtime import OpsRuntime
from rescity.community.services.sensor_consumer import build_consumer
from rescity.core.places import get_place
from rescity.core.security.policy import Grant, Principal, Role
from rescity.core.storage.uow import UnitOfWork

console = Console()
log = logging.getLogger(__name__)
CLI = Principal(user_id=0, username="cli", grants=(Grant(Role.CITY_ADMIN, "/"),))

cases_app = typer.Typer(help="Work orders and hotline cases.", no_args_is_help=True)
sensors_app = typer.Typer(help="Sensor devices and the MQTT consumer.", no_args_is_help=True)
help_app = typer.Typer(help="Help requests matched to volunteers.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(cases_app, name="cases")
    app.add_typer(sensors_app, name="sensors")
    app.add_typer(help_app, name="help-requests")


def _runtime(ctx: typer.Context) -> tuple[OpsRuntime, Any]:
    settings = settings_of(ctx)
    _, factory = database(settings)
    return OpsRuntime.create(settings), factory


@cases_app.command("sweep")
def cases_sweep(
    ctx: typer.Context,
    every: Annotated[int, typer.Option(help="Repeat every N seconds (0: once).")] = 0,
) -> None:
    """Escalate overdue cases (alerts) and close resolved cases past the reopening window."""
    rt, factory = _runtime(ctx)
    while True:
        with UnitOfWork(factory) as uow:
            r = case_sweep.sweep(uow, rt)
        console.print(f"escalated {r.escalated}, alerts {r.alerts}, closed {r.closed}")
        if not every:
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
    _, factory = _runtime(ctx)
    with UnitOfWork(factory) as uow:
        work_orders.add_handler(uow, CLI, code=code, kind=kind, name_zh=name_zh,
                                name_en=name_en, place=get_place(uow.session, place))
    console.print(f"handler {code} added")


@cases_app.command("open311-key")
def open311_key(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="The client application's name.")],
    place: Annotated[str, typer.Option(help="Code of the area its requests belong to.")],
) -> None:
    """Create an Open311 API key (printed once; only its hash is stored)."""
    _, factory = _runtime(ctx)
    with UnitOfWork(factory) as uow:
        key = open311.create_client(uow, CLI, name=name, place=get_place(uow.session, place))
    console.print(key)


@cases_app.command("scores")
def scores(ctx: typer.Context,
           month: Annotated[str, typer.Option(help="YYYY-MM")]) -> None:
    """The month's scoring table of departments and property managers (驾照式扣分)."""
    rt, factory = _runtime(ctx)
    table = Table("handler", "due", "on time", "late", "open overdue", "on-time rate",
                  "reopen rate", "rating", "deductions", "points")
    with UnitOfWork(factory) as uow:
        for h, r in case_sweep.scores(uow.session, rt, CLI, month):
            table.add_row(h.code, str(r.due), str(r.on_time), str(r.late), str(r.open_overdue),
                          pct(r.on_time_rate), pct(r.reopen_rate),
                          "–" if r.mean_rating is None else f"{r.mean_rating:.1f}",
                          ", ".join(f"{k} -{v:g}" for k, v in r.deductions.items()),
                          f"{r.points:g}")
    console.print(table)


def pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


@help_app.command("match")
def help_match(
    ctx: typer.Context,
    every: Annotated[int, typer.Option(help="Repeat every N seconds (0: once).")] = 0,
) -> None:
    """Expire unanswered offers, offer open requests to the best free volunteers, escalate
    requests that failed too many offers."""
    rt, factory = _runtime(ctx)
    rules = help_rules()
    while True:
        with UnitOfWork(factory) as uow:
            r = help_matching_run.run_round(uow, rt, rules, CLI)
        console.print(f"expired {r.expired}, offers {r.offers}, escalated {r.escalated}, "
                      f"unmatched {r.unmatched}")
        if not every:
            return
        time.sleep(every)


@sensors_app.command("add-device")
def add_device(
    ctx: typer.Context, code: str,
    kind: Annotated[str, typer.Option(help="door_magnet, thermometer, elevator_detector, camera")],
    place: Annotated[str, typer.Option(help="Code of the grid or community.")],
    resident: Annotated[int | None, typer.Option(help="Resident id a door magnet watches.")]
    = None,
    label: str = "",
) -> None:
    """Register a device; prints its HTTP token once."""
    _, factory = _runtime(ctx)
    with UnitOfWork(factory) as uow:
        token = sensors.register_device(uow, CLI, code=code, kind=kind,
                                        place=get_place(uow.session, place),
                                        rules=sensor_rules(), label=label, resident_id=resident)
    console.print(token)


@sensors_app.command("run")
def run(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Broker host (default: mqtt_host).")] = None,
    port: Annotated[int | None, typer.Option(help="Broker port (default: mqtt_port).")] = None,
    client_id: Annotated[str, typer.Option(help="Fixed id: the broker keeps its session.")]
    = "rescity-sensors",
    batch_size: Annotated[int, typer.Option(min=1, max=5000)] = 500,
) -> None:
    """Consume sensor events from MQTT (rescity/sensors/<device>) until interrupted."""
    rt, factory = _runtime(ctx)
    settings = rt.settings
    consumer, totals = build_consumer(
        factory, rt, sensor_rules(), host=host or settings.mqtt_host,
        port=port or settings.mqtt_port, client_id=client_id, batch_size=batch_size)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    console.print(f"consuming rescity/sensors/# from {consumer.host}:{consumer.port} "
                  f"as {client_id}; Ctrl-C stops")
    consumer.run(stop)
    console.print(f"accepted {totals.accepted}, rejected "
                  f"{sum(totals.outcomes.values()) - totals.accepted}, alerts {totals.alerts}, "
                  f"cases {totals.cases}")
