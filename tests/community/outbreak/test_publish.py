"""Published statistics: stored noised releases, suppression below k, a ledger that refuses
releases beyond the budget, a public page that says what was done, the dashboard through
the same mechanism, and the transmission chain kept for health officers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from rescity.community.outbreak.adapters import LedgerEntry, NoisedCell, Release
from rescity.core.storage.uow import UnitOfWork
from tests.community.conftest import World
from tests.community.outbreak.conftest import TODAY, add_case, use_runtime


def _release(world: World, place: str = "a", **extra: Any) -> Any:
    body = {"place": place, "granularity": "day", "first_day": "2026-11-21",
            "last_day": TODAY, **extra}
    return world.call("health", "POST", "/api/outbreak/releases", json=body)


def _counts(release: dict[str, Any]) -> dict[tuple[str, str], int | None]:
    return {(c["grid"], c["period"]): c["count"] for c in release["cells"]}


def test_cells_below_k_are_withheld_and_the_rest_published(ob: World) -> None:
    for _ in range(6):
        add_case(ob, grid="a1")
    for _ in range(2):
        add_case(ob, grid="a2")
    add_case(ob, grid="a2", status="suspected")  # suspected cases are not published
    made = _release(ob)
    assert made.status_code == 201, made.text
    counts = _counts(made.json())
    assert counts[("a1", TODAY)] == 6  # exact here: this test replaces the noise
    assert counts[("a2", TODAY)] is None  # 2 < k = 5
    assert counts[("a1", "2026-11-21")] is None  # 0 < k too: zeros are not told apart
    assert made.json()["epsilon"] == 0.5 and made.json()["k"] == 5


def test_repeated_views_show_the_same_stored_release(noisy: World) -> None:
    for _ in range(30):
        add_case(noisy, grid="a1")
    assert _release(noisy).status_code == 201
    views = [noisy.call("anonymous", "GET", "/api/outbreak/statistics",
                        params={"place": "a"}).json() for _ in range(3)]
    assert views[0] == views[1] == views[2]
    (release,) = views[0]["releases"]
    assert release["noise_scale"] == 2.0 and views[0]["budget_left"] == 4.5
    with UnitOfWork(noisy.factory) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Release)) == 1


def test_the_ledger_refuses_a_release_beyond_the_budget(ob: World) -> None:
    use_runtime(ob, settings=ob.settings.model_copy(update={"outbreak_dp_budget": 1.2}))
    assert _release(ob, "a1").status_code == 201  # 0.5 spent on a1 (and so on a, s …)
    assert _release(ob, "b").status_code == 201  # b does not overlap a1
    # s covers a1 and b: 0.5 + 0.5 spent under it already, another 0.5 would make 1.5.
    refused = _release(ob, "s")
    assert refused.status_code == 409 and "budget" in refused.text
    assert _release(ob, "a2").status_code == 201  # a2 overlaps no earlier release
    refused_again = _release(ob, "a")  # a1 (0.5) + a2 (0.5) + 0.5 > 1.2
    assert refused_again.status_code == 409
    with UnitOfWork(ob.factory) as uow:
        assert uow.session.scalar(select(func.count()).select_from(LedgerEntry)) == 3
        assert uow.session.scalar(select(func.count()).select_from(Release)) == 3
    ledger = ob.call("health", "GET", "/api/outbreak/ledger", params={"place": "a1"}).json()
    assert ledger["left"] == 0.7 and [e["epsilon"] for e in ledger["entries"]] == [0.5]


def test_only_health_officers_of_the_place_publish(ob: World) -> None:
    refused = ob.call("health_b", "POST", "/api/outbreak/releases", json={
        "place": "a", "granularity": "day", "first_day": TODAY, "last_day": TODAY})
    assert refused.status_code == 403
    assert ob.call("dept", "POST", "/api/outbreak/releases", json={
        "place": "a", "granularity": "day", "first_day": TODAY,
        "last_day": TODAY}).status_code == 403


def test_the_public_page_shows_noised_counts_with_epsilon_and_k_stated(noisy: World) -> None:
    for _ in range(40):
        add_case(noisy, grid="a1")
    release = _release(noisy).json()
    page = noisy.call("anonymous", "GET", "/outbreak/statistics", params={"place": "a"},
                      headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page.text
    assert "ε = 0.5" in text and "noise scale 2.00" in text and "below 5" in text
    assert "Privacy budget left for this area: 4.50 of 5.0" in text
    shown = _counts(release)[("a1", TODAY)]
    assert shown is not None and f'<td class="n">{shown}</td>' in text
    assert "&lt;5" in text  # the empty days are withheld
    # The exact table and the chain are not on the public side.
    assert noisy.call("anonymous", "GET", "/api/outbreak/table", params={
        "place": "a", "first_day": TODAY, "last_day": TODAY}).status_code == 401
    assert noisy.call("anonymous", "GET", "/outbreak/chain").status_code in (401, 303)


def test_the_dashboard_uses_the_same_mechanism_and_keeps_its_draws(ob: World) -> None:
    from rescity.community.shared.deps import get_runtime
    from rescity.community.shared.runtime import Runtime

    settings = ob.settings.model_copy(update={"dashboard_dp_epsilon": 0.5})
    runtime = Runtime.create(settings, clock=ob.clock)
    ob.client.app.dependency_overrides[get_runtime] = lambda: runtime  # type: ignore[attr-defined]
    boards = [ob.call("admin", "GET", "/api/community/dashboard", params={"place": "s"}).json()
              for _ in range(3)]
    assert boards[0] == boards[1] == boards[2]
    assert boards[0]["epsilon"] == 0.5
    with UnitOfWork(ob.factory) as uow:
        drawn = uow.session.scalars(select(NoisedCell)).all()
        keys = {c.key for c in drawn}
        assert all(c.day.isoformat() == TODAY for c in drawn)
    assert f"{TODAY}:dashboard:s:under_quarantine" in keys
    assert f"{TODAY}:dashboard:a:in:10" in keys and f"{TODAY}:dashboard:b:out:23" in keys


def test_health_officers_see_the_chain_with_dates_and_clusters(ob: World) -> None:
    first = add_case(ob, grid="a1", cluster="Canteen", confirmed_date="2026-11-18")
    second = add_case(ob, grid="a1", source_case_id=first["id"], exposure_date="2026-11-19",
                      cluster="Canteen")
    add_case(ob, grid="a2", source_case_id=second["id"], exposure_date="2026-11-21")
    add_case(ob, grid="a2")  # no link: not on the chain
    svg = ob.call("health", "GET", "/api/outbreak/chain.svg", params={"place": "a"})
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    body = svg.text
    assert body.count('class="case"') == 3 and body.count('class="link"') == 2
    assert "2026-11-19" in body and "2026-11-21" in body and "Canteen" in body
    page = ob.call("health", "GET", "/outbreak/chain", params={"place": "a"})
    assert page.status_code == 200 and "<svg" in page.text
    assert ob.call("health_b", "GET", "/api/outbreak/chain.svg",
                   params={"place": "a"}).status_code == 403
    assert ob.call("anonymous", "GET", "/api/outbreak/chain.svg",
                   params={"place": "a"}).status_code == 401


def test_the_staff_page_shows_the_exact_table_records_and_refusals(ob: World) -> None:
    add_case(ob, resident_id=ob.ids["alice"], lat=30.52, lon=114.31)
    page = ob.call("health", "GET", "/outbreak", params={"place": "a"},
                   headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "Alice Test" in page.text and 'id="ob-exact"' in page.text
    assert '"lat": 30.52' in page.text
    assert ob.call("grid_a1", "GET", "/outbreak").status_code == 403


def test_two_releases_at_once_cannot_both_pass_the_budget_check(ob: World) -> None:
    from concurrent.futures import ThreadPoolExecutor
    from datetime import date

    from rescity.community.outbreak import publish
    from rescity.core.accounts import get_user, principal_of

    rt = use_runtime(ob, settings=ob.settings.model_copy(update={"outbreak_dp_budget": 0.5}))
    with UnitOfWork(ob.factory) as uow:
        health = principal_of(get_user(uow.session, "health"))

    def attempt(place: str) -> str:
        try:
            with UnitOfWork(ob.factory) as uow:
                publish.release(uow, rt, health, place_code=place,
                                granularity=publish.Granularity.DAY,
                                first=date(2026, 11, 23), last=date(2026, 11, 23))
            return "released"
        except publish.BudgetExhausted:
            return "refused"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(attempt, ["a1", "a"]))
    assert outcomes == ["refused", "released"]
    with UnitOfWork(ob.factory) as uow:
        assert uow.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1


def test_the_forms_record_a_case_and_explain_a_refused_release(ob: World) -> None:
    form = {"place": "a", "status": "confirmed", "grid": "a2", "building": "5",
            "confirmed_date": TODAY, "address": "5-1-101", "lat": "", "lon": ""}
    saved = ob.call("health", "POST", "/outbreak/cases", data=form, follow_redirects=False)
    assert saved.status_code == 303 and "done=case" in saved.headers["location"]
    bad = ob.call("health", "POST", "/outbreak/cases", headers={"Accept-Language": "en"},
                  data={**form, "confirmed_date": "", "lat": "x"})
    assert bad.status_code == 422 and 'id="ob-error"' in bad.text
    use_runtime(ob, settings=ob.settings.model_copy(update={"outbreak_dp_budget": 0.4}))
    refused = ob.call("health", "POST", "/outbreak/releases", headers={"Accept-Language": "en"},
                      data={"place": "a", "granularity": "week", "first_day": TODAY,
                            "last_day": TODAY})
    assert refused.status_code == 409
    assert "would spend more privacy budget than is left" in refused.text
