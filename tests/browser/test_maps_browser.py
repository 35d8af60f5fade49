"""In real Chromium, at phone and desktop width: the staff map draws the place boundaries (no
tiles) with a marker per located item and a count per grid for the others; the location
picker on the report form sets the coordinates by a tap and by "use my location", and the
report lands in the grid containing the point, with its photo shown on the case page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect
from shapely.geometry import box

from rescity.community.alerts.adapters import Alert
from rescity.community.cases.adapters import CasePhoto, WorkOrder
from rescity.core.boundaries.importer import set_boundary
from rescity.core.config import load_settings
from rescity.core.places import Place
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine, make_session_factory
from rescity.core.storage.uow import UnitOfWork
from rescity.web.app import create_app
from tests.community.cases.test_location_routing import BOXES
from tests.community.casework import PASSWORD, seed
from tests.live import free_port, sign_in, start_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

IN_A1 = (31.2, 121.40)
IN_A2 = (31.2, 121.41)


def in_box(code: str, lat: float, lon: float) -> bool:
    x0, y0, x1, y1 = BOXES[code]
    return x0 <= lon <= x1 and y0 <= lat <= y1


@pytest.fixture
def city(tmp_path: Path) -> Any:
    db = tmp_path / "maps.sqlite3"
    settings = load_settings(environment="test", data_dir=tmp_path, database_url=f"sqlite:///{db}",
                             secret_key="browser-maps-" + "x" * 32)
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    places, _users, tokens = seed(factory)
    with UnitOfWork(factory) as uow:
        for code, bounds in BOXES.items():
            set_boundary(uow.session.get(Place, places[code].id), box(*bounds))  # type: ignore[arg-type]
        uow.session.add(Alert(scope=places["a2"].path, kind="fever", severity="high",
                              source="checkin", created_at=datetime.now(UTC)))
        uow.commit()
    port = free_port()
    server = start_server(create_app(settings, engine=engine), port)
    url = f"http://127.0.0.1:{port}"
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    for body in ({"service_code": "waste", "place": "a", "lat": IN_A1[0], "lon": IN_A1[1],
                  "channel": "grid_worker", "description": "bins"},
                 {"service_code": "waste", "place": "a2", "channel": "grid_worker",
                  "description": "bins"}):
        assert httpx.post(f"{url}/api/community/cases", json=body, headers=admin).status_code == 201
    yield {"url": url, "factory": factory, "places": places, "dir": tmp_path}
    server.should_exit = True
    engine.dispose()


def photo(path: Path) -> Path:
    Image.new("RGB", (800, 600), (30, 120, 200)).save(path, format="JPEG")
    return path


def test_the_staff_map_and_the_location_picker_in_the_browser(
    city: Any, browser: Any, artifacts: Path,
) -> None:
    out = artifacts / "maps"
    out.mkdir(exist_ok=True)
    url = city["url"]
    for filed, (width, height) in enumerate(((390, 844), (1280, 900))):
        ctx = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB",
                                  permissions=["geolocation"],
                                  geolocation={"latitude": IN_A2[0], "longitude": IN_A2[1]})
        page = ctx.new_page()
        requests: list[str] = []
        page.on("request", lambda r, seen=requests: seen.append(r.url))
        page.goto(f"{url}/lang/en?next=/login")
        sign_in(page, url, "grid", PASSWORD, "/community/map")
        page.wait_for_selector("#staff-map[data-ready='1']")
        # the case in a1, and the one reported from the picker at the previous width
        assert page.get_attribute("#staff-map", "data-markers") == str(1 + filed)
        assert page.locator("#staff-map .map-item.kind-case").count() == 1 + filed
        counts = page.locator("#staff-map .map-grid-count")
        assert sorted(counts.all_inner_texts()) == ["a2: 2"]  # a case and an alert
        assert page.locator("#staff-map path").count() >= 3  # a, a1, a2 boundaries
        assert page.locator("#staff-map .leaflet-tile").count() == 0
        assert "a2" in page.inner_text("#map-grids")
        # a located item stays clickable where its grid's count sits (the picker's case)
        page.locator("#staff-map .map-item").last.click()
        page.wait_for_selector(".leaflet-popup-content a[href^='/community/cases/']")
        assert "Waste not collected · Dispatched" in page.inner_text(".leaflet-popup-content")
        page.wait_for_timeout(400)  # the popup's fade-in, for the screenshot
        page.screenshot(path=str(out / f"1-staff-map-{width}.png"), full_page=True)

        # the picker: a tap three quarters across community a's map lands in grid a2
        page.goto(f"{url}/community/cases/new")
        page.wait_for_selector("#picker-map[data-features='3']")
        picker = page.locator("#picker-map")
        picker.scroll_into_view_if_needed()
        bounds = picker.bounding_box()
        picker.click(position={"x": bounds["width"] * 0.75, "y": bounds["height"] * 0.5})
        lat, lon = float(page.input_value("#lat")), float(page.input_value("#lon"))
        assert in_box("a2", lat, lon), (lat, lon)
        assert "网格a2" in page.inner_text("#picker-chosen")
        page.click("#picker-clear")
        assert page.input_value("#lat") == "" and page.input_value("#lon") == ""
        page.click("#picker-locate")  # the browser's position (set for this context)
        expect(page.locator("#lat")).not_to_have_value("")
        assert abs(float(page.input_value("#lat")) - IN_A2[0]) < 1e-5
        assert abs(float(page.input_value("#lon")) - IN_A2[1]) < 1e-5
        assert "网格a2" in page.inner_text("#picker-chosen")
        page.select_option("#service_code", "waste")
        page.fill("#description", f"Bins not emptied ({width})")
        page.set_input_files("#photos", str(photo(city["dir"] / "bench.jpg")))
        page.screenshot(path=str(out / f"2-report-picker-{width}.png"), full_page=True)
        page.click("#file-case")
        page.wait_for_selector("#case-photos img")
        thumb = page.locator("#case-photos img").first
        for _ in range(50):  # wait_for_function would evaluate a string: the CSP forbids it
            if thumb.evaluate("img => img.complete && img.naturalWidth > 0"):
                break
            page.wait_for_timeout(100)
        assert thumb.evaluate("img => img.naturalWidth") > 0
        page.screenshot(path=str(out / f"3-case-with-photo-{width}.png"), full_page=True)
        case_id = int(page.url.rsplit("/", 1)[1])
        with UnitOfWork(city["factory"]) as uow:
            case = uow.session.get(WorkOrder, case_id)
            assert case is not None and case.scope == city["places"]["a2"].path
            assert uow.session.query(CasePhoto).filter_by(case_id=case_id).count() == 1

        # the help form's picker sits in a <details>: it draws once opened
        page.goto(f"{url}/community/help")
        if not page.locator("#ask").evaluate("d => d.open"):
            page.click("#ask summary")
        page.wait_for_selector("#picker-map[data-features='3']")
        page.screenshot(path=str(out / f"4-help-picker-{width}.png"), full_page=True)
        assert all(u.startswith(url) for u in requests), [u for u in requests
                                                          if not u.startswith(url)]
        ctx.close()
