"""The population rules on small synthetic cases, each part on its own: which nodes are
establishments, what a building's own tags say, how services take floor area, which houses
stand for a village, where unmapped residential land takes its density from, and the
breakdown the report's caveats read."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pytest
import shapely

from rescity.assess.adapters.osm_reader import read_osm
from rescity.assess.domain.config import build_config
from rescity.assess.domain.osm_tags import building_use, is_establishment
from rescity.assess.domain.taxonomy import load_taxonomy
from rescity.assess.services.dwellings import (
    dwelling_mask,
    fabric_coverage,
    service_share,
    storeys,
    village,
)
from rescity.assess.services.origin_rules import settlement_km2
from rescity.assess.services.origins import MIN_MAPPED_AREAS, by_source, land_density

CRS = "EPSG:32633"


@pytest.mark.parametrize(("tags", "expected"), [
    ({"amenity": "restaurant"}, True),
    ({"shop": "bakery"}, True),
    ({"office": "lawyer"}, True),
    ({"tourism": "hotel"}, True),
    ({"craft": "shoemaker"}, True),
    ({"amenity": "bench"}, False),
    ({"amenity": "parking_entrance"}, False),
    ({"amenity": "waste_basket"}, False),
    ({"amenity": "vending_machine"}, False),
    ({"tourism": "information"}, False),
    ({"tourism": "artwork"}, False),
    ({"highway": "bus_stop"}, False),
    # Street furniture beside a real service on the same node: still a service.
    ({"amenity": "atm", "shop": "convenience"}, True),
])
def test_only_establishments_are_services(tags: dict[str, str], expected: bool) -> None:
    assert is_establishment(tags) is expected


@pytest.mark.parametrize(("tags", "use"), [
    ({"building": "yes"}, ""),
    ({"building": "yes", "addr:housenumber": "12"}, "address"),
    ({"building": "yes", "building:flats": "6"}, "residential"),
    ({"building": "yes", "building:flats": "0"}, ""),
    ({"building": "yes", "addr:housenumber": "12", "shop": "bakery"}, "service"),
    ({"building": "yes", "addr:housenumber": "12", "historic": "castle"}, "other"),
])
def test_what_a_building_says_about_its_use(tags: dict[str, str], use: str) -> None:
    assert building_use(tags) == use


def test_the_reader_keeps_establishments_not_street_furniture(tmp_path: Path) -> None:
    opl = tmp_path / "t.opl"
    opl.write_text(
        "n1 v1 x14.5 y35.9 Tamenity=bench\n"
        "n2 v1 x14.501 y35.9 Tamenity=cafe\n"
        "n3 v1 x14.502 y35.9 Ttourism=information\n"
        "n4 v1 x14.503 y35.9 Tshop=books\n")
    pbf = tmp_path / "t.osm.pbf"
    w = osmium.SimpleWriter(str(pbf))
    osmium.apply(osmium.io.Reader(str(opl)), w)
    w.close()
    osm = read_osm(pbf, load_taxonomy())
    assert osm.poi_lon.tolist() == [14.501, 14.503]


def _frame(footprints: list[float], xs: list[float], building: list[str],
           use: list[str] | None = None) -> gpd.GeoDataFrame:
    side = np.sqrt(np.asarray(footprints))
    geoms = [shapely.box(x, 0.0, x + s, s) for x, s in zip(xs, side, strict=True)]
    gdf = gpd.GeoDataFrame({"building": building, "use": use or [""] * len(xs)},
                           geometry=geoms, crs=CRS)
    gdf["footprint_m2"] = gdf.geometry.area
    return gdf


def test_each_service_claims_its_floor_area_first_from_other_buildings() -> None:
    cfg = build_config({"origins": {"service_floor_m2": 100.0, "service_radius_m": 400.0}})
    dw = _frame([1000.0], [0.0], ["yes"])
    dw["floor_area_m2"] = 1000.0
    no_others = _frame([], [], [])
    no_others["floor_area_m2"] = []
    poi = np.array([[10.0, 10.0]] * 3)
    # Three services, 300 m² of demand, no other building: 70 % stays housing.
    assert service_share(dw, no_others, poi, cfg) == pytest.approx([0.7])
    # An office building of 200 m² nearby meets two thirds of it first.
    office = _frame([200.0], [50.0], ["office"])
    office["floor_area_m2"] = 200.0
    assert service_share(dw, office, poi, cfg) == pytest.approx([0.9])
    # A service 2 km away claims nothing here.
    assert service_share(dw, no_others, np.array([[2000.0, 0.0]]), cfg) == pytest.approx([1.0])
    # A typed dwelling keeps all its floors.
    typed = _frame([1000.0], [0.0], ["apartments"])
    typed["floor_area_m2"] = 1000.0
    assert service_share(typed, no_others, poi, cfg) == pytest.approx([1.0])


def test_typed_houses_and_numbered_small_buildings_stand_for_a_village() -> None:
    cfg = build_config()
    big = cfg.origins.built_up_max_footprint_m2 + 100
    bld = _frame([120, 120, 120, big, 120, 120],
                 [0, 1000, 2000, 3000, 4000, 5000],
                 ["house", "yes", "yes", "yes", "cabin", "detached"],
                 ["", "", "address", "address", "", ""])
    candidates = np.array([True, True, True, True, True, False])
    # The house and the numbered plain building count; a plain barn without a number, a
    # large numbered block, a holiday cabin and a non-candidate do not.
    assert village(bld, candidates, cfg).tolist() == [True, False, True, False, False, False]
    off = build_config({"origins": {"built_up_coverage": 0.0}})
    assert not village(bld, candidates, off).any()


def test_a_numbered_plain_building_is_a_dwelling_only_where_the_rules_place_it() -> None:
    cfg = build_config()
    bld = _frame([120, 120, 120, 120], [0, 1000, 2000, 3000], ["yes"] * 4,
                 ["address", "address", "", "other"])
    in_res = np.array([False, False, False, False])
    placed = np.array([True, False, True, True])  # what built_up() | village() returned
    assert dwelling_mask(bld, in_res, cfg, placed).tolist() == [True, False, True, False]
    # In residential land the number is not needed, and another use still rules it out.
    assert dwelling_mask(bld, ~in_res, cfg, None).tolist() == [True, True, True, False]


def test_untagged_storeys_come_from_the_street_then_the_quarter_then_the_default() -> None:
    # Three tagged 2-storey blocks 600 m from an untagged one (none within the 300 m of its
    # street) and three 6-storey blocks next to another untagged one.
    cfg = build_config()
    bld = _frame([200.0] * 8, [0.0, 600.0, 610.0, 620.0, 5000.0, 5010.0, 5020.0, 5030.0],
                 ["yes"] * 8)
    bld["levels"] = [np.nan, 2.0, 2.0, 2.0, np.nan, 6.0, 6.0, 6.0]
    assert storeys(bld, cfg)[[0, 4]].tolist() == [2.0, 6.0]
    # Before the quarter was asked, the first took the flat default.
    street_only = build_config({"origins": {"neighbour_levels_wide_m": 0.0}})
    assert storeys(bld, street_only)[[0, 4]].tolist() == [cfg.origins.default_levels, 6.0]
    # Farther than the quarter: the default.
    far = _frame([200.0] * 4, [0.0, 1600.0, 1610.0, 1620.0], ["yes"] * 4)
    far["levels"] = [np.nan, 2.0, 2.0, 2.0]
    assert storeys(far, cfg)[0] == cfg.origins.default_levels


def test_untagged_small_buildings_in_an_open_fabric_are_houses() -> None:
    # A village of 121 m² plain houses 30 m apart (about 10 % of the ground built), a town
    # of the same houses 1 m apart, and a 600 m² block among the village houses; nothing
    # tagged within the quarter.
    cfg = build_config()
    oc = cfg.origins
    village = [(i * 30.0, 0.0) for i in range(12)]
    town = [(5000.0 + i * 12.0, j * 12.0) for i in range(20) for j in range(20)]
    side = [11.0] * (12 + 400) + [24.5]
    bld = gpd.GeoDataFrame(
        {"building": ["yes"] * len(side), "use": [""] * len(side)},
        geometry=[shapely.box(x, y, x + d, y + d)
                  for (x, y), d in zip([*village, *town, (180.0, 0.0)], side, strict=True)],
        crs=CRS)
    bld["footprint_m2"] = bld.geometry.area
    bld["levels"] = np.nan
    xy = np.column_stack([bld.geometry.centroid.x, bld.geometry.centroid.y])
    cover = fabric_coverage(xy, bld["footprint_m2"].to_numpy(), cfg)
    inner = 12 + np.array([i * 20 + j for i in range(8, 12) for j in range(8, 12)])
    assert (cover[:12] < oc.open_coverage).all() and (cover[inner] >= oc.open_coverage).all()
    got = storeys(bld, cfg, xy=xy, coverage=cover)
    assert (got[:12] == oc.house_levels).all()  # the village's houses
    assert (got[inner] == oc.default_levels).all()  # the middle of the town's blocks
    assert got[-1] == oc.default_levels  # a large block is not a house
    # Without the coverage (or with the rule off) every untagged block takes default_levels.
    assert (storeys(bld, cfg, xy=xy) == oc.default_levels).all()
    off = build_config({"origins": {"open_coverage": 0.0}})
    assert (storeys(bld, off, xy=xy, coverage=cover) == oc.default_levels).all()
    # Tagged neighbours still come first.
    bld.loc[[0, 1, 2, 3], "levels"] = 3.0
    assert storeys(bld, cfg, xy=xy, coverage=cover)[5] == 3.0


def _areas(centres: list[tuple[float, float]], per_km2: list[float],
           coverage: float = 0.3) -> tuple[np.ndarray, ...]:
    xy = np.asarray(centres, dtype=np.float64)
    area = np.full(len(xy), 1e4)  # 1 ha each
    pop = np.asarray(per_km2) * area / 1e6
    return xy, np.full(len(xy), coverage), pop, area, np.ones(len(xy), dtype=bool)


def test_unmapped_land_takes_the_density_of_the_mapped_land() -> None:
    # A village (2 000 /km²) and a town (10 000 /km²) 10 km apart, five mapped areas each,
    # and one unmapped area in each.
    village_xy = [(i * 100.0, 0.0) for i in range(MIN_MAPPED_AREAS)]
    town_xy = [(10_000.0 + i * 100.0, 0.0) for i in range(MIN_MAPPED_AREAS)]
    xy, cov, pop, area, whole = _areas(village_xy + town_xy + [(150.0, 50.0), (10_150.0, 50.0)],
                                       [2000.0] * 5 + [10_000.0] * 5 + [0.0, 0.0])
    cov[-2:] = 0.0
    median = build_config({"origins": {"land_density_radius_m": 0.0}})
    d = land_density(xy, cov, pop, area, whole, median)
    assert d[-2:] == pytest.approx([6000.0, 6000.0])  # the extract's median, one for all
    local = build_config({"origins": {"land_density_radius_m": 1000.0}})
    d = land_density(xy, cov, pop, area, whole, local)
    assert d[-2:] == pytest.approx([2000.0, 10_000.0])
    # The default learns within 4 km: 10 km apart, each keeps its own.
    d = land_density(xy, cov, pop, area, whole, build_config())
    assert d[-2:] == pytest.approx([2000.0, 10_000.0])
    # Pooled by land: a large thin area weighs more than a small dense block.
    area2 = area.copy()
    area2[0] = 4e4
    pop2 = pop.copy()
    pop2[0] = 2000.0 * 4e4 / 1e6 / 2  # 1 000 /km² over 4 ha
    d = land_density(xy, cov, pop2, area2, whole, local)
    assert d[-2] == pytest.approx((pop2[:5].sum()) / area2[:5].sum() * 1e6)


def test_too_few_mapped_areas_take_the_density_of_their_settlements_size() -> None:
    cfg = build_config({"origins": {"land_density_radius_m": 1000.0}})
    n = MIN_MAPPED_AREAS - 1
    xy, cov, pop, area, whole = _areas([(i * 10.0, 0.0) for i in range(n + 1)],
                                       [3000.0] * n + [0.0])
    cov[-1] = 0.0
    d = land_density(xy, cov, pop, area, whole, cfg)
    assert d == pytest.approx(np.full(n + 1, cfg.origins.land_density_per_km2))
    # With each area's settlement size (km² of residential land): a village is sparser than
    # a town, land_density_per_km2 at 1 km², floored at settlement_min_km2.
    oc = cfg.origins
    km2 = np.array([0.01, 0.3, 1.0, 8.0, 60.0])
    d = land_density(xy, cov, pop, area, whole, cfg, lambda: km2)
    assert d[2] == pytest.approx(oc.land_density_per_km2)
    assert (np.diff(d) > 0).all()
    assert d[0] == pytest.approx(oc.land_density_per_km2 * oc.settlement_min_km2
                                 ** oc.land_density_size_exponent)
    assert d[3] == pytest.approx(2 * oc.land_density_per_km2, rel=0.01)  # 8 ** (1/3)
    flat = build_config({"origins": {"land_density_size_exponent": 0.0}})
    assert land_density(xy, cov, pop, area, whole, flat, lambda: km2) == pytest.approx(
        np.full(n + 1, flat.origins.land_density_per_km2))
    # Pieces of a split area do not teach a density (their coverage is the whole area's).
    xy, cov, pop, area, whole = _areas([(i * 10.0, 0.0) for i in range(6)], [3000.0] * 6)
    whole[:] = False
    d = land_density(xy, cov, pop, area, whole, cfg)
    assert d == pytest.approx(np.full(6, cfg.origins.land_density_per_km2))


def test_residential_areas_close_together_form_one_settlement() -> None:
    # Two 200 m squares 150 m apart (a street, a square) and one 1 km away, with 200 m gaps
    # joining: one settlement of 0.08 km² and one of 0.04 km².
    sq = [shapely.box(x, 0.0, x + 200.0, 200.0) for x in (0.0, 350.0, 1550.0)]
    km2 = settlement_km2(np.asarray(sq, dtype=object), 200.0)
    assert km2 == pytest.approx([0.08, 0.08, 0.04])
    assert settlement_km2(np.asarray(sq, dtype=object), 100.0) == pytest.approx([0.04] * 3)
    assert len(settlement_km2(np.asarray([], dtype=object), 200.0)) == 0
    # The data ends 50 m past the first square: its settlement goes on beyond, by an unknown
    # amount, and counts as at least edge_km2; the far one, inside, keeps its own size.
    box = shapely.box(-50.0, -1000.0, 3000.0, 1000.0)
    km2 = settlement_km2(np.asarray(sq, dtype=object), 200.0, box, 8.0)
    assert km2 == pytest.approx([8.0, 8.0, 0.04])


def test_the_population_is_broken_down_by_source() -> None:
    gdf = gpd.GeoDataFrame({
        "population": [100.0, 50.0, 30.0, 20.0],
        "population_source": ["floor_area", "floor_area", "land_density", "land_density"],
        "area_m2": [1e4, 1e4, 1e4, 4e4],
    }, geometry=[shapely.Point(0, 0)] * 4, crs=CRS)
    out = by_source(gdf)
    assert out["floor_area"] == {"population": 150.0, "origins": 2.0}
    assert out["land_density"]["population"] == 50.0
    assert out["land_density"]["per_km2"] == pytest.approx(np.median([3000.0, 500.0]))
