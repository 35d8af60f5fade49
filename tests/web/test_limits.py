"""Oversized bodies are refused with 413 before they are read; headers for personal data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from rescity.core.config import Settings
from rescity.web.app import create_app
from tests.live import serving


@pytest.fixture
def small(settings: Settings, engine: Engine) -> Iterator[tuple[Any, Settings]]:
    tight = settings.model_copy(update={"max_request_bytes": 64 << 10,
                                        "max_upload_bytes": 100 << 10})
    yield create_app(tight, engine=engine), tight


def test_an_oversized_json_body_is_refused_before_it_is_parsed(
    small: tuple[Any, Settings],
) -> None:
    app, _ = small
    body = b'{"username": "' + b"x" * (200 << 10) + b'", "password": "y"}'
    with TestClient(app) as client:
        r = client.post("/api/tokens", content=body,
                        headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.json()["problems"][0]["where"] == "body"
        ok = client.post("/api/tokens", json={"username": "nobody", "password": "y"})
        assert ok.status_code == 401


def test_a_chunked_body_without_a_length_is_cut_off_at_the_limit(
    small: tuple[Any, Settings],
) -> None:
    app, _ = small

    def chunks() -> Iterator[bytes]:
        yield b'{"username": "'
        for _ in range(64):
            yield b"x" * 4096
        yield b'", "password": "y"}'

    with serving(app) as base:
        r = httpx.post(f"{base}/api/tokens", content=chunks(),
                       headers={"content-type": "application/json"}, timeout=30)
    assert r.status_code == 413


def test_an_oversized_upload_is_refused_and_nothing_is_kept(
    small: tuple[Any, Settings], osm_dir: Path,
) -> None:
    app, tight = small
    extract = min(osm_dir.glob("*.osm.pbf"), key=lambda p: p.stat().st_size)
    assert extract.stat().st_size > tight.max_upload_bytes
    with TestClient(app) as client:
        r = client.post("/api/assess/jobs",
                        files={"file": (extract.name, extract.read_bytes())})
    assert r.status_code == 413
    uploads = tight.data_dir / "assess" / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


def test_responses_are_not_cached_and_carry_a_permissions_policy(
    settings: Settings, engine: Engine,
) -> None:
    with TestClient(create_app(settings, engine=engine)) as client:
        r = client.get("/health")
        assert r.headers["cache-control"] == "no-store"
        policy = r.headers["permissions-policy"]
        # the location picker may ask for the position on this site only; never the camera
        assert "geolocation=(self)" in policy and "camera=()" in policy
        assert "strict-transport-security" not in r.headers
    prod = settings.model_copy(update={"environment": "production"})
    with TestClient(create_app(prod, engine=engine)) as client:
        assert client.get("/health").headers["strict-transport-security"].startswith(
            "max-age=")


def test_the_api_reference_is_served_locally_under_the_csp(
    settings: Settings, engine: Engine,
) -> None:
    with TestClient(create_app(settings, engine=engine)) as client:
        page = client.get("/docs")
        assert page.status_code == 200 and "default-src 'self'" in page.headers[
            "content-security-policy"]
        assert "cdn" not in page.text and "<script>" not in page.text
        for src in ("/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/docs/init.js"):
            assert src in page.text and client.get(src).status_code == 200
        assert client.get("/redoc").status_code == 404
