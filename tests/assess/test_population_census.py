"""The uncalibrated population against census figures on the shared extracts (the calibration
table of docs/assess/method.md), and the rule that keeps a city centre's offices and shops out
of the housing stock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pytest
import shapely

from rescity.assess.adapters.admin_areas import admin_area
from rescity.assess.adapters.osm_reader import read_osm
from rescity.assess.domain.config import build_config
from rescity.assess.domain.taxonomy import load_taxonomy
from rescity.assess.network.graph import build_network
from rescity.assess.services.dwellings import (
    buildings_frame,
    built_up,
    dwellings,
    in_areas,
    no_landuse,
)
from rescity.assess.services.origins import _residential, build_origins

# extract: (admin_level, names of the census areas, census population); sources in method.md.
CENSUS: dict[str, tuple[str, tuple[str, ...], float]] = {
    "monaco": ("2", ("Monaco",), 38_367),  # IMSEE, 31 Dec 2023
    "malta": ("2", ("Malta",), 493_559),  # NSO Malta, 1 Jan 2019
    # Statistisches Amt München, 31 Dec 2009: Graggenau 2 466, Angerviertel 3 128,
    # Hackenviertel 1 605, Kreuzviertel 563 (147.5 ha, the old town inside the ring).
    "munich_altstadt": ("10", ("Graggenau", "Angerviertel", "Hackenviertel", "Kreuzviertel"),
                        7_762),
}


def estimate_in(origins: gpd.GeoDataFrame, area: shapely.Geometry) -> float:
    """Origin populations weighted by the share of each origin's area inside ``area``."""
    zone = gpd.GeoSeries([area], crs="EPSG:4326").to_crs(origins.crs).iloc[0]
    geoms = origins.geometry.values
    share = shapely.area(shapely.intersection(geoms, zone)) / np.maximum(shapely.area(geoms),
                                                                         1e-9)
    return float((origins["population"].to_numpy() * share).sum())


@pytest.fixture(scope="module")
def estimates(osm_dir: Path) -> dict[str, Any]:
    """Per extract: the data read once, the census area, and a function giving the estimate
    for config overrides (origins only: no walking search, so it takes seconds)."""
    out: dict[str, Any] = {}
    for city, (level, names, _) in CENSUS.items():
        path = osm_dir / f"{city}.osm.pbf"
        osm = read_osm(path, load_taxonomy())
        crs = build_network(osm).crs
        out[city] = (osm, crs, admin_area(path, level, names))
    return out


def estimate(estimates: dict[str, Any], city: str, **origins: Any) -> float:
    osm, crs, area = estimates[city]
    built = build_origins(osm, crs, build_config({"origins": origins}))
    return estimate_in(built.gdf, area)


@pytest.mark.parametrize("city", sorted(CENSUS))
def test_uncalibrated_population_stays_within_a_factor_of_1_5_of_the_census(
        estimates: dict[str, Any], city: str) -> None:
    ratio = estimate(estimates, city) / CENSUS[city][2]
    assert 1 / 1.5 <= ratio <= 1.5, f"{city}: estimate / census = {ratio:.2f}"


def test_without_the_service_rule_munich_old_town_counts_its_offices_as_homes(
        estimates: dict[str, Any]) -> None:
    # The regression this rule fixed: 5.97 × the census with every plain building a home.
    ratio = estimate(estimates, "munich_altstadt", service_floor_m2=0.0) / 7_762
    assert ratio > 4


