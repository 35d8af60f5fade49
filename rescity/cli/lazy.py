"""Commands imported only when they run: ``rescity --help`` or ``rescity kb …`` must not pay
for geopandas, matplotlib or pyarrow (seconds and hundreds of MB) that only ``assess`` needs.

Each command is named here with the module that registers it and its one-line help (for the
list in ``rescity --help``, which therefore imports nothing); a test checks that the lines
match the commands' own help. Asking for a command (to run it or for its ``--help``) imports
its module and nothing else.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

import typer
import typer.main
from typer.core import TyperGroup


class Lazy(NamedTuple):
    module: str
    """Module whose ``register(app)`` adds the command."""
    help: str
    """First paragraph of the command's help."""


COMMANDS: dict[str, Lazy] = {
    "serve": Lazy("rescity.cli.admin", "Run the web app (API at /api, OpenAPI at /docs)."),
    "audit": Lazy("rescity.cli.admin", "Show the newest audit-log entries."),
    "demo": Lazy("rescity.cli.demo",
                 "Set up the demo database and serve the web app on localhost."),
    "assess": Lazy("rescity.assess.entrypoints.cli",
                   "Score every residential origin's 15-minute life circle and resilience "
                   "indices."),
    "report": Lazy("rescity.assess.entrypoints.cli_report",
                   "Write a self-contained HTML report (and PDF) with maps, tables and "
                   "proposed sites."),
    "compare": Lazy("rescity.assess.entrypoints.cli_report",
                    "Assess several cities with the same configuration, in parallel, and "
                    "compare them."),
    "site": Lazy("rescity.assess.entrypoints.cli_report",
                 "Propose k new sites for an item that cover the most residents now without "
                 "it."),
    "db": Lazy("rescity.cli.admin", "Database schema migrations."),
    "user": Lazy("rescity.cli.admin", "Users and their roles."),
    "community": Lazy("rescity.community.residents.cli",
                      "Community operations: retention, sweeps, keys."),
    "cases": Lazy("rescity.community.cases.cli",
                  "Work orders and hotline cases."),
    "sensors": Lazy("rescity.community.sensors.cli",
                    "Sensor devices and the MQTT consumer."),
    "help-requests": Lazy("rescity.community.help.cli",
                          "Help requests matched to volunteers."),
    "places": Lazy("rescity.cli.places",
                   "Places and their boundaries: import from GeoJSON or GeoPackage, locate "
                   "points."),
    "notifications": Lazy("rescity.cli.notifications",
                          "Notifications: the delivery worker, the outbox, preferences."),
    "kb": Lazy("rescity.knowledge.entrypoints.cli",
               "Knowledge base: initiatives, city profiles, partner cities."),
}


def load(module: str) -> dict[str, Any]:
    """The click commands that ``module.register`` adds, by name."""
    holder = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False,
                         add_completion=False)
    importlib.import_module(module).register(holder)
    cmd = typer.main.get_command(holder)
    found: dict[str, Any] = dict(getattr(cmd, "commands", {}))
    if not found and cmd.name:  # a module that registers one command gets it back bare
        found[cmd.name] = cmd
    return found


class LazyGroup(TyperGroup):
    """The root group: commands from :data:`COMMANDS`, loaded on first use."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *(n for n in self.commands if n not in COMMANDS)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            for name, cmd in load(COMMANDS[cmd_name].module).items():
                self.commands.setdefault(name, cmd)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The command list from the one-line helps above, without importing anything."""
        from typer._click.utils import make_default_short_help

        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            cmd = self.commands.get(name)
            text = (cmd.get_short_help_str(limit) if cmd is not None
                    else make_default_short_help(COMMANDS[name].help, limit))
            rows.append((name, text))
        with formatter.section("Commands"):
            formatter.write_dl(rows)
