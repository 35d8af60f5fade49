"""One frozen settings object, built once at start-up and passed in explicitly.

Sources, highest first: keyword arguments, ``RESCITY_*`` environment variables, a TOML file
(``RESCITY_CONFIG`` or ``load_settings(config_file=...)``), then the defaults below. A wrong
value stops start-up with a :class:`ConfigError` that names the setting.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from rescity.core.errors import ConfigError, Problem

DEV_SECRET = "development-only-secret-change-me"  # noqa: S105 - refused outside development


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/rescity`` or ``~/.local/share/rescity``."""
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg:
        return Path(xdg) / "rescity"
    return Path(platformdirs.user_data_dir("rescity", appauthor=False))


class WebhookTarget(BaseModel):
    """A group-chat robot that notifications may be posted to (see docs/configuration.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["wecom", "dingtalk", "feishu"]
    url: str
    # DingTalk "加签" / Feishu "签名校验" secret; empty: the robot is not signed.
    secret: str = ""

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s):// URL")
        return value


class Settings(BaseSettings):
    """Everything configurable; see docs/configuration.md for each setting."""

    model_config = SettingsConfigDict(
        env_prefix="RESCITY_", frozen=True, extra="forbid", validate_default=True
    )

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = ""
    # PostgreSQL: run the hottest submissions' database work on the event loop (asyncpg).
    database_async: bool = True
    secret_key: str = DEV_SECRET
    # Keys for personal-data encryption, newest first: "id:base64key,id:base64key".
    data_keys: str = ""
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    default_language: Literal["zh", "en"] = "zh"
    session_max_age_s: int = Field(default=8 * 3600, ge=60)
    cookie_secure: bool = False
    login_max_failures: int = Field(default=5, ge=1)
    login_window_s: int = Field(default=300, ge=1)
    registration_max_failures: int = Field(default=10, ge=1)
    open311_posts_per_hour: int = Field(default=600, ge=1)
    # Request bodies over these sizes are refused with 413 before they are parsed.
    max_request_bytes: int = Field(default=1 << 20, ge=1024)
    max_upload_bytes: int = Field(default=512 << 20, ge=1024)
    # How long an API token's owner and grants are remembered per process (0: not at all).
    auth_cache_s: float = Field(default=30, ge=0, le=300)
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = Field(default=1883, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # assess: a folder of OSM extracts offered on the assessment page (none: uploads only).
    assess_extracts_dir: Path | None = None
    # community: the local time zone that decides which day a check-in belongs to.
    community_timezone: str = "Asia/Shanghai"
    # community: how long a personal pass (QR) is valid when issued.
    community_pass_days: int = Field(default=30, ge=1, le=366)
    # community: how long each process remembers the alert rules in force (0: not at all).
    community_rules_cache_s: float = Field(default=30, ge=0, le=300)
    # community: the largest photo accepted with a reported problem (bytes, as uploaded).
    community_photo_max_bytes: int = Field(default=5 << 20, ge=1024, le=100 << 20)
    # outbreak: published case counts (differential privacy, docs/community/operations.md).
    outbreak_dp_epsilon: float = Field(default=0.5, gt=0, le=10)  # ε of one release
    outbreak_dp_budget: float = Field(default=5.0, gt=0)  # total ε of releases covering a place
    outbreak_dp_k: int = Field(default=5, ge=1)  # noised counts below k are withheld
    dashboard_dp_epsilon: float = Field(default=1.0, ge=0, le=10)  # per figure; 0: exact
    # notifications: e-mail over SMTP (no host: e-mail deliveries fail with a clear error).
    notify_smtp_host: str = ""
    notify_smtp_port: int = Field(default=25, ge=1, le=65535)
    notify_smtp_tls: Literal["none", "starttls", "ssl"] = "none"
    notify_smtp_user: str = ""
    notify_smtp_password: str = ""
    notify_smtp_from: str = "rescity@localhost"
    # notifications: group-chat robots by name, e.g. {"office": {"kind": "wecom", "url": …}}.
    notify_webhooks: dict[str, WebhookTarget] = Field(default_factory=dict)
    # notifications: the site's address, for links in e-mails and robot messages.
    notify_base_url: str = ""
    notify_max_attempts: int = Field(default=8, ge=1, le=100)
    notify_lease_s: float = Field(default=60, ge=1, le=3600)
    notify_sse_poll_s: float = Field(default=2, ge=0.1, le=60)

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        return value

    @field_validator("community_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}' (e.g. Asia/Shanghai)") from None
        return value

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under ``data_dir``."""
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            return url
        return f"sqlite:///{self.data_dir / 'rescity.sqlite3'}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError([Problem(str(path), "config file not found")], source=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            [Problem(str(path), f"not valid TOML: {exc}")], source=str(path)
        ) from None
    # Accept both a flat file and one with a [rescity] table.
    section = data.get("rescity", data)
    if not isinstance(section, dict):
        raise ConfigError([Problem(str(path), "[rescity] must be a table")], source=str(path))
    return section


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Build the settings or raise one ConfigError naming every bad setting."""
    file_values: dict[str, Any] = {}
    path = config_file or os.environ.get("RESCITY_CONFIG")
    source = str(path) if path else "environment"
    if path:
        file_values = _read_toml(Path(path))
    # Environment variables override the file: drop file keys the environment sets.
    env_keys = {k[len("RESCITY_") :].lower() for k in os.environ if k.startswith("RESCITY_")}
    merged = {k: v for k, v in file_values.items() if k not in env_keys} | overrides
    try:
        settings = Settings(**merged)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]) or "settings"
            where = f"setting '{name}' (RESCITY_{name.upper()})"
            msg = "unknown setting" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(Problem(where, msg))
        raise ConfigError(problems, source=source) from None
    _check_production(settings, source)
    return settings


def _check_production(settings: Settings, source: str) -> None:
    if settings.environment != "production":
        return
    problems = []
    if settings.secret_key == DEV_SECRET or len(settings.secret_key) < 32:
        problems.append(
            Problem(
                "setting 'secret_key' (RESCITY_SECRET_KEY)",
                "production needs a secret of at least 32 characters, e.g. "
                + secrets.token_urlsafe(8)
                + "… from `python -c 'import secrets; print(secrets.token_urlsafe(48))'`",
            )
        )
    if not settings.data_keys:
        problems.append(
            Problem("setting 'data_keys' (RESCITY_DATA_KEYS)", "production needs encryption keys")
        )
    if not settings.cookie_secure:
        problems.append(
            Problem("setting 'cookie_secure' (RESCITY_COOKIE_SECURE)", "must be true in production")
        )
    if problems:
        raise ConfigError(problems, source=source)
