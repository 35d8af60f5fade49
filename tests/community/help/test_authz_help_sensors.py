"""Who may call each help-request, volunteer and sensor endpoint: one table, every role."""

from __future__ import annotations

from datetime import timedelta

from rescity.community.help.adapters import HelpOffer, Volunteer
from rescity.core.storage.db import utcnow
from tests.community.cases.test_authz import ANON, Row, check
from tests.community.casework import World

HELP = {"place": "a1", "kind": "groceries", "contact_phone": "13800000000"}
DENIED_404 = 404
SELF_HELP = {"res": 201, "res2": 201, "grid": 201, "admin": 201, ANON: 403}
SEE = {"res": 200, "grid": 200, "admin": 200, ANON: 401}

TABLE: list[Row] = [
    # Volunteers register in their own community (residents, people made volunteers there)
    # or staff of the place; nobody else, nowhere else.
    Row("POST", "/api/community/volunteers", {"res": 201, "res2": 201, "vol": 201, "vol2": 201,
                                              "grid": 201, "admin": 201, ANON: 403}, 403,
        # Room for every request the table files: a volunteer of the community with no areas
        # is matched to its grids' requests without a point, and "assign" needs room left.
        body={"place": "a", "display_name": "x", "skills": ["shopping"], "languages": ["zh"],
              "capacity": 20}),
    Row("POST", "/api/community/volunteers", {"admin": 409, ANON: 403}, 403,
        body={"place": "b", "display_name": "x", "skills": ["shopping"], "languages": ["zh"]}),
    Row("POST", "/api/community/volunteers/{id}/vet", {"grid": 200, "admin": 200, ANON: 403},
        403, body={"state": "vetted", "organisation": "NGO"}, case="volunteer"),
    Row("GET", "/api/community/volunteers/me", {"res": 200, "res2": 200, "vol": 200,
                                                 "vol2": 200, "grid": 200, "admin": 200,
                                                 ANON: 401}, 404),
    Row("POST", "/api/community/help", SELF_HELP, 403, body=HELP),
    Row("POST", "/api/community/help", {"grid": 201, "admin": 201, ANON: 403}, 403,
        body=HELP | {"channel": "phone"}),
    Row("GET", "/api/community/help/{id}", SEE, DENIED_404, case="help"),
    Row("GET", "/api/community/help", {ANON: 401}, 200),
    Row("POST", "/api/community/help-match", {"grid": 200, "admin": 200, ANON: 403}, 403),
    Row("POST", "/api/community/help/{id}/assign", {"grid": 200, "admin": 200, ANON: 403}, 403,
        body={"volunteer_id": 1}, case="help"),
    Row("POST", "/api/community/help/{id}/cancel", {"res": 200, "grid": 200, "admin": 200,
                                                    ANON: 403}, DENIED_404, case="help"),
    Row("POST", "/api/community/help/{id}/confirm", {"res": 409, "grid": 409, "admin": 409,
                                                     ANON: 403}, DENIED_404, case="help"),
    Row("GET", "/api/community/help/{id}/contact", {"grid": 200, "admin": 200, ANON: 401},
        DENIED_404, case="help"),
    Row("POST", "/api/community/help/{id}/start", {"res": 403, "grid": 403, "admin": 403,
                                                   ANON: 403}, DENIED_404, case="help"),
    Row("POST", "/api/community/help/{id}/deliver", {"res": 403, "grid": 403, "admin": 403,
                                                     ANON: 403}, DENIED_404, case="help"),
    Row("POST", "/api/community/help/{id}/receipts", {"res": 403, "grid": 403, "admin": 403,
                                                      ANON: 403}, DENIED_404, case="help",
        body={"amount_cents": 1200, "items": "rice"}),
    Row("GET", "/api/community/help-offers/mine", {ANON: 401}, 200),
    Row("POST", "/api/community/help-offers/{id}/accept", {"vol": 200, ANON: 403}, DENIED_404,
        case="offer"),
    Row("POST", "/api/community/help-offers/{id}/decline", {"vol": 200, ANON: 403}, DENIED_404,
        case="offer"),
    Row("POST", "/api/community/sensors/devices", {"grid": 201, "pma": 201, "admin": 201,
                                                   ANON: 403}, 403,
        body={"code": "d-{user}", "kind": "thermometer", "place": "a1"}),
    Row("GET", "/api/community/sensors/devices", {ANON: 401}, 200),
    Row("GET", "/api/community/sensors/rejects", {"grid": 200, "pma": 200, "pmb": 200,
                                                  "admin": 200, ANON: 401}, 403),
    Row("POST", "/api/community/sensors/events", {}, 401,
        body={"device": "x", "seq": 1, "event": "reading"}, csrf=False),
]


def _fresh(w: World, row: Row) -> int:
    if row.case == "volunteer":
        with w.uow() as uow:
            v = uow.session.query(Volunteer).filter_by(user_id=w.users["vol2"]).one_or_none()
            if v is None:
                v = Volunteer(user_id=w.users["vol2"], scope=w.places["a"].path,
                              display_name="v2", skills=["shopping"], languages=["zh"],
                              created_at=utcnow())
                uow.session.add(v)
                uow.commit()
            return v.id
    r = w.client.post("/api/community/help", json=HELP, headers=w.h["res"])
    request_id = int(r.json()["id"])
    if row.path.endswith("/assign"):  # only a vetted volunteer is offered anything
        with w.uow() as uow:
            v1 = uow.session.get(Volunteer, 1)
            assert v1 is not None
            v1.vetting_state = "vetted"
            uow.commit()
    if row.case != "offer":
        return request_id
    with w.uow() as uow:
        s = uow.session
        vol = s.query(Volunteer).filter_by(user_id=w.users["vol"]).one()
        now = utcnow()
        offer = HelpOffer(request_id=request_id, volunteer_id=vol.id, scope=w.places["a1"].path,
                          via="match", state="offered", offered_at=now,
                          expires_at=now + timedelta(hours=1))
        s.add(offer)
        uow.commit()
        return offer.id


def test_every_help_and_sensor_endpoint_answers_each_role_as_the_policy_says(
    world: World,
) -> None:
    wrong = check(world, TABLE, _fresh)
    assert wrong == [], "\n".join(wrong)
