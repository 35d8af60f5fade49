"""The import page (check, preview, confirm), the export download, the CLI commands, and a
household member who lives elsewhere (a parent in another grid)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from rescity.cli import app
from rescity.community.shared.adapters import Resident
from rescity.core.errors import InputError
from rescity.core.storage.uow import UnitOfWork
from tests.community.conftest import World
from tests.community.residents.bulk_sheets import office_rows, xlsx
from tests.community.residents.test_cli import cli_env  # noqa: F401 - a fixture
from tests.community.residents.test_pages import _csrf, _signed_in

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _count(w: World) -> int:
    with UnitOfWork(w.factory) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Resident)) or 0)


def test_the_office_checks_previews_and_confirms_an_import_on_the_page(world: World) -> None:
    grid = _signed_in(world, "grid_a1")
    form = grid.get("/community/residents/import")
    assert form.status_code == 200 and 'name="file"' in form.text and 'name="place"' in form.text
    before = _count(world)
    data = xlsx(office_rows(25, grids=("a1",)))
    checked = grid.post("/community/residents/import",
                        data={"csrf_token": _csrf(form.text), "place": "a1"},
                        files={"file": ("register.xlsx", data, XLSX_TYPE)})
    assert checked.status_code == 200, checked.text
    assert 'id="import-summary"' in checked.text and 'id="import-preview"' in checked.text
    assert "25 residents" in checked.text and "居民0003" in checked.text
    assert "13900000003" not in checked.text  # no identifiers on the preview
    assert _count(world) == before  # the check wrote nothing
    staged = re.search(r'name="staged" value="([^"]+)"', checked.text)
    assert staged
    done = grid.post("/community/residents/import/confirm",
                     data={"csrf_token": _csrf(checked.text), "place": "a1",
                           "staged": staged.group(1)})
    assert done.status_code == 200 and 'id="import-done"' in done.text
    assert _count(world) == before + 25
    # The staged file is gone: confirming twice imports nothing twice.
    again = grid.post("/community/residents/import/confirm",
                      data={"csrf_token": _csrf(done.text), "place": "a1",
                            "staged": staged.group(1)})
    assert again.status_code == 422 and "unknown or expired" in again.text
    assert _count(world) == before + 25
    staging = world.settings.data_dir / "community" / "import-staging"
    assert not list(staging.glob("*.json"))
    download = grid.get("/community/residents/export.xlsx?place=a1")
    assert download.status_code == 200 and download.headers["content-type"] == XLSX_TYPE
    assert "residents-a1.xlsx" in download.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(download.content)).active
    assert sheet is not None and sheet.max_row == 1 + 25 + 3  # header, new, alice/bob/carol


def test_the_page_lists_every_problem_and_writes_nothing(world: World) -> None:
    admin = _signed_in(world, "admin")
    form = admin.get("/community/residents/import")
    rows = office_rows(5)
    rows[2][6] = "neighbour"
    rows[3][1] = "b1"
    r = admin.post("/community/residents/import",
                   data={"csrf_token": _csrf(form.text), "place": "a"},
                   files={"file": ("bad.xlsx", xlsx(rows), XLSX_TYPE)})
    assert r.status_code == 422 and 'id="import-problems"' in r.text
    assert "row 4, relation" in r.text and "row 5, grid" in r.text
    assert 'id="import-confirm"' not in r.text
    not_excel = admin.post("/community/residents/import",
                           data={"csrf_token": _csrf(form.text), "place": "a"},
                           files={"file": ("x.xlsx", b"plain text", XLSX_TYPE)})
    assert not_excel.status_code == 422 and "not a zip archive" in not_excel.text


def test_staged_uploads_belong_to_their_user(world: World) -> None:
    admin = _signed_in(world, "admin")
    form = admin.get("/community/residents/import")
    checked = admin.post("/community/residents/import",
                         data={"csrf_token": _csrf(form.text), "place": "a1"},
                         files={"file": ("r.xlsx", xlsx(office_rows(3, grids=("a1",))),
                                         XLSX_TYPE)})
    staged = re.search(r'name="staged" value="([^"]+)"', checked.text)
    assert staged
    grid = _signed_in(world, "grid_a1")
    page = grid.get("/community/residents/import")
    stolen = grid.post("/community/residents/import/confirm",
                       data={"csrf_token": _csrf(page.text), "place": "a1",
                             "staged": staged.group(1)})
    assert stolen.status_code == 422
    sealed = (world.settings.data_dir / "community" / "import-staging"
              / f"{staged.group(1)}.json").read_text()
    assert "13900000000" not in sealed and "居民" not in sealed


@pytest.mark.parametrize("who", ["alice", "dept", "manager"])
def test_people_without_registration_rights_get_no_import_or_export(
    world: World, who: str,
) -> None:
    client = _signed_in(world, who)
    assert client.get("/community/residents/import").status_code == 403
    assert client.get("/community/residents/export.xlsx?place=a1").status_code == 403


def test_the_cli_imports_with_a_dry_run_first_and_exports(cli_env: Path) -> None:  # noqa: F811
    runner = CliRunner()
    assert runner.invoke(app, ["demo", "--no-serve"]).exit_code == 0
    path = cli_env / "register.xlsx"
    path.write_bytes(xlsx(office_rows(60, grids=("sh-pt-zr-zb-g1", "sh-pt-zr-zb-g2"))))
    args = ["community", "residents", "import", str(path), "--place", "sh-pt-zr-zb",
            "--as", "admin"]
    dry = runner.invoke(app, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would store: 60 residents" in dry.output and "nothing written" in dry.output
    real = runner.invoke(app, args)
    assert real.exit_code == 0, real.output
    assert "read register.xlsx (XLSX): 60 residents" in real.output
    assert "stored: 60 residents" in real.output
    twice = runner.invoke(app, args)
    # (``rescity``'s main turns an InputError into its message and exit code 2)
    assert isinstance(twice.exception, InputError)
    assert "row 2, national_id: already registered" in str(twice.exception)
    out = cli_env / "out.xlsx"
    exported = runner.invoke(app, ["community", "residents", "export", "--place",
                                   "sh-pt-zr-zb", "-o", str(out), "--as", "admin"])
    assert exported.exit_code == 0, exported.output
    assert "wrote 66 residents" in exported.output  # 60 and the demo's 6 in the community
    assert load_workbook(out).active.max_row == 67  # type: ignore[union-attr]
    nobody = runner.invoke(app, [*args, "--as", "nobody"])
    assert isinstance(nobody.exception, InputError)
    assert "no active user 'nobody'" in str(nobody.exception)


def test_a_resident_adds_a_parent_who_lives_in_another_grid(world: World) -> None:
    """Issue #15: "adding a parent who lives elsewhere is refused". The parent belongs to
    alice's household (she checks in for them) but lives in grid b1, whose grid worker
    looks after them; the grid worker of a1 does not see them."""
    body = {"household_id": world.ids["h1"], "name": "Mother Elsewhere", "relation": "parent",
            "birth_year": 1941,
            "lives_at": {"grid": "b1", "building": "9", "unit": "", "room": "905"}}
    r = world.call("alice", "POST", "/api/community/residents", json=body)
    assert r.status_code == 201, r.text
    mother = r.json()
    assert mother["lives_elsewhere"] is True and mother["dwelling"] == "9-905"
    assert mother["household_id"] == world.ids["h1"]
    seen_b1 = {p["name"] for p in world.call("grid_b1", "GET", "/api/community/residents").json()}
    seen_a1 = {p["name"] for p in world.call("grid_a1", "GET", "/api/community/residents").json()}
    assert "Mother Elsewhere" in seen_b1 and "Mother Elsewhere" not in seen_a1
    assert world.call("alice", "GET", f"/api/community/residents/{mother['id']}").status_code \
        == 200
    # The b1 grid worker's list of who has not checked in shows where the mother lives.
    missing = world.call("grid_b1", "GET", "/api/community/checkins/missing").json()
    assert {"name": "Mother Elsewhere", "dwelling": "9-905"}.items() <= next(
        m for m in missing if m["resident_id"] == mother["id"]).items()
    # Alice checks in for her mother (a household member), wherever the mother lives.
    checkin = world.call("alice", "POST", "/api/community/checkins",
                         json={"resident_id": mother["id"], "temperature_c": 36.6})
    assert checkin.status_code in (200, 201), checkin.text
    # Carol (another household) cannot add members to alice's household, elsewhere or not.
    assert world.call("carol", "POST", "/api/community/residents",
                      json={**body, "name": "Not Hers"}).status_code in (403, 404)
    bad = world.call("alice", "POST", "/api/community/residents",
                     json={**body, "lives_at": {**body["lives_at"], "grid": "nowhere"}})
    assert bad.status_code == 422 and "lives_at.grid" in bad.text
    community = world.call("alice", "POST", "/api/community/residents",
                           json={**body, "lives_at": {**body["lives_at"], "grid": "a"}})
    assert community.status_code == 422
    assert "lives_at.grid: 'a' is a community, not a grid" in community.text
