"""The whole pipeline on every shared extract, checked against independent counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import osmium
import pyproj
import pytest

from rescity.assess.domain.walkable import walk_exclusion

from .conftest import CITIES

NAME_KEYS = ("name", "name:zh", "name:en", "official_name", "name:zh-Hans")
SKIP = {"highway", "railway", "public_transport", "route", "boundary", "admin_level",
        "waterway", "building:part", "landuse", "place", "natural"}


def _named(tags: dict[str, str], subs: tuple[str, ...]) -> bool:
    if any(k in tags for k in SKIP):
        return False
    names = [tags[k].lower() for k in NAME_KEYS if k in tags]
    return any(s in n for n in names for s in subs)


# Simple, separately written definitions of some items (tags + names, as in the table).
CHECKS = {
    "kindergarten": lambda t: t.get("amenity") == "kindergarten"
    or _named(t, ("幼儿园", "托儿所")),
    "library": lambda t: t.get("amenity") == "library" or _named(t, ("图书馆", "圖書館")),
    "pharmacy": lambda t: t.get("amenity") == "pharmacy" or t.get("healthcare") == "pharmacy"
    or _named(t, ("药店", "药房", "藥房")),
    "supermarket": lambda t: t.get("shop") == "supermarket"
    or _named(t, ("超市", "超級市場", "超级市场")),
    "wet_market": lambda t: t.get("amenity") == "marketplace"
    or _named(t, ("菜市场", "农贸市场", "菜场", "农产品市场", "生鲜市场")),
    "rail_station": lambda t: t.get("railway") in ("station", "halt", "subway_entrance")
    or (t.get("station") in ("subway", "light_rail") and t.get("railway") not in (
        "proposed", "planned", "construction", "disused", "abandoned", "razed", "demolished")),
    "bus_stop": lambda t: t.get("highway") == "bus_stop" or t.get("amenity") == "bus_station"
    or (t.get("public_transport") == "platform" and t.get("bus") == "yes"),
}


def independent_counts(path: Path) -> tuple[dict[str, int], int]:
    """Per item: nodes + ways + assembled relation areas; and residential areas."""
    counts = dict.fromkeys(CHECKS, 0)
    residential = 0
    for obj in osmium.FileProcessor(str(path)).with_areas():
        if isinstance(obj, osmium.osm.Area):
            if obj.from_way():
                if obj.tags.get("landuse") == "residential":
                    residential += 1
                continue
        elif not isinstance(obj, osmium.osm.Node | osmium.osm.Way):
            continue
        tags = {t.k: t.v for t in obj.tags}
        if isinstance(obj, osmium.osm.Area) and tags.get("landuse") == "residential":
            residential += 1
        for item, check in CHECKS.items():
            if check(tags):
                counts[item] += 1
    return counts, residential


@pytest.mark.parametrize("city", CITIES)
def test_facility_and_origin_counts_match_an_independent_count(
    assessed, osm_dir: Path, city: str  # type: ignore[no-untyped-def]
) -> None:
    result = assessed.get(city)
    expected, residential = independent_counts(osm_dir / f"{city}.osm.pbf")
    items = result.facilities["items"].str.split(";")
    members = result.facilities["members"]
    merged = set(result.config.facilities.stop_place_items)
    for item, n in expected.items():
        has = items.apply(lambda xs, i=item: i in xs)
        # Stops are merged into stop places: every object is a member of exactly one.
        found = int(members[has].sum()) if item in merged else int(has.sum())
        assert found == n, item
    if result.summary["origin_kind"] == "landuse":
        # Large areas are split into pieces that keep their OSM id; the town fabric outside
        # any land use forms origins of its own ("cell", method.md), not residential areas.
        org = result.origins[result.origins["osm_type"] != "cell"]
        assert len(set(zip(org["osm_type"], org["osm_id"], strict=True))) == residential
    else:
        assert result.summary["origin_fallback"] == {"from": "landuse", "to": "buildings"}


@pytest.mark.parametrize("city", CITIES)
def test_indices_are_within_their_stated_ranges(assessed, city: str) -> None:  # type: ignore[no-untyped-def]
    result = assessed.get(city)
    org = result.origins[result.origins["snapped"]]
    assert len(org) > 0
    for name in ("life_service", "disaster", "environment", "health_resilience"):
        assert org[name].between(0, 1).all(), name
    assert org["transport"].between(0, 3).all()
    # A few small areas in a centre hold no one: the services around take every floor of
    # their plain buildings (method.md, "Services displace housing"). They stay origins.
    assert (org["population"] >= 0).all()
    assert (org["population"] > 0).mean() > 0.95
    unsnapped = result.origins[~result.origins["snapped"]]
    assert unsnapped["life_service"].isna().all()
    s = result.summary
    assert s["origins_unsnapped"] == len(unsnapped)
    ls = s["indices"]["life_service"]
    assert ls["min"] <= ls["q1"] <= ls["median"] <= ls["q3"] <= ls["max"]
    assert set(s["coverage"]) == set(result.taxonomy.ids)
    assert s["missing_items"] == sorted(k for k, n in s["facility_counts"].items() if n == 0)


@pytest.mark.parametrize("city", ["nanjing_xinjiekou", "monaco", "porto_centro"])
def test_network_keeps_every_metre_of_walkable_way(assessed, osm_dir: Path, city: str) -> None:  # type: ignore[no-untyped-def]
    """Kept plus dropped edge length equals the walkable ways' length measured separately."""
    result = assessed.get(city)
    to_utm = pyproj.Transformer.from_crs("EPSG:4326", result.network.crs, always_xy=True)
    total = 0.0
    for way in osmium.FileProcessor(str(osm_dir / f"{city}.osm.pbf")).with_locations():
        if not (isinstance(way, osmium.osm.Way) and "highway" in way.tags):
            continue
        if walk_exclusion({t.k: t.v for t in way.tags}) is None and len(way.nodes) > 1:
            x, y = to_utm.transform([n.lon for n in way.nodes], [n.lat for n in way.nodes])
            total += float(np.hypot(np.diff(x), np.diff(y)).sum())
    rep = result.network.report
    assert (rep["length_km"] + rep["length_dropped_km"]) * 1000 == pytest.approx(total, rel=1e-9)
    assert result.network.edge_len.sum() / 1000 == pytest.approx(rep["length_km"])


