"""Shared fixtures: two small real cities assessed once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescity.assess import evaluate
from rescity.assess.adapters.result_store import CityResult, from_assessment, write_config
from rescity.assess.adapters.writers import write_outputs
from rescity.assess.services.pipeline import AssessmentResult

CITIES = ("nanjing_xinjiekou", "beijing_haidian_liudaokou")


@pytest.fixture(scope="session")
def assessed(osm_dir: Path) -> dict[str, AssessmentResult]:
    """Nanjing and Beijing, buildings as origins (hundreds of origins, a second each)."""
    return {c: evaluate(osm_dir / f"{c}.osm.pbf", origins="buildings") for c in CITIES}


@pytest.fixture(scope="session")
def cities(assessed: dict[str, AssessmentResult]) -> dict[str, CityResult]:
    return {name: from_assessment(r, name) for name, r in assessed.items()}


@pytest.fixture(scope="session")
def result_dirs(assessed: dict[str, AssessmentResult],
                tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The engine's output folders, as `rescity assess` writes them, plus config.json."""
    root = tmp_path_factory.mktemp("results")
    out = {}
    for name, r in assessed.items():
        write_outputs(r, root / name)
        write_config(r.config, root / name)
        out[name] = root / name
    return out


class Captured:
    """Python warnings and matplotlib log messages seen while a fixture ran."""

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.logs: list[str] = []


@pytest.fixture(scope="session")
def compared(osm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Captured]:
    """`rescity compare` on Nanjing and Beijing, on 2 local worker processes, run once."""
    import logging
    import warnings

    from typer.testing import CliRunner

    from rescity.assess.adapters.pdf import find_chromium
    from rescity.cli import app

    out = tmp_path_factory.mktemp("compare")
    cap = Captured()
    handler = logging.Handler()
    handler.emit = lambda record: cap.logs.append(record.getMessage())  # type: ignore[method-assign]
    mpl_log = logging.getLogger("matplotlib")
    mpl_log.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = CliRunner().invoke(app, [
                "compare", *(str(osm_dir / f"{c}.osm.pbf") for c in CITIES), "--out", str(out),
                "--origins", "buildings", "--workers", "2", "--item", "kindergarten",
                "--item", "community_health_centre", "--k", "3", "--svg",
                "--pdf" if find_chromium() else "--no-pdf"])
        cap.warnings = [str(w.message) for w in caught]
    finally:
        mpl_log.removeHandler(handler)
    assert result.exit_code == 0, result.output
    return out, cap
