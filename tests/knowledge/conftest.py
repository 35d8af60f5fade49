"""Fixtures for the knowledge tests: seed paths, imported databases, users with roles."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker

from rescity.core.accounts import create_user, grant_role, principal_of
from rescity.core.places import PlaceLevel, add_place
from rescity.core.security.policy import Principal
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters.importers import parse_file
from rescity.knowledge.services.catalogue import ImportSummary, apply_import

GZ_FILE = "guangzhou-award-6th-chinese-initiatives.txt"
IURC_FILE = "iurc-china-news.txt"
IUC_FILE = "iuc-city-to-city-cooperation.txt"


@pytest.fixture
def gz_path(seeds_dir: Path) -> Path:
    return seeds_dir / GZ_FILE


@pytest.fixture
def import_file(session_factory: sessionmaker[Any]) -> Callable[..., ImportSummary]:
    def run(path: Path, fmt: str = "guangzhou-award", *, force: bool = False) -> ImportSummary:
        with UnitOfWork(session_factory) as uow:
            return apply_import(uow, parse_file(path, fmt), force=force)

    return run


@pytest.fixture
def seeded(
    import_file: Callable[..., ImportSummary], seeds_dir: Path, session_factory: sessionmaker[Any]
) -> sessionmaker[Any]:
    """A database with the three seed documents imported."""
    import_file(seeds_dir / GZ_FILE)
    import_file(seeds_dir / IURC_FILE, "iurc-news")
    import_file(seeds_dir / IUC_FILE, "iuc-slides")
    return session_factory


@pytest.fixture
def make_user(session_factory: sessionmaker[Any]) -> Callable[..., Principal]:
    """Create a user (optionally with a role on a city place) and return its principal."""
    counter = {"n": 0}

    def make(username: str, role: str | None = None) -> Principal:
        with UnitOfWork(session_factory) as uow:
            user = create_user(uow.session, username=username, password="a-long-password-1")
            if role:
                counter["n"] += 1
                place = add_place(
                    uow.session,
                    level=PlaceLevel.CITY,
                    code=f"kbcity{counter['n']}-{username}",
                    name_zh="测试市",
                )
                grant_role(uow.session, user, role, place)
            uow.session.flush()
            uow.session.refresh(user)
            principal = principal_of(user)
            uow.commit()
        return principal

    return make
