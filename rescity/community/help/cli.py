"""The help-request CLI, ``rescity help-requests …``: run the matching round."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from rescity.community.cases.cli import CLI, console, runtime_of
from rescity.community.help import matching_run as help_matching_run
from rescity.community.help.domain import help_rules
from rescity.core.storage.uow import UnitOfWork

help_app = typer.Typer(help="Help requests matched to volunteers.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(help_app, name="help-requests")


@help_app.command("match")
def help_match(
    ctx: typer.Context,
    every: Annotated[int, typer.Option(help="Repeat every N seconds (0: once).")] = 0,
) -> None:
    """Expire unanswered offers, offer open requests to the best free volunteers, escalate
    requests that failed too many offers."""
    rt, factory = runtime_of(ctx)
    rules = help_rules()
    while True:
        with UnitOfWork(factory) as uow:
            r = help_matching_run.run_round(uow, rt, rules, CLI)
        console.print(f"expired {r.expired}, offers {r.offers}, escalated {r.escalated}, "
                      f"unmatched {r.unmatched}")
        if not every:
            return
        time.sleep(every)
