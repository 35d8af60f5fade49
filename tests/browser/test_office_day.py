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

import importlib
import json
import os
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from rescity.cli import app as cli_app
from rescity.community.alerts.adapters import Alert
from rescity.community.cases.adapters import Handler, WorkOrder
from rescity.core.accounts import get_user
from rescity.core.config import load_settings
from rescity.core.places import Place
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine, make_session_factory
from rescity.web.app import create_app
from tests.core.receivers import Mailbox, smtp_server
from tests.live import free_port, sign_in, start_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SECRET = "office-day-" + "x" * 32
PASSWORD = "office-day-pass-1"
WIDTHS = ((390, 844), (1280, 900))

# The community's outline (lon, lat), a little skewed like a real one, cut into four grids
# at an off-centre point, and a neighbouring community of one grid to the east.
SW, SE, NE, NW = (121.4050, 31.2450), (121.4170, 31.2445), (121.4180, 31.2540), (121.4040, 31.2550)
CENTRE = (121.4105, 31.2497)
EAST_SE, EAST_NE = (121.4290, 31.2440), (121.4300, 31.2535)
CITY, DISTRICT, SUBDISTRICT = "310000", "310107", "310107-011"
QINGXI, MEILING = "310107-011-003", "310107-011-004"
GRIDS = [f"{QINGXI}-0{n}" for n in range(1, 5)]
IN_GRID_3 = (121.4145, 31.2520)   # lon, lat: north-east of the centre
IN_MEILING = (121.4235, 31.2490)


def between(a: tuple[float, float], b: tuple[float, float], t: float) -> tuple[float, float]:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def feature(code: str, name: str, level: str, parent: str | None,
            ring: list[tuple[float, float]], name_en: str = "") -> dict[str, Any]:
    coords = [list(p) for p in [*ring, ring[0]]]
    props = {"code": code, "name": name, "level": level, "parent": parent}
    if name_en:
        props["name_en"] = name_en
    return {"type": "Feature", "properties": props,
            "geometry": {"type": "Polygon", "coordinates": [coords]}}


def rect(w: float, s: float, e: float, n: float) -> list[tuple[float, float]]:
    return [(w, s), (e, s), (e, n), (w, n)]


def skeleton() -> dict[str, Any]:
    """What the city's IT hands the office: city, district, sub-district."""
    return {"type": "FeatureCollection", "features": [
        feature(CITY, "上海市", "city", None, rect(120.85, 30.67, 122.2, 31.88), "Shanghai"),
        feature(DISTRICT, "普陀区", "district", CITY, rect(121.35, 31.20, 121.47, 31.30),
                "Putuo"),
        feature(SUBDISTRICT, "真如镇街道", "subdistrict", DISTRICT,
                rect(121.400, 31.240, 121.435, 31.260), "Zhenru"),
    ]}


def grids() -> dict[str, Any]:
    """What the office draws itself: its community, its four grids, the neighbours."""
    s, e = between(SW, SE, 0.55), between(SE, NE, 0.5)
    n, w = between(NE, NW, 0.5), between(NW, SW, 0.5)
    quads = [[SW, s, CENTRE, w], [s, SE, e, CENTRE], [CENTRE, e, NE, n], [w, CENTRE, n, NW]]
    names = ["第一网格（1-8号楼）", "第二网格（9-16号楼）", "第三网格（17-24号楼）",
             "第四网格（商业街）"]
    meiling = [SE, EAST_SE, EAST_NE, NE]
    return {"type": "FeatureCollection", "features": [
        feature(QINGXI, "清溪社区", "community", SUBDISTRICT, [SW, SE, NE, NW], "Qingxi"),
        *(feature(code, name, "grid", QINGXI, quad)
          for code, name, quad in zip(GRIDS, names, quads, strict=True)),
        feature(MEILING, "梅岭社区", "community", SUBDISTRICT, meiling, "Meiling"),
        feature(f"{MEILING}-01", "梅岭第一网格", "grid", MEILING, meiling),
    ]}


