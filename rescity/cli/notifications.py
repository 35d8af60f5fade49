"""``rescity notifications``: run the delivery worker, send a test, count the outbox."""

from __future__ import annotations

import signal
import threading
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import func, select

from rescity.cli.context import database, settings_of
from rescity.core.accounts import User
from rescity.core.errors import NotFound
from rescity.core.storage.uow import UnitOfWork

console = Console(highlight=False)
notifications_app = typer.Typer(
    help="Notifications: the delivery worker, the outbox, preferences.",
    no_args_is_help=True, rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    app.add_typer(notifications_app, name="notifications")


@notifications_app.command("worker")
def worker(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Handle what is due now, then stop.")
                    ] = False,
    batch: Annotated[int, typer.Option(min=1, max=500, help="Deliveries claimed at a time.")
                     ] = 20,
    pace: Annotated[float, typer.Option(min=0, help="Seconds between two sends (robots "
                                                    "accept about 20 messages a minute).")
                    ] = 0.0,
    idle: Annotated[float, typer.Option(min=0.1, help="Seconds to wait when nothing is due.")
                    ] = 1.0,
) -> None:
    """Deliver e-mails and group-robot messages from the outbox, with retries.

    Run one or more (on several machines if you like): deliveries are leased, so no two
    workers send the same one, and those of a worker that stops are taken over when its
    lease (setting notify_lease_s) runs out. SIGTERM or Ctrl-C ends the worker after the
    message it is sending.
    """
    from rescity.core.notifications.worker import Worker

    settings = settings_of(ctx)
    _, factory = database(settings)
    runner = Worker(settings, factory, batch=batch, pace_s=pace)
    if once:
        total = 0
        while handled := runner.run_once():
            total += handled
        console.print(f"handled {total} deliveries")
        return
    stop = threading.Event()

    def finish(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    console.print(f"notification worker {runner.name} running (Ctrl-C to stop)")
    runner.run(stop, idle_s=idle)


@notifications_app.command("send")
def send(
    ctx: typer.Context,
    username: str,
    subject: Annotated[str, typer.Option(help="Subject line.")] = "rescity test",
    body: Annotated[str, typer.Option(help="Text.")] = "",
    urgent: Annotated[bool, typer.Option("--urgent", help="Ignore quiet hours.")] = False,
) -> None:
    """Put a test notification for USERNAME in the outbox (on every channel they chose)."""
    from rescity.core.notifications import notify
    from rescity.core.notifications.models import Delivery

    _, factory = database(settings_of(ctx))
    with UnitOfWork(factory) as uow:
        user = uow.session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"no user named '{username}'")
        note = notify(uow.session, recipient_user_id=user.id, kind="test", subject=subject,
                      body=body, urgent=urgent)
        channels = list(uow.session.scalars(
            select(Delivery.channel).where(Delivery.notification_id == note.id)))
        uow.commit()
    console.print(f"notification {note.id} for {username}: in-app"
                  + "".join(f", {c}" for c in channels))


@notifications_app.command("purge")
def purge_old(
    ctx: typer.Context,
    days: Annotated[int, typer.Option(min=1, help="Keep notifications this many days.")] = 90,
) -> None:
    """Delete notifications older than --days whose deliveries are finished."""
    from datetime import timedelta

    from rescity.core import audit as audit_log
    from rescity.core.audit import AuditKind
    from rescity.core.notifications.outbox import purge
    from rescity.core.storage.db import utcnow

    _, factory = database(settings_of(ctx))
    with UnitOfWork(factory) as uow:
        count = purge(uow.session, before=utcnow() - timedelta(days=days))
        audit_log.record(uow.session, None, kind=AuditKind.WRITE, action="notification.purge",
                         record_type="notification", record_id="",
                         detail={"by": "cli", "days": days, "deleted": count})
        uow.commit()
    console.print(f"deleted {count} notifications older than {days} days")


@notifications_app.command("status")
def status(ctx: typer.Context) -> None:
    """Count deliveries by channel and status (pending, sending, sent, failed)."""
    from rescity.core.notifications.models import Delivery

    _, factory = database(settings_of(ctx))
    with factory() as session:
        rows = session.execute(
            select(Delivery.channel, Delivery.status, func.count())
            .group_by(Delivery.channel, Delivery.status)
            .order_by(Delivery.channel, Delivery.status)).all()
    if not rows:
        console.print("no deliveries")
    for channel, state, count in rows:  # tab-separated, for scripts
        typer.echo(f"{channel}\t{state}\t{count}")
