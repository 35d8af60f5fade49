"""Place boundaries: importing the hierarchy from a file (all or nothing, every bad feature
named) and finding the innermost place of a point, on SQLite and PostgreSQL.

The fixture can be checked by hand: nested boxes near Shanghai, and two grids that share the
edge at longitude 121.4 (grid G-A west of it, G-B east)::

    city C        121.0–122.0 E, 31.0–32.0 N
    district D    121.0–121.8,   31.0–31.8
    subdistrict S 121.1–121.7,   31.1–31.7
    community M   121.2–121.6,   31.2–31.6
    grids G-A     121.2–121.4    G-B 121.4–121.6   (31.2–31.6)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from rescity.core.boundaries import locate, require_inside
from rescity.core.boundaries.importer import import_places
from rescity.core.boundaries.sources import parse_geojson, read_features
from rescity.core.errors import InputError
from rescity.core.i18n import translator
from rescity.core.places import Place, get_place


def box(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return {"type": "Polygon",
            "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def feature(code: str, level: str, parent: str | None, geometry: dict[str, Any] | None,
            name: str | None = None, **extra: Any) -> dict[str, Any]:
    props = {"code": code, "name": name or f"名{code}", "level": level, "parent": parent,
             **extra}
    return {"type": "Feature", "properties": props, "geometry": geometry}


def hierarchy() -> list[dict[str, Any]]:
    # G-B before G-A: the edge rule must not depend on the order of rows.
    return [
        feature("C", "city", None, box(121.0, 31.0, 122.0, 32.0), name_en="City"),
        feature("D", "district", "C", box(121.0, 31.0, 121.8, 31.8)),
        feature("S", "subdistrict", "D", box(121.1, 31.1, 121.7, 31.7)),
        feature("M", "community", "S", box(121.2, 31.2, 121.6, 31.6)),
        feature("G-B", "grid", "M", box(121.4, 31.2, 121.6, 31.6)),
        feature("G-A", "grid", "M", box(121.2, 31.2, 121.4, 31.6)),
    ]


def collection(features: list[dict[str, Any]]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features})


def load(session: Session, features: list[dict[str, Any]], **kwargs: Any) -> Any:
    return import_places(session, parse_geojson(collection(features)), **kwargs)


@pytest.fixture
def places(session_factory: sessionmaker[Any]) -> sessionmaker[Any]:
    with session_factory() as session:
        report = load(session, hierarchy())
        session.commit()
    assert sorted(report.created) == ["C", "D", "G-A", "G-B", "M", "S"]
    return session_factory


@pytest.mark.parametrize(("lon", "lat", "expected"), [
    (121.3, 31.3, "G-A"),          # inside the west grid
    (121.5, 31.3, "G-B"),          # inside the east grid
    (121.4, 31.3, "G-A"),          # on the shared edge: the smaller code wins
    (121.4, 31.6, "G-A"),          # the shared corner of both grids and the community
    (121.6, 31.4, "G-B"),          # on the community's outer edge: still the grid
    (121.6 + 5e-8, 31.4, "G-B"),   # 5 mm outside, within the edge tolerance
    (121.65, 31.65, "S"),          # in the sub-district, outside its community
    (121.9, 31.9, "C"),            # only the city
    (122.0, 32.0, "C"),            # the city's far corner
    (120.5, 31.5, None),           # outside every boundary
    (121.3 + 1e-4, 31.1, "S"),     # on the sub-district edge, below the community
])
def test_locate_finds_the_innermost_place(places: sessionmaker[Any], lon: float, lat: float,
                                          expected: str | None) -> None:
    with places() as session:
        found = locate(session, lon, lat)
        assert (found.code if found else None) == expected


def test_require_inside_refuses_points_outside_the_deployment(places: sessionmaker[Any]
                                                             ) -> None:
    with places() as session:
        with pytest.raises(InputError, match="outside every place boundary"):
            require_inside(session, 116.39, 39.91)  # Beijing, for a Shanghai deployment
        with pytest.raises(InputError, match="longitude"):
            require_inside(session, 200.0, 31.3)
        with pytest.raises(InputError, match="latitude"):
            require_inside(session, 121.3, float("nan"))
        grid_b = get_place(session, "G-B")
        with pytest.raises(InputError, match=r"lies in G-A .*outside G-B"):
            require_inside(session, 121.3, 31.3, within=grid_b)
        # On the shared edge, asked within G-B, the edge counts as G-B's own.
        assert require_inside(session, 121.4, 31.3, within=grid_b).code == "G-B"
        assert require_inside(session, 121.4, 31.3).code == "G-A"


def test_import_builds_paths_and_boxes(places: sessionmaker[Any]) -> None:
    with places() as session:
        city, grid = get_place(session, "C"), get_place(session, "G-A")
        assert grid.path.startswith(city.path) and grid.path.count("/") == 6
        assert (grid.min_lon, grid.min_lat, grid.max_lon, grid.max_lat) == (
            121.2, 31.2, 121.4, 31.6)
        assert city.name_en == "City" and grid.name_zh == "名G-A"


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Place)) or 0)


BAD_CASES = [
    ("missing field", lambda fs: fs[3]["properties"].pop("name"),
     "feature 4 (M): missing field 'name'"),
    ("unknown parent", lambda fs: fs[4]["properties"].update(parent="NOPE"),
     "feature 5 (G-B): unknown parent 'NOPE'"),
    ("self-crossing polygon", lambda fs: fs[5].update(geometry={
        "type": "Polygon", "coordinates": [[[121.2, 31.2], [121.4, 31.6], [121.4, 31.2],
                                            [121.2, 31.6], [121.2, 31.2]]]}),
     "feature 6 (G-A): invalid geometry: Self-intersection"),
    ("a point is no boundary", lambda fs: fs[5].update(
        geometry={"type": "Point", "coordinates": [121.3, 31.3]}),
     "feature 6 (G-A): invalid geometry: a Point"),
    ("child outside parent", lambda fs: fs[5].update(geometry=box(121.1, 31.2, 121.4, 31.6)),
     "feature 6 (G-A): child outside parent: 33.3% of it lies outside 'M'"),
    ("wrong level order", lambda fs: fs[5]["properties"].update(parent="S"),
     "feature 6 (G-A): wrong level order: a grid cannot sit directly below the subdistrict"),
    ("projected coordinates", lambda fs: fs[5].update(geometry=box(3.5e5, 3.4e6, 3.6e5, 3.5e6)),
     "feature 6 (G-A): invalid geometry: coordinates are not WGS84"),
    ("duplicate code", lambda fs: fs[4]["properties"].update(code="G-A"),
     "feature 6 (G-A): code 'G-A' is used again (first by feature 5)"),
]


@pytest.mark.parametrize(("label", "spoil", "message"), BAD_CASES,
                         ids=[c[0] for c in BAD_CASES])
def test_a_bad_feature_is_named_and_nothing_is_written(
    session_factory: sessionmaker[Any], label: str, spoil: Any, message: str
) -> None:
    features = hierarchy()
    spoil(features)
    with session_factory() as session:
        with pytest.raises(InputError) as caught:
            load(session, features)
        session.rollback()
        assert _count(session) == 0
    assert message in str(caught.value), str(caught.value)


def test_a_parent_cycle_is_reported_for_each_feature_on_it(
    session_factory: sessionmaker[Any]
) -> None:
    features = [feature("X", "district", "Y", box(121, 31, 122, 32)),
                feature("Y", "district", "X", box(121, 31, 122, 32))]
    with session_factory() as session, pytest.raises(InputError) as caught:
        load(session, features)
    text = str(caught.value)
    assert "feature 1 (X): parent cycle: X → Y → X" in text
    assert "feature 2 (Y): parent cycle: X → Y → X" in text


def test_every_problem_is_reported_at_once_in_the_users_language(
    session_factory: sessionmaker[Any]
) -> None:
    features = hierarchy()
    features[1]["properties"].pop("level")
    features[4]["properties"]["parent"] = "NOPE"
    with session_factory() as session, pytest.raises(InputError) as caught:
        load(session, features, t=translator("zh"))
    wheres = [p.where for p in caught.value.problems]
    assert "第 2 个要素（D）" in wheres and "第 5 个要素（G-B）" in wheres
    assert any("未知上级“NOPE”" in p.message for p in caught.value.problems)


def test_reimport_updates_names_and_boundaries_but_refuses_moves(
    places: sessionmaker[Any]
) -> None:
    features = hierarchy()
    features[5]["properties"]["name"] = "西网格"
    features[5]["geometry"] = box(121.2, 31.2, 121.4, 31.5)
    with places() as session:
        report = load(session, features)
        session.commit()
        assert report.created == [] and "G-A" in report.updated
        assert get_place(session, "G-A").name_zh == "西网格"
        assert locate(session, 121.3, 31.55).code == "M"  # type: ignore[union-attr]
    moved = hierarchy()
    moved.append(feature("M2", "community", "S", box(121.2, 31.2, 121.6, 31.6)))
    moved[5]["properties"]["parent"] = "M2"
    with places() as session, pytest.raises(InputError, match="moving a place"):
        load(session, moved)


def test_shrinking_a_parent_below_its_stored_children_is_refused(
    places: sessionmaker[Any]
) -> None:
    community = [feature("M", "community", "S", box(121.2, 31.2, 121.5, 31.6))]
    with places() as session, pytest.raises(InputError) as caught:
        load(session, community)
    assert "the stored grid 'G-B' would lie 50.0% outside the new boundary" in str(caught.value)


def test_a_dry_run_checks_everything_and_writes_nothing(
    session_factory: sessionmaker[Any]
) -> None:
    with session_factory() as session:
        report = load(session, hierarchy(), dry_run=True)
        session.rollback()
        assert len(report.created) == 6 and _count(session) == 0


def test_a_geopackage_in_a_projected_crs_is_reprojected(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import shape

    rows = hierarchy()
    frame = gpd.GeoDataFrame(
        [{k: v for k, v in f["properties"].items()} for f in rows],
        geometry=[shape(f["geometry"]) for f in rows], crs="EPSG:4326").to_crs("EPSG:32651")
    path = tmp_path / "places.gpkg"
    frame.to_file(path, driver="GPKG")
    features = read_features(path)
    assert [f.code for f in features] == ["C", "D", "S", "M", "G-B", "G-A"]
    assert features[0].parent is None and features[1].parent == "C"
    x0, y0, x1, y1 = features[5].geometry.bounds  # type: ignore[union-attr]
    assert (x0, y0, x1, y1) == pytest.approx((121.2, 31.2, 121.4, 31.6), abs=1e-6)


def test_the_cli_imports_checks_and_locates(tmp_path: Path, db_url: str, engine: Any,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from rescity.cli import app

    monkeypatch.setenv("RESCITY_DATABASE_URL", db_url)
    monkeypatch.delenv("RESCITY_CONFIG", raising=False)
    runner = CliRunner()
    good = tmp_path / "places.geojson"
    good.write_text(collection(hierarchy()), "utf-8")
    bad_features = hierarchy()
    bad_features[5]["properties"]["parent"] = "NOPE"
    bad = tmp_path / "bad.geojson"
    bad.write_text(collection(bad_features), "utf-8")

    refused = runner.invoke(app, ["places", "import", str(bad)])
    assert isinstance(refused.exception, InputError)
    assert "feature 6 (G-A): unknown parent 'NOPE'" in str(refused.exception)
    checked = runner.invoke(app, ["places", "import", str(good), "--dry-run"])
    assert checked.exit_code == 0, checked.output
    assert "would create 6 and would update 0 places" in checked.output
    assert runner.invoke(app, ["places", "locate", "121.4", "31.3"]).exit_code == 1
    done = runner.invoke(app, ["places", "import", str(good)])
    assert "created 6 and updated 0 places from 6 features" in done.output
    found = runner.invoke(app, ["places", "locate", "121.4", "31.3"])
    assert found.exit_code == 0
    lines = [line for line in found.output.splitlines() if not line.startswith("database:")]
    assert lines[0].startswith("G-A\tgrid\t名G-A")
    assert lines[1].startswith("  also on its edge: G-B")
    assert lines[2].startswith("  within M\tcommunity")
    outside = runner.invoke(app, ["places", "locate", "116.39", "39.91"])
    assert outside.exit_code == 1 and "outside every place boundary" in outside.output


def test_refusals_speak_the_users_language(places: sessionmaker[Any]) -> None:
    with places() as session, pytest.raises(InputError) as caught:
        require_inside(session, 116.39, 39.91, t=translator("zh"))
    assert "不在本系统任何地点的边界之内" in str(caught.value)


def test_the_demo_boundaries_import_cleanly_and_match_the_demo_places(sqlite_engine: Any
                                                                      ) -> None:
    import tomllib
    from importlib import resources

    from rescity.core.storage.db import make_session_factory

    folder = resources.files("rescity.cli").joinpath("demo_data")
    codes = {p["code"] for p in tomllib.loads(folder.joinpath("places.toml").read_text(
        "utf-8"))["place"]}
    with make_session_factory(sqlite_engine)() as session:
        report = load(session, json.loads(folder.joinpath("boundaries.json").read_text(
            "utf-8"))["features"])
        assert set(report.created) == codes
        assert locate(session, 121.39, 31.26).code == "sh-pt-zr-zb-g1"  # type: ignore[union-attr]
        assert locate(session, 121.40, 31.24).code == "sh-pt-zr-tx-g1"  # type: ignore[union-attr]
