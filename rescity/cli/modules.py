"""The one place where module commands are added to the ``rescity`` CLI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from sqlalchemy.orm import sessionmaker

from rescity.core.config import Settings


def register_all(app: typer.Typer) -> None:
    """Every command, eagerly (the ``rescity`` command itself loads them one by one: a new
    module's commands must also be named in ``rescity/cli/lazy.py``, a test checks)."""
    from rescity.assess.entrypoints import cli as assess_cli
    from rescity.assess.entrypoints import cli_report as assess_report_cli
    from rescity.cli import admin, demo, notifications, places
    from rescity.community.cases import cli as community_cases_cli
    from rescity.community.help import cli as community_help_cli
    from rescity.community.residents import cli as community_cli
    from rescity.community.sensors import cli as community_sensors_cli
    from rescity.knowledge.entrypoints import cli as knowledge_cli

    for module in (
        admin, demo, places, notifications, assess_cli, assess_report_cli, community_cli,
        community_cases_cli, community_sensors_cli, community_help_cli, knowledge_cli,
    ):
        module.register(app)


DemoLoader = Callable[[Settings, "sessionmaker[Any]"], str]


def demo_loaders() -> list[tuple[str, DemoLoader]]:
    """(name, loader) pairs that `rescity demo` runs; each returns a one-line summary."""
    from rescity.community.demo.casework import load as operations_demo
    from rescity.community.demo.households import load_demo as community_demo
    from rescity.community.demo.volunteers import load as volunteer_demo
    from rescity.knowledge.entrypoints.demo import load_demo as knowledge_demo

    return [
        ("community", community_demo),
        ("community operations", operations_demo),
        ("community volunteers", volunteer_demo),
        ("knowledge", knowledge_demo),
    ]
