"""The report's data caveats on the shared extracts: what the data cannot support is said."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescity.assess import evaluate
from rescity.assess.adapters.result_store import from_assessment
from rescity.assess.domain.config import build_config
from rescity.assess.reporting.caveats import city_caveats
from rescity.core.i18n import catalog, translator


def keys_of(result) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return dict(city_caveats(from_assessment(result)))


def test_an_uncalibrated_population_and_rare_kindergartens_are_flagged(assessed) -> None:  # type: ignore[no-untyped-def]
    # Malta: ~470,000 residents and 2 kindergartens mapped in 2018.
    result = assessed.get("malta")
    caveats = city_caveats(from_assessment(result))
    keys = [k for k, _ in caveats]
    assert "assess.caveat.population_estimate" in keys
    rare = [p for k, p in caveats if k == "assess.caveat.rare"]
    assert any("Kindergarten" in p["item"] for p in rare)
    assert result.summary["facility_counts"]["kindergarten"] < 10


def test_a_calibrated_run_says_so_instead(osm_dir: Path) -> None:
    result = evaluate(osm_dir / "monaco.osm.pbf",
                      build_config({"origins": {"population_total": 38_367.0}}))
    keys = keys_of(result)
    assert "assess.caveat.population_estimate" not in keys
    assert keys["assess.caveat.population_calibrated"]["population"] == "38,367"


def test_fallback_border_and_missing_items_are_flagged(assessed) -> None:  # type: ignore[no-untyped-def]
    munich = keys_of(assessed.get("munich_altstadt"))
    # Munich fell back for its few areas (9 for 293 buildings), whose land holds all of the
    # housing: the caveat says so, not "9 areas holding 100.0 %" as if the land were sparse.
    assert "assess.caveat.origin_fallback_few" in munich
    assert "assess.caveat.origin_fallback" not in munich
    assert munich["assess.caveat.origin_fallback_few"]["areas"] == 9
    nanjing = keys_of(assessed.get("nanjing_xinjiekou"))
    assert "assess.caveat.origin_fallback" in nanjing  # its land holds 48 % of the housing
    assert "assess.caveat.border" in munich
    monaco = assessed.get("monaco")
    missing = [i for i in monaco.summary["missing_items"]
               if i in monaco.config.life_service.weights]
    if missing:
        assert "assess.caveat.missing" in keys_of(monaco)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_caveat_renders_in_both_languages(assessed, lang: str) -> None:  # type: ignore[no-untyped-def]
    t = translator(lang)
    texts = catalog(lang)
    for city in ("malta", "munich_altstadt", "nanjing_xinjiekou"):
        for key, params in city_caveats(from_assessment(assessed.get(city))):
            assert key in texts
            assert "{" not in t(key, **params)


def test_the_estimate_carries_its_error_band_and_its_unmapped_share(assessed) -> None:  # type: ignore[no-untyped-def]
    # Malta (2018): most residential land has no mapped buildings, so most residents come
    # from a land density; Munich's old town is counted from its buildings alone.
    malta = assessed.get("malta")
    by_source = malta.summary["population_by_source"]
    land = by_source["land_density"]["population"]
    assert land > 0.5 * malta.summary["population"]
    keys = keys_of(malta)
    assert "assess.caveat.population_band" in keys
    params = keys["assess.caveat.population_land_density"]
    assert params["population"] == f"{land:,.0f}"
    munich = keys_of(assessed.get("munich_altstadt"))
    assert "assess.caveat.population_band" in munich
    assert "assess.caveat.population_land_density" not in munich


def test_a_calibrated_run_has_no_error_band(osm_dir: Path) -> None:
    result = evaluate(osm_dir / "malta.osm.pbf",
                      build_config({"origins": {"population_total": 493_559.0}}))
    keys = keys_of(result)
    assert "assess.caveat.population_band" not in keys
    assert "assess.caveat.population_land_density" not in keys
