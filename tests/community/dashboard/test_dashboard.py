"""The one-screen dashboard: figures per place, rolled up, small counts withheld."""

from __future__ import annotations

from rescity.community.residents import services as residents
from rescity.core.accounts import get_user, principal_of
from rescity.core.storage.uow import UnitOfWork
from tests.community.conftest import World


def _add_residents(world: World, n: int) -> list[int]:
    with UnitOfWork(world.factory) as uow:
        admin = principal_of(get_user(uow.session, "admin"))
    ids = []
    for i in range(n):
        with UnitOfWork(world.factory) as uow:
            r = residents.register_resident(
                uow, world.runtime, admin, household_id=world.ids["h2"],
                data=residents.NewResident(name=f"Synthetic {i}"),
            )
            ids.append(r.id)
    return ids


def test_small_counts_are_suppressed(world: World) -> None:
    world.call("alice", "POST", "/api/community/checkins", json={"temperature_c": 38.2})
    body = world.call("dept", "GET", "/api/community/dashboard", params={"place": "a"}).json()
    f = body["figures"]
    assert body["k"] == 5
    assert f["residents"] is None  # 3 residents: fewer than 5
    assert f["checked_in_today"] is None and f["checkin_rate"] is None
    assert f["open_alerts"] == {"fever": None}
    assert f["under_quarantine"] == 0  # zero reveals nobody


def test_figures_roll_up_and_break_down_by_place(world: World) -> None:
    extra = _add_residents(world, 7)  # community a: 3 + 7 = 10 residents, all in grid a1
    for rid in extra[:5]:
        world.call("grid_a1", "POST", "/api/community/checkins",
                   json={"temperature_c": 36.5, "resident_id": rid})
    sub = world.call("health", "GET", "/api/community/dashboard", params={"place": "s"}).json()
    assert sub["figures"]["residents"] == 11  # a (10) + b (1)
    by_code = {b["code"]: b["figures"] for b in sub["breakdown"]}
    # b's 1 is withheld, and so is a's 10 (11 - 10 would give b's 1 back), and a's rate
    # (5 checked in at 0.5 gives 10 back).
    assert by_code["b"]["residents"] is None and by_code["a"]["residents"] is None
    assert by_code["a"]["checked_in_today"] == 5 and by_code["a"]["checkin_rate"] is None
    community = world.call("dept", "GET", "/api/community/dashboard", params={"place": "a"})
    assert community.json()["figures"]["checkin_rate"] == 0.5
    community = community.json()
    assert [b["code"] for b in community["breakdown"]] == ["a1", "a2"]
    assert community["breakdown"][1]["figures"]["residents"] == 0


def test_entries_and_exits_are_counted_by_local_hour(world: World) -> None:
    world.call("manager", "POST", "/api/community/gates",
               json={"community": "a", "code": "north", "name": "N"})
    world.call("admin", "PUT", "/api/community/rules/a/frequent_access",
               json={"max_passages": 100})
    tokens = [world.call(who, "GET", "/api/community/me/pass").json()["token"]
              for who in ("alice", "carol")]
    for i in range(6):
        world.call("manager", "POST", "/api/community/gate-events",
                   json={"gate": "north", "direction": "out", "token": tokens[i % 2]})
    body = world.call("dept", "GET", "/api/community/dashboard", params={"place": "a"}).json()
    hour10 = body["figures"]["passages_by_hour"][10]  # 02:00 UTC is 10:00 in Shanghai
    assert hour10 == {"hour": 10, "in": 0, "out": 6}


def test_no_withheld_figure_can_be_subtracted_back(world: World) -> None:
    """Community total minus the other grid, alert total minus the kinds shown, and the same
    on every level: each withheld cell stays within a range, never one value."""
    _add_residents(world, 7)  # a1: 3 + 7 = 10, a2: 0 (h2 is in a1)
    for who in ("alice", "carol"):
        world.call(who, "POST", "/api/community/checkins", json={"temperature_c": 38.5})
    for place in ("s", "a"):
        body = world.call("admin", "GET", "/api/community/dashboard",
                          params={"place": place}).json()
        figures = [body["figures"], *(b["figures"] for b in body["breakdown"])]
        keys = ["residents", "checked_in_today", "fever_today", "under_care",
                "under_quarantine", "open_alerts_total"]
        for key in keys:
            total, cells = figures[0][key], [f[key] for f in figures[1:]]
            if total is not None and cells:
                assert cells.count(None) != 1, (place, key, total, cells)
        for f in figures:
            kinds = list(f["open_alerts"].values())
            if f["open_alerts_total"] is not None and kinds:
                assert kinds.count(None) != 1, (place, f)


def test_two_small_withheld_cells_take_a_third_with_them() -> None:
    from rescity.community.dashboard.domain import complementary

    values = {"total": 12, "a": 1, "b": 1, "c": 10, "d": 0}
    # a and b are withheld, but 12 - 10 - 0 = 2 would still give both as 1: c goes too.
    assert complementary(values, [("total", ["a", "b", "c", "d"])]) == {"a", "b", "c"}
    assert complementary({"t": 9, "x": 4, "y": 5}, [("t", ["x", "y"])]) == {"x", "y"}
    assert complementary({"t": 9, "x": 0, "y": 9}, [("t", ["x", "y"])]) == set()