def test_services_displace_plain_buildings_in_a_centre_not_in_the_country(
        estimates: dict[str, Any]) -> None:
    kept = {}
    for city in ("munich_altstadt", "malta"):
        osm, crs, area = estimates[city]
        res = _residential(osm, crs).geometry
        dw = dwellings(osm, crs, res, build_config())
        off = dwellings(osm, crs, res, build_config({"origins": {"service_floor_m2": 0.0}}))
        typed = (dw["building"] != "yes").to_numpy()
        # A building a mapper typed as housing keeps its floors.
        assert (dw["residential_share"].to_numpy()[typed] == 1.0).all()
        assert np.allclose(dw["floor_area_m2"].to_numpy()[typed],
                           off["floor_area_m2"].to_numpy()[typed])
        zone = gpd.GeoSeries([area], crs="EPSG:4326").to_crs(crs).iloc[0]
        inside = shapely.within(dw.geometry.representative_point().values, zone) & ~typed
        kept[city] = (dw["floor_area_m2"].to_numpy()[inside].sum()
                      / off["floor_area_m2"].to_numpy()[inside].sum())
    # Munich's old town, ~1 300 mapped services per km²: most plain floor area serves them.
    assert kept["munich_altstadt"] < 0.3
    # Malta as a whole, towns and villages: most plain floor area stays housing.
    assert kept["malta"] > 0.7


def test_munich_is_matched_to_the_old_town_of_the_statistics_table(
        estimates: dict[str, Any]) -> None:
    # The statistics office's four Bezirksteile cover 53.17 + 32.00 + 21.34 + 41.02 = 147.52 ha;
    # the district Altstadt-Lehel (3.15 km², with Lehel) is not in the extract.
    _, crs, area = estimates["munich_altstadt"]
    ha = gpd.GeoSeries([area], crs="EPSG:4326").to_crs(crs).area.iloc[0] / 1e4
    assert ha == pytest.approx(147.52, rel=0.01)


@pytest.fixture(scope="module")
def porto(osm_dir: Path) -> tuple[Any, str, shapely.Geometry]:
    path = osm_dir / "porto_centro.osm.pbf"
    osm = read_osm(path, load_taxonomy())
    area = admin_area(path, "9", ("Miragaia", "Sé", "Vitória", "São Nicolau"))
    return osm, build_network(osm).crs, area


def test_a_historic_centre_mapped_without_land_use_lands_within_the_band(
        porto: tuple[Any, str, shapely.Geometry]) -> None:
    # Porto's four historic parishes (≈ 9 200 residents, 2011) are plain building=yes in no
    # land use: 119 residents before the town-fabric rule (0.01 ×), 0.41 × while benches,
    # signposts and parking counted as services. Held out when service_floor_m2 was set.
    osm, crs, area = porto
    gdf = build_origins(osm, crs, build_config()).gdf
    assert (gdf["osm_type"] == "cell").any()
    ratio = estimate_in(gdf, area) / 9_200
    assert 1 / 1.5 <= ratio <= 1.5, ratio
    off = build_origins(osm, crs, build_config({"origins": {"built_up_coverage": 0.0}})).gdf
    assert estimate_in(off, area) / 9_200 < 0.05


def test_street_furniture_no_longer_takes_homes_from_a_historic_centre(
        porto: tuple[Any, str, shapely.Geometry], monkeypatch: pytest.MonkeyPatch) -> None:
    # The same rule with every amenity/tourism/… node as a service (benches, signposts,
    # parking …, a third of the parishes' nodes) takes most of the parishes' homes again.
    import pyproj

    from rescity.assess.services import dwellings as dw_mod

    osm, crs, area = porto
    nodes = osmium.FileProcessor(str(osm.path), osmium.osm.NODE).with_filter(
        osmium.filter.KeyFilter("shop", "office", "amenity", "tourism", "craft", "healthcare"))
    lonlat = np.array([(n.location.lon, n.location.lat) for n in nodes])
    assert len(lonlat) > 1.3 * len(osm.poi_lon)
    x, y = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
        lonlat[:, 0], lonlat[:, 1])
    monkeypatch.setattr(dw_mod, "poi_xy", lambda *_: np.column_stack([x, y]))
    ratio = estimate_in(build_origins(osm, crs, build_config()).gdf, area) / 9_200
    assert ratio < 1 / 1.5, ratio


