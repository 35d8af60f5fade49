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
