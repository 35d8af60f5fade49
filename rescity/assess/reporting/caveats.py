"""Data caveats: what a planner must know about the data before signing the numbers.

Each caveat is a message key and its parameters (rendered in the report's language): the
population's source and calibration, origins that stand for too much (a fallback, few
origins), origins at the edge of the data, origins off the street network, items missing
from the extract, and items implausibly rare against GB 50180-2018.
"""

from __future__ import annotations

from typing import Any

from rescity.assess.adapters.result_store import CityResult

# An item is "implausibly rare" below this share of the least the standard asks for: one per
# life circle of the largest size the standard allows.
RARE_SHARE = 0.2
FEW_ORIGINS = 10
# Say so when at least this share of the population sits on residential land whose buildings
# are not mapped (its persons come from a density, the least reliable part of the estimate).
LAND_DENSITY_SHARE = 0.1


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def city_caveats(city: CityResult) -> list[tuple[str, dict[str, Any]]]:
    """(message key, parameters) for every caveat that applies to ``city``."""
    s, cfg = city.summary, city.config
    out: list[tuple[str, dict[str, Any]]] = []
    pop = float(s.get("population") or 0.0)
    source = s.get("population_source", "floor_area")
    if not s.get("population_calibrated") and source not in ("raster", "given"):
        out.append(("assess.caveat.population_estimate",
                    {"population": f"{pop:,.0f}", "source": source}))
        out.append(("assess.caveat.population_band", {}))
        land = (s.get("population_by_source") or {}).get("land_density") or {}
        unmapped = float(land.get("population", 0.0))
        if pop > 0 and unmapped >= LAND_DENSITY_SHARE * pop:
            out.append(("assess.caveat.population_land_density",
                        {"share": _pct(unmapped / pop), "population": f"{unmapped:,.0f}",
                         "per_km2": f"{float(land.get('per_km2', 0.0)):,.0f}"}))
    elif s.get("population_calibrated"):
        out.append(("assess.caveat.population_calibrated",
                    {"population": f"{pop:,.0f}",
                     "estimate": f"{float(s.get('population_uncalibrated', 0)):,.0f}"}))
    share = s.get("landuse_share") or {}
    if "origin_fallback" in s:
        # Which of the two sparse-land rules fell back (origin_rules.sparse_landuse): a share
        # of the housing's floor area that the land holds, or too few areas for the
        # buildings. Munich's 9 areas hold 100 % of it: "holding 100 %" read as no reason.
        held = float(share.get("share", 0.0))
        few = not held < cfg.origins.min_landuse_share
        out.append(("assess.caveat.origin_fallback_few" if few
                    else "assess.caveat.origin_fallback",
                    {"share": _pct(held), "areas": share.get("areas", "?"),
                     "buildings": share.get("typed_dwellings", "?")}))
    elif (s.get("origin_kind") == "landuse" and share.get("typed_dwellings", 0) >= 10
          and float(share.get("share", 1.0)) < cfg.origins.min_landuse_share
          and float(share.get("unmapped_land_share", 0.0)) > 0.5):
        # Kept by origin_rules.sparse_landuse: the typed housing lies off the residential
        # land, but that land holds no mapped buildings, so neither kind tells the whole story.
        out.append(("assess.caveat.origin_land_kept",
                    {"share": _pct(float(share["share"])), "areas": share.get("areas", "?"),
                     "buildings": share["typed_dwellings"],
                     "unmapped": _pct(float(share["unmapped_land_share"]))}))
    n = int(s.get("origins", 0))
    if 0 < n < FEW_ORIGINS:
        out.append(("assess.caveat.few_origins", {"n": n}))
    if pop > 0 and s.get("origins_at_border"):
        out.append(("assess.caveat.border",
                    {"n": s["origins_at_border"],
                     "share": _pct(float(s.get("population_at_border", 0.0)) / pop)}))
    if pop > 0 and s.get("origins_unsnapped"):
        out.append(("assess.caveat.unsnapped",
                    {"n": s["origins_unsnapped"],
                     "share": _pct(float(s.get("population_unsnapped", 0.0)) / pop),
                     "distance": f"{cfg.network.max_snap_m:g}"}))
    by_id = {it.id: it for it in city.taxonomy.items}
    weights = cfg.life_service.weights
    missing = [i for i in s.get("missing_items", []) if i in weights and i in by_id]
    if missing:
        out.append(("assess.caveat.missing",
                    {"items": "; ".join(f"{by_id[i].zh} {by_id[i].en}" for i in missing)}))
    counts = s.get("facility_counts", {})
    ls = cfg.life_service
    for item in weights:
        level = ls.circle.get(item)
        count = int(counts.get(item, 0))
        if level is None or count == 0 or item not in by_id:
            continue
        per_circle = ls.circle_population[min(level, len(ls.circle_population)) - 1]
        expected = pop / per_circle
        if expected >= 1 and count < RARE_SHARE * expected:
            minutes = cfg.thresholds.labels[min(level, len(cfg.thresholds.labels)) - 1]
            out.append(("assess.caveat.rare", {
                "item": f"{by_id[item].zh} {by_id[item].en}", "count": count,
                "per10k": f"{1e4 * count / pop:.2f}", "norm": f"{1e4 / per_circle:.2f}",
                "circle": minutes, "circle_population": f"{per_circle:,.0f}"}))
    return out
