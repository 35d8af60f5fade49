"""Origin populations from a population raster, by areal weighting, on the Monaco extract.

Every raster is written at test time into ``tmp_path``; every expected number is computed here
from the geometry (density × area, or a cell's overlap share), not by the code under test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import Affine
from typer.testing import CliRunner

from rescity.assess import build_config, evaluate
from rescity.assess.adapters.osm_reader import OsmData, read_osm
from rescity.assess.domain.taxonomy import load_taxonomy
from rescity.assess.network.graph import build_network
from rescity.assess.services.origins import build_origins, origins_from_frame
from rescity.core.errors import DataFileError, InputError
from tests.assess.test_cli import make_app

UTM = "EPSG:32632"  # Monaco's network CRS (UTM zone of its median walk node)
# Geographic box well around Monaco's residential areas (7.41–7.44 E, 43.72–43.75 N).
WEST, NORTH, STEP, NX, NY = 7.38, 43.77, 0.001, 90, 70


@pytest.fixture(scope="module")
def monaco(osm_dir: Path) -> tuple[OsmData, str]:
    osm = read_osm(osm_dir / "monaco.osm.pbf", load_taxonomy())
    crs = build_network(osm).crs
    assert crs == UTM
    return osm, crs


def from_origin(west: float, north: float, xsize: float, ysize: float) -> Affine:
    """North-up transform (rasterio's own helper warns about a deprecated operator)."""
    return Affine(xsize, 0.0, west, 0.0, -ysize, north)


def write_raster(path: Path, values: np.ndarray, crs: str | None, transform: Any,
                 nodata: float | None = None) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0],
                       count=1, dtype=values.dtype, crs=crs, transform=transform,
                       nodata=nodata) as ds:
        ds.write(values, 1)
    return path


def utm_grid(bounds: tuple[float, float, float, float]) -> tuple[Any, int, int]:
    """A 100-m grid in UTM aligned on whole hundreds, covering ``bounds`` with a margin."""
    x0 = np.floor(bounds[0] / 100) * 100 - 500
    y1 = np.ceil(bounds[3] / 100) * 100 + 500
    nx = int(np.ceil((bounds[2] + 500 - x0) / 100))
    ny = int(np.ceil((y1 - bounds[1] + 500) / 100))
    return from_origin(x0, y1, 100, 100), nx, ny


def origins_with(monaco: tuple[OsmData, str], raster: Path | str, kind: str = "landuse"
                 ) -> gpd.GeoDataFrame:
    osm, crs = monaco
    cfg = build_config({"origins": {"kind": kind, "population_raster": str(raster)}})
    return build_origins(osm, crs, cfg).gdf


def plain_origins(monaco: tuple[OsmData, str], kind: str = "landuse") -> gpd.GeoDataFrame:
    osm, crs = monaco
    return build_origins(osm, crs, build_config({"origins": {"kind": kind}})).gdf


def projected_cell_area(crs: str, x: float, y: float, step: float) -> float:
    """Area in UTM of the raster cell of size ``step`` (in ``crs``) whose corner is (x, y),
    its edges densified so that the area is the true one."""
    cell = shapely.segmentize(shapely.box(x, y - step, x + step, y), step / 200)
    return float(gpd.GeoSeries([cell], crs=crs).to_crs(UTM).area.iloc[0])


