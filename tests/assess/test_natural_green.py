"""``environment.natural_green``: natural areas count as green space when the planner says so.

By default forest, meadow, scrub and the like count only where tagged accessible (countryside
near a town is not a park); a planner whose residents use them had no way to count them short
of replacing the whole facility table.
"""

from __future__ import annotations

from pathlib import Path

from rescity.assess import evaluate
from rescity.assess.domain.config import build_config

NATURAL = {("landuse", "forest"), ("landuse", "meadow"), ("landuse", "grass"),
           ("natural", "wood"), ("natural", "scrub"), ("natural", "grassland"),
           ("natural", "heath")}


def _green(frame) -> set[tuple[str, int]]:  # type: ignore[no-untyped-def]
    rows = frame[frame["items"].str.split(";").apply(lambda xs: "green_space" in xs)]
    return set(zip(rows["osm_type"], rows["osm_id"].astype(int), strict=True))


def test_natural_areas_count_only_when_configured(assessed, osm_dir: Path) -> None:  # type: ignore[no-untyped-def]
    base = assessed.get("monaco")
    cfg = build_config({"environment": {"natural_green": True}})
    wide = evaluate(osm_dir / "monaco.osm.pbf", cfg)
    before, after = _green(base.facilities), _green(wide.facilities)
    added = after - before
    assert before <= after and len(added) >= 5
    area = wide.facilities.set_index(["osm_type", "osm_id"])["area_m2"]
    assert sum(area[k] for k in added) > 10_000  # hectares of woods and scrub
    # More green reached, never less.
    g0 = base.origins["green_m2_per_capita"].to_numpy()
    g1 = wide.origins["green_m2_per_capita"].to_numpy()
    assert (g1 >= g0 - 1e-9).all() and (g1 > g0 + 1e-9).any()
    assert wide.config.environment.natural_green is True
