"""The assessment API: analysts run a job in the background and explore it; others may not."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rescity.core.accounts import create_user, grant_role
from rescity.core.audit import AuditEntry
from rescity.core.config import load_settings
from rescity.core.places import PlaceLevel, add_place
from rescity.core.storage.db import make_session_factory
from rescity.core.storage.uow import UnitOfWork
from rescity.web.app import create_app

PASSWORD = "assess-pass-123"
EXTRACT = "beijing_haidian_liudaokou.osm.pbf"


@dataclass
class Api:
    client: TestClient
    session_factory: object
    data_dir: Path

    def token(self, username: str) -> dict[str, str]:
        body = {"username": username, "password": PASSWORD}
        token = self.client.post("/api/tokens", json=body).json()["token"]
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def api(osm_dir: Path, tmp_path_factory) -> Iterator[Api]:
    from rescity.core.storage import migrate
    from rescity.core.storage.db import make_engine

    tmp = tmp_path_factory.mktemp("web")
    settings = load_settings(environment="test", data_dir=tmp,
                             database_url=f"sqlite:///{tmp / 'web.sqlite3'}",
                             secret_key="assess-web-" + "x" * 32, assess_extracts_dir=osm_dir)
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with UnitOfWork(factory) as uow:
        s = uow.session
        city = add_place(s, level=PlaceLevel.CITY, code="bj", name_zh="北京")
        comm = add_place(s, level=PlaceLevel.DISTRICT, code="bj-hd", name_zh="海淀", parent=city)
        for name, role, place in (("ana", "analyst", city), ("grid", "grid_worker", comm)):
            user = create_user(s, username=name, password=PASSWORD)
            grant_role(s, user, role, place)
        uow.commit()
    with TestClient(create_app(settings, engine=engine)) as client:
        yield Api(client, factory, tmp)
    engine.dispose()


@pytest.fixture(scope="module")
def job(api: Api) -> dict:
    headers = api.token("ana")
    started = api.client.post("/api/assess/jobs", headers=headers,
                              data={"extract": EXTRACT, "origins": "buildings"})
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = api.client.get(f"/api/assess/jobs/{job_id}", headers=headers).json()
        if status["state"] in ("done", "failed"):
            break
        time.sleep(0.3)
    assert status["state"] == "done", status
    assert status["progress"] == 1.0
    return status


def test_other_roles_and_visitors_are_refused(api: Api) -> None:
    assert api.client.get("/api/assess/jobs").status_code == 401
    grid = api.token("grid")
    assert api.client.get("/api/assess/jobs", headers=grid).status_code == 403
    assert api.client.post("/api/assess/jobs", headers=grid,
                           data={"extract": EXTRACT}).status_code == 403


def test_only_configured_extracts_can_be_named(api: Api) -> None:
    headers = api.token("ana")
    for bad in ("../../etc/passwd", "nowhere.osm.pbf", ""):
        r = api.client.post("/api/assess/jobs", headers=headers, data={"extract": bad})
        assert r.status_code == 422, bad
        assert r.json()["problems"][0]["where"] == "extract"


def test_a_finished_job_serves_network_origins_and_summary(api: Api, job: dict) -> None:
    headers = api.token("ana")
    base = f"/api/assess/jobs/{job['id']}"
    net = api.client.get(f"{base}/network", headers=headers).json()
    assert net["features"][0]["geometry"]["type"] == "MultiLineString"
    lon, lat = net["features"][0]["geometry"]["coordinates"][0][0]
    assert 116.3 < lon < 116.4 and 39.9 < lat < 40.1  # Beijing, in WGS84
    origins = api.client.get(f"{base}/origins", headers=headers).json()
    summary = api.client.get(f"{base}/summary", headers=headers).json()
    assert len(origins["features"]) == summary["origins"] > 50
    assert {"life_service", "health_resilience"} <= set(origins["features"][0]["properties"])
    assert summary["gaps"][0]["item"] == "kindergarten"


def test_an_origin_shows_its_facilities_and_walk_area(api: Api, job: dict) -> None:
    headers = api.token("ana")
    origins = api.client.get(f"/api/assess/jobs/{job['id']}/origins", headers=headers).json()
    oid = next(f["properties"]["oid"] for f in origins["features"] if f["properties"]["snapped"])
    r = api.client.get(f"/api/assess/jobs/{job['id']}/origins/{oid}", headers=headers).json()
    assert r["distance_m"] == 1000.0
    assert r["facilities"] and all(f["distance_m"] <= 1000.0 for f in r["facilities"])
    assert [f["distance_m"] for f in r["facilities"]] == sorted(f["distance_m"]
                                                                for f in r["facilities"])
    assert r["walk_area"]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    missing = api.client.get(f"/api/assess/jobs/{job['id']}/origins/99999", headers=headers)
    assert missing.status_code == 404


def test_siting_from_the_page_api(api: Api, job: dict) -> None:
    headers = api.token("ana")
    r = api.client.get(f"/api/assess/jobs/{job['id']}/siting?item=kindergarten&k=2",
                       headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert 1 <= len(body["sites"]) <= 2
    assert body["greedy_ratio"] is not None and body["greedy_ratio"] >= 1 - 1 / 2.718281828


def test_starting_a_job_is_audited(api: Api, job: dict) -> None:
    from sqlalchemy import select

    with api.session_factory() as session:  # type: ignore[operator]
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "assess.run")).all()
    assert any(r.record_id == job["id"] and r.actor == "ana" for r in rows)


def test_the_page_renders_for_analysts(api: Api) -> None:
    page = api.client.get("/assess", headers=api.token("ana"))
    assert page.status_code == 200
    assert 'id="map"' in page.text and "/static/vendor/leaflet/leaflet.js" in page.text
    assert EXTRACT in page.text
    assert 'id="osm-attribution"' in page.text  # results of an OpenStreetMap extract


def test_a_failed_upload_says_what_failed_but_not_where_the_server_keeps_it(api: Api) -> None:
    headers = api.token("ana")
    started = api.client.post("/api/assess/jobs", headers=headers,
                              files={"file": ("broken.osm.pbf", b"\x00not a pbf" * 100)})
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = api.client.get(f"/api/assess/jobs/{job_id}", headers=headers).json()
        if status["state"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert status["state"] == "failed", status
    assert "/" not in status["error"] and "uploads" not in status["error"], status["error"]
    assert "broken.osm.pbf" in status["error"]
    uploads = Path(api.data_dir) / "assess" / "uploads"
    assert not any(p.name.endswith("broken.osm.pbf") for p in uploads.iterdir())
