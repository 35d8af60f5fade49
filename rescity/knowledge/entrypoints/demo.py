"""The knowledge part of `rescity demo`: import the shared seed documents when present."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import sessionmaker

from rescity.core.config import Settings
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters.importers import parse_file
from rescity.knowledge.services.catalogue import apply_import

SEEDS = (
    ("guangzhou-award-6th-chinese-initiatives.txt", "guangzhou-award"),
    ("iurc-china-news.txt", "iurc-news"),
    ("iuc-city-to-city-cooperation.txt", "iuc-slides"),
)


def seeds_dir(settings: Settings) -> Path:
    """``$RESCITY_SEEDS_DIR``, ``$RESCITY_SHARED_DIR/seeds``, else ``../shared/seeds``."""
    import os

    configured = os.environ.get("RESCITY_SEEDS_DIR")
    if configured:
        return Path(configured)
    if os.environ.get("RESCITY_SHARED_DIR"):
        return Path(os.environ["RESCITY_SHARED_DIR"]) / "seeds"
    del settings
    return Path(__file__).resolve().parents[3].parent / "shared" / "seeds"


def load_demo(settings: Settings, factory: sessionmaker[Any]) -> str:
    folder = seeds_dir(settings)
    if not folder.is_dir():
        return f"seed documents not found at {folder} (set RESCITY_SEEDS_DIR); skipped"
    done = []
    for name, fmt in SEEDS:
        path = folder / name
        if not path.exists():
            done.append(f"{name} missing")
            continue
        with UnitOfWork(factory) as uow:
            summary = apply_import(uow, parse_file(path, fmt))
        done.append(
            f"{fmt}: {len(summary.created)} new initiatives, {summary.partners} "
            f"partners, {summary.pairings} pairings"
        )
    return "; ".join(done)
