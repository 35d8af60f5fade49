"""``report``/``site --config`` on a result folder cannot contradict the assessment.

The folder's ``config.json`` is what the summary's indices, coverage and gaps were computed
with. A ``--config`` given to ``report`` replaced it whole, over the defaults: a file that only
switched ``life_service.mode`` brought back the default thresholds (300/500/1000 m) next to
coverage computed at 200/400/800 m, the contradiction issue 12 was about. It is now read over
the saved configuration and refused when it changes it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from rescity.assess.adapters.result_store import load_result
from rescity.assess.entrypoints.cli import register
from rescity.assess.entrypoints.cli_report import register as register_report
from rescity.core.errors import InputError

ASSESSED = ("[thresholds]\ndistances_m = [200.0, 400.0, 800.0]\nlabels = [\"a\", \"b\", \"c\"]\n"
            "[life_service]\nmode = \"standard\"\n")


@pytest.fixture(scope="module")
def result_dir(tmp_path_factory: pytest.TempPathFactory, osm_dir: Path) -> Path:
    tmp = tmp_path_factory.mktemp("report_config")
    cfg = tmp / "assessed.toml"
    cfg.write_text(ASSESSED, encoding="utf-8")
    app = typer.Typer()
    register(app)
    register_report(app)
    out = tmp / "out"
    done = CliRunner().invoke(app, ["assess", str(osm_dir / "beijing_haidian_liudaokou.osm.pbf"),
                                    "--out", str(out), "--config", str(cfg)])
    assert done.exit_code == 0, done.output
    return out


def test_a_config_that_changes_the_assessment_is_refused(result_dir: Path,
                                                         tmp_path: Path) -> None:
    other = tmp_path / "presence.toml"
    other.write_text("[life_service]\nmode = \"presence\"\n", encoding="utf-8")
    with pytest.raises(InputError, match="life_service"):
        load_result(result_dir, config=other)
    app = typer.Typer()
    register(app)
    register_report(app)
    sited = CliRunner().invoke(app, ["site", str(result_dir), "--item", "kindergarten",
                                     "--config", str(other)])
    assert sited.exit_code != 0
    assert "assess" in str(sited.output) + str(sited.exception)


def test_the_same_or_a_partial_config_keeps_the_saved_one(result_dir: Path,
                                                          tmp_path: Path) -> None:
    same = tmp_path / "same.toml"
    same.write_text(ASSESSED, encoding="utf-8")
    partial = tmp_path / "partial.toml"
    partial.write_text("[life_service]\nmode = \"standard\"\n", encoding="utf-8")
    for cfg in (same, partial):
        city = load_result(result_dir, config=cfg)
        assert city.config.thresholds.distances_m == [200.0, 400.0, 800.0]
        assert city.config.thresholds.labels == list(city.summary["coverage"]["kindergarten"])
