"""The transport and environment indices discriminate on real extracts: neither puts more than
half of a city's residents at its maximum or its minimum (both once did: 100 % of Porto's and
Munich's residents at transport 3.00; 98 % at one environment value near countryside)."""

from __future__ import annotations

import numpy as np
import pytest

from rescity.assess.domain.indices import TRANSPORT_MAX

from .conftest import CITIES


@pytest.mark.parametrize("city", CITIES)
@pytest.mark.parametrize(("index", "top"), [("transport", TRANSPORT_MAX), ("environment", 1.0)])
def test_no_more_than_half_the_residents_sit_at_either_end_of_the_scale(
        assessed, city: str, index: str, top: float) -> None:  # type: ignore[no-untyped-def]
    org = assessed.get(city).origins
    org = org[org["snapped"]]
    w = org["population"].to_numpy()
    v = org[index].to_numpy()
    assert w[v >= top - 1e-9].sum() <= 0.5 * w.sum()
    assert w[v <= 1e-9].sum() <= 0.5 * w.sum()
    assert np.unique(np.round(v, 6)).size > 1
