"""Each shared extract is assessed once per test session and shared by every test."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescity.assess import AssessmentResult, evaluate

CITIES = (
    "nanjing_xinjiekou",
    "beijing_haidian_liudaokou",
    "chengdu_erhuan",
    "porto_centro",
    "munich_altstadt",
    "monaco",
    "malta",
)
SMALL_CITIES = ("nanjing_xinjiekou", "beijing_haidian_liudaokou", "monaco", "munich_altstadt")


class _Cache:
    def __init__(self, osm_dir: Path) -> None:
        self.osm_dir = osm_dir
        self.results: dict[tuple[str, str], AssessmentResult] = {}

    def get(self, city: str, origins: str = "landuse") -> AssessmentResult:
        key = (city, origins)
        if key not in self.results:
            self.results[key] = evaluate(self.osm_dir / f"{city}.osm.pbf", origins=origins)
        return self.results[key]


@pytest.fixture(scope="session")
def assessed(osm_dir: Path) -> _Cache:
    """``assessed.get(city)``: the city's AssessmentResult, computed once per session."""
    return _Cache(osm_dir)
