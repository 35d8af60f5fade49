"""The one place where module commands are added to the ``rescity`` CLI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from sqlalchemy.orm import sessionmaker

from rescity.core.config import Settings


def register_all(app: typer.Typer) -> None:
    from rescity.knowledge.entrypoints import cli as knowledge_cli

    knowledge_cli.register(app)


DemoLoader = Callable[[Settings, "sessionmaker[Any]"], str]


def demo_loaders() -> list[tuple[str, DemoLoader]]:
    """(name, loader) pairs that `rescity demo` runs; each returns a one-line summary."""
    from rescity.knowledge.entrypoints.demo import load_demo as knowledge_demo

    return [("knowledge", knowledge_demo)]
