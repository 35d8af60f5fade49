"""``rescity user list|show|disable|enable|grant|revoke|revoke-token|reset-password`` on both
backends: the changes land, refusals name what is wrong, every change is audited as ``cli``."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from rescity.cli import app
from rescity.core.accounts import (
    ApiToken,
    User,
    authenticate,
    create_user,
    grant_role,
    issue_api_token,
    open_web_session,
    user_for_token,
)
from rescity.core.audit import AuditEntry
from rescity.core.errors import AuthenticationRequired, InputError, NotFound
from rescity.core.places import PlaceLevel, add_place
from rescity.core.storage.uow import UnitOfWork

runner = CliRunner()
PASSWORD = "correct horse battery"


@pytest.fixture
def cli(db_url: str, engine, session_factory, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("RESCITY_CONFIG", raising=False)
    monkeypatch.setenv("RESCITY_DATABASE_URL", db_url)
    with UnitOfWork(session_factory) as uow:
        s = uow.session
        city = add_place(s, level=PlaceLevel.CITY, code="city", name_zh="城")
        dist = add_place(s, level=PlaceLevel.DISTRICT, code="d", name_zh="区", parent=city)
        sub = add_place(s, level=PlaceLevel.SUBDISTRICT, code="s", name_zh="街道", parent=dist)
        a = add_place(s, level=PlaceLevel.COMMUNITY, code="a", name_zh="社区A", parent=sub)
        add_place(s, level=PlaceLevel.GRID, code="a1", name_zh="网格A1", parent=a)
        wang = create_user(s, username="wang", password=PASSWORD, display_name="Wang")
        grant_role(s, wang, "grid_worker", a)
        create_user(s, username="zhao", password=PASSWORD)
        uow.commit()
    return session_factory


def run(*args: str) -> str:
    result = runner.invoke(app, ["user", *args])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_grant_list_show_and_revoke_a_role(cli) -> None:
    run("grant", "zhao", "community_admin", "a1")
    listed = run("list", "--role", "community_admin")
    assert "zhao" in listed and "community_admin@a1" in listed and "wang" not in listed
    assert "1 users, page 1 of 1" in listed
    assert "wang" in run("list", "--place", "a", "--search", "WAN")
    shown = run("show", "zhao")
    assert "community_admin" in shown and "a1 网格A1" in shown
    run("revoke", "zhao", "community_admin", "a1")
    assert "community_admin" not in run("show", "zhao")
    with cli() as s:
        actions = [(r.actor, r.action) for r in s.scalars(select(AuditEntry)
                                                         .order_by(AuditEntry.id))]
    assert actions == [("cli", "user.grant"), ("cli", "user.revoke")]


def test_bad_input_is_refused_with_what_is_wrong(cli) -> None:
    bad_role = runner.invoke(app, ["user", "grant", "zhao", "mayor", "a1"])
    assert isinstance(bad_role.exception, InputError) and "unknown role 'mayor'" in str(
        bad_role.exception)
    unknown = runner.invoke(app, ["user", "disable", "ghost"])
    assert isinstance(unknown.exception, NotFound)
    missing = runner.invoke(app, ["user", "revoke", "zhao", "grid_worker", "a1"])
    assert isinstance(missing.exception, NotFound) and "no role grid_worker on a1" in str(
        missing.exception)


def test_disable_ends_sessions_and_tokens_and_enable_restores_the_account(cli) -> None:
    with UnitOfWork(cli) as uow:
        wang = uow.session.scalar(select(User).where(User.username == "wang"))
        assert wang is not None
        token = issue_api_token(uow.session, wang)
        open_web_session(uow.session, wang, max_age_s=3600)
        uow.commit()
    run("disable", "wang")
    with cli() as s:
        assert user_for_token(s, token) is None
        assert "0 open browser sessions" in run("show", "wang")
        assert "disabled" in run("list", "--state", "disabled")
    run("enable", "wang")
    with cli() as s:
        found = user_for_token(s, token)
        assert found is not None and found.username == "wang"


def test_reset_password_prints_a_one_time_password_and_revoke_token(cli) -> None:
    with UnitOfWork(cli) as uow:
        wang = uow.session.scalar(select(User).where(User.username == "wang"))
        assert wang is not None
        token = issue_api_token(uow.session, wang, label="phone")
        uow.commit()
    out = run("reset-password", "wang")
    temp = out.split("temporary password for wang: ")[1].split()[0]
    with cli() as s:
        with pytest.raises(AuthenticationRequired):
            authenticate(s, "wang", PASSWORD)
        user = authenticate(s, "wang", temp)
        assert user.must_change_password
        (token_id,) = s.scalars(select(ApiToken.id).where(ApiToken.user_id == user.id))
    run("revoke-token", "wang", str(token_id))
    with cli() as s:
        assert user_for_token(s, token) is None
        actions = {r.action for r in s.scalars(select(AuditEntry))}
    assert {"user.reset_password", "user.revoke_token"} <= actions
