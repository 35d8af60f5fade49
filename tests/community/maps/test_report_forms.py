"""The report and help forms with a location from the map picker: a point routes the item to
the grid containing it, a point outside every boundary is refused on the page with nothing
written, and the forms still work without any location (both backends)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from rescity.community.cases.adapters import WorkOrder
from rescity.community.help.adapters import HelpRequest
from tests.community.casework import World
from tests.community.maps.helpers import BEIJING, IN_A2, IN_B1, city


def report(w: World, who: str, place: str, **fields: Any) -> Any:
    data = {"service_code": "waste", "place": str(w.places[place].id),
            "description": "bins overflowing", "address": "Block 3"} | fields
    return w.client.post("/community/cases/new", data=data, headers=w.h[who],
                         follow_redirects=False)


def ask(w: World, who: str, place: str, **fields: Any) -> Any:
    data = {"place": str(w.places[place].id), "kind": "groceries", "urgency": "normal",
            "contact_phone": "13812341234", "description": "rice"} | fields
    return w.client.post("/community/help", data=data, headers=w.h[who],
                         follow_redirects=False)


def count(w: World, table: Any) -> int:
    with w.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def scope_of(w: World, table: Any, row_id: int) -> str:
    with w.uow() as uow:
        row = uow.session.get(table, row_id)
        assert row is not None
        return str(row.scope)


def test_a_picked_point_routes_the_report_to_the_grid_containing_it(world: World) -> None:
    city(world)
    r = report(world, "grid", "a", lat=str(IN_A2[0]), lon=str(IN_A2[1]))
    assert r.status_code == 303, r.text
    case_id = int(r.headers["location"].rsplit("/", 1)[1])
    assert scope_of(world, WorkOrder, case_id) == world.places["a2"].path
    with world.uow() as uow:
        case = uow.session.get(WorkOrder, case_id)
        assert (case.lat, case.lon) == IN_A2  # type: ignore[union-attr]
    # without a location the report stays where it was filed (the form needs no JS)
    r = report(world, "grid", "a")
    assert r.status_code == 303, r.text
    assert scope_of(world, WorkOrder, int(r.headers["location"].rsplit("/", 1)[1])) \
        == world.places["a"].path


def test_a_picked_point_routes_the_help_request_to_the_grid_containing_it(world: World) -> None:
    city(world)
    before = count(world, HelpRequest)
    r = ask(world, "admin", "b", lat=str(IN_B1[0]), lon=str(IN_B1[1]))
    assert r.status_code == 303, r.text
    with world.uow() as uow:
        newest = uow.session.scalars(select(HelpRequest).order_by(HelpRequest.id.desc())).first()
        assert newest is not None and newest.scope == world.places["b1"].path
    assert count(world, HelpRequest) == before + 1


def test_a_point_outside_every_boundary_is_refused_on_the_page(world: World) -> None:
    city(world)
    cases, helps = count(world, WorkOrder), count(world, HelpRequest)
    r = report(world, "grid", "a", lat=str(BEIJING[0]), lon=str(BEIJING[1]))
    assert r.status_code == 422
    # the report form lists problems by field (#form-errors), the help form as #form-problems
    assert 'id="form-errors"' in r.text and "outside every place boundary" in r.text
    assert "bins overflowing" in r.text  # what was typed is kept
    r = ask(world, "admin", "b", lat=str(BEIJING[0]), lon=str(BEIJING[1]))
    assert r.status_code == 422 and "outside every place boundary" in r.text
    # inside the deployment but outside the place chosen on the form
    r = report(world, "grid", "a", lat=str(IN_B1[0]), lon=str(IN_B1[1]))
    assert r.status_code == 422 and "outside" in r.text
    assert (count(world, WorkOrder), count(world, HelpRequest)) == (cases, helps)


def test_half_a_location_or_text_instead_of_numbers_names_the_field(world: World) -> None:
    city(world)
    cases = count(world, WorkOrder)
    r = report(world, "grid", "a", lat=str(IN_A2[0]))
    assert r.status_code == 422 and 'href="#lon"' in r.text
    r = report(world, "grid", "a", lat="nan", lon="121.41")
    assert r.status_code == 422 and 'href="#lat"' in r.text
    r = ask(world, "admin", "b", lat="31.2", lon="east")
    assert r.status_code == 422 and "<strong>lon</strong>" in r.text
    assert count(world, WorkOrder) == cases


def test_nul_characters_in_a_multipart_report_are_refused_naming_the_field(world: World) -> None:
    city(world)
    cases = count(world, WorkOrder)
    data = {"service_code": "waste", "place": str(world.places["a"].id),
            "description": "bins\x00", "address": "Block\x003"}
    r = world.client.post("/community/cases/new", data=data, headers=world.h["grid"],
                          files={"photos": ("", b"", "application/octet-stream")})
    assert r.status_code == 422
    assert 'href="#description"' in r.text and 'href="#address"' in r.text
    assert count(world, WorkOrder) == cases
