"""Presence tracing in real Chromium: a health officer registers two venues and prints their
QR codes; two phones (two browser contexts) check in from the codes' URLs; the database holds
no visit and the phones sent none; the officer traces one venue and window; only the phone
that was there in that window shows the warning. Screenshots at 390 and 1280 px go to
test-artifacts/tracing/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from rescity.community.tracing.domain import b64, read_fragment
from rescity.core.accounts import create_user, grant_role
from rescity.core.config import load_settings
from rescity.core.places import PlaceLevel, add_place
from rescity.core.security.personal_data import new_key_spec
from rescity.core.storage import migrate
from rescity.core.storage.db import Base, make_engine, make_session_factory
from rescity.core.storage.uow import UnitOfWork
from rescity.web.app import create_app
from tests.live import free_port, start_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "tracing"
PASSWORD = "correct horse battery"
ZONE = ZoneInfo("Asia/Shanghai")
ADVICE = "Watch for fever for 14 days and call the health station before visiting a clinic."


class Live:
    def __init__(self, tmp_path: Path) -> None:
        self.settings = load_settings(
            environment="test", data_dir=tmp_path, secret_key="tracing-browser-" + "x" * 32,
            data_keys=new_key_spec("k1"), database_url=f"sqlite:///{tmp_path / 't.sqlite3'}")
        self.engine = make_engine(self.settings.resolved_database_url)
        migrate.upgrade(self.engine)
        with UnitOfWork(make_session_factory(self.engine)) as uow:
            s = uow.session
            city = add_place(s, level=PlaceLevel.CITY, code="c", name_zh="城", name_en="City")
            dist = add_place(s, level=PlaceLevel.DISTRICT, code="d", name_zh="区", parent=city)
            sub = add_place(s, level=PlaceLevel.SUBDISTRICT, code="s", name_zh="街道",
                            parent=dist)
            comm = add_place(s, level=PlaceLevel.COMMUNITY, code="a", name_zh="社区A",
                             name_en="Community A", parent=sub)
            officer = create_user(s, username="officer", password=PASSWORD, language="en")
            grant_role(s, officer, "health_officer", comm)
            uow.commit()
        self.url = f"http://127.0.0.1:{(port := free_port())}"
        self.server = start_server(create_app(self.settings, engine=self.engine), port)

    def rows(self) -> dict[str, list[str]]:
        with self.engine.connect() as conn:
            return {t.name: sorted(repr(tuple(r)) for r in conn.execute(select(t)))
                    for t in Base.metadata.sorted_tables}

    def stop(self) -> None:
        self.server.should_exit = True
        self.engine.dispose()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    server = Live(tmp_path)
    yield server
    server.stop()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})


def register(officer: Any, live: Live, name: str, kind: str) -> str:
    officer.goto(live.url + "/community/tracing")
    officer.fill("#venue-name-input", name)
    officer.select_option("#venue-kind-input", kind)
    officer.click("#venue-submit")
    officer.wait_for_selector("#poster-qr")
    assert officer.inner_text("#poster-name") == name
    return str(officer.inner_text(".poster .url")).strip()


class Phone:
    """A phone's browser: its own storage, its clock, and every request it makes."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport={"width": 390, "height": 844},
                                           locale="en-GB", timezone_id="Asia/Shanghai")
        self.requests: list[tuple[str, str, str | None]] = []
        self.context.on("request",
                        lambda r: self.requests.append((r.method, r.url, r.post_data)))
        self.page = self.context.new_page()

    def check_in(self, url: str, at: datetime, minutes: int = 60) -> None:
        self.context.clock.set_fixed_time(at)
        self.page.goto(url)
        self.page.wait_for_selector("#trace-venue:not([hidden])")
        self.page.select_option("#stay", str(minutes))
        self.page.click("#checkin-submit")
        self.page.wait_for_selector("#trace-done:not([hidden])")
        assert "#" not in self.page.url  # the venue left the address bar and history

    def open(self, base: str, at: datetime) -> None:
        self.context.clock.set_fixed_time(at)
        self.page.goto(base + "/trace")
        self.page.wait_for_selector("#trace-app[data-state=ready]")

    def storage(self) -> str:
        return str(self.page.evaluate("""() => new Promise((resolve, reject) => {
            const req = indexedDB.open("rescity-tracing");
            req.onsuccess = () => {
              const all = req.result.transaction("visits").objectStore("visits").getAll();
              all.onsuccess = () => resolve(JSON.stringify(all.result));
            };
            req.onerror = () => reject(req.error);
        })"""))


