"""The one place where module commands are added to the ``rescity`` CLI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from sqlalchemy.orm import sessionmaker

from rescity.core.config import Settings


def register_all(app: typer.Typer) -> None:
    from rescity.community.entrypoints.cli_operations import register as register_operations

    register_operations(app)


DemoLoader = Callable[[Settings, "sessionmaker[Any]"], str]


def demo_loaders() -> list[tuple[str, DemoLoader]]:
    """(name, loader) pairs that `rescity demo` runs; each returns a one-line summary."""
    from rescity.community.entrypoints.demo_operations import load as operations_demo

    return [("community operations", operations_demo)]
