"""Register-and-share workflow with its permissions; export round-trip; IURC and IUC seeds."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from rescity.core.errors import Conflict, InputError, NotFound, PermissionDenied
from rescity.core.security.policy import Principal
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters.importers import parse_file
from rescity.knowledge.adapters.orm import City, Event, Pairing, Partner, Programme
from rescity.knowledge.services import initiatives
from rescity.knowledge.services.catalogue import apply_import, ensure_city
from rescity.knowledge.services.export import export_csv, export_json
from rescity.knowledge.services.initiatives import InitiativeInput
from rescity.knowledge.services.versions import snapshot

Maker = Callable[..., Principal]


def _input(**changes: Any) -> InitiativeInput:
    base: dict[str, Any] = {
        "city": "xianning",
        "title_en": "Walking buses",
        "abstract_en": "Parents walk children to school on safe pedestrian routes.",
        "key_measures_en": ["Four routes", "Volunteer parents"],
        "figures": [
            {
                "indicator": "students walking",
                "value": 95,
                "unit": "%",
                "baseline": 30,
                "year": 2023,
            }
        ],
    }
    return InitiativeInput(**(base | changes))


def test_submission_is_validated_all_at_once(
    session_factory: sessionmaker[Any], make_user: Maker
) -> None:
    user = make_user("lili")
    bad = InitiativeInput(
        city="", figures=[{"indicator": "", "value": "x"}], tags=["nope"], year=3000
    )
    with UnitOfWork(session_factory) as uow, pytest.raises(InputError) as err:
        initiatives.submit(uow, user, bad)
    where = {p.where for p in err.value.problems}
    assert {"city", "title", "abstract", "year", "figures[0].value", "tags"} <= where


def test_review_workflow_and_who_may_do_what(
    session_factory: sessionmaker[Any], make_user: Maker
) -> None:
    owner, other = make_user("owner"), make_user("other")
    editor = make_user("editor", "knowledge_editor")
    with UnitOfWork(session_factory) as uow:
        ensure_city(uow.session, "xianning")  # a form never creates a city
        uow.commit()
    with UnitOfWork(session_factory) as uow:
        key = initiatives.submit(uow, owner, _input()).key
    with session_factory() as s:
        item = initiatives.get(s, key)
        assert item.status == "submitted" and item.version == 1
        assert item.tag_codes  # auto-tagged
        # only the owner and editors see it before publication
        assert initiatives.get_visible(s, owner, key).key == key
        assert initiatives.get_visible(s, editor, key).key == key
        for who in (other, None):
            with pytest.raises(NotFound):
                initiatives.get_visible(s, who, key)
        with pytest.raises(PermissionDenied):
            initiatives.review_queue(s, owner)
        assert [i.key for i in initiatives.review_queue(s, editor)] == [key]
    for who in (owner, other):  # neither the owner nor another user may review
        with UnitOfWork(session_factory) as uow, pytest.raises(PermissionDenied):
            initiatives.review(uow, who, key, "publish")
    with UnitOfWork(session_factory) as uow, pytest.raises(PermissionDenied):
        initiatives.update(uow, other, key, _input(title_en="Hijacked"))
    with UnitOfWork(session_factory) as uow, pytest.raises(InputError):
        initiatives.review(uow, editor, key, "request_changes", comment="")
    with UnitOfWork(session_factory) as uow:
        initiatives.review(uow, editor, key, "request_changes", comment="add a zh title")
    with UnitOfWork(session_factory) as uow:
        initiatives.update(uow, owner, key, _input(title_zh="步行巴士"), note="zh title")
    with UnitOfWork(session_factory) as uow, pytest.raises(Conflict):
        initiatives.update(uow, owner, key, _input(), expected_version=1)
    with UnitOfWork(session_factory) as uow:
        item = initiatives.review(uow, editor, key, "publish")
        assert item.status == "published"
    with session_factory() as s:
        item = initiatives.get_visible(s, None, key)  # public now
        assert item.version == 4  # submit, request changes, edit, publish
        diff = initiatives.version_diff(s, item, 1, 3)
        assert "+步行巴士" in diff and "[title_zh]" in diff
        assert diff.startswith("--- version 1\n+++ version 3")
    # an owner's edit of a published initiative waits for review; the record stays live
    with UnitOfWork(session_factory) as uow:
        edited = initiatives.update(uow, owner, key, _input(title_en="Walking buses!"))
        assert edited.status == "published" and edited.title_en == "Walking buses"
    with UnitOfWork(session_factory) as uow:
        initiatives.review(uow, editor, key, "reject", comment="duplicate")
    with session_factory() as s:
        item = initiatives.get_visible(s, None, key)
        assert item.title_en == "Walking buses" and item.pending_content is None


def test_export_json_round_trips_into_an_empty_database(
    seeded: sessionmaker[Any],
    tmp_path: Path,
    sqlite_engine: Any,
) -> None:
    from rescity.core.storage.db import make_session_factory

    with seeded() as s:
        text = export_json(s)
        originals = {i["key"]: i for i in json.loads(text)["initiatives"]}
        rows = list(csv.DictReader(io.StringIO(export_csv(s))))
    assert len(originals) == 12 and len(rows) == 12
    assert {r["key"] for r in rows} == set(originals)
    path = tmp_path / "export.json"
    path.write_text(text, encoding="utf-8")
    other = make_session_factory(sqlite_engine)
    with UnitOfWork(other) as uow:
        summary = apply_import(uow, parse_file(path, "json"))
    assert len(summary.created) == 12
    with other() as s:
        for key, original in originals.items():
            item = initiatives.get(s, key)
            again = snapshot(item)
            for field, value in again.items():
                assert value == original[field], (key, field)
        city = s.scalar(select(City).where(City.key == "bijie"))
        assert city is not None and city.profiles[0].stated_density == 4080
        assert json.loads(export_json(s))["initiatives"] == list(originals.values())


def test_a_broken_export_file_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"format": "rescity-knowledge",\n "initiatives": [\n  {"key": }\n]}')
    with pytest.raises(InputError) as err:
        parse_file(path, "json")
    assert "broken.json:3" in str(err.value)


def test_iurc_news_yields_22_plus_22_partners_and_the_lazio_zhengzhou_pairing(
    seeded: sessionmaker[Any],
) -> None:
    with seeded() as s:
        prog = s.scalar(select(Programme).where(Programme.key == "iurc-china"))
        assert prog is not None and prog.period == "2021-2023"
        partners = list(s.scalars(select(Partner).where(Partner.programme_id == prog.id)))
        by_region = {r: sorted(p.city.key for p in partners if p.region == r) for r in ("cn", "eu")}
        assert len(by_region["cn"]) == 22 and len(by_region["eu"]) == 22
        assert {"beijing", "zhengzhou", "haikou", "wenzhou", "chongqing-liangjiang"} <= set(
            by_region["cn"]
        )
        assert {"lazio", "mannheim", "barcelona", "western-greece", "bacau"} <= set(by_region["eu"])
        lazio = s.scalar(select(City).where(City.key == "lazio"))
        assert lazio is not None and (lazio.name_zh, lazio.country) == ("拉齐奥大区", "IT")
        pairs = {
            (p.city_a.key, p.city_b.key, p.status)
            for p in s.scalars(select(Pairing).where(Pairing.programme_id == prog.id))
        }
        assert pairs == {("lazio", "zhengzhou", "confirmed")}


def test_iuc_slides_yield_pilots_clusters_the_mannheim_chongqing_pairing_and_events(
    seeded: sessionmaker[Any],
) -> None:
    with seeded() as s:
        prog = s.scalar(select(Programme).where(Programme.key == "iuc-asia"))
        assert prog is not None
        assert prog.clusters == [
            "iuc-mobility",
            "iuc-smart",
            "iuc-health",
            "iuc-culture",
            "iuc-circular",
        ]  # in slide order
        pilots = {
            p.city.key
            for p in s.scalars(
                select(Partner).where(Partner.programme_id == prog.id, Partner.region == "cn")
            )
        }
        assert pilots == {
            "chongqing",
            "longyan",
            "zhengzhou",
            "shantou",
            "haikou",
            "changchun",
            "kunming",
            "liuzhou",
            "yantai",
            "weinan",
            "tianjin",
            "chengdu",
            "wuhan",
            "guangzhou",
        }
        pairs = {
            (p.city_a.key, p.city_b.key)
            for p in s.scalars(select(Pairing).where(Pairing.programme_id == prog.id))
        }
        assert pairs == {("mannheim", "chongqing")}
        events = list(
            s.scalars(select(Event).where(Event.programme_id == prog.id).order_by(Event.date))
        )
        # the events' own dates (14–17 August; January 17), not the news items' (Aug 20, Jan 19)
        assert [(e.date.isoformat(), e.type, e.participants) for e in events] == [
            ("2017-08-14", "visit", ["chongqing", "mannheim"]),
            ("2018-01-17", "delegation", ["chongqing", "mannheim"]),
        ]
