"""`site` says when it returns fewer sites than asked, and why (it once returned 2 of 3
silently)."""

from __future__ import annotations

from rescity.assess.adapters.result_store import from_assessment
from rescity.assess.services.siting import site_facilities


def test_fewer_sites_than_asked_come_with_a_reason(assessed) -> None:  # type: ignore[no-untyped-def]
    city = from_assessment(assessed.get("monaco"))
    res = site_facilities(city, "kindergarten", 400, exact=False)
    assert 0 < len(res.sites) < 400
    assert res.requested == 400
    assert res.shortfall in {"all_covered", "unreachable"}
    if res.shortfall == "all_covered":
        assert res.greedy.covered == res.uncovered_population
    few = site_facilities(city, "kindergarten", 1, exact=False)
    assert len(few.sites) == 1 and few.shortfall is None
