"""The sensors CLI, ``rescity sensors …``: register a device, run the MQTT consumer."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from rescity.community.cases.cli import CLI, console, runtime_of
from rescity.community.sensors import services as sensors
from rescity.community.sensors.consumer import build_consumer
from rescity.community.sensors.domain import sensor_rules
from rescity.core.places import get_place
from rescity.core.storage.uow import UnitOfWork

sensors_app = typer.Typer(help="Sensor devices and the MQTT consumer.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(sensors_app, name="sensors")


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
    _, factory = runtime_of(ctx)
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
    rt, factory = runtime_of(ctx)
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
