"""Facility classes that match the ground, checked on the shared extracts against separate
pyosmium passes: garden pools, duplicate stop objects and countryside stay out of the counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import osmium
import pytest
from scipy.spatial import cKDTree

PUBLIC = {"yes", "public", "permissive", "customers"}
NAMES = ("name", "name:zh", "name:en", "official_name", "name:zh-Hans")
COUNTRYSIDE = {("landuse", "forest"), ("landuse", "meadow"), ("landuse", "grass"),
               ("natural", "wood"), ("natural", "scrub"), ("natural", "grassland"),
               ("natural", "heath")}


def _objects(path: Path):  # type: ignore[no-untyped-def]
    """(kind, id, tags) of every node, way and relation."""
    for obj in osmium.FileProcessor(str(path)):
        kind = {osmium.osm.Node: "n", osmium.osm.Way: "w", osmium.osm.Relation: "r"}.get(
            type(obj))
        if kind:
            yield kind, obj, {t.k: t.v for t in obj.tags}


def _ids(frame, item: str) -> set[tuple[str, int]]:  # type: ignore[no-untyped-def]
    rows = frame[frame["items"].str.split(";").apply(lambda xs: item in xs)]
    return set(zip(rows["osm_type"], rows["osm_id"].astype(int), strict=True))


def test_garden_pools_are_not_sports_centres(assessed, osm_dir: Path) -> None:  # type: ignore[no-untyped-def]
    # Malta has ~940 leisure=swimming_pool, nearly all garden pools without access or name.
    bare = set()
    pools = 0
    for kind, obj, tags in _objects(osm_dir / "malta.osm.pbf"):
        if tags.get("leisure") == "swimming_pool":
            pools += 1
            if tags.get("access") not in PUBLIC and not any(k in tags for k in NAMES):
                bare.add((kind, obj.id))
    fac = assessed.get("malta").facilities
    centres = _ids(fac, "sports_centre")
    assert pools > 900 and len(bare) > 800
    assert not (centres & bare)
    assert len(centres) < pools / 5


@pytest.mark.parametrize("city", ["monaco", "malta"])
def test_stop_objects_are_counted_once_per_stop_place(assessed, osm_dir: Path, city: str) -> None:  # type: ignore[no-untyped-def]
    raw = 0
    areas: list[set[tuple[str, int]]] = []
    for kind, obj, tags in _objects(osm_dir / f"{city}.osm.pbf"):
        if (tags.get("highway") == "bus_stop" or tags.get("amenity") == "bus_station"
                or (tags.get("public_transport") == "platform" and tags.get("bus") == "yes")):
            raw += 1
        if kind == "r" and tags.get("public_transport") == "stop_area":
            areas.append({(m.type, m.ref) for m in obj.members})
    result = assessed.get(city)
    fac = result.facilities
    bus = fac[fac["items"] == "bus_stop"]
    # Every stop object is in exactly one stop place, and there are far fewer places.
    assert int(fac[fac["items"].str.contains("bus_stop")]["members"].sum()) == raw
    assert len(bus) < 0.8 * raw
    assert result.summary["facility_counts"]["bus_stop"] <= len(bus)
    # No stop_area relation is split over two stop places (its first member names the place).
    place_of = {(t, int(i)): k for k, (t, i) in enumerate(zip(bus["osm_type"], bus["osm_id"],
                                                              strict=True))}
    for members in areas:
        assert len({place_of[m] for m in members if m in place_of}) <= 1
    # No two stop places of the same name stand within the merge distance.
    pts = bus.geometry.centroid
    xy = np.column_stack([pts.x, pts.y])
    names = bus["name"].to_numpy()
    limit = result.config.facilities.stop_same_name_m
    for a, b in cKDTree(xy).query_pairs(limit * 0.999):
        assert not (names[a] and names[a] == names[b]), names[a]


def test_countryside_is_not_public_green_space(assessed, osm_dir: Path) -> None:  # type: ignore[no-untyped-def]
    country = set()
    for kind, obj, tags in _objects(osm_dir / "malta.osm.pbf"):
        if any(tags.get(k) == v for k, v in COUNTRYSIDE) and tags.get("access") not in PUBLIC \
                and "leisure" not in tags:
            country.add((kind, obj.id))
    fac = assessed.get("malta").facilities
    assert len(country) > 100
    green = _ids(fac, "green_space") | _ids(fac, "park")
    assert not ({(t, i) for t, i in green if t != "r"} & country)


@pytest.mark.parametrize("city", ["monaco", "malta"])
def test_hotel_and_roof_pools_are_not_sports_centres(assessed, osm_dir: Path, city: str) -> None:  # type: ignore[no-untyped-def]
    # A bare access=customers basin is a hotel's pool, for its guests (Malta: 57 of 10-440 m²,
    # Monaco 13, some on roofs); a private or roof pool never serves the residents.
    guests, named_public = set(), set()
    for kind, obj, tags in _objects(osm_dir / f"{city}.osm.pbf"):
        if tags.get("leisure") != "swimming_pool":
            continue
        named = any(k in tags for k in NAMES)
        if ((tags.get("access") == "customers" and not named)
                or tags.get("location") in ("roof", "rooftop")
                or tags.get("access") in ("private", "no")):
            guests.add((kind, obj.id))
        elif ((tags.get("access") in ("yes", "public") or named)
              and tags.get("swimming_pool") not in ("private", "residential")):
            named_public.add((kind, obj.id))
    centres = _ids(assessed.get(city).facilities, "sports_centre")
    assert len(guests) > 10
    assert not (centres & guests)
    # Public and named pools still count (Malta's National Swimming Pool, club pools).
    assert named_public <= centres
    assert len(named_public) > 3 or city == "monaco"  # Monaco's public pools are sports centres


def test_stations_not_in_service_are_not_rail_stations(assessed, osm_dir: Path) -> None:  # type: ignore[no-untyped-def]
    # Porto maps two planned light-rail stations (railway=proposed + station=light_rail).
    planned = set()
    for kind, obj, tags in _objects(osm_dir / "porto_centro.osm.pbf"):
        if "station" in tags and tags.get("railway") in ("proposed", "construction",
                                                         "disused", "abandoned"):
            planned.add((kind, obj.id))
    stations = _ids(assessed.get("porto_centro").facilities, "rail_station")
    assert len(planned) >= 2
    assert stations and not (stations & planned)


@pytest.mark.parametrize("city", ["nanjing_xinjiekou", "chengdu_erhuan"])
def test_schools_not_for_children_and_middle_school_short_names(assessed, city: str) -> None:  # type: ignore[no-untyped-def]
    # 秦淮区委党校 (a party school), 教师进修学校 (teacher training), 南京五中 / 成都49中 (short for
    # No. 5 / No. 49 middle school) were counted as primary (and middle) schools.
    fac = assessed.get(city).facilities
    items = fac["items"].str.split(";")
    names = fac["name"].astype(str)
    adult = names.str.contains("党校|进修|高等师范|电大|Teaching Building")
    school = items.apply(lambda xs: "primary_school" in xs or "middle_school" in xs)
    assert adult.any() and not (adult & school).any()
    short = names.str.contains(r"[一二三四五六七八九十0-9]中(?!心|学|學)") & school
    primary = items.apply(lambda xs: "primary_school" in xs)
    assert short.sum() >= 2 and not (short & primary).any()


def test_back_gardens_and_named_buildings_are_not_green_space(assessed, osm_dir: Path) -> None:  # type: ignore[no-untyped-def]
    # Porto maps its row houses' back gardens as bare leisure=garden (457, median 193 m²);
    # Chengdu's 绿地红星国际广场 is a mall (绿地 is its developer), not green space.
    back = set()
    for kind, obj, tags in _objects(osm_dir / "porto_centro.osm.pbf"):
        if (tags.get("leisure") == "garden" and not any(k in tags for k in NAMES)
                and "access" not in tags and "garden:type" not in tags):
            back.add((kind, obj.id))
    porto = assessed.get("porto_centro").facilities
    green = _ids(porto, "green_space") | _ids(porto, "park")
    assert len(back) > 300 and not (green & back)
    assert len(_ids(porto, "park")) >= 20  # the named gardens and parks stay
    chengdu = assessed.get("chengdu_erhuan").facilities
    rows = chengdu[chengdu["items"].str.split(";").apply(lambda xs: "green_space" in xs)]
    assert not rows["name"].astype(str).str.contains("广场|东门|北门").any()
