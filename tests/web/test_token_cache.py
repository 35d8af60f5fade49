"""The per-process API token cache (RESCITY_AUTH_CACHE_S): fast, but never stale in-process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from rescity.core.accounts import ApiToken, User, get_user, issue_api_token
from rescity.core.security.token_cache import TokenCache
from rescity.core.storage.uow import UnitOfWork


def _token(session_factory, username: str) -> str:
    with UnitOfWork(session_factory) as uow:
        token = issue_api_token(uow.session, get_user(uow.session, username))
        uow.commit()
    return token


def _me(world, token: str) -> int:
    return world.client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_deleted_token_is_refused_at_once(world, session_factory):
    token = _token(session_factory, "grid")
    assert _me(world, token) == 200
    assert _me(world, token) == 200  # served from the cache
    with UnitOfWork(session_factory) as uow:
        uow.session.execute(delete(ApiToken))
        uow.commit()
    assert _me(world, token) == 401


def test_deactivated_user_is_refused_at_once(world, session_factory):
    token = _token(session_factory, "grid")
    assert _me(world, token) == 200
    with UnitOfWork(session_factory) as uow:
        uow.session.scalar(select(User).where(User.username == "grid")).active = False
        uow.commit()
    assert _me(world, token) == 401


def test_entries_end_with_the_ttl_and_the_token_expiry():
    now = datetime.now(UTC)
    cache: TokenCache[str] = TokenCache(ttl_s=30)
    cache.put("a", "alice", None)
    cache.put("b", "bob", now + timedelta(seconds=1))
    assert cache.get("a", now) == "alice"
    assert cache.get("b", now) == "bob"
    assert cache.get("b", now + timedelta(seconds=2)) is None  # the token expired
    assert TokenCache[str](ttl_s=0).get("a", now) is None
    short: TokenCache[str] = TokenCache(ttl_s=1e-9)
    short.put("a", "alice", None)
    assert short.get("a", now) is None
