"""OSM names are text on the assessment map: a hostile name never becomes markup.

Names come from whoever edited OpenStreetMap. The extract here is real (Monaco) with every
name replaced by an HTML payload; the map must show the payload as letters and run none of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import osmium
import pytest

from tests.assess_maps.test_map_browser import analyst_server, run_assessment

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "map-names-pass-1"
PAYLOAD = '<img src="data:," onerror="window.__xss=1">'


def _hostile_copy(src: Path, dst: Path) -> None:
    """``src`` with every ``name`` tag set to the payload (objects otherwise unchanged)."""
    writer = osmium.SimpleWriter(str(dst))
    try:
        for obj in osmium.FileProcessor(str(src)):
            if "name" in obj.tags:
                tags = {t.k: t.v for t in obj.tags}
                tags["name"] = PAYLOAD
                obj = obj.replace(tags=tags)
            writer.add(obj)
    finally:
        writer.close()


@pytest.fixture
def server(tmp_path: Path, osm_dir: Path) -> Iterator[str]:
    extracts = tmp_path / "extracts"
    extracts.mkdir()
    _hostile_copy(osm_dir / "monaco.osm.pbf", extracts / "hostile_monaco.osm.pbf")
    with analyst_server(tmp_path, extracts, password=PASSWORD) as url:
        yield url


def test_hostile_osm_names_show_as_text_in_map_tooltips(server: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    run_assessment(page, server, "hostile_monaco.osm.pbf", "landuse", password=PASSWORD)

    # an origin's tooltip, then the tooltips of the facilities it reaches
    page.locator("path.origin-marker.snapped").first.hover(force=True)
    page.wait_for_selector(".leaflet-tooltip")
    page.locator("path.origin-marker.snapped").first.click(force=True)
    page.wait_for_selector("path.reached-facility")
    for i in range(min(page.locator("path.reached-facility").count(), 5)):
        page.locator("path.reached-facility").nth(i).hover(force=True)
    texts = page.evaluate(
        "Array.from(document.querySelectorAll('.leaflet-tooltip'), e => e.textContent)"
    )
    assert any(PAYLOAD in text for text in texts), texts  # the name is shown, as letters
    assert page.locator(".leaflet-tooltip img, #reach-list img").count() == 0
    assert page.evaluate("window.__xss === undefined")
    page.close()
    assert errors == []