def test_building_and_h3_origins_run_on_a_real_extract(assessed) -> None:  # type: ignore[no-untyped-def]
    for kind in ("buildings", "h3"):
        result = assessed.get("nanjing_xinjiekou", origins=kind)
        assert result.summary["origin_kind"] == kind
        assert len(result.origins) > 0
        assert result.origins["population"].sum() > 0


def test_chinese_extract_finds_named_facilities(assessed) -> None:  # type: ignore[no-untyped-def]
    fac = assessed.get("beijing_haidian_liudaokou").facilities
    names = set(fac["name"])
    assert "中国农业大学东区社区卫生服务中心" in names
    row = fac[fac["name"] == "中国农业大学东区社区卫生服务中心"].iloc[0]
    assert "community_health_centre" in row["items"].split(";")


def test_a_notebook_can_pass_its_own_origins_as_a_geodataframe(assessed, osm_dir: Path) -> None:  # type: ignore[no-untyped-def]
    import geopandas as gpd

    from rescity.assess import evaluate
    from rescity.core.errors import InputError

    base = assessed.get("monaco")
    mine = gpd.GeoDataFrame(
        {"population": base.origins["population"], "block": base.origins["name"]},
        geometry=base.origins.geometry, crs=base.origins.crs,
    ).to_crs("EPSG:4326")
    result = evaluate(osm_dir / "monaco.osm.pbf", origins=mine)
    assert result.summary["origin_kind"] == "given"
    assert list(result.origins["block"]) == list(base.origins["name"])
    assert np.allclose(result.origins["life_service"].fillna(-1),
                       base.origins["life_service"].fillna(-1))
    with pytest.raises(InputError, match="population"):
        evaluate(osm_dir / "monaco.osm.pbf", origins=mine.drop(columns="population"))
