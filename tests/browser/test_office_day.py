"""An office day in real Chromium, on SQLite and PostgreSQL: the office sets up its own places,
people and residents, an Open311 report lands in its grid, the grid worker's alert page and
mailbox hear about it, a volunteer takes and delivers a help request, and an ignored case
climbs one level up.

The office works the way docs/community/operations.md ("Setting up an office") tells it to:
the commands run in-process (``rescity …`` through Typer) on the served database, the people
use the pages. Every step is photographed at 390 px and 1280 px into ``tmp_path/shots``; with
``RESCITY_SHOTS_DIR`` set, the pictures are copied there too (for people to look at).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from sqlalchemy import select

from rescity.community.alerts.adapters import Alert
from rescity.community.cases.adapters import Handler, WorkOrder
from rescity.core.accounts import get_user
from tests.browser.office import (
    CITY,
    GRIDS,
    IN_GRID_3,
    IN_MEILING,
    QINGXI,
    RESIDENT_HEADERS,
    Office,
    grids,
    resident_rows,
    skeleton,
    utc_in,
)
from tests.core.receivers import smtp_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def office(tmp_path: Path, db_url: str) -> Iterator[Office]:
    with smtp_server() as (port, box):
        office = Office(tmp_path, db_url, port, box)
        yield office
        office.stop()


# --- the steps of the day -------------------------------------------------------------------

def set_up_the_city(office: Office) -> None:
    """Before the office opens: the city's skeleton and the office's administrator (CLI)."""
    path = office.tmp_path / "city.geojson"
    path.write_text(json.dumps(skeleton(), ensure_ascii=False), "utf-8")
    out = office.rescity("places", "import", str(path))
    assert "created 3 and updated 0 places from 3 features" in out, out
    office.rescity("user", "create", "qx.admin", "--role", "city_admin", "--place", CITY)


def admin_imports_the_grids(office: Office, browser: Any) -> None:
    """The administrator uploads the community's grid boundaries on /admin/places."""
    path = office.tmp_path / "qingxi-grids.geojson"
    path.write_text(json.dumps(grids(), ensure_ascii=False), "utf-8")
    phone, desktop = office.pages(browser, "qx.admin", "/admin/places")
    phone.set_input_files("input[name=file]", str(path))
    phone.click("#places-import button[type=submit]")
    phone.wait_for_selector("#places-map[data-features='10']")
    assert phone.locator("#places-map path.place-grid").count() == 5
    desktop.reload()
    desktop.wait_for_selector("#places-map[data-features='10']")
    for page in (phone, desktop):
        # The map fits the grids, not the city around them (they were a speck of 3 px).
        grid = page.locator("#places-map path.place-grid").first.bounding_box()
        assert grid is not None and grid["width"] > 60, grid
    office.shoot([phone, desktop], "admin-imported-grids")
    out = office.rescity("places", "locate", str(IN_GRID_3[0]), str(IN_GRID_3[1]))
    assert GRIDS[2] in out, out


def admin_imports_residents(office: Office, browser: Any) -> None:
    """The administrator uploads 200 residents from XLSX on /community/residents/import:
    a preview first, then confirm."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(RESIDENT_HEADERS)
    for row in resident_rows():
        sheet.append(row)
    path = office.tmp_path / "清溪社区居民.xlsx"
    book.save(path)
    phone, desktop = office.pages(browser, "qx.admin", "/community/residents/import")
    phone.fill("input[name=place]", QINGXI)
    phone.set_input_files("input[name=file]", str(path))
    phone.locator("input[name=file]").evaluate("f => f.form.requestSubmit()")
    phone.wait_for_selector("#import-summary")
    assert phone.locator("#import-problems").count() == 0
    assert "200" in phone.inner_text("#import-summary")
    office.shoot([phone], "admin-residents-preview")
    phone.click("#import-confirm-button")
    phone.wait_for_selector("#import-done")
    assert "200" in phone.inner_text("#import-done")
    desktop.goto(f"{office.url}/community/residents/import")
    office.shoot([phone, desktop], "admin-residents-imported")


def office_staff_are_set_up(office: Office) -> dict[str, dict[str, str]]:
    """Users and roles (CLI), the property manager as a handler with its staff, the Open311
    key for the 12345 hotline's app; returns bearer headers and the key."""
    for name, role, place in (("qx.grid3", "grid_worker", GRIDS[2]),
                              ("qx.chief", "grid_worker", QINGXI),
                              ("qx.pm", "property_manager", QINGXI),
                              ("qx.vol", "volunteer", QINGXI)):
        office.rescity("user", "create", name, "--role", role, "--place", place)
    office.rescity("cases", "add-handler", "qx-wuye", "--kind", "property_manager",
                   "--place", QINGXI, "--name-zh", "清溪物业")
    out = office.rescity("cases", "open311-key", "--name", "12345 热线", "--place", QINGXI)
    key = out.strip().splitlines()[-1].strip()
    admin = office.token("qx.admin")
    r = httpx.post(f"{office.url}/api/community/handlers/qx-wuye/members",
                   json={"username": "qx.pm"}, headers=admin)
    assert r.status_code == 201, r.text
    return {"admin": admin, "key": {"api_key": key}}


