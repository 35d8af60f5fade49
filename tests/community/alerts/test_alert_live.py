"""Against a real uvicorn server: a new alert for a grid worker reaches their open SSE stream
in their language, and after one worker run the e-mail reaches a real local SMTP server
(aiosmtpd); SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.orm import sessionmaker

from rescity.community.alerts.domain import Severity
from rescity.community.alerts.services import raise_alert
from rescity.core.accounts import create_user, grant_role, issue_api_token
from rescity.core.config import Settings
from rescity.core.notifications.outbox import PreferenceInput, set_preference
from rescity.core.notifications.worker import Worker
from rescity.core.places import PlaceLevel, add_place
from rescity.web.app import create_app
from tests.core.receivers import smtp_server
from tests.live import serving
from tests.web.test_places_notifications_pages import _events


def test_a_new_alert_reaches_the_grid_workers_stream_and_mailbox(
    tmp_path: Path, settings: Settings, engine: Any, session_factory: sessionmaker[Any],
) -> None:
    with session_factory() as s:
        grid = add_place(s, level=PlaceLevel.CITY, code="c", name_zh="城")
        for level in (PlaceLevel.DISTRICT, PlaceLevel.SUBDISTRICT, PlaceLevel.COMMUNITY,
                      PlaceLevel.GRID):
            grid = add_place(s, level=level, code=level.value, name_zh=level.value, parent=grid)
        worker = create_user(s, username="grid.li", password="long-enough-pw", language="zh")
        grant_role(s, worker, "grid_worker", grid)
        set_preference(s, worker.id, PreferenceInput(email="li@grid.example",
                                                     email_enabled=True), known_webhooks=set())
        token, scope = issue_api_token(s, worker), grid.path
        s.commit()
    fast = settings.model_copy(update={"notify_sse_poll_s": 0.2})
    headers = {"Authorization": f"Bearer {token}"}
    with serving(create_app(fast, engine=engine)) as base, httpx.Client(timeout=15) as client, \
            client.stream("GET", base + "/api/notifications/stream", headers=headers) as r:
        assert r.status_code == 200
        lines = r.iter_lines()
        assert next(lines).startswith("retry: ") and next(lines) == ": connected"
        with session_factory() as s:
            alert = raise_alert(s, kind="fever", scope=scope, severity=Severity.HIGH,
                                source="checkin", now=datetime.now(UTC), dedup_key="f:1")
            s.commit()
            alert_id = alert.id
        [live] = _events(lines, 1)
    assert live["subject"] == "新预警：发热" and live["urgent"] is True
    assert live["link"] == "/community/alerts" and f"#{alert_id}" in live["body"]
    with smtp_server() as (port, box):
        mail_settings = fast.model_copy(update={
            "notify_smtp_host": "127.0.0.1", "notify_smtp_port": port,
            "notify_smtp_from": "ops@city.example", "notify_base_url": "https://city.example"})
        assert Worker(mail_settings, session_factory).run_once() == 1
        assert Worker(mail_settings, session_factory).run_once() == 0  # nothing sent twice
    [mail] = box.messages
    assert box.recipients == [["li@grid.example"]]
    assert mail["Subject"] == "[!] 新预警：发热"
    assert "https://city.example/community/alerts" in mail.get_content()
