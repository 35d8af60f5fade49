"""The volunteer pages through HTTP on both backends: the public sign-up form (with and
without an account), problems shown on the form rather than as JSON, and the grid workers'
list with masked phones, a recorded reveal and the vetting forms."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from rescity.community.help.adapters import Volunteer
from rescity.core.accounts import User
from rescity.web.context import CSRF_COOKIE
from tests.community.casework import World

from .test_volunteers import audit_rows, staff

FORM = {"grid": "a1", "display_name": "Zhou Min", "phone": "139 1234 5678",
        "skills": ["shopping", "driving"], "languages": ["zh"], "consent": "true",
        "start_mon": "08:00", "end_mon": "10:00", "start_fri": "22:00", "end_fri": "02:00"}


def post_anonymously(w: World, data: dict[str, Any]) -> Any:
    page = w.client.get("/community/volunteers/signup")
    assert page.status_code == 200
    token = w.client.cookies.get(CSRF_COOKIE)
    assert token
    try:
        return w.client.post("/community/volunteers/signup", data=data | {"csrf_token": token},
                             follow_redirects=False)
    finally:
        w.client.cookies.clear()


def volunteer_of(w: World, username: str) -> Volunteer:
    with w.uow() as uow:
        s = uow.session
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None
        v = s.scalar(select(Volunteer).where(Volunteer.user_id == user.id))
        assert v is not None
        s.expunge_all()
        return v


def test_someone_not_signed_in_signs_up_with_an_account_and_shifts(world: World) -> None:
    w = world
    w.client.cookies.set("rescity_lang", "en")
    page = w.client.get("/community/volunteers/signup")
    assert page.status_code == 200
    for shown in ("Sign up as a volunteer", 'name="username"', 'name="consent"',
                  "Consent text version", 'value="a1"', "Pharmacy errands"):
        assert shown in page.text
    r = post_anonymously(w, FORM | {"username": "zhoumin", "password": "a long password"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    v = volunteer_of(w, "zhoumin")
    assert v.vetting_state == "pending" and v.scope == w.places["a1"].path
    assert v.slots == [{"day": "mon", "start": "08:00", "end": "10:00"},
                       {"day": "fri", "start": "22:00", "end": "02:00"}]
    assert v.skills == ["driving", "shopping"] and v.consent_at is not None


def test_problems_come_back_on_the_form_with_what_was_typed(world: World) -> None:
    w = world
    w.client.cookies.set("rescity_lang", "en")
    data = {k: v for k, v in FORM.items() if k != "consent"} | {
        "username": "zhoumin", "password": "short", "start_tue": "09:10", "end_tue": "10:00"}
    r = post_anonymously(w, data)
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    error = re.search(r'id="signup-error">([^<]*)<', r.text)
    assert error is not None
    for named in ("consent", "password", "slots[1].start"):
        assert named in error.group(1)
    assert 'value="Zhou Min"' in r.text and 'value="zhoumin"' in r.text


def test_a_signed_in_resident_signs_up_without_a_new_account(world: World) -> None:
    w = world
    page = w.client.get("/community/volunteers/signup", headers=w.h["res"])
    assert 'name="username"' not in page.text
    r = w.client.post("/community/volunteers/signup", headers=w.h["res"], data=FORM,
                      follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/community/help/offers")
    assert volunteer_of(w, "res").vetting_state == "pending"
    again = w.client.get("/community/volunteers/signup", headers=w.h["res"])
    assert 'id="already"' in again.text


def test_the_grid_worker_sees_masked_phones_reveals_them_on_record_and_vets(
    world: World,
) -> None:
    w = world
    w.client.post("/community/volunteers/signup", headers=w.h["res"], data=FORM)
    vid = volunteer_of(w, "res").id
    assert w.client.get("/community/volunteers", headers=w.h["res"]).status_code == 403
    health = staff(w, "health_a", "health_officer", "a")
    listed = w.client.get("/community/volunteers", headers=health)
    assert listed.status_code == 200 and "139****5678" in listed.text
    page = w.client.get("/community/volunteers", headers=w.h["grid"])
    assert "139****5678" in page.text and "139 1234 5678" not in page.text
    assert f'id="approve-{vid}"' in page.text and 'id="nav-volunteers"' in page.text
    shown = w.client.get("/community/volunteers?purpose=coordination", headers=w.h["grid"])
    assert 'href="tel:13912345678"' in shown.text
    assert len(audit_rows(w, "community.volunteer.reveal")) == 1
    r = w.client.post(f"/community/volunteers/{vid}/vet", headers=w.h["grid"],
                      data={"state": "vetted", "organisation": "Red Cross Putuo",
                            "back_to": "?state=pending"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/community/volunteers?state=pending&done=vetted-{vid}"
    assert volunteer_of(w, "res").vetting_state == "vetted"
    after = w.client.get(r.headers["location"], headers=w.h["grid"])
    assert 'id="done"' in after.text and f'id="vol-{vid}"' not in after.text


def test_a_volunteer_changes_their_shifts_on_the_page(world: World) -> None:
    w = world
    w.client.post("/community/volunteers/signup", headers=w.h["res"], data=FORM)
    page = w.client.get("/community/volunteers/signup", headers=w.h["res"])
    assert 'id="slots-form"' in page.text and 'value="22:00"' in page.text
    # keep Monday morning, drop Friday night (emptied), add Sunday until midnight
    r = w.client.post("/community/volunteers/me/slots", headers=w.h["res"], data={
        "day_0": "mon", "start_0": "08:00", "end_0": "10:00",
        "day_1": "fri", "start_1": "", "end_1": "",
        "day_2": "sun", "start_2": "20:00", "end_2": "00:00"}, follow_redirects=False)
    assert r.status_code == 303
    assert volunteer_of(w, "res").slots == [{"day": "mon", "start": "08:00", "end": "10:00"},
                                            {"day": "sun", "start": "20:00", "end": "24:00"}]
    bad = w.client.post("/community/volunteers/me/slots", headers=w.h["res"],
                        data={"day_0": "mon", "start_0": "08:00", "end_0": ""})
    assert bad.status_code == 422 and "slots[0].end" in bad.text
    assert len(volunteer_of(w, "res").slots) == 2  # unchanged


def test_my_offers_is_in_the_menu_of_volunteers_only(world: World) -> None:
    w = world

    def offers_link(who: str, page: str = "/community/help") -> bool:
        r = w.client.get(page, headers=w.h[who])
        assert r.status_code == 200, (who, page)
        return 'id="nav-offers"' in r.text

    assert offers_link("vol") and offers_link("vol", "/community/cases")
    for who in ("res", "grid", "admin"):  # not volunteers: no offers to answer
        assert not offers_link(who) and not offers_link(who, "/community/cases"), who
    # a resident who signs up is pending: no role, no offers yet (as on the hub) ...
    signed = w.client.post("/community/volunteers/signup", headers=w.h["res"], data=FORM,
                           follow_redirects=False)
    assert signed.status_code == 303 and not offers_link("res")
    # ... until the grid worker vets them, which grants the volunteer role
    vetted = w.client.post(f"/community/volunteers/{volunteer_of(w, 'res').id}/vet",
                           headers=w.h["grid"], follow_redirects=False,
                           data={"state": "vetted", "organisation": "Red Cross Putuo"})
    assert vetted.status_code == 303 and offers_link("res")
