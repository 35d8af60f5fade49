"""Comparing cities: Dask gives exactly the serial result; the CLI writes folders and a report."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from typer.testing import CliRunner

from rescity.assess.adapters.writers import _clean
from rescity.assess.domain.analysis import build_analysis
from rescity.assess.domain.config import build_config
from rescity.assess.services.compare import CityTask, run_cities, unique_names
from rescity.cli import app
from rescity.core.errors import InputError

pytestmark = pytest.mark.slow
CITIES = ("nanjing_xinjiekou", "beijing_haidian_liudaokou")


def tasks(osm_dir: Path) -> list[CityTask]:
    cfg, analysis = build_config(), build_analysis()
    return [CityTask(str(osm_dir / f"{c}.osm.pbf"), c, cfg, analysis, "buildings",
                     ("kindergarten", "community_health_centre"), 3) for c in CITIES]


def comparable_summary(summary: dict) -> str:
    return json.dumps({k: v for k, v in summary.items() if k != "timings_s"}, sort_keys=True)


def test_dask_gives_exactly_the_serial_result(osm_dir: Path, compared) -> None:
    """The CLI ran on a local Dask cluster; a serial run must write the very same numbers."""
    out, _ = compared
    serial = run_cities(tasks(osm_dir), serial=True)
    assert [o.analysis.city.name for o in serial] == list(CITIES)
    for a in serial:
        folder = out / a.analysis.city.name
        on_dask = json.loads((folder / "summary.json").read_text("utf-8"))
        mine = json.loads(json.dumps(_clean(a.result.summary)))
        assert comparable_summary(on_dask) == comparable_summary(mine)
        written = gpd.read_parquet(folder / "origins.parquet")
        pd.testing.assert_frame_equal(written.drop(columns="geometry"),
                                      a.result.origins.drop(columns="geometry"))
        assert written.geometry.geom_equals_exact(a.result.origins.geometry, tolerance=0).all()
        for s in a.analysis.sitings:
            pd.testing.assert_frame_equal(pd.read_csv(folder / f"sites_{s.item}.csv"),
                                          s.sites, check_exact=False, rtol=1e-12)
    report = json.loads((out / "report.json").read_text("utf-8"))
    for a, d in zip(serial, report, strict=True):
        for g, acc in a.analysis.catchment.items():
            assert d["catchment"][g]["mean"] == pytest.approx(acc.stats["mean"], rel=1e-12)


def test_a_bad_extract_is_reported_by_name(tmp_path: Path, osm_dir: Path) -> None:
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(b"not a pbf")
    good = tasks(osm_dir)[1]
    broken = CityTask(str(bad), "broken", good.config, good.analysis)
    with pytest.raises(InputError) as err:
        run_cities([good, broken], serial=True)
    assert "broken" in str(err.value)


def test_names_are_made_unique() -> None:
    assert unique_names(["a/x.osm.pbf", "b/x.osm.pbf", "y.osm"]) == ["x", "x-2", "y"]


def test_the_compare_command_writes_city_folders_and_a_report(compared,
                                                              tmp_path: Path) -> None:
    out, _ = compared
    for c in CITIES:
        for name in ("origins.parquet", "summary.json", "config.json",
                     "sites_kindergarten.csv"):
            assert (out / c / name).is_file(), name
    assert "City comparison" in (out / "report.html").read_text("utf-8")
    # The report can be rebuilt from a result folder alone, in Chinese.
    again = CliRunner().invoke(app, ["report", str(out / CITIES[1]), "--out", str(tmp_path),
                                     "--lang", "zh", "--no-pdf", "--item", "kindergarten"])
    assert again.exit_code == 0, again.output
    assert "15分钟生活圈与韧性评估" in (tmp_path / "report.html").read_text("utf-8")


def test_the_site_command_prints_sites_and_the_exact_comparison(result_dirs,
                                                                tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["site", str(result_dirs["nanjing_xinjiekou"]),
                                      "--item", "kindergarten", "--k", "3", "--exact",
                                      "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "exact optimum" in result.output
    sites = pd.read_csv(tmp_path / "sites_kindergarten.csv")
    assert len(sites) >= 1 and sites["gain_population"].is_monotonic_decreasing
    geo = json.loads((tmp_path / "sites_kindergarten.geojson").read_text("utf-8"))
    assert geo["features"][0]["geometry"]["type"] == "Point"


def test_an_unknown_item_is_a_clear_error(result_dirs) -> None:
    result = CliRunner().invoke(app, ["site", str(result_dirs["nanjing_xinjiekou"]),
                                      "--item", "kindergarden"])
    assert result.exit_code != 0
    assert "kindergarden" in str(result.exception) + result.output
