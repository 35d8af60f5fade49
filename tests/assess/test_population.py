"""Population a planner can defend: dwellings only, storeys from neighbours, a control total,
and origins that say when the data behind them is thin — on the shared extracts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyproj
import pytest
import shapely

from rescity.assess import evaluate
from rescity.assess.adapters.osm_reader import RESIDENTIAL_BUILDINGS, read_osm
from rescity.assess.adapters.result_store import from_assessment
from rescity.assess.domain.config import build_config
from rescity.assess.domain.taxonomy import load_taxonomy
from rescity.assess.network.graph import build_network
from rescity.assess.reporting.caveats import city_caveats
from rescity.assess.services.dwellings import dwellings
from rescity.assess.services.origins import _residential
from rescity.core.errors import InputError

# The uncalibrated estimate against census figures: test_population_census.py.


def test_a_control_total_is_reproduced_exactly(assessed, osm_dir: Path) -> None:  # type: ignore[no-untyped-def]
    base = assessed.get("monaco")
    cfg = build_config({"origins": {"population_total": 38_367.0}})
    result = evaluate(osm_dir / "monaco.osm.pbf", cfg)
    s = result.summary
    assert s["population"] == pytest.approx(38_367.0, rel=1e-12)
    assert s["population_calibrated"] is True
    assert s["population_uncalibrated"] == pytest.approx(base.summary["population"])
    ratio = result.origins["population"] / result.origins["population_uncalibrated"]
    assert np.allclose(ratio, s["calibration_factor"])


@pytest.fixture(scope="module")
def monaco_dwellings(osm_dir: Path):  # type: ignore[no-untyped-def]
    osm = read_osm(osm_dir / "monaco.osm.pbf", load_taxonomy())
    crs = build_network(osm).crs
    cfg = build_config()
    return dwellings(osm, crs, _residential(osm, crs).geometry, cfg), cfg


def test_only_dwellings_hold_residents(monaco_dwellings) -> None:  # type: ignore[no-untyped-def]
    dw, cfg = monaco_dwellings
    kinds = set(dw["building"])
    assert kinds <= RESIDENTIAL_BUILDINGS | {"yes"}
    plain = dw[dw["building"] == "yes"]
    assert len(plain) > 0
    assert (plain["footprint_m2"] >= cfg.origins.min_dwelling_footprint_m2).all()
    assert not plain["use"].isin(["other", "service"]).any()


def test_untagged_storeys_are_the_median_of_tagged_neighbours_of_the_same_kind(
        monaco_dwellings) -> None:  # type: ignore[no-untyped-def]
    from rescity.assess.services.dwellings import HOUSES

    dw, cfg = monaco_dwellings
    oc = cfg.origins
    pts = dw.geometry.representative_point()
    xy = np.column_stack([pts.x, pts.y])
    levels = dw["levels"].to_numpy()
    house = dw["building"].isin(HOUSES).to_numpy()
    tagged = np.isfinite(levels)
    assert tagged.sum() > 50 and (~tagged).sum() > 50
    checked = 0
    for i in np.flatnonzero(~tagged)[:60]:
        same = tagged & (house == house[i])
        d = np.hypot(*(xy[same] - xy[i]).T)
        order = np.argsort(d)[:10]
        expected = oc.house_levels if house[i] else oc.default_levels
        # The street first, then the quarter, then the default.
        for radius in (oc.neighbour_levels_m, oc.neighbour_levels_wide_m):
            near = order[d[order] <= radius]
            if len(near) >= oc.neighbour_levels_min:
                expected = float(np.median(levels[same][near]))
                checked += radius == oc.neighbour_levels_m
                break
        assert dw["storeys"].iloc[i] == pytest.approx(expected)
    assert checked > 10


def test_sparse_residential_land_falls_back_to_buildings_loudly(
        assessed, osm_dir: Path, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    # Nanjing's 2018 extract: its 11 residential areas hold under half of the typed housing's
    # floor area, and most of that land has mapped buildings.
    result = assessed.get("nanjing_xinjiekou")
    s = result.summary
    assert s["origin_kind"] == "buildings"
    assert s["origin_fallback"] == {"from": "landuse", "to": "buildings"}
    assert s["landuse_share"]["share"] < 0.5
    assert s["landuse_share"]["unmapped_land_share"] < 0.5
    path = osm_dir / "nanjing_xinjiekou.osm.pbf"
    kept = evaluate(path, build_config({"origins": {"sparse_landuse": "keep"}}))
    assert kept.summary["origin_kind"] == "landuse"
    assert "residential land" in caplog.text
    with pytest.raises(InputError, match="--origins buildings"):
        evaluate(path, build_config({"origins": {"sparse_landuse": "error"}}))


def test_residential_land_without_mapped_buildings_is_kept_and_said(
        assessed, osm_dir: Path, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    # Chengdu's 2018 extract maps 186 residential areas, 95 % of whose land holds no mapped
    # building; its 166 typed residential buildings stand on campuses outside them. Building
    # origins would score the campuses only (24,000 residents for the city centre): the land
    # stays, and the report says why.
    result = assessed.get("chengdu_erhuan")
    s = result.summary
    assert s["origin_kind"] == "landuse"
    assert "origin_fallback" not in s or not s["origin_fallback"]
    assert s["landuse_share"]["share"] < 0.05
    assert s["landuse_share"]["unmapped_land_share"] > 0.9
    keys = [key for key, _ in city_caveats(from_assessment(result))]
    assert "assess.caveat.origin_land_kept" in keys
    assert "assess.caveat.origin_fallback" not in keys
    path = osm_dir / "chengdu_erhuan.osm.pbf"
    with pytest.raises(InputError, match="--origins buildings"):
        evaluate(path, build_config({"origins": {"sparse_landuse": "error"}}))


def test_origins_reaching_past_the_extract_are_flagged(assessed, osm_dir: Path) -> None:  # type: ignore[no-untyped-def]
    # munich_altstadt is a bounding-box cut: residential areas run past its box.
    result = assessed.get("munich_altstadt")
    org = result.origins
    w, s, e, n = read_osm(osm_dir / "munich_altstadt.osm.pbf", load_taxonomy()).bbox or ()
    to = pyproj.Transformer.from_crs("EPSG:4326", org.crs, always_xy=True)
    x0, y0 = to.transform(w, s)
    x1, y1 = to.transform(e, n)
    inner = shapely.box(x0 + 50, y0 + 50, x1 - 50, y1 - 50)  # 50 m inside the box
    outside = ~shapely.within(org.geometry.values, shapely.box(x0 - 50, y0 - 50, x1 + 50,
                                                               y1 + 50))
    assert outside.sum() > 0
    assert org["at_border"].to_numpy()[outside].all()
    assert not org["at_border"].to_numpy()[shapely.within(org.geometry.values, inner)].any()
    assert result.summary["origins_at_border"] == int(org["at_border"].sum())


def test_large_residential_areas_are_split_into_pieces(assessed) -> None:  # type: ignore[no-untyped-def]
    result = assessed.get("monaco")
    org = result.origins
    oc = result.config.origins
    assert org["area_m2"].max() <= oc.split_area_m2 + 1
    pieces = org[org["part"] > 0]
    assert len(pieces) > 0
    assert (pieces["area_m2"] <= oc.split_cell_m ** 2 + 1).all()
    assert (pieces["population"] > 0).all()
