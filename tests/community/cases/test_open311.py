"""Open311 GeoReport v2 conformance: every endpoint, its fields and the error format."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from rescity.community.cases.open311 import create_client
from rescity.core.accounts import User, principal_of
from tests.community.casework import World

REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat", "long",
    "media_url", "merged_into_service_request_id",
}


@pytest.fixture
def api_key(world: World) -> str:
    with world.uow() as uow:
        admin = principal_of(uow.session.get(User, world.users["admin"]))  # type: ignore[arg-type]
        return create_client(uow, admin, name="FixMyStreet test",
                             place=world.places["a"])


def is_open311_error(r: Any, code: int) -> bool:
    body = r.json()
    return (r.status_code == code and isinstance(body, list) and len(body) == 1
            and body[0]["code"] == code and isinstance(body[0]["description"], str)
            and body[0]["description"] != "")


def post_request(w: World, key: str, **fields: Any) -> Any:
    data = {"api_key": key, "service_code": "streetlight", "lat": "31.2001",
            "long": "121.4002", "description": "lamp out at the corner",
            "first_name": "Mei", "last_name": "Han", "email": "mei@example.org",
            "address_string": "Corner of 1st and 2nd"} | fields
    return w.client.post("/open311/v2/requests.json", data={k: v for k, v in data.items()
                                                             if v is not None})


def test_discovery_names_the_spec_and_json(world: World) -> None:
    body = world.client.get("/open311/v2/discovery.json").json()
    [endpoint] = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/") and endpoint["formats"] == ["application/json"]


def test_services_list_every_case_type_with_the_spec_fields(world: World) -> None:
    r = world.client.get("/open311/v2/services.json?locale=en")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    services = {s["service_code"]: s for s in r.json()}
    assert set(services) == set(world.rt.levels.types)
    light = services["streetlight"]
    assert set(light) == {"service_code", "service_name", "description", "metadata", "type",
                          "keywords", "group"}
    assert light["service_name"] == "Broken streetlight" and light["metadata"] is False
    assert light["type"] == "realtime"
    assert services["utility_outage"]["metadata"] is True
    zh = world.client.get("/open311/v2/services.json", headers={"Accept-Language": "zh-CN"})
    assert {s["service_code"]: s["service_name"] for s in zh.json()}["streetlight"] == "路灯损坏"


def test_a_service_definition_lists_its_attributes(world: World) -> None:
    body = world.client.get("/open311/v2/services/utility_outage.json?locale=en").json()
    assert body["service_code"] == "utility_outage"
    first, second = body["attributes"]
    assert first == {
        "variable": True, "code": "utility", "datatype": "singlevaluelist", "required": True,
        "datatype_description": "", "order": 1, "description": "Which service is out?",
        "values": [{"key": "water", "name": "Water"}, {"key": "power", "name": "Power"},
                   {"key": "gas", "name": "Gas"}],
    }
    assert second["datatype"] == "number" and second["required"] is False
    assert is_open311_error(world.client.get("/open311/v2/services/nope.json"), 404)


def test_posting_a_request_returns_its_id_and_token_and_it_can_be_followed(
    world: World, api_key: str,
) -> None:
    w = world
    r = post_request(w, api_key)
    assert r.status_code == 200
    [created] = r.json()
    assert set(created) >= {"service_request_id", "token"}
    rid, token = created["service_request_id"], created["token"]
    assert w.client.get(f"/open311/v2/tokens/{token}.json").json() == [
        {"service_request_id": rid, "token": token}]
    [req] = w.client.get(f"/open311/v2/requests/{rid}.json?locale=en").json()
    assert set(req) == REQUEST_FIELDS
    assert req["status"] == "open" and req["service_code"] == "streetlight"
    assert req["lat"] == pytest.approx(31.2001) and req["long"] == pytest.approx(121.4002)
    assert req["agency_responsible"] == "dept-d"  # auto-dispatched to the district department
    assert req["requested_datetime"].endswith("+08:00")
    assert req["expected_datetime"].startswith(
        (w.clock.now + timedelta(hours=24)).astimezone(w.rt.zone).strftime("%Y-%m-%dT%H:%M"))
    assert "Mei" not in str(req) and "mei@example.org" not in str(req)
    # the handler resolves it: Open311 shows it closed with the resolution as notes
    w.client.post(f"/api/community/cases/{rid}/resolve", headers=w.h["dept"],
                  json={"resolution": "bulb replaced", "evidence": ["https://p/1.jpg"]})
    [req] = w.client.get(f"/open311/v2/requests/{rid}.json").json()
    assert (req["status"], req["status_notes"]) == ("closed", "bulb replaced")


def test_lon_is_accepted_for_long_and_json_bodies_and_attributes_work(
    world: World, api_key: str,
) -> None:
    w = world
    r = post_request(w, api_key, long=None, lon="121.5", service_code="utility_outage",
                     **{"attribute[utility]": "water", "attribute[households]": "40"})
    assert r.status_code == 200, r.text
    [req] = w.client.get(f"/open311/v2/requests/{r.json()[0]['service_request_id']}.json").json()
    assert req["long"] == pytest.approx(121.5)
    j = w.client.post("/open311/v2/requests.json", json={
        "api_key": api_key, "service_code": "emergency_repair", "lat": 31.2, "lon": 121.4,
        "attribute": {"people_trapped": "yes"}})
    assert j.status_code == 200, j.text


@pytest.mark.parametrize(
    ("fields", "code", "mentions"),
    [
        ({"api_key": None}, 403, "api_key"),
        ({"api_key": "o311_wrong"}, 403, "api_key"),
        ({"service_code": None}, 400, "service_code"),
        ({"service_code": "teleport"}, 400, "service_code"),
        ({"lat": None, "long": None, "address_string": None}, 400, "location"),
        ({"lat": "north"}, 400, "lat"),
        ({"lat": "95"}, 400, "lat"),
        ({"service_code": "utility_outage"}, 400, "attribute[utility]"),
        ({"service_code": "utility_outage", "attribute[utility]": "wind"}, 400, "attribute"),
        ({"jurisdiction_id": "b1"}, 403, "jurisdiction"),
        ({"jurisdiction_id": "nowhere"}, 404, "nowhere"),
    ],
)
def test_posting_errors_use_the_open311_format(
    world: World, api_key: str, fields: dict[str, Any], code: int, mentions: str,
) -> None:
    r = post_request(world, api_key, **fields)
    assert is_open311_error(r, code), r.text
    assert mentions in r.json()[0]["description"]


def test_jurisdiction_id_files_the_request_in_a_place_inside_the_keys_area(
    world: World, api_key: str,
) -> None:
    r = post_request(world, api_key, jurisdiction_id="a2", service_code="waste")
    assert r.status_code == 200
    [req] = world.client.get(
        f"/open311/v2/requests/{r.json()[0]['service_request_id']}.json").json()
    assert req["agency_responsible"] == "pm-a"


def test_get_requests_filters_by_id_code_dates_and_status(world: World, api_key: str) -> None:
    w = world
    t0 = w.clock.now
    a = post_request(w, api_key).json()[0]["service_request_id"]
    w.clock.advance(days=2)
    b = post_request(w, api_key, service_code="waste", lat="31.3").json()[0]["service_request_id"]
    w.clock.advance(days=2)
    c = post_request(w, api_key, service_code="waste", lat="31.4").json()[0]["service_request_id"]
    w.client.post(f"/api/community/cases/{c}/resolve", headers=w.h["pma"],
                  json={"resolution": "collected", "evidence": ["p.jpg"]})
    # a resident's own report inside rescity is never published through Open311
    w.client.post("/api/community/cases", headers=w.h["res"],
                  json={"service_code": "waste", "place": "a1", "description": "private"})

    def ids(query: str) -> list[str]:
        r = w.client.get(f"/open311/v2/requests.json{query}")
        assert r.status_code == 200, r.text
        return [x["service_request_id"] for x in r.json()]

    assert ids("") == [c, b, a]  # newest first
    assert ids(f"?service_request_id={a},{c}") == [c, a]
    assert ids("?service_code=waste") == [c, b]
    assert ids("?service_code=waste,streetlight&status=open") == [b, a]
    assert ids("?status=closed") == [c]
    start = (t0 + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (t0 + timedelta(days=3)).astimezone(w.rt.zone).isoformat()
    assert ids(f"?start_date={start}&end_date={end.replace('+', '%2B')}") == [b]
    # the ids filter ignores the other filters, as the spec says
    assert ids(f"?service_request_id={a}&service_code=waste") == [a]


@pytest.mark.parametrize(
    ("query", "code"),
    [("?start_date=yesterday", 400), ("?start_date=2026-01-01T00:00:00", 400),
     ("?status=pending", 400), ("?service_request_id=abc", 400),
     ("?start_date=2026-03-05T00:00:00Z&end_date=2026-03-01T00:00:00Z", 400)],
)
def test_bad_filters_are_open311_errors(world: World, query: str, code: int) -> None:
    assert is_open311_error(world.client.get(f"/open311/v2/requests.json{query}"), code)


def test_unknown_requests_tokens_and_paths_are_open311_errors(world: World) -> None:
    c = world.client
    assert is_open311_error(c.get("/open311/v2/requests/999.json"), 404)
    assert is_open311_error(c.get("/open311/v2/requests/x1.json"), 404)
    assert is_open311_error(c.get("/open311/v2/tokens/nope.json"), 404)
    assert is_open311_error(c.get("/open311/v2/nothing.json"), 404)
    assert is_open311_error(c.get("/open311/v2/services.xml"), 400)


def test_an_internal_case_is_not_visible_through_open311(world: World) -> None:
    w = world
    r = w.client.post("/api/community/cases", headers=w.h["res"],
                      json={"service_code": "waste", "place": "a1", "description": "mine"})
    rid = r.json()["id"]
    assert is_open311_error(w.client.get(f"/open311/v2/requests/{rid}.json"), 404)


def test_an_invalid_bearer_token_on_a_read_is_an_open311_error(world: World) -> None:
    r = world.client.get("/open311/v2/services.json", headers={"Authorization": "Bearer nope"})
    assert is_open311_error(r, 401)


def test_one_api_key_cannot_flood_service_requests(world: World, api_key: str) -> None:
    """Past RESCITY_OPEN311_POSTS_PER_HOUR a key's posts are refused (429, Open311 error
    format) before anything is stored; another key is not affected."""
    ctx = world.client.app.state.ctx  # type: ignore[attr-defined]
    ctx.open311_posts.max_failures = 2
    ids = [post_request(world, api_key).json()[0]["service_request_id"] for _ in range(2)]
    refused = post_request(world, api_key, description="third")
    assert is_open311_error(refused, 429)
    listed = world.client.get("/open311/v2/requests.json").json()
    assert {r["service_request_id"] for r in listed} >= set(ids)
    assert not any(r["description"] == "third" for r in listed)
    with world.uow() as uow:
        admin = principal_of(uow.session.get(User, world.users["admin"]))  # type: ignore[arg-type]
        other = create_client(uow, admin, name="Other app", place=world.places["a"])
    assert post_request(world, other).status_code in (200, 201)
