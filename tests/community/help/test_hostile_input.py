"""Hostile input is bad input: 4xx naming the field, never a 500 (both backends)."""

from __future__ import annotations

from typing import Any

from tests.community.casework import World

from .test_help_api import ask, volunteer

HUGE = "112598922088333049856"
DEEP = b"[" * 100_000 + b"]" * 100_000


def _where(r: Any) -> set[str]:
    return {p["where"] for p in r.json().get("problems", [])}


def test_ids_beyond_the_database_integer_range_name_the_parameter(world: World) -> None:
    w = world
    for method, path, where in (
        ("POST", f"/api/community/cases/{HUGE}/accept", "path.case_id"),
        ("GET", f"/api/community/cases/{HUGE}", "path.case_id"),
        ("GET", f"/api/community/alerts/{HUGE}", "path.alert_id"),
        ("GET", f"/api/community/help/{HUGE}", "path.request_id"),
        ("POST", f"/api/community/help-offers/{HUGE}/accept", "path.offer_id"),
        ("GET", f"/api/community/residents/{HUGE}", "path.resident_id"),
        ("GET", "/api/community/cases?offset=7440134056175738000000", "query.offset"),
        ("GET", "/api/community/cases?offset=2147483648", "query.offset"),
    ):
        r = w.client.request(method, path, headers=w.h["admin"])
        assert r.status_code == 422 and where in _where(r), (path, r.status_code, r.text[:200])
    rid = ask(w)["id"]
    r = w.client.post(f"/api/community/help/{rid}/assign", headers=w.h["grid"],
                      json={"volunteer_id": int(HUGE)})
    assert r.status_code == 422 and "body.volunteer_id" in _where(r), r.text
    r = w.client.post("/api/community/passes", headers=w.h["admin"],
                      json={"resident_id": -int(HUGE)})
    assert r.status_code == 422 and "body.resident_id" in _where(r), r.text


def test_open311_refuses_odd_ids_and_dates_without_signing_in(world: World) -> None:
    c = world.client
    for path in ("/open311/v2/requests/%C2%B2.json", f"/open311/v2/requests/{'9' * 23}.json",
                 f"/open311/v2/requests/{'9' * 5000}.json",
                 "/open311/v2/requests.json?service_request_id=%C2%B2",
                 "/open311/v2/requests.json?start_date=0001-01-01T00:00:00%2B14:00"):
        r = c.get(path)
        assert r.status_code in (400, 404), (path[:60], r.status_code, r.text[:200])
        assert r.json()[0]["code"] == r.status_code
        assert "service_request_id" in r.text or "start_date" in r.text
    field = c.get("/open311/v2/requests.json?start_date=0001-01-01T00:00:00%2B14:00")
    assert "start_date" in field.json()[0]["description"]


def test_deep_and_non_utf8_json_bodies_are_refused_everywhere(world: World) -> None:
    w = world
    json_type = {"content-type": "application/json"}
    for path, who in (("/open311/v2/requests.json", None), ("/api/community/checkins", "res"),
                      ("/api/community/help", "res")):
        headers = json_type | (w.h[who] if who else {})
        deep = w.client.post(path, content=DEEP, headers=headers)
        assert deep.status_code in (400, 422), (path, deep.status_code, deep.text[:200])
        assert "nested" in deep.text
        bad = w.client.post(path, content=b'{"temperature_c": 36.6, "x": "\xff\xfe"}',
                            headers=headers)
        assert bad.status_code == 400 and "UTF-8" in bad.text, (path, bad.text[:200])


def test_a_receipt_amount_that_is_no_number_is_refused_after_the_permission_check(
    world: World,
) -> None:
    w = world
    volunteer(w, "vol")
    rid = ask(w)["id"]
    for amount in ("abc", "nan", "inf", "1e400"):
        stranger = w.client.post(f"/community/help/{rid}/receipt", headers=w.h["res2"],
                                 data={"amount": amount, "items": "x"})
        assert stranger.status_code in (403, 404), (amount, stranger.status_code)
    w.client.post("/api/community/help-match", headers=w.h["grid"])
    [offer] = w.client.get("/api/community/help-offers/mine", headers=w.h["vol"]).json()
    w.client.post(f"/api/community/help-offers/{offer['id']}/accept", headers=w.h["vol"])
    for amount in ("abc", "nan", "inf", "1e400"):
        r = w.client.post(f"/community/help/{rid}/receipt", headers=w.h["vol"],
                          data={"amount": amount, "items": "x"}, follow_redirects=False)
        assert r.status_code == 422 and "amount" in r.text, (amount, r.status_code)


def test_a_submitted_initiative_year_that_is_no_number_names_the_field(world: World) -> None:
    r = world.client.post("/kb/submit", headers=world.h["res"],
                          data={"city": "haikou", "title_en": "T", "abstract_en": "A",
                                "year": "²"})
    assert r.status_code == 422 and "year" in r.text


def test_an_open311_form_that_is_not_utf8_is_a_400(world: World) -> None:
    r = world.client.post("/open311/v2/requests.json", content=b"api_key=\xff\xfe&service_code=x",
                          headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code in (400, 403), r.text
