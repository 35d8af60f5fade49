"""Comparing cities: Dask gives exactly the serial result; the CLI writes folders and a report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

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


def test_dask_gives_exactly_the_serial_result(osm_dir: Path) -> None:
    serial = run_cities(tasks(osm_dir), serial=True)
    on_dask = run_cities(tasks(osm_dir), workers=2)
    assert [o.analysis.city.name for o in on_dask] == list(CITIES)  # input order kept
    for a, b in zip(serial, on_dask, strict=True):
        assert comparable_summary(a.result.summary) == comparable_summary(b.result.summary)
        pd.testing.assert_frame_equal(a.result.origins.drop(columns="geometry"),
                                      b.result.origins.drop(columns="geometry"))
        assert a.result.origins.geometry.geom_equals_exact(b.result.origins.geometry,
                                                           tolerance=0).all()
        pd.testing.assert_frame_equal(a.result.facilities.drop(columns="geometry"),
                                      b.result.facilities.drop(columns="geometry"))
        for sa, sb in zip(a.analysis.sitings, b.analysis.sitings, strict=True):
            pd.testing.assert_frame_equal(sa.sites, sb.sites)
        for g in a.analysis.catchment:
            assert np.array_equal(a.analysis.catchment[g].access, b.analysis.catchment[g].access,
                                  equal_nan=True)


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


def test_the_compare_command_writes_city_folders_and_a_report(osm_dir: Path,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    result = CliRunner().invoke(app, [
        "compare", *(str(osm_dir / f"{c}.osm.pbf") for c in CITIES), "--out", str(out),
        "--origins", "buildings", "--workers", "2", "--item", "kindergarten", "--k", "2",
        "--no-pdf"])
    assert result.exit_code == 0, result.output
    for c in CITIES:
        assert (out / c / "origins.parquet").is_file()
        assert (out / c / "config.json").is_file()
        assert (out / c / "sites_kindergarten.csv").is_file()
    html = (out / "report.html").read_text("utf-8")
    assert "City comparison" in html and "© OpenStreetMap contributors" in html
    # The report can be rebuilt from the folders alone, in Chinese.
    again = CliRunner().invoke(app, ["report", str(out), "--out", str(tmp_path / "zh"),
                                     "--lang", "zh", "--no-pdf", "--item", "kindergarten"])
    assert again.exit_code == 0, again.output
    assert "城市比较" in (tmp_path / "zh" / "report.html").read_text("utf-8")


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
