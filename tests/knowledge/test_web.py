"""JSON API and pages of the knowledge module (FastAPI TestClient, both backends)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from rescity.core.accounts import get_user, issue_api_token
from rescity.core.config import Settings
from rescity.core.security.policy import Principal
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.services import cooperation
from rescity.web.app import create_app


@pytest.fixture
def client(settings: Settings, engine: Engine, seeded: sessionmaker[Any]) -> TestClient:
    return TestClient(create_app(settings, engine=engine))


@pytest.fixture
def token_for(
    session_factory: sessionmaker[Any], make_user: Callable[..., Principal]
) -> Callable[..., dict[str, str]]:
    def make(username: str, role: str | None = None) -> dict[str, str]:
        make_user(username, role)
        with UnitOfWork(session_factory) as uow:
            token = issue_api_token(uow.session, get_user(uow.session, username))
            uow.commit()
        return {"Authorization": f"Bearer {token}"}

    return make


def test_search_api_returns_hits_facets_and_highlights(client: TestClient) -> None:
    r = client.get("/api/kb/initiatives", params={"q": "韧性", "lang": "zh"})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 3  # Fuzhou by its Chinese title, two by "resilience"
    assert body["hits"][0]["key"] == "gz6-fuzhou"
    assert "<mark>韧性" in body["hits"][0]["title_highlight"]  # 韧性城市, the longer label
    assert {f["value"] for f in body["facets"]["country"]} == {"CN"}
    r = client.get("/api/kb/initiatives", params={"q": "water", "per_page": 1, "page": 2})
    assert r.json()["page"] == 2 and len(r.json()["hits"]) == 1
    assert client.get("/api/kb/initiatives", params={"per_page": 1000}).status_code == 422


def test_submit_review_publish_over_the_api(
    client: TestClient, token_for: Callable[..., dict[str, str]]
) -> None:
    user, editor = token_for("wang"), token_for("editor", "knowledge_editor")
    payload = {
        "city": "guangzhou",
        "title_zh": "社区微改造",
        "abstract_zh": "老旧小区微改造。",
        "figures": [{"indicator": "加装电梯", "value": 120, "unit": "部", "baseline": 0}],
    }
    assert client.post("/api/kb/initiatives", json=payload).status_code in (401, 403)
    bad = client.post("/api/kb/initiatives", json={"city": "guangzhou"}, headers=user)
    assert bad.status_code == 422
    assert {p["where"] for p in bad.json()["problems"]} == {"title", "abstract"}
    r = client.post("/api/kb/initiatives", json=payload, headers=user)
    assert r.status_code == 201, r.text
    key = r.json()["key"]
    assert r.json()["status"] == "submitted"
    assert client.get(f"/api/kb/initiatives/{key}").status_code == 404  # not public yet
    assert client.get(f"/api/kb/initiatives/{key}", headers=user).status_code == 200
    assert (
        client.post(
            f"/api/kb/initiatives/{key}/review", json={"decision": "publish"}, headers=user
        ).status_code
        == 403
    )
    queue = client.get("/api/kb/review-queue", headers=editor).json()
    assert [i["key"] for i in queue] == [key]
    r = client.post(
        f"/api/kb/initiatives/{key}/review", json={"decision": "publish"}, headers=editor
    )
    assert r.json()["status"] == "published"
    assert client.get(f"/api/kb/initiatives/{key}").json()["figures"][0]["indicator"] == "加装电梯"
    hits = client.get("/api/kb/initiatives", params={"q": "微改造"}).json()["hits"]
    assert [h["key"] for h in hits] == [key]
    # the history is for the owner and editors, as on the page
    assert client.get(f"/api/kb/initiatives/{key}/versions").status_code == 401
    other = token_for("lihua")
    assert client.get(f"/api/kb/initiatives/{key}/versions", headers=other).status_code == 403
    versions = client.get(f"/api/kb/initiatives/{key}/versions", headers=user).json()
    assert [v["version"] for v in versions] == [1, 2]
    diff = client.get(
        f"/api/kb/initiatives/{key}/diff", params={"from": 1, "to": 2}, headers=editor
    ).json()
    assert diff["diff"] == ""  # publishing changes the status, not the content


def test_city_api_export_and_taxonomies(client: TestClient) -> None:
    city = client.get("/api/kb/cities/bijie").json()
    assert city["name_zh"] == "毕节"
    assert city["profiles"][0]["stated_density"] == 4080
    assert city["profiles"][0]["density"] == pytest.approx(1_263_700 / 2868)
    assert [i["key"] for i in city["initiatives"]] == ["gz6-bijie"]
    assert client.get("/api/kb/cities/atlantis").status_code == 404
    assert client.get("/api/kb/cities/zhengzhou/matches").status_code == 200
    csv_text = client.get("/api/kb/export", params={"format": "csv"}).text
    assert csv_text.splitlines()[0].startswith("key,city,")
    tax = client.get("/api/kb/taxonomies").json()
    assert len(tax["sdg"]) == 17 and len(tax["urban_agenda"]) == 14
    assert len(tax["iuc_cluster"]) == 5


def test_pages_render_in_both_languages(client: TestClient) -> None:
    page = client.get("/kb", params={"q": "flood"}, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert 'data-key="gz6-fuzhou"' in page.text and "<mark>" in page.text
    zh = client.get("/kb", params={"q": "香港"}, headers={"Accept-Language": "zh-CN"})
    assert "共 1 个案例" in zh.text and "<mark>香港</mark>：过渡性房屋" in zh.text
    facet = re.search(r'href="(/kb\?[^"]*sdg=sdg6[^"]*)"', page.text)
    assert facet is not None
    assert client.get(facet.group(1).replace("&amp;", "&")).status_code == 200
    detail = client.get("/kb/initiatives/gz6-xianning", headers={"Accept-Language": "en"})
    assert "students walking to school" in detail.text and 'id="kb-figures"' in detail.text
    city = client.get("/kb/cities/bijie", headers={"Accept-Language": "en"})
    assert "1,263,700" in city.text and "⚠" in city.text  # stated density 4,080 flagged
    anonymous = client.get("/kb/submit", headers={"Accept": "text/html"}, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/kb/submit"


def _login(client: TestClient, username: str) -> str:
    form = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    r = client.post(
        "/login",
        data={
            "username": username,
            "password": "a-long-password-1",
            "csrf_token": csrf.group(1),
            "next": "/kb/submit",
        },
        follow_redirects=True,
    )
    token = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert token is not None
    return token.group(1)


def test_submit_form_validates_and_registers(
    client: TestClient, make_user: Callable[..., Principal]
) -> None:
    make_user("formuser")
    csrf = _login(client, "formuser")
    bad = client.post(
        "/kb/submit",
        data={
            "csrf_token": csrf,
            "city": "haikou",
            "figure_0_indicator": "trees",
            "figure_0_value": "x",
        },
    )
    assert bad.status_code == 422
    assert "figures[0].value" in bad.text and "title" in bad.text
    ok = client.post(
        "/kb/submit",
        data={
            "csrf_token": csrf,
            "city": "haikou",
            "title_zh": "海口湿地城市建设",
            "abstract_zh": "建设国际湿地城市。",
            "key_measures_zh": "湿地修复\n社区参与",
            "figure_0_indicator": "湿地面积",
            "figure_0_baseline": "100",
            "figure_0_value": "130",
            "figure_0_unit": "公顷",
            "figure_0_year": "2023",
        },
    )
    assert ok.status_code == 200 and "kb-submitted" in ok.text
    assert "湿地修复" in ok.text and "130" in ok.text


def test_programmes_pairings_and_action_plans_over_the_api(
    client: TestClient, token_for: Callable[..., dict[str, str]]
) -> None:
    prog = client.get("/api/kb/programmes/iurc-china").json()
    assert len(prog["partners"]) == 44
    assert [(p["city_a"]["key"], p["city_b"]["key"], p["status"]) for p in prog["pairings"]] == [
        ("lazio", "zhengzhou", "confirmed")
    ]
    iuc = client.get("/api/kb/programmes/iuc-asia").json()
    assert [e["date"] for e in iuc["events"]] == ["2017-08-14", "2018-01-17"]  # their own dates
    admin, user = token_for("editor", "knowledge_editor"), token_for("plainuser")
    hk, mu, both = token_for("haikou-ed"), token_for("murcia-ed"), token_for("both-ed")
    for city, name in (
        ("haikou", "haikou-ed"),
        ("murcia", "murcia-ed"),
        ("haikou", "both-ed"),
        ("murcia", "both-ed"),
    ):
        add = {"username": name}
        assert (
            client.post(f"/api/kb/cities/{city}/editors", json=add, headers=user).status_code == 403
        )
        assert (
            client.post(f"/api/kb/cities/{city}/editors", json=add, headers=admin).status_code
            == 204
        )
    body = {"city_a": "haikou", "city_b": "murcia", "topic": "wetlands"}
    assert client.post("/api/kb/pairings", json=body, headers=user).status_code == 403
    assert client.post("/api/kb/pairings", json=body, headers=admin).status_code == 403
    self_pair = {"city_a": "haikou", "city_b": "haikou"}
    assert client.post("/api/kb/pairings", json=self_pair, headers=hk).status_code == 422
    created = client.post("/api/kb/pairings", json=body, headers=both)
    assert created.status_code == 201 and created.json()["status"] == "proposed"
    pid = created.json()["id"]
    confirm = f"/api/kb/pairings/{pid}/confirm"
    assert client.post(confirm, params={"city": "murcia"}, headers=both).status_code == 409
    assert client.post(confirm, params={"city": "murcia"}, headers=hk).status_code == 403
    done = client.post(confirm, params={"city": "murcia"}, headers=mu)
    assert done.json()["status"] == "confirmed"
    plan = {
        "title": "Wetland city plan",
        "key_projects": ["Wetland monitoring"],
        "stakeholders": ["DRC"],
        "contact_role": "DRC focal point",
        "contact_email": "focal@example.org",
        "programme": "iurc-china",
        "initiatives": ["gz6-bijie"],
        "milestones": [{"title": "Roadmap agreed", "due": "2025-03-31"}],
    }
    assert (
        client.post("/api/kb/cities/haikou/action-plans", json=plan, headers=mu).status_code == 403
    )
    r = client.post("/api/kb/cities/haikou/action-plans", json=plan, headers=hk)
    assert r.status_code == 201, r.text
    plan_id, milestone = r.json()["id"], r.json()["milestones"][0]["id"]
    status = {"status": "done"}
    ms = f"/api/kb/action-plans/{plan_id}/milestones/{milestone}"
    assert client.post(ms, json=status, headers=hk).json()["milestones"][0]["status"] == "done"
    # visible to programme members (Murcia is an IURC partner) with the contact; to nobody else
    seen = client.get(f"/api/kb/action-plans/{plan_id}", headers=mu).json()
    assert seen["contact_email"] == "focal@example.org" and seen["initiatives"] == ["gz6-bijie"]
    assert client.get("/api/kb/cities/haikou/action-plans").json() == []
    assert client.get("/api/kb/cities/haikou/action-plans", headers=user).json() == []
    assert client.get(f"/api/kb/action-plans/{plan_id}").status_code in (401, 403)
    hidden = client.get(f"/api/kb/action-plans/{plan_id}", headers=user)
    assert hidden.status_code == 403 and "focal@" not in hidden.text
    # the editors' export carries the template's fields and milestone status, never the contact
    rows = client.get("/api/kb/export", params={"table": "plans"}, headers=admin).json()["rows"]
    exported = next(r for r in rows if r["id"] == plan_id)
    assert exported["key_projects"] == ["Wetland monitoring"]
    assert exported["milestones"] == [
        {"title": "Roadmap agreed", "due": "2025-03-31", "status": "done"}
    ]
    assert "focal@" not in json.dumps(rows) and "contact_role" not in exported


def test_events_calendar_ics_and_map_geojson(client: TestClient) -> None:
    page = client.get("/kb/events")
    assert page.status_code == 200
    assert 'data-month="2022-04"' in page.text and 'data-date="2017-08-14"' in page.text
    ics = client.get("/kb/events.ics", params={"programme": "iurc-china"})
    assert ics.headers["content-type"].startswith("text/calendar")
    text = ics.text
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "DTSTART;VALUE=DATE:20220429\r\n" in text  # year inferred from the page order
    # the garden expo ran April to October 2021: DTEND is the day after its last day
    assert "DTSTART;VALUE=DATE:20210401\r\nDTEND;VALUE=DATE:20211101\r\n" in text
    assert "20170814" not in text  # an IUC event, not in this programme
    assert text.count("BEGIN:VEVENT") == 6
    geo = client.get("/api/kb/map.geojson").json()
    kinds = [f["properties"]["kind"] for f in geo["features"]]
    assert kinds.count("city") >= 44 and kinds.count("initiative") == 12
    mannheim = next(f for f in geo["features"] if f["properties"].get("key") == "mannheim")
    assert mannheim["geometry"]["coordinates"] == [8.46694, 49.4891]
    assert "contact" not in json.dumps(geo)
    only = client.get("/api/kb/map.geojson", params={"city": "bijie"}).json()
    assert [
        f["properties"]["key"] for f in only["features"] if f["properties"]["kind"] == "initiative"
    ] == ["gz6-bijie"]
    assert "/static/vendor/leaflet/leaflet.js" in client.get("/kb/map").text


def test_the_comparison_page_puts_profiles_assessments_and_initiatives_side_by_side(
    client: TestClient, tmp_path: Path, session_factory: sessionmaker[Any]
) -> None:
    summary = tmp_path / "summary.json"
    summary.write_text(
        json.dumps(
            {
                "source": "extracts/nanjing_xinjiekou.osm.pbf",
                "indices": {"life_service": {"median": 0.74, "share_low": 0.34, "low": 0.5}},
                "missing_items": ["elderly_care"],
            }
        ),
        encoding="utf-8",
    )
    with UnitOfWork(session_factory) as uow:
        cooperation.attach_assessment(uow, None, "nanjing", summary)
    r = client.get("/kb/compare", params={"cities": "bijie,mannheim,nanjing"})
    assert r.status_code == 200
    assert r.text.count('class="kb-cmp-pop"') == 3
    assert "307,960" in r.text  # Mannheim, GeoNames
    body = re.sub(r"\s+", " ", r.text)
    assert "nanjing_xinjiekou.osm.pbf" in body and "养老设施: 评估范围内没有" in body
    assert "/kb/initiatives/gz6-bijie" in r.text
    bad = client.get("/kb/compare", params={"cities": "bijie,atlantis"})
    assert bad.status_code == 422 and "atlantis" in bad.text
    # an assessment is computed from an OpenStreetMap extract: shown, it is attributed
    assert 'id="osm-attribution"' in r.text
    assert 'id="osm-attribution"' in client.get("/kb/cities/nanjing").text
    unassessed = client.get("/kb/compare", params={"cities": "bijie,mannheim"})
    assert unassessed.status_code == 200 and "OpenStreetMap" not in unassessed.text
    assert "OpenStreetMap" not in client.get("/kb/cities/bijie").text


def test_editors_complete_profiles_with_provenance_and_attach_assessments(
    client: TestClient,
    token_for: Callable[..., dict[str, str]],
    session_factory: sessionmaker[Any],
    seeds_dir: Path,
) -> None:
    editor, user = token_for("editor", "knowledge_editor"), token_for("plainuser")
    change = {"population": 5_714_882, "source": "ISTAT 2023 resident population"}
    assert (
        client.patch("/api/kb/cities/lazio/profile", json=change, headers=user).status_code == 403
    )
    bad = client.patch(
        "/api/kb/cities/lazio/profile", json={"population": -3, "source": "x"}, headers=editor
    )
    assert bad.status_code == 422
    r = client.patch("/api/kb/cities/lazio/profile", json=change, headers=editor)
    assert r.status_code == 200, r.text
    assert r.json()["population"] == 5_714_882
    assert r.json()["provenance"]["population"].startswith("editor editor ")
    assert "ISTAT 2023" in r.json()["provenance"]["population"]
    # re-importing the seeds keeps the editor's figure; the gazetteer fills only the rest
    with UnitOfWork(session_factory) as uow:
        from rescity.knowledge.adapters.importers import parse_file
        from rescity.knowledge.services.catalogue import apply_import

        apply_import(uow, parse_file(seeds_dir / "iurc-china-news.txt", "iurc-news"))
    again = client.get("/api/kb/cities/lazio/matches").status_code
    assert again == 200
    with session_factory() as s:
        from rescity.knowledge.services.catalogue import get_city

        lazio = get_city(s, "lazio")
        assert lazio is not None and lazio.population == 5_714_882
        assert lazio.timezone == "Europe/Rome"
    summary = json.dumps(
        {
            "source": "x/haikou_centre.osm.pbf",
            "indices": {"environment": {"median": 0.4, "share_low": 0.6}},
        }
    )
    up = client.post("/api/kb/cities/haikou/assessment", content=summary, headers=editor)
    assert up.status_code == 201 and up.json()["area"] == "haikou_centre.osm.pbf"
    assert (
        client.post("/api/kb/cities/haikou/assessment", content=summary, headers=user).status_code
        == 403
    )
    recs = client.get("/api/kb/cities/haikou/recommendations").json()
    assert recs and all(r["gap"]["key"] == "environment" for r in recs)
    assert recs[0]["assessed_area"] == "haikou_centre.osm.pbf"


def test_no_server_path_in_any_api_answer_and_provenance_is_complete(
    client: TestClient, seeds_dir: Any
) -> None:
    server_dir = str(seeds_dir)
    answers = [
        client.get("/api/kb/initiatives/gz6-hong-kong"),
        client.get("/api/kb/initiatives", params={"q": "housing"}),
        client.get("/api/kb/programmes/iurc-china"),
        client.get("/api/kb/programmes/iuc-asia"),
        client.get("/api/kb/cities/haikou"),
        client.get("/api/kb/export", params={"format": "json"}),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.request.url
        assert server_dir not in answer.text, answer.request.url
    prov = answers[0].json()["provenance"]
    assert prov["document"] == "guangzhou-award-6th-chinese-initiatives.txt"
    assert prov["page"] == 46 and prov["line"] and "Transitional Housing" in prov["section"]
    assert "Guangzhou Institute for Urban Innovation" in prov["publisher"]
    assert prov["licence"] and prov["edition"]
    assert "过渡性房屋" in answers[0].json()["keywords_zh"] or answers[0].json()["keywords_zh"]
    hit = answers[1].json()["hits"][0]
    assert hit["why"] and hit["why"][0]["fields"]


def test_csv_export_is_safe_against_formula_injection_and_covers_cooperation_tables(
    client: TestClient, session_factory: sessionmaker[Any], token_for: Callable[..., dict[str, str]]
) -> None:
    import csv
    import io

    from rescity.knowledge.domain.gazetteer import known_cities
    from rescity.knowledge.domain.model import ImportResult, InitiativeData
    from rescity.knowledge.services.catalogue import apply_import

    evil = ImportResult(source="evil.txt", format="test")
    evil.cities = [known_cities()["guangzhou"].data()]
    evil.initiatives = [
        InitiativeData(
            key="evil", city_key="guangzhou", title_en="=1+2", abstract_en="@SUM(A1)", year=2024
        )
    ]
    with UnitOfWork(session_factory) as uow:
        apply_import(uow, evil)
    rows = list(csv.DictReader(io.StringIO(client.get("/api/kb/export?format=csv").text)))
    row = next(r for r in rows if r["key"] == "evil")
    assert row["title_en"] == "'=1+2" and row["abstract_en"] == "'@SUM(A1)"
    for table in ("programmes", "pairings", "events"):
        answer = client.get("/api/kb/export", params={"format": "csv", "table": table})
        assert answer.status_code == 200 and answer.text.count("\n") > 1, table
        assert not any(c.startswith(("=", "+", "@")) for c in answer.text.split(","))
    pairings = client.get("/api/kb/export", params={"table": "pairings"}).json()["rows"]
    assert pairings and {"city_a", "city_b", "source"} <= set(pairings[0])
    assert "/" not in pairings[0]["source"]
    assert client.get("/api/kb/export", params={"table": "plans"}).status_code in (401, 403)
    editor = token_for("exporter", "knowledge_editor")
    plans = client.get("/api/kb/export", params={"table": "plans"}, headers=editor)
    assert plans.status_code == 200 and "contact" not in plans.text


def test_one_china_in_the_facets_its_link_works_and_a_bad_parameter_gives_a_page(
    client: TestClient,
) -> None:
    facets = client.get("/api/kb/initiatives", params={"lang": "zh"}).json()["facets"]
    assert [f["value"] for f in facets["country"]] == ["CN"]
    assert facets["country"][0]["label"] == "中国"
    for name in ("CN", "China", "中国"):
        found = client.get("/api/kb/initiatives", params={"country": name})
        assert found.status_code == 200 and found.json()["total"] == 12, name
    page = client.get("/kb", params={"country": "China"})
    assert page.status_code == 200 and "gz6-harbin" in page.text
    bad = client.get("/kb", params={"year": "abc"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("text/html")
    assert "year" in bad.text
    unknown = client.get("/api/kb/initiatives", params={"country": "Atlantis"})
    assert unknown.status_code == 422 and "Atlantis" in unknown.json()["message"]
    themes = [f["label"] for f in client.get("/api/kb/initiatives").json()["facets"]["theme"]]
    assert len(themes) == len(set(themes))  # equal names from two taxonomies stay apart


def test_taxonomy_page_lists_countries_by_iso_code_and_the_theme_crosswalk(
    client: TestClient,
) -> None:
    page = client.get("/kb/taxonomies", cookies={"rescity_lang": "zh"})
    assert page.status_code == 200
    assert "<code>CN</code>" in page.text and "中国" in page.text
    assert 'id="kb-kind-gz_theme"' in page.text and "/kb?theme=ua-climate" in page.text