@dataclass
class Office:
    """The served app on one backend, the CLI on the same database, a real SMTP server."""

    tmp_path: Path
    db_url: str
    smtp_port: int
    mailbox: Mailbox
    url: str = ""
    shots: Path = field(init=False)
    shot_count: int = 0

    def __post_init__(self) -> None:
        self.settings = load_settings(environment="test", data_dir=self.tmp_path,
                                      secret_key=SECRET, database_url=self.db_url,
                                      notify_sse_poll_s=0.3)
        self.engine = make_engine(self.settings.resolved_database_url)
        migrate.upgrade(self.engine)
        self.factory = make_session_factory(self.engine)
        self.shots = self.tmp_path / "shots"
        self.shots.mkdir()
        self.env = {
            "RESCITY_DATABASE_URL": self.db_url, "RESCITY_DATA_DIR": str(self.tmp_path),
            "RESCITY_SECRET_KEY": SECRET, "RESCITY_ENVIRONMENT": "test", "RESCITY_CONFIG": "",
            "RESCITY_NEW_PASSWORD": PASSWORD, "COLUMNS": "200",
            "RESCITY_NOTIFY_SMTP_HOST": "127.0.0.1",
            "RESCITY_NOTIFY_SMTP_PORT": str(self.smtp_port),
            "RESCITY_NOTIFY_SMTP_FROM": "qingxi-office@example.gov.cn",
            "RESCITY_NOTIFY_BASE_URL": "https://ops.example.gov.cn",
        }
        self.server: Any = None
        self.people: dict[str, list[Any]] = {}

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.server = start_server(create_app(self.settings, engine=self.engine), port)

    def stop(self) -> None:
        for page in (p for pages in self.people.values() for p in pages):
            page.context.close()
        if self.server is not None:
            self.server.should_exit = True
        self.engine.dispose()

    def rescity(self, *args: str) -> str:
        """``rescity ARGS`` on the office's database; fails the test on a non-zero exit."""
        result = CliRunner().invoke(cli_app, list(args), env=self.env)
        assert result.exit_code == 0, f"rescity {' '.join(args)}:\n{result.output}"
        return str(result.output)

    def token(self, username: str) -> dict[str, str]:
        r = httpx.post(f"{self.url}/api/tokens",
                       json={"username": username, "password": PASSWORD, "label": "office day"})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    def page(self, browser: Any, username: str, path: str, size: tuple[int, int]) -> Any:
        """A page (its own browser context) where ``username`` signed in, showing ``path``."""
        page = browser.new_page(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
        sign_in(page, self.url, username, PASSWORD, path)
        return page

    def pages(self, browser: Any, username: str, path: str) -> list[Any]:
        """``username`` on a phone and on a desktop, both showing ``path`` (signed in once:
        each sign-in costs a deliberately slow password hash)."""
        if username not in self.people:
            self.people[username] = [self.page(browser, username, path, size)
                                     for size in WIDTHS]
            return self.people[username]
        for page in self.people[username]:
            page.goto(self.url + path)
        return self.people[username]

    def park(self) -> None:
        """Every open page to a blank one: their notification streams stop polling."""
        for page in (p for pages in self.people.values() for p in pages):
            page.goto("about:blank")

    def shoot(self, pages: list[Any], step: str) -> None:
        """Both widths of one step into ``shots`` (and ``RESCITY_SHOTS_DIR`` when set)."""
        self.shot_count += 1
        copy_to = os.environ.get("RESCITY_SHOTS_DIR")
        backend = "pg" if self.db_url.startswith("postgresql") else "sqlite"
        for page in pages:
            width = page.viewport_size["width"]
            path = self.shots / f"{self.shot_count:02d}-{step}-{width}.png"
            page.screenshot(path=str(path), full_page=True)
            if copy_to:
                target = Path(copy_to) / f"office-day-{backend}"
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target / path.name)

    def place(self, code: str) -> Place:
        with self.factory() as s:
            found: Place | None = s.scalar(select(Place).where(Place.code == code))
            assert found is not None, code
            s.expunge(found)
            return found


@pytest.fixture
def office(tmp_path: Path, db_url: str) -> Iterator[Office]:
    with smtp_server() as (port, box):
        office = Office(tmp_path, db_url, port, box)
        yield office
        office.stop()


def utc_in(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat(timespec="seconds")


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


RESIDENT_HEADERS = ["household", "grid", "building", "unit", "room", "name", "relation",
                    "birth", "phone"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["建国", "秀英", "志强", "丽华", "伟", "芳", "敏", "静", "磊", "婷", "军", "洋"]


def resident_rows(count: int = 200) -> list[list[str]]:
    """``count`` residents in households of 1–4 people spread over the four grids."""
    rows: list[list[str]] = []
    household = 0
    while len(rows) < count:
        household += 1
        g, k = (household - 1) % 4, (household - 1) // 4  # one dwelling per household
        grid, building = GRIDS[g], str(1 + g * 8 + k // 4)
        unit, room = str(1 + k // 2 % 2), f"{1 + k % 2}01"
        surname = SURNAMES[household % len(SURNAMES)]
        for n, relation in enumerate(("self", "spouse", "child", "parent")[:1 + household % 4]):
            if len(rows) == count:
                break
            name = surname + GIVEN[(household + n * 5) % len(GIVEN)]
            phone = f"139{household:04d}{n:04d}" if n == 0 else ""
            birth = str(1950 + (household * 7 + n * 23) % 60)
            rows.append([f"QX{household:03d}", grid, building, unit, room, name, relation,
                         birth, phone])
    return rows


def residents_page_exists(office: Office) -> bool:
    """The import page is built on another branch (residents): until it is merged here,
    the step says so instead of failing. TODO(lead): drop this guard after the merge."""
    return httpx.get(f"{office.url}/community/residents/import").status_code != 404


def admin_imports_residents(office: Office, browser: Any) -> None:
    """The administrator uploads 200 residents from XLSX on /community/residents/import
    (interface: /work/wt/notes/residents-interface.md): a preview first, then confirm."""
    if not residents_page_exists(office):
        warnings.warn("office day: /community/residents/import is missing, residents skipped",
                      stacklevel=1)
        return
    book = importlib.import_module("openpyxl").Workbook()  # a dependency of that branch
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
    for page in grid_pages:
        page.reload()
        assert "已送达" in page.inner_text("#help-table")
    office.shoot(vol_pages, "volunteer-delivered")
    office.shoot(grid_pages, "grid-worker-help-delivered")
    grid.click("button[id^=confirm-]")  # the grid worker confirms for the caller
    grid.wait_for_url("**/community/help?done=confirmed")
    assert "已确认" in grid.inner_text("#help-table")


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