def isolated(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Origins whose interior meets no other origin's."""
    g = gdf.geometry.values
    a, b = shapely.STRtree(g).query(g, predicate="intersects")
    pair = a != b
    shared = shapely.relate_pattern(g[a[pair]], g[b[pair]], "T********")
    out = np.ones(len(g), dtype=bool)
    out[a[pair][shared]] = False
    return out


# -- constant density ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["landuse", "h3"])
@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:3857"])
def test_a_uniform_raster_gives_density_times_area(
        tmp_path: Path, monaco: tuple[OsmData, str], kind: str, crs: str) -> None:
    if crs == "EPSG:4326":
        west, north, step, nx, ny = WEST, NORTH, STEP, NX, NY
    else:  # 100-m Web-Mercator cells (about 72 m on the ground at 43.7° N)
        west, north, step, nx, ny = 821_500.0, 5_430_000.0, 100.0, 101, 110
    path = write_raster(tmp_path / "uniform.tif", np.full((ny, nx), 50, np.float32), crs,
                        from_origin(west, north, step, step))
    gdf = origins_with(monaco, path, kind)
    assert (gdf["population_source"] == "raster").all()
    # Density in persons per UTM m²: 50 over a cell's projected area, taken at the middle of
    # the origins. Across Monaco (3 km) a cell's projected area varies by < 1e-3 (cos φ and
    # the UTM scale factor), within one origin by < 1e-4; straight cell edges in UTM differ
    # from the true curves by < 1e-9 of the area. Hence rtol 1e-3 for everything.
    cx, cy = gdf.geometry.union_all().centroid.coords[0]
    gx, gy = gpd.GeoSeries(gpd.points_from_xy([cx], [cy]), crs=UTM).to_crs(crs).iloc[0].coords[0]
    corner_x = west + np.floor((gx - west) / step) * step
    corner_y = north - np.floor((north - gy) / step) * step
    rho = 50 / projected_cell_area(crs, corner_x, corner_y, step)
    alone = isolated(gdf)
    assert alone.sum() >= 5
    np.testing.assert_allclose(gdf.loc[alone, "population"],
                               rho * gdf.geometry.area[alone], rtol=1e-3)
    # Overlapping origins share their overlap: the total is density × area of the union.
    np.testing.assert_allclose(gdf["population"].sum(), rho * gdf.geometry.union_all().area,
                               rtol=1e-3)
    # The floor-area estimate is kept for comparison and differs.
    plain = plain_origins(monaco, kind)
    np.testing.assert_allclose(gdf["population_floor_area"], plain["population"])


def test_a_raster_in_the_network_crs_is_exact(tmp_path: Path, monaco: tuple[OsmData, str]
                                              ) -> None:
    """100-m UTM cells of 50 persons: exactly 0.005 persons per m² (no reprojection)."""
    plain = plain_origins(monaco)
    transform, nx, ny = utm_grid(tuple(plain.total_bounds))
    path = write_raster(tmp_path / "utm.tif", np.full((ny, nx), 50, np.float64), UTM, transform)
    gdf = origins_with(monaco, path)
    alone = isolated(gdf)
    np.testing.assert_allclose(gdf.loc[alone, "population"], 0.005 * gdf.geometry.area[alone],
                               rtol=1e-9)


# -- one populated cell -------------------------------------------------------------------

def test_one_populated_cell_is_split_by_overlap_area(tmp_path: Path,
                                                     monaco: tuple[OsmData, str]) -> None:
    plain = plain_origins(monaco, "h3")
    transform, nx, ny = utm_grid(tuple(plain.total_bounds))
    # The cell holding a vertex shared by hexagons: it overlaps several origins.
    g = plain.geometry.values
    counts = [(len(shapely.STRtree(g).query(shapely.Point(v), predicate="dwithin",
                                            distance=1.0)), v)
              for v in shapely.get_coordinates(shapely.union_all(g[:40]).boundary)]
    vertex = max(counts, key=lambda t: t[0])[1]
    col = int((vertex[0] - transform.c) // 100)
    row = int((transform.f - vertex[1]) // 100)
    values = np.zeros((ny, nx), np.float32)
    values[row, col] = 1000.0
    path = write_raster(tmp_path / "one.tif", values, UTM, transform)
    x0, y1 = transform.c + col * 100, transform.f - row * 100
    cell = shapely.box(x0, y1 - 100, x0 + 100, y1)
    share = shapely.area(shapely.intersection(g, cell)) / 1e4
    assert (share > 0).sum() >= 2, "the chosen cell should overlap several origins"

    gdf = origins_with(monaco, path, "h3")
    np.testing.assert_allclose(gdf["population"], 1000 * share, atol=1e-6)
    assert gdf["population"].sum() == pytest.approx(1000 * share.sum(), abs=1e-6)
    # Conserved: what the cell puts inside the bounding box equals the origins' part plus the
    # part on no origin.
    raster_info = build_origins(monaco[0], monaco[1], build_config(
        {"origins": {"kind": "h3", "population_raster": str(path)}})).population["raster"]
    bbox = shapely.box(*plain.total_bounds)
    in_bbox = 1000 * shapely.area(shapely.intersection(bbox, cell)) / 1e4
    assert raster_info["population_in_bbox"] == pytest.approx(in_bbox, abs=1e-6)
    assert raster_info["population_in_origins"] == pytest.approx(1000 * share.sum(), abs=1e-6)
    assert (raster_info["population_in_origins"] + raster_info["population_outside_origins"]
            == pytest.approx(in_bbox, abs=1e-6))


# -- nodata -------------------------------------------------------------------------------

def test_nodata_cells_count_as_zero(tmp_path: Path, monaco: tuple[OsmData, str]) -> None:
    plain = plain_origins(monaco)
    transform, nx, ny = utm_grid(tuple(plain.total_bounds))
    values = np.full((ny, nx), 50, np.float32)
    half = nx // 2
    values[:, :half] = -9999.0  # the western half is nodata (and negative: must not matter)
    path = write_raster(tmp_path / "half.tif", values, UTM, transform, nodata=-9999.0)
    gdf = origins_with(monaco, path)
    east = shapely.box(transform.c + half * 100, transform.f - ny * 100,
                       transform.c + nx * 100, transform.f)
    alone = isolated(gdf)
    expected = 0.005 * shapely.area(shapely.intersection(gdf.geometry.values, east))
    np.testing.assert_allclose(gdf.loc[alone, "population"], expected[alone], atol=1e-6)
    assert (expected[alone] == 0).any() and (expected[alone] > 0).any()
    info = build_origins(monaco[0], monaco[1], build_config(
        {"origins": {"population_raster": str(path)}})).population["raster"]
    west_points = gdf["x"].to_numpy() < transform.c + half * 100
    assert info["origins_on_nodata"] == int(west_points.sum()) > 0


# -- bad input ----------------------------------------------------------------------------

def bad(monaco: tuple[OsmData, str], path: Path, match: str) -> None:
    with pytest.raises(DataFileError, match=match) as info:
        origins_with(monaco, path)
    assert path.name in str(info.value)


def test_a_missing_raster(tmp_path: Path, monaco: tuple[OsmData, str]) -> None:
    bad(monaco, tmp_path / "nope.tif", "not found")


def test_a_text_file_named_tif(tmp_path: Path, monaco: tuple[OsmData, str]) -> None:
    path = tmp_path / "text.tif"
    path.write_text("persons per cell, honest\n", encoding="utf-8")
    bad(monaco, path, "not a readable raster")


def test_a_truncated_geotiff(tmp_path: Path, monaco: tuple[OsmData, str]) -> None:
    full = write_raster(tmp_path / "full.tif", np.full((NY, NX), 50, np.float32), "EPSG:4326",
                        from_origin(WEST, NORTH, STEP, STEP))
    data = full.read_bytes()
    path = tmp_path / "cut.tif"
    path.write_bytes(data[: len(data) // 3])
    bad(monaco, path, "truncated or corrupt")


def test_a_raster_without_crs(tmp_path: Path, monaco: tuple[OsmData, str]) -> None:
    path = write_raster(tmp_path / "nocrs.tif", np.full((NY, NX), 50, np.float32), None,
                        from_origin(WEST, NORTH, STEP, STEP))
    bad(monaco, path, "no coordinate reference system")


def test_negative_values(tmp_path: Path, monaco: tuple[OsmData, str]) -> None:
    values = np.full((NY, NX), 50, np.float32)
    values[30, 40] = -3
    path = write_raster(tmp_path / "neg.tif", values, "EPSG:4326",
                        from_origin(WEST, NORTH, STEP, STEP))
    bad(monaco, path, r"negative values \(e\.g\. -3 at row 30, column 40\)")


def test_a_raster_elsewhere(tmp_path: Path, monaco: tuple[OsmData, str]) -> None:
    path = write_raster(tmp_path / "beijing.tif", np.full((50, 50), 50, np.float32),
                        "EPSG:4326", from_origin(116.3, 40.0, STEP, STEP))
    bad(monaco, path, "does not overlap the city")


def test_a_raster_of_nodata_only(tmp_path: Path, monaco: tuple[OsmData, str]) -> None:
    path = write_raster(tmp_path / "empty.tif", np.full((NY, NX), -1, np.float32), "EPSG:4326",
                        from_origin(WEST, NORTH, STEP, STEP), nodata=-1)
    bad(monaco, path, "nodata")


def test_the_cli_reports_a_bad_raster_without_a_traceback(tmp_path: Path, osm_dir: Path) -> None:
    path = tmp_path / "text.tif"
    path.write_text("nope", encoding="utf-8")
    result = CliRunner().invoke(make_app(), [
        "assess", str(osm_dir / "monaco.osm.pbf"), "--out", str(tmp_path / "o"),
        "--population-raster", str(path)])
    assert result.exit_code == 2
    assert "text.tif" in result.output and "not a readable raster" in result.output
    assert "Traceback" not in result.output


# -- end to end ---------------------------------------------------------------------------

def gradient_raster(path: Path) -> Path:
    """Persons per cell rising tenfold from west to east, so that weighting by it differs
    clearly from weighting by floor area."""
    values = np.tile(np.linspace(10, 100, NX, dtype=np.float32), (NY, 1))
    return write_raster(path, values, "EPSG:4326", from_origin(WEST, NORTH, STEP, STEP))


def weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    ok = np.isfinite(values) & (weights > 0)
    return float((values[ok] * weights[ok]).sum() / weights[ok].sum())


def test_evaluate_weights_the_summary_by_the_raster(tmp_path: Path, osm_dir: Path) -> None:
    path = gradient_raster(tmp_path / "gradient.tif")
    result = evaluate(osm_dir / "monaco.osm.pbf",
                      build_config({"origins": {"population_raster": str(path)}}))
    o, s = result.origins, result.summary
    assert s["population_source"] == "raster"
    assert s["population"] == pytest.approx(o["population"].sum())
    assert s["population"] == pytest.approx(s["population_raster"]["population_in_origins"])
    assert 0 < s["population_raster"]["share_in_origins"] < 1
    assert not np.allclose(o["population"], o["population_floor_area"])
    ok = o["snapped"].to_numpy()
    for index in ("life_service", "health_resilience"):
        v = o[index].to_numpy()
        w = np.where(ok, o["population"].to_numpy(), 0.0)
        assert s["indices"][index]["mean"] == pytest.approx(weighted_mean(v, w), rel=1e-12)
        floor = np.where(ok, o["population_floor_area"].to_numpy(), 0.0)
        assert s["indices"][index]["mean"] != pytest.approx(weighted_mean(v, floor), rel=1e-6)
    # A caller's own origins take the raster too; their population is kept for comparison.
    mine = o[["geometry"]].copy()
    mine["population"] = 1.0
    given = origins_from_frame(mine, result.network.crs, str(path))
    np.testing.assert_allclose(given.gdf["population"], o["population"], rtol=1e-9)
    assert (given.gdf["population_given"] == 1.0).all()
    assert given.population["source"] == "raster"
    points = gpd.GeoDataFrame(geometry=o.geometry.representative_point(), crs=o.crs)
    with pytest.raises(InputError, match="must be a polygon"):
        origins_from_frame(points, result.network.crs, str(path))


def test_the_cli_with_a_config_naming_a_relative_raster(tmp_path: Path, osm_dir: Path) -> None:
    gradient_raster(tmp_path / "pop.tif")
    cfg = tmp_path / "assess.toml"
    cfg.write_text('[origins]\npopulation_raster = "pop.tif"\n', encoding="utf-8")
    out = tmp_path / "o"
    result = CliRunner().invoke(make_app(), [
        "assess", str(osm_dir / "monaco.osm.pbf"), "--out", str(out), "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert "persons in origins" in result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["population_source"] == "raster"
    assert summary["population_raster"]["path"] == str(tmp_path / "pop.tif")
    origins = gpd.read_parquet(out / "origins.parquet")
    assert summary["population"] == pytest.approx(origins["population"].sum())
    assert "population_raster,share_in_origins" in (out / "summary.csv").read_text("utf-8")


def test_the_report_states_the_raster_coverage() -> None:
    """The report's method section names the raster and the share of its people in origins."""
    from types import SimpleNamespace

    from rescity.assess.reporting.report import _population
    from rescity.core.i18n import translator

    summary = {"population_source": "raster", "population_raster": {
        "path": "pop.tif", "population_in_origins": 8000.0, "population_in_bbox": 32000.0,
        "share_in_origins": 0.25}}
    row = _population(SimpleNamespace(city=SimpleNamespace(name="monaco", summary=summary)))
    assert row["source"] == "raster"
    for lang in ("en", "zh"):
        text = translator(lang)("assess.report.population_raster", **row["raster"])
        assert "pop.tif" in text and "8,000" in text and "32,000" in text and "25" in text
    plain = _population(SimpleNamespace(city=SimpleNamespace(name="x", summary={})))
    assert plain == {"city": "x", "source": "floor_area", "raster": None}
