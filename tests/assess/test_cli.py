"""The ``assess`` command on a small Typer app of the test's own."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import geopandas as gpd
import typer
from typer.testing import CliRunner

from rescity.assess.entrypoints.cli import register


def make_app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command()
    def version() -> None:  # a second command keeps Typer in multi-command mode
        """Print nothing."""

    return app


def test_assess_writes_every_output(tmp_path: Path, osm_dir: Path, caplog) -> None:
    caplog.set_level(logging.INFO)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        make_app(), ["assess", str(osm_dir / "nanjing_xinjiekou.osm.pbf"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    for stage in ("read", "network", "facilities", "origins", "reach", "indices", "summary"):
        assert stage in result.output
        # Each stage's time is logged once (the progress bar shows it, not a second log line).
        assert sum(f"stage {stage}" in r.getMessage() for r in caplog.records) == 1, stage
    names = {p.name for p in out.iterdir()}
    assert names == {"origins.parquet", "origins.gpkg", "facilities.parquet", "facilities.gpkg",
                     "network_edges.parquet", "summary.json", "summary.csv", "config.json",
                     "context.parquet"}
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["indices"]) >= {"life_service", "disaster", "transport", "environment",
                                       "health_resilience"}
    origins = gpd.read_file(out / "origins.gpkg", layer="origins")
    assert len(origins) == summary["origins"]
    areas = gpd.read_file(out / "origins.gpkg", layer="origin_areas")
    assert len(areas) == summary["origins"]
    assert set(areas.geom_type) == {"MultiPolygon"}
    facilities = gpd.read_parquet(out / "facilities.parquet")
    assert len(facilities) > 0
    assert (out / "summary.csv").read_text(encoding="utf-8").startswith("section,name,stat,value")


def test_assess_with_building_origins_and_a_config(tmp_path: Path, osm_dir: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[life_service]\nmode = \"tiered\"\n", encoding="utf-8")
    result = CliRunner().invoke(make_app(), [
        "assess", str(osm_dir / "monaco.osm.pbf"), "--out", str(tmp_path / "o"),
        "--config", str(cfg), "--origins", "buildings"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    assert summary["origin_kind"] == "buildings"


def test_bad_input_exits_with_a_message(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[bogus]\nx = 1\n", encoding="utf-8")
    result = CliRunner().invoke(make_app(), [
        "assess", str(tmp_path / "missing.osm.pbf"), "--out", str(tmp_path), "--config", str(cfg)])
    assert result.exit_code == 2
    assert "bogus" in result.output


def test_report_and_site_use_the_config_the_assessment_ran_with(
        tmp_path: Path, osm_dir: Path) -> None:
    # Once, `assess --config` did not save its config: the report then showed the default
    # thresholds next to coverage computed with the user's.
    from rescity.assess.adapters.result_store import load_result
    from rescity.assess.entrypoints.cli_report import register as register_report

    cfg = tmp_path / "c.toml"
    cfg.write_text("[thresholds]\ndistances_m = [250.0, 450.0, 900.0]\n"
                   "labels = [\"a\", \"b\", \"c\"]\n[origins]\npopulation_total = 38367\n",
                   encoding="utf-8")
    out = tmp_path / "o"
    app = make_app()
    register_report(app)
    result = CliRunner().invoke(app, [
        "assess", str(osm_dir / "monaco.osm.pbf"), "--out", str(out), "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    city = load_result(out)
    assert city.config.thresholds.distances_m == [250.0, 450.0, 900.0]
    assert city.config.origins.population_total == 38367
    assert set(city.summary["coverage"]["kindergarten"]) == {"a", "b", "c"}
    assert city.context is not None and {"water", "suburb"} <= set(city.context["kind"])
    sited = CliRunner().invoke(app, ["site", str(out), "--item", "kindergarten", "--k", "1"])
    assert sited.exit_code == 0, sited.output
    assert "(900 m)" in sited.output
