"""A small city with boundaries and one open item of each kind per grid, for the maps tests.

Grids a1 | a2 | b1 side by side (the boxes of the location-routing tests); two more grid
workers, one on a1 and one on b1, besides ``grid`` (community a).
"""

from __future__ import annotations

from typing import Any

from rescity.community.alerts.adapters import Alert
from tests.community.cases.test_location_routing import draw, staff
from tests.community.casework import World

IN_A1 = (31.2, 121.40)  # (lat, lon)
IN_A2 = (31.2, 121.41)
IN_B1 = (31.2, 121.42)
BEIJING = (39.9042, 116.4074)


def city(w: World) -> dict[str, Any]:
    """Boundaries, grid workers ``gw_a1`` / ``gw_b1``, and items:
    a located case in a1, an unlocated case in a2, a located help request in b1 (with a
    name and phone that must never reach the map), an alert in b1 and one in a1."""
    draw(w)
    h = {"gw_a1": staff(w, "gw_a1", "grid_worker", "a1"),
         "gw_b1": staff(w, "gw_b1", "grid_worker", "b1")}
    ids: dict[str, int] = {}
    r = w.client.post("/api/community/cases", headers=w.h["admin"], json={
        "service_code": "waste", "place": "a", "description": "bins at Wang Lei's door",
        "lat": IN_A1[0], "lon": IN_A1[1], "channel": "grid_worker"})
    assert r.status_code == 201, r.text
    ids["case_a1"] = r.json()["id"]
    r = w.client.post("/api/community/cases", headers=w.h["admin"], json={
        "service_code": "waste", "place": "a2", "description": "bins", "channel": "grid_worker"})
    assert r.status_code == 201, r.text
    ids["case_a2"] = r.json()["id"]
    r = w.client.post("/api/community/help", headers=w.h["admin"], json={
        "place": "b", "kind": "groceries", "lat": IN_B1[0], "lon": IN_B1[1],
        "contact_name": "Zhao Min", "contact_phone": "13912345678", "channel": "phone"})
    assert r.status_code == 201, r.text
    ids["help_b1"] = r.json()["id"]
    with w.uow() as uow:
        for key, grid in (("alert_b1", "b1"), ("alert_a1", "a1")):
            alert = Alert(scope=w.places[grid].path, kind="fever", severity="high",
                          source="checkin", created_at=w.clock.now)
            uow.session.add(alert)
            uow.session.flush()
            ids[key] = alert.id
        uow.commit()
    return {"h": h, "ids": ids}
