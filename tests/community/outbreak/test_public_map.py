"""The public case map: the statistics page's map data holds the released (noised) counts
with ε and k, the outlines served are those of the release's grids only, and no exact count
reaches the public page where it differs from the released one."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from shapely.geometry import box

from rescity.community.outbreak.public_map import PALETTE, classes
from rescity.core.boundaries.importer import set_boundary
from rescity.core.places import get_place
from rescity.core.storage.uow import UnitOfWork
from tests.community.conftest import World
from tests.community.outbreak.conftest import TODAY, add_case, use_runtime

EXACT = {("a1", TODAY): 37, ("a1", "2026-11-22"): 19, ("a2", TODAY): 3}


def _known_noise(counts: Sequence[int], epsilon: float) -> list[int]:
    """Noise that moves every count the test can see: +5 on the large ones, -1 on the small."""
    return [c + 5 if c >= 10 else max(0, c - 1) for c in counts]


def _outline(world: World, code: str, west: float) -> None:
    with UnitOfWork(world.factory) as uow:
        set_boundary(get_place(uow.session, code), box(west, 30.50, west + 0.01, 30.51))
        uow.commit()


def _published(world: World) -> dict[str, Any]:
    use_runtime(world, noise=_known_noise)
    for (grid, day), n in EXACT.items():
        for _ in range(n):
            add_case(world, grid=grid, confirmed_date=day)
    made = world.call("health", "POST", "/api/outbreak/releases", json={
        "place": "a", "granularity": "day", "first_day": "2026-11-21", "last_day": TODAY})
    assert made.status_code == 201, made.text
    release: dict[str, Any] = made.json()
    return release


def _page(world: World, lang: str = "en") -> str:
    page = world.call("anonymous", "GET", "/outbreak/statistics", params={"place": "a"},
                      headers={"Accept-Language": lang})
    assert page.status_code == 200
    return page.text


def _map_data(html: str) -> list[dict[str, Any]]:
    blocks = re.findall(r'<script type="application/json" class="ob-map-data">(.*?)</script>',
                        html, re.S)
    return [json.loads(b) for b in blocks]


def _numbers(value: Any) -> set[float]:
    if isinstance(value, bool):
        return set()
    if isinstance(value, int | float):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_numbers(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_numbers(v) for v in value)) if value else set()
    return set()


def test_the_map_data_holds_the_released_counts_with_epsilon_and_k(ob: World) -> None:
    _outline(ob, "a1", 114.30)
    _outline(ob, "b1", 114.40)  # outside the release: never served with it
    release = _published(ob)
    html = _page(ob)
    (data,) = _map_data(html)
    assert data["release"] == release["id"]
    assert data["epsilon"] == 0.5 and data["k"] == 5
    assert data["periods"] == ["2026-11-21", "2026-11-22", TODAY]
    assert data["counts"][TODAY] == {"a1": 42, "a2": None}  # 3 - 1 = 2 < k: withheld
    assert data["counts"]["2026-11-22"] == {"a1": 24, "a2": None}
    assert data["counts"]["2026-11-21"] == {"a1": None, "a2": None}
    released = {(c["grid"], c["period"]): c["count"] for c in release["cells"]}
    assert all(data["counts"][p][g] == n for (g, p), n in released.items())
    # The legend and the colours come from the same classes, over the published counts.
    assert data["classes"][0]["low"] == 24 and data["classes"][-1]["high"] == 42
    for c in data["classes"]:
        assert f'style="background: {c["colour"]}"' in html
    assert "ε = 0.5" in html and "below 5" in html and "&lt;5 · Below 5 after noise" in html
    assert '<option value="2026-11-23" selected>2026-11-23</option>' in html
    assert "Confirmed cases per grid, 2026-11-23, as published" in html
    # a2 has no outline: listed under the map; the table stays below it.
    assert re.search(r'class="ob-missing-grid">网格A2 \(a2\)', html)
    assert html.index('class="ob-public-map"') < html.index('<table class="ob-table">')

    grids = ob.call("anonymous", "GET", data["geojson"])
    assert grids.status_code == 200
    assert grids.headers["content-type"].startswith("application/geo+json")
    assert "public" in grids.headers["cache-control"]
    features = grids.json()["features"]
    assert [f["properties"] for f in features] == [
        {"code": "a1", "name_zh": "网格A1", "name_en": ""}]
    assert features[0]["geometry"]["type"] == "Polygon"
    again = ob.call("anonymous", "GET", data["geojson"],
                    headers={"If-None-Match": grids.headers["etag"]})
    assert again.status_code == 304
    assert ob.call("anonymous", "GET", "/api/outbreak/statistics/999/grids").status_code == 404
    for bad in (0, 2**40):  # refused before the database sees an id out of its range
        url = f"/api/outbreak/statistics/{bad}/grids"
        assert ob.call("anonymous", "GET", url).status_code == 422
    api = ob.call("anonymous", "GET", "/api/outbreak/statistics", params={"place": "a"}).json()
    assert api["releases"][0]["boundaries"] == data["geojson"]


def test_no_exact_count_reaches_the_public_page_where_it_differs(ob: World) -> None:
    _outline(ob, "a1", 114.30)
    _outline(ob, "a2", 114.31)
    _published(ob)
    hidden = {37, 19}  # exact counts whose released values (42, 24) differ
    for lang in ("en", "zh"):
        html = _page(ob, lang)
        (data,) = _map_data(html)
        assert not _numbers(data) & hidden and {42, 24} <= _numbers(data)
        text = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
        assert not re.findall(r"(?<![\w.:-])(?:37|19)(?![\w.:-])", text)
        assert '<td class="n">42</td>' in html and '<td class="n">24</td>' in html
        assert "ob-missing" not in html  # both grids have outlines
    api = ob.call("anonymous", "GET", "/api/outbreak/statistics", params={"place": "a"})
    grids = ob.call("anonymous", "GET", _map_data(html)[0]["geojson"])
    for body in (api.json(), grids.json()["features"][0]["properties"]):
        assert not _numbers(body) & hidden


def test_without_outlines_the_page_says_so_and_keeps_the_table(ob: World) -> None:
    _published(ob)
    html = _page(ob, "zh")
    assert "本次发布的网格都还没有边界" in html and 'class="ob-public-map"' not in html
    assert "ε = 0.5" in html and '<td class="n">42</td>' in html


def test_classes_cover_the_published_range_with_distinct_colours() -> None:
    assert classes([]) == []
    assert classes([7]) == [{"low": 7, "high": 7, "colour": PALETTE[-1]}]
    assert [(c["low"], c["high"]) for c in classes([5, 6])] == [(5, 5), (6, 6)]
    wide = classes(list(range(5, 48)))
    assert [(c["low"], c["high"]) for c in wide] == [
        (5, 13), (14, 22), (23, 31), (32, 40), (41, 47)]
    assert [c["colour"] for c in wide] == list(PALETTE)
    two = classes([5, 6])
    assert two[0]["colour"] == PALETTE[0] and two[1]["colour"] == PALETTE[-1]
