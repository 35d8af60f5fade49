"""``--population-total N`` gives a summary population of exactly N, not N ± an ulp.

Scaling every origin by N / estimate left sums such as 12344.999999999998 in summary.json
(a box cut out of Munich's extract, 89 origins); a planner reading it sees a total that is
not the census figure given.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rescity.assess import evaluate
from rescity.assess.domain.config import build_config
from rescity.assess.services.origin_rules import calibrate

TOTALS = (12_345.0, 38_367.0, 475_701.0, 1_000_000.0 / 3.0, 21_533.0, 7.0)


@pytest.mark.parametrize("city", ["munich_altstadt", "porto_centro", "malta"])
def test_the_scaled_origins_sum_to_the_total_exactly(assessed, city: str) -> None:  # type: ignore[no-untyped-def]
    base = assessed.get(city).origins[["population", "geometry"]]
    for total in TOTALS:
        frame = base.copy()
        info = calibrate(frame, total)
        pop = frame["population"].to_numpy(dtype=np.float64)
        # The origins add up to the total within an ulp (the summary says the total itself).
        assert abs(float(pop.sum()) - total) <= np.spacing(total)
        assert (pop >= 0).all()
        # Still a scaling: every origin keeps its share but for a few ulps.
        assert np.allclose(pop, frame["population_uncalibrated"] * info["calibration_factor"],
                           rtol=1e-9, atol=1e-9)


def test_the_summary_reports_the_total_given(osm_dir: Path) -> None:
    # Beijing's 14 origins scaled to these totals summed to 12344.999999999998 and
    # 38366.99999999999.
    for total in (12_345.0, 38_367.0, 475_701.0):
        result = evaluate(osm_dir / "beijing_haidian_liudaokou.osm.pbf",
                          build_config({"origins": {"population_total": total}}))
        assert result.summary["population"] == total
        assert result.summary["population_calibrated"] is True