def test_gozo_takes_its_own_density_not_maltas_towns(
        estimates: dict[str, Any], osm_dir: Path) -> None:
    # Gozo's residential land has few mapped buildings in 2018: 90 % of it takes a density
    # learnt from well-mapped areas. The extract's median is that of Malta's towns, and Gozo
    # stood at 2.04 × its census (NSO, 1 Jan 2019); learnt within 4 km, with the storeys of
    # Gozo's own tagged homes, it is within the band (method.md, "Calibration").
    osm, crs, _ = estimates["malta"]
    area = admin_area(osm_dir / "malta.osm.pbf", "4", ("Għawdex",))
    gdf = build_origins(osm, crs, build_config()).gdf
    ratio = estimate_in(gdf, area) / 33_388
    assert 1 / 1.5 <= ratio <= 1.5, ratio
    land = gdf[gdf["population_source"] == "land_density"]
    assert estimate_in(land, area) > 0.8 * estimate_in(gdf, area)
    # The rules of the time: one density, the street's storeys only, every untagged block 3.
    one_density = build_origins(osm, crs, build_config({"origins": {
        "land_density_radius_m": 0.0, "neighbour_levels_wide_m": 0.0,
        "open_coverage": 0.0}})).gdf
    assert estimate_in(one_density, area) / 33_388 > 2.0


@pytest.mark.parametrize(("level", "names", "census", "low", "high"), [
    # Four villages of western Gozo, 3 666 in 1995 (about 4 200 in 2019): many empty or
    # seasonal homes, which the data does not say (2.57 × before the local density).
    ("8", ("L-Għarb", "L-Għasri", "Ta' Kerċem", "Il-Munxar"), 3_666, 1.7, 2.2),
    # St Paul's Bay, 29 097 (NSO, 1 Jan 2019): resort apartment blocks of 5–7 storeys on as
    # much residential land as Birkirkara, with neither buildings nor storeys mapped (0.61 ×).
    ("8", ("San Pawl Il-Baħar",), 29_097, 0.6, 1 / 1.5),
])
def test_the_known_exceptions_stay_where_method_md_says(
        estimates: dict[str, Any], osm_dir: Path, level: str, names: tuple[str, ...],
        census: float, low: float, high: float) -> None:
    # Outside the band, as the calibration table says; when this fails the table is stale.
    osm, crs, _ = estimates["malta"]
    area = admin_area(osm_dir / "malta.osm.pbf", level, names)
    ratio = estimate_in(build_origins(osm, crs, build_config()).gdf, area) / census
    assert low <= ratio <= high, ratio


def test_valletta_counts_its_town_houses_outside_residential_land(
        estimates: dict[str, Any], osm_dir: Path) -> None:
    # Valletta (≈ 5 300 residents, NSO) is mostly not mapped as residential land: 0.19 × before.
    osm, crs, _ = estimates["malta"]
    area = admin_area(osm_dir / "malta.osm.pbf", "8", ("Valletta",))
    ratio = estimate_in(build_origins(osm, crs, build_config()).gdf, area) / 5_300
    assert 1 / 1.5 <= ratio <= 1.5, ratio


def test_plain_buildings_in_open_country_stay_out(estimates: dict[str, Any]) -> None:
    # Malta's plain buildings in no land use are mostly farm buildings, stores and
    # factories standing apart; the reader keeps the other land uses (farmland, industrial …).
    osm, crs, _ = estimates["malta"]
    assert len(osm.other_landuse) > 1000
    res = _residential(osm, crs).geometry
    bld = buildings_frame(osm, crs)
    in_res = in_areas(bld.geometry, res)
    loose = (bld["building"] == "yes").to_numpy() & (bld["use"] == "").to_numpy()
    loose &= no_landuse(bld, osm, crs, in_res)
    fabric = built_up(bld, loose, build_config())
    assert loose.sum() > 3000
    assert fabric.sum() < 0.4 * loose.sum()
    # … and nothing outside the candidates is ever marked.
    assert not (fabric & ~loose).any()
