"""The office day's world (tests/browser/test_office_day.py): a community of four grids
and its neighbour as GeoJSON, 200 residents as spreadsheet rows, and the office itself — the
served app on one backend, the ``rescity`` commands on the same database, a real SMTP server,
signed-in phone and desktop pages, screenshots."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from typer.testing import CliRunner

from rescity.cli import app as cli_app
from rescity.core.config import load_settings
from rescity.core.places import Place
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine, make_session_factory
from rescity.web.app import create_app
from tests.core.receivers import Mailbox
from tests.live import free_port, sign_in, start_server

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


def utc_in(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat(timespec="seconds")


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
