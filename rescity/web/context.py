"""What the web app holds for its lifetime: settings, database, throttle, templates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from rescity.core.config import Settings
from rescity.core.security.throttle import LoginThrottle
from rescity.core.security.token_cache import TokenCache
from rescity.core.storage.aio import PgFlows
from rescity.core.storage.db import make_engine, make_session_factory

WEB_DIR = Path(__file__).parent
SESSION_COOKIE = "rescity_session"
CSRF_COOKIE = "rescity_csrf"
LANG_COOKIE = "rescity_lang"


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Any]
    # Flows on the event loop, for the hottest submissions (PostgreSQL only; see aio.py).
    pg_flows: PgFlows | None
    throttle: LoginThrottle
    # Self-registrations with an unknown invitation code, per client.
    registration_throttle: LoginThrottle
    # Open311 service requests per API key and hour.
    open311_posts: LoginThrottle
    templates: Jinja2Templates
    # API token digest → Auth, for RESCITY_AUTH_CACHE_S seconds (see token_cache).
    tokens: TokenCache[Any]

    @classmethod
    def create(cls, settings: Settings, *, engine: Engine | None = None) -> AppContext:
        engine = engine or make_engine(settings.resolved_database_url)
        templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
        templates.env.autoescape = True
        return cls(
            settings=settings,
            engine=engine,
            session_factory=make_session_factory(engine),
            pg_flows=PgFlows.for_engine(engine, enabled=settings.database_async),
            throttle=LoginThrottle(
                max_failures=settings.login_max_failures, window_s=settings.login_window_s
            ),
            registration_throttle=LoginThrottle(
                max_failures=settings.registration_max_failures,
                window_s=settings.login_window_s, what="registrations (invitation code unknown)",
            ),
            open311_posts=LoginThrottle(
                max_failures=settings.open311_posts_per_hour, window_s=3600,
                what="service requests from this API key in an hour",
            ),
            templates=templates,
            tokens=TokenCache(settings.auth_cache_s),
        )