def people_choose_their_notifications(office: Office, browser: Any) -> None:
    """The grid worker and the property manager give an e-mail address on /notifications."""
    for username, email in (("qx.pm", "wuye@example.com"), ("qx.grid3", "grid3@example.com")):
        phone, desktop = office.pages(browser, username, "/notifications")
        assert phone.eval_on_selector(  # no stray list bullet before "no notifications"
            "#notify-empty", "e => getComputedStyle(e).listStyleType") == "none"
        phone.fill("input[name=email]", email)
        phone.check("input[name=email_enabled]")
        phone.click("#notify-prefs button[type=submit]")
        phone.wait_for_url("**/notifications?saved=1")
        desktop.reload()
        assert desktop.locator("input[name=email]").input_value() == email
        if username == "qx.grid3":
            office.shoot([phone, desktop], "grid-worker-notification-settings")


def hotline_reports_a_lift(office: Office, key: dict[str, str]) -> int:
    """The 12345 app files a lift fault with coordinates: grid 3, the property manager."""
    form = key | {"service_code": "emergency_repair", "lat": str(IN_GRID_3[1]),
                  "long": str(IN_GRID_3[0]), "attribute[people_trapped]": "no",
                  "description": "19号楼2单元电梯停在6楼，门打不开"}
    r = httpx.post(f"{office.url}/open311/v2/requests.json", data=form)
    assert r.status_code == 200, r.text
    case_id = int(r.json()[0]["service_request_id"])
    elsewhere = form | {"lat": str(IN_MEILING[1]), "long": str(IN_MEILING[0])}
    refused = httpx.post(f"{office.url}/open311/v2/requests.json", data=elsewhere)
    assert refused.status_code == 400, refused.text
    assert refused.json()[0]["description"].startswith("lat/long")
    with office.factory() as s:
        case = s.get(WorkOrder, case_id)
        assert case is not None
        handler = s.get(Handler, case.handler_id)
        assert case.scope == office.place(GRIDS[2]).path
        assert handler is not None and handler.code == "qx-wuye"
    [seen] = httpx.get(f"{office.url}/open311/v2/requests/{case_id}.json").json()
    assert seen["status"] == "open" and seen["agency_responsible"] == "清溪物业"
    return case_id


def grid_worker_finds_the_case(office: Office, browser: Any, case_id: int) -> None:
    """Grid 3's worker sees the reported lift in their task table, with its handler."""
    pages = office.pages(browser, "qx.grid3", "/community/cases")
    for page in pages:
        assert f"#{case_id}" in page.inner_text("#cases-table")
    assert "清溪物业" in pages[1].inner_text("#cases-table")  # the handler: wide screens only
    office.shoot(pages, "grid-worker-task-table")


def the_property_manager_is_mailed(office: Office) -> None:
    out = office.rescity("notifications", "worker", "--once")
    assert "handled 1 deliveries" in out, out
    mails = [m for m, rcpt in zip(office.mailbox.messages, office.mailbox.recipients,
                                  strict=True) if rcpt == ["wuye@example.com"]]
    assert len(mails) == 1, [m["Subject"] for m in office.mailbox.messages]
    assert "已派给您" in mails[0]["Subject"]


def grid_worker_sees_the_overdue_case_live(office: Office, browser: Any, case_id: int) -> None:
    """The grid worker has the open alerts open; the sweep finds the case overdue (the lift
    must be handled within 2 h); the alert appears without a reload and an e-mail arrives."""
    pages = office.pages(browser, "qx.grid3", "/community/alerts")
    navigations: list[str] = []
    for page in pages:
        page.wait_for_selector("#alerts-live[data-stream='open']")
        page.on("framenavigated", lambda frame, seen=navigations: seen.append(frame.url))
    out = office.rescity("cases", "sweep", "--at", utc_in(hours=2, minutes=5))
    assert "escalated 1, alerts 1" in out, out
    with office.factory() as s:
        [alert] = s.scalars(select(Alert).where(Alert.subject_type == "case",
                                                Alert.subject_id == case_id)).all()
        alert_id = alert.id
    for page in pages:
        page.locator(f"#alert-{alert_id}").wait_for(timeout=10_000)
    assert navigations == []
    office.shoot(pages, "grid-worker-alert-live")
    assert "handled 1 deliveries" in office.rescity("notifications", "worker", "--once")
    mails = [m for m, rcpt in zip(office.mailbox.messages, office.mailbox.recipients,
                                  strict=True) if rcpt == ["grid3@example.com"]]
    assert len(mails) == 1, [(m["Subject"], r) for m, r in zip(
        office.mailbox.messages, office.mailbox.recipients, strict=True)]
    assert mails[0]["Subject"].startswith("新预警")
    assert "https://ops.example.gov.cn/community/alerts" in mails[0].get_content()


