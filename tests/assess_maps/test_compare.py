"""Comparing cities: Dask gives exactly the serial result; the CLI writes folders and a report."""

from __future__ import annotations

import dataclasses
import io
import json
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from typer.testing import CliRunner

from rescity.assess.adapters.dask_runner import map_processes
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
    """The CLI ran on 2 worker processes; a serial run must write the very same numbers."""
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


def written(folder: Path) -> dict[str, object]:
    """A city folder's contents, comparable across runs (timings left out)."""
    out: dict[str, object] = {}
    for f in sorted(folder.iterdir()):
        if f.name == "summary.json":
            out[f.name] = comparable_summary(json.loads(f.read_text("utf-8")))
        elif f.suffix == ".parquet":
            out[f.name] = gpd.read_parquet(f).to_wkb()
        elif f.suffix == ".gpkg":
            out[f.name] = {layer: gpd.read_file(f, layer=layer).to_wkb()
                           for layer, _ in pyogrio.list_layers(f)}
        else:
            out[f.name] = f.read_text("utf-8")
    return out


@pytest.mark.parametrize("engine", ["processes", "dask"])
def test_every_parallel_engine_writes_what_the_serial_run_writes(
        osm_dir: Path, tmp_path: Path, engine: str) -> None:
    """Workers (forked processes, or a local Dask cluster) write each city's folder
    themselves; every file must equal the one a serial run writes."""
    runs = {}
    for mode in ("serial", engine):
        out = tmp_path / mode
        ts = [dataclasses.replace(t, out_dir=str(out)) for t in tasks(osm_dir)]
        done: list[int] = []
        outcomes = run_cities(ts, serial=mode == "serial", dask=mode == "dask", workers=2,
                              on_done=done.append)
        assert sorted(done) == [0, 1]
        assert [o.folder for o in outcomes] == [out / c for c in CITIES]
        runs[mode] = {c: written(out / c) for c in CITIES}
    for c in CITIES:
        assert runs[engine][c].keys() == runs["serial"][c].keys()
        for name, content in runs["serial"][c].items():
            other = runs[engine][c][name]
            if isinstance(content, pd.DataFrame):
                pd.testing.assert_frame_equal(other, content)
            elif isinstance(content, dict):
                assert isinstance(other, dict) and other.keys() == content.keys()
                for layer, frame in content.items():
                    pd.testing.assert_frame_equal(other[layer], frame)
            else:
                assert other == content, (c, name)


def _streams(_: object) -> tuple[bool, bool]:
    return sys.stdout is sys.__stdout__, sys.stderr is sys.__stderr__


def test_forked_workers_write_to_the_real_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    """A progress bar replaces sys.stderr by a proxy with a lock; a forked worker must not
    inherit the proxy (the thread holding its lock does not exist in the child)."""
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert map_processes(_streams, [0, 1], workers=2) == [(True, True)] * 2


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