def local(moment: datetime) -> str:
    return moment.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


def test_only_the_phone_that_was_there_in_the_window_is_warned(live: Live, browser: Any) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    then, later = now - timedelta(hours=5), now - timedelta(hours=2)

    officer_ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    officer = officer_ctx.new_page()
    officer.goto(live.url + "/lang/en?next=/login")
    officer.fill("#username", "officer")
    officer.fill("#password", PASSWORD)
    officer.click("#login-submit")
    officer.wait_for_selector("#logout")
    canteen = register(officer, live, "Canteen of Block 3", "canteen")
    shot(officer, "01-poster")
    pharmacy = register(officer, live, "Pharmacy on 2nd Road", "shop")
    officer.goto(live.url + "/community/tracing")
    shot(officer, "02-staff-page")
    before = live.rows()

    # phone A: the canteen, 5 hours ago; phone B: the pharmacy then, the canteen 2 hours ago
    a, b = Phone(browser), Phone(browser)
    a.context.clock.set_fixed_time(then)
    a.page.goto(canteen)
    a.page.wait_for_selector("#trace-venue:not([hidden])")
    assert a.page.inner_text("#venue-name") == "Canteen of Block 3"
    shot(a.page, "03-phone-check-in")
    a.check_in(canteen, then)
    shot(a.page, "04-phone-checked-in")
    b.check_in(pharmacy, then)
    sent_before = len(b.requests)
    b.check_in(canteen, later, minutes=30)  # scanned with the page open: nothing is sent
    assert len(b.requests) == sent_before

    assert live.rows() == before  # the database holds no visit
    secrets = []
    for url in (canteen, pharmacy):
        code = read_fragment(url.split("#", 1)[1])
        secrets += [code.name, code.name.replace(" ", "%20"), b64(code.qk), url.split("#")[1]]
    for phone in (a, b):
        sent = [r for r in phone.requests if r[1].startswith(live.url)]
        assert sent and all(method == "GET" and body is None for method, _u, body in sent)
        assert not [u for _m, u, _b in sent for s in secrets if s in u]
        stored = phone.storage()
        assert json.loads(stored) and not [s for s in secrets if s in stored]
    assert len(json.loads(b.storage())) > len(json.loads(a.storage()))

    officer.goto(live.url + "/community/tracing")
    officer.select_option("#trace-venue", label="Canteen of Block 3")
    officer.fill("#trace-start", local(then - timedelta(minutes=30)))
    officer.fill("#trace-end", local(then + timedelta(minutes=90)))
    officer.fill("#trace-advice", ADVICE)
    officer.click("#trace-submit")
    officer.wait_for_selector("#done")
    assert "Canteen of Block 3" in officer.inner_text("#trace-table")
    shot(officer, "05-trace-published")

    a.open(live.url, now)
    assert a.page.is_visible("#trace-warning") and not a.page.is_visible("#trace-clear")
    warning = a.page.inner_text("#trace-warnings")
    assert "Canteen of Block 3" in warning and ADVICE in warning
    shot(a.page, "06-phone-warned")
    b.open(live.url, now)
    assert b.page.is_visible("#trace-clear") and not b.page.is_visible("#trace-warning")
    assert "Check-ins kept on this phone: 2" in b.page.inner_text("#trace-count")
    shot(b.page, "07-phone-not-warned")
    for ctx in (a.context, b.context, officer_ctx):
        ctx.close()


def test_switching_language_keeps_a_scanned_code_without_sending_it(
    live: Live, browser: Any,
) -> None:
    from rescity.community.tracing.domain import venue_fragment

    fragment = venue_fragment(bytes(range(32)), "3号楼食堂", "canteen")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = phone.new_page()
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url))
    page.goto(f"{live.url}/trace#{fragment}")
    page.wait_for_selector("#trace-app[data-state=ready]")
    assert page.inner_text("#venue-kind") == "食堂"
    page.click("#lang-en")
    page.wait_for_selector("#trace-venue:not([hidden])")
    assert page.inner_text("#venue-kind") == "Canteen"
    assert page.inner_text("#venue-name") == "3号楼食堂"
    assert not [u for u in sent if fragment.split(".")[1] in u]
    phone.close()
