"""Extracts whose buildings are not mapped, simulated on the shared Malta extract: the land
density then comes from the size of each settlement, not one town's figure for every village
(method.md, "Where the extract cannot teach its density"). The census figures and their
sources are in method.md's calibration table."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely

from rescity.assess.adapters.admin_areas import admin_area
from rescity.assess.adapters.osm_reader import read_osm
from rescity.assess.domain.config import build_config
from rescity.assess.domain.osm_data import OsmData
from rescity.assess.domain.taxonomy import load_taxonomy
from rescity.assess.network.graph import build_network
from rescity.assess.services.origins import build_origins

GOZO = 33_388  # NSO Malta, 1 Jan 2019
WEST_GOZO = 3_666  # 1995 census, four villages (method.md: read as ± 20 %)


def without_buildings(osm: OsmData, area: shapely.Geometry | None = None, *,
                      buildings: bool = False) -> OsmData:
    """The extract with no building mapped (unless ``buildings``), cut to ``area`` (by
    representative point) when given: a country whose mappers drew the residential land but
    not the houses, or a town cut out of a larger extract."""
    def inside(features: list[Any]) -> list[Any]:
        pts = shapely.point_on_surface(np.asarray([f.geometry for f in features], dtype=object))
        keep = shapely.contains(area, pts)
        return [f for f, k in zip(features, keep, strict=True) if k]

    out = dataclasses.replace(osm, buildings=[])
    if area is None:
        return out
    shapely.prepare(area)
    poi = shapely.contains(area, shapely.points(np.column_stack([osm.poi_lon, osm.poi_lat])))
    return dataclasses.replace(
        out, residential=inside(osm.residential),
        buildings=inside(osm.buildings) if buildings else [],
        facilities=[f for f in osm.facilities if shapely.intersects(area, f.geometry)],
        other_landuse=[g for g in osm.other_landuse if shapely.intersects(area, g)],
        poi_lon=osm.poi_lon[poi], poi_lat=osm.poi_lat[poi], bbox=None)


def estimate_in(origins: gpd.GeoDataFrame, area: shapely.Geometry) -> float:
    zone = gpd.GeoSeries([area], crs="EPSG:4326").to_crs(origins.crs).iloc[0]
    geoms = origins.geometry.values
    share = shapely.area(shapely.intersection(geoms, zone)) / np.maximum(shapely.area(geoms),
                                                                         1e-9)
    return float((origins["population"].to_numpy() * share).sum())


@pytest.fixture(scope="module")
def malta(osm_dir: Path) -> tuple[OsmData, str, Path]:
    path = osm_dir / "malta.osm.pbf"
    osm = read_osm(path, load_taxonomy())
    return osm, build_network(osm).crs, path


@pytest.mark.parametrize(("level", "names", "census"), [
    ("4", ("Għawdex",), GOZO),
    ("8", ("L-Għarb", "L-Għasri", "Ta' Kerċem", "Il-Munxar"), WEST_GOZO),
])
def test_villages_without_mapped_buildings_are_not_counted_as_towns(
        malta: tuple[OsmData, str, Path], level: str, names: tuple[str, ...],
        census: float) -> None:
    # Cut out alone and stripped of its buildings, no area teaches a density: with one flat
    # 10 000 persons per km² Gozo stood at 2.33 × its census and its western villages at
    # 3.52 ×; by the size of each village it is within the band.
    osm, crs, path = malta
    area = admin_area(path, level, names)
    bare = without_buildings(osm, area)
    built = build_origins(bare, crs, build_config())
    assert set(built.gdf["population_source"]) == {"land_density"}
    ratio = estimate_in(built.gdf, area) / census
    assert 1 / 1.5 <= ratio <= 1.5, ratio
    flat = build_origins(bare, crs, build_config({"origins": {
        "land_density_size_exponent": 0.0, "land_density_per_km2": 10_000.0}}))
    assert estimate_in(flat.gdf, area) / census > 2.0


def test_a_country_of_towns_and_villages_without_buildings_stays_in_the_band(
        malta: tuple[OsmData, str, Path]) -> None:
    # The whole of Malta without its buildings: the towns of the main island form large
    # settlements, denser than Gozo's villages; the people outside residential land are lost.
    osm, crs, path = malta
    gdf = build_origins(without_buildings(osm), crs, build_config()).gdf
    ratio = estimate_in(gdf, admin_area(path, "2", ("Malta",))) / 493_559
    assert 1 / 1.5 <= ratio <= 1.5, ratio
    gozo = admin_area(path, "4", ("Għawdex",))
    # Persons per km² of residential land: the main island's towns above Gozo's villages.
    land = gdf.geometry.area.to_numpy()
    per = gdf["population"].to_numpy() / np.maximum(land, 1.0)
    zone = gpd.GeoSeries([gozo], crs="EPSG:4326").to_crs(gdf.crs).iloc[0]
    on_gozo = shapely.within(gdf.geometry.representative_point().values, zone)
    assert np.average(per[~on_gozo], weights=land[~on_gozo]) > 1.5 * np.average(
        per[on_gozo], weights=land[on_gozo])


def test_a_town_cut_out_with_few_areas_keeps_its_land_when_its_buildings_are_unmapped(
        malta: tuple[OsmData, str, Path]) -> None:
    # Birkirkara cut out of the Malta extract: 5 residential areas for 18 typed houses, so
    # the few-areas rule switched to building origins, which held only the few mapped
    # buildings (1 392 residents, 0.06 × the census): none of its land has buildings mapped.
    osm, crs, path = malta
    area = admin_area(path, "8", ("Birkirkara",))
    town = without_buildings(osm, area, buildings=True)
    built = build_origins(town, crs, build_config())
    assert built.population["kind"] == "landuse"
    assert built.population["landuse_share"]["unmapped_land_share"] > 0.5
    # Cut from its conurbation it is a small settlement: low, but not an empty town.
    assert estimate_in(built.gdf, area) / 24_356 > 0.4


def test_a_town_cut_by_the_files_box_can_be_taken_for_a_town(
        malta: tuple[OsmData, str, Path]) -> None:
    # Birkirkara cut out as a box (as a city extract is), without buildings: its residential
    # land reaches the box's edges, so its settlement goes on beyond. By default it counts as
    # the 2 km² inside the box (0.52 ×); with settlement_edge_km2 = 8 as a town (0.78 ×).
    osm, crs, path = malta
    area = admin_area(path, "8", ("Birkirkara",))
    w, s, e, n = area.bounds
    cut = dataclasses.replace(without_buildings(osm, shapely.box(w, s, e, n)),
                              bbox=(w, s, e, n))
    town = build_config({"origins": {"settlement_edge_km2": 8.0}})
    ratio = estimate_in(build_origins(cut, crs, town).gdf, area) / 24_356
    default = estimate_in(build_origins(cut, crs, build_config()).gdf, area) / 24_356
    assert 1 / 1.5 <= ratio <= 1.5, ratio
    assert default < 0.6 < ratio
