"""A help offer tells its volunteer at once, urgently when it expires soon (quiet hours must
not hide a 30-minute offer): one outbox row per offer; SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from rescity.core.notifications import Notification
from tests.community.casework import World
from tests.community.help.test_help_api import ask, match, offers, vet, volunteer


def notes(w: World) -> list[Notification]:
    with w.session_factory() as s:
        return list(s.scalars(select(Notification).where(Notification.kind == "help.offer")
                              .order_by(Notification.id)))


def test_a_matched_offer_reaches_the_volunteer_once_and_urgently(world: World) -> None:
    w = world
    volunteer(w, "vol")
    ask(w, urgency="high")
    assert match(w)["offers"] == 1
    assert match(w)["offers"] == 0  # a second round offers nothing new, notifies nobody
    [offer] = offers(w, "vol")
    [note] = notes(w)
    assert note.recipient_user_id == w.users["vol"]
    assert note.urgent is True and note.link == "/community/help/offers"
    assert note.subject == "Help needed: Medicine"
    assert "within" in note.body and note.dedupe_key == f"offer:{offer['id']}"


def test_a_coordinators_direct_assignment_notifies_the_volunteer(world: World) -> None:
    w = world
    v = volunteer(w, "vol", vetted=False)
    vet(w, v["id"])
    req = ask(w, urgency="low", lat=None, lon=None)
    r = w.client.post(f"/api/community/help/{req['id']}/assign", headers=w.h["grid"],
                      json={"volunteer_id": v["id"]})
    assert r.status_code in (200, 201), r.text
    [note] = notes(w)
    assert note.recipient_user_id == w.users["vol"]