def volunteer_takes_and_delivers(office: Office, browser: Any) -> None:
    """A volunteer signs up (API) and is vetted; the grid worker asks for help for a caller
    and runs matching; the offer appears live on the volunteer's page; accept, go, deliver;
    the grid worker confirms for the caller."""
    vol = office.token("qx.vol")
    r = httpx.post(f"{office.url}/api/community/volunteers", headers=vol, json={
        "place": QINGXI, "display_name": "陈志愿", "skills": ["shopping", "pharmacy"],
        "languages": ["zh"], "capacity": 2})
    assert r.status_code == 201, r.text
    chief = office.token("qx.chief")
    vetted = httpx.post(f"{office.url}/api/community/volunteers/{r.json()['id']}/vet",
                        headers=chief, json={"state": "vetted", "organisation": "清溪志愿者协会"})
    assert vetted.status_code == 200, vetted.text

    vol_pages = office.pages(browser, "qx.vol", "/community/help/offers")
    navigations: list[str] = []
    for page in vol_pages:
        page.wait_for_selector("#offers-live[data-stream='open']")
        assert page.locator("article.offer").count() == 0
        page.on("framenavigated", lambda frame, seen=navigations: seen.append(frame.url))

    grid_pages = office.pages(browser, "qx.grid3", "/community/help")
    grid = grid_pages[0]
    grid.select_option("#kind", "groceries")
    grid.select_option("#urgency", "high")
    grid.fill("#description", "独居老人，需要米、油和一周的蔬菜")
    grid.fill("#contact_name", "王阿婆")
    grid.fill("#contact_phone", "13800138000")
    grid.fill("#address", "19号楼2单元601")
    grid.click("#ask-help")
    grid.wait_for_url("**/community/help?done=asked")
    grid.click("#run-match")
    grid.wait_for_url("**/community/help?done=matched-1")
    for page in vol_pages:
        page.locator("article.offer-offered").wait_for(timeout=10_000)
        assert "13800138000" not in page.content()  # the contact only after accepting
    assert navigations == []  # the offer came live, no reload
    office.shoot(vol_pages, "volunteer-offer-live")

    phone, desktop = vol_pages
    phone.locator("article.offer-offered button[id^=accept-]").click()
    phone.wait_for_selector("dl.contact")
    assert "13800138000" in phone.inner_text("dl.contact")
    office.shoot(vol_pages, "volunteer-accepted")
    phone.locator("button[id^=start-]").click()
    phone.wait_for_selector("button[id^=deliver-]")
    phone.locator("button[id^=deliver-]").click()
    phone.wait_for_selector("article.offer-done")
    desktop.reload()
    desktop.wait_for_selector("article.offer-done")
    # A finished offer says where the request stands (its card was an empty box).
    assert phone.inner_text("article.offer-done .offer-outcome") == "已送达"
    for page in grid_pages:
        page.reload()
        assert "已送达" in page.inner_text("#help-table")
    office.shoot(vol_pages, "volunteer-delivered")
    office.shoot(grid_pages, "grid-worker-help-delivered")
    grid.click("button[id^=confirm-]")  # the grid worker confirms for the caller
    grid.wait_for_url("**/community/help?done=confirmed")
    assert "已确认" in grid.inner_text("#help-table")
    phone.reload()
    assert phone.inner_text("article.offer-done .offer-outcome") == "已确认"


def the_overdue_case_climbs(office: Office, browser: Any, case_id: int) -> None:
    """Nobody fixed the lift: an hour later the sweep raises level 2 in the community, for the
    community's chief grid worker (not grid 3's worker again)."""
    pages = office.pages(browser, "qx.chief", "/community/alerts")
    for page in pages:
        page.wait_for_selector("#alerts-live[data-stream='open']")
    out = office.rescity("cases", "sweep", "--at", utc_in(hours=3, minutes=10))
    assert "escalated 1, alerts 1" in out, out
    with office.factory() as s:
        alerts = {a.detail["level"]: a for a in s.scalars(select(Alert).where(
            Alert.subject_type == "case", Alert.subject_id == case_id))}
        assert (alerts[1].scope, alerts[1].assignee_id) == (
            office.place(GRIDS[2]).path, get_user(s, "qx.grid3").id)
        assert (alerts[2].scope, alerts[2].assignee_id) == (
            office.place(QINGXI).path, get_user(s, "qx.chief").id)
    for page in pages:
        page.locator(f"#alert-{alerts[2].id}").wait_for(timeout=10_000)
    office.shoot(pages, "chief-sees-escalation-live")


def test_an_office_day(office: Office, browser: Any) -> None:
    set_up_the_city(office)
    office.start()
    admin_imports_the_grids(office, browser)
    admin_imports_residents(office, browser)
    staff = office_staff_are_set_up(office)
    people_choose_their_notifications(office, browser)
    office.park()
    case_id = hotline_reports_a_lift(office, staff["key"])
    grid_worker_finds_the_case(office, browser, case_id)
    the_property_manager_is_mailed(office)
    grid_worker_sees_the_overdue_case_live(office, browser, case_id)
    office.park()
    volunteer_takes_and_delivers(office, browser)
    office.park()
    the_overdue_case_climbs(office, browser, case_id)
    assert len(list(office.shots.glob("*.png"))) >= 18  # 9 steps at both widths
