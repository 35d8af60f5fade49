"""The ``rescity`` command: a thin layer over the services (Typer + Rich).

Errors that rescity raises on purpose are printed as one clear message with exit code 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from rescity.cli.lazy import LazyGroup
from rescity.core.errors import RescityError

if TYPE_CHECKING:
    from rescity.core.config import Settings

app = typer.Typer(
    name="rescity",
    cls=LazyGroup,  # commands are imported when they run (rescity/cli/lazy.py)
    help="Resilient, socially integrative cities: assess, community, knowledge.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
err = Console(stderr=True)


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="TOML settings file (else RESCITY_CONFIG).",
            envvar="RESCITY_CONFIG",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug messages.")] = False,
) -> None:
    """Settings are loaded once here and passed to every command."""
    ctx.obj = _LazySettings(config)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        # numexpr announces its thread count at INFO on import (pandas imports it): noise
        # in every assess and report run.
        logging.getLogger("numexpr").setLevel(logging.WARNING)


class _LazySettings:
    """Loads settings on first use so that `--help` works even with a broken config."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._settings: Settings | None = None

    def get(self) -> Settings:
        if self._settings is None:
            from rescity.core.config import load_settings

            self._settings = load_settings(self.path)
        return self._settings



def main() -> None:
    try:
        app()
    except RescityError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True, markup=True)
        sys.exit(2)
