from tests.community.conftest import World


def test_a_resident_checks_in_with_a_fever_and_the_grid_worker_sees_the_alert(world: World) -> None:
    r = world.call("alice", "POST", "/api/community/checkins", json={"temperature_c": 38.2})
    assert r.status_code == 201, r.text
    assert r.json()["fever"] is True
    alerts = world.call("grid_a1", "GET", "/api/community/alerts").json()
    assert [a["kind"] for a in alerts] == ["fever"]
    assert alerts[0]["subject_name"] == "Alice Test"
    assert alerts[0]["assignee_id"] == world.ids["user_grid_a1"]
