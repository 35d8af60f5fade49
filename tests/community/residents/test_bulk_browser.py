"""The office imports residents from an XLSX on the page, on a desktop and on a phone.

Headless Debian Chromium through Playwright against uvicorn on loopback; screenshots go to
test-artifacts/community/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.community.conftest import PASSWORD
from tests.community.health.test_browser import ARTIFACTS, server  # noqa: F401 - a fixture
from tests.community.residents.bulk_sheets import office_rows, xlsx
from tests.live import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_office_imports_an_xlsx_on_desktop_and_sees_problems_on_a_phone(
    server: str, browser: Any, tmp_path: Path,  # noqa: F811
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    good = tmp_path / "register.xlsx"
    good.write_bytes(xlsx(office_rows(120, grids=("a1", "a2"))))
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = desk.new_page()
    sign_in(page, server, "admin", PASSWORD, "/community")
    page.click("#go-residents-import")
    page.fill("#import-place", "a")
    page.set_input_files("#import-file", str(good))
    page.click("#import-check")
    page.wait_for_selector("#import-summary")
    assert "Check passed: 120 residents" in page.inner_text("#import-summary")
    page.screenshot(path=str(ARTIFACTS / "residents-import-1-preview-1280.png"), full_page=True)
    page.click("#import-confirm-button")
    page.wait_for_selector("#import-done")
    assert "Imported 120 residents" in page.inner_text("#import-done")
    page.screenshot(path=str(ARTIFACTS / "residents-import-2-done-1280.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#export-link")
    assert download.value.suggested_filename == "residents-a.xlsx"
    desk.close()

    bad_rows = office_rows(8, grids=("a1",), start=500)
    bad_rows[3][8] = "phone?"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx(bad_rows))
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                is_mobile=True, has_touch=True, locale="en-US")
    page = phone.new_page()
    sign_in(page, server, "grid_a1", PASSWORD, "/community/residents/import")
    page.fill("#import-place", "a1")
    page.set_input_files("#import-file", str(bad))
    page.click("#import-check")
    page.wait_for_selector("#import-problems")
    assert "row 5, phone" in page.inner_text("#import-problems")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "residents-import-3-problems-390.png"), full_page=True)
    phone.close()
