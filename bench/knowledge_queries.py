"""Retrieval quality of knowledge search: zh/en query pairs over the seed cases.

Each pair is one topic asked in Chinese and in English; both must find the same records,
judged by reading the seed texts (a case is relevant when the topic is one of its
subjects, not a passing mention). The corpus is the Guangzhou Award collection (English)
plus two records written only in Chinese: one submitted by hand (the sponge-city retrofit
of an old residential area) and one made of the Chinese lines of the bilingual
"Socially integrative cities in the age of COVID-19" slides, so both directions are tested.

precision@5 = relevant records among the first five returned / records returned (at most 5);
recall = relevant records returned (any page) / relevant records.

    python bench/knowledge_queries.py [--backends sqlite,postgres]   # prints the tables
"""

from __future__ import annotations

import argparse
import re
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import sessionmaker

from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters.importers import parse_file
from rescity.knowledge.domain.gazetteer import known_cities
from rescity.knowledge.domain.model import ImportResult, InitiativeData
from rescity.knowledge.services.catalogue import apply_import
from rescity.knowledge.services.search import SearchQuery, search

ZH_ONLY_SPONGE = "zh-sponge-retrofit"
ZH_ONLY_SIC = "zh-socially-integrative"
GZ = "gz6-"
GZ_FILE = "guangzhou-award-6th-chinese-initiatives.txt"

# (Chinese query, English query, relevant record keys)
PAIRS: list[tuple[str, str, set[str]]] = [
    ("老旧小区改造", "old residential area renovation", {ZH_ONLY_SPONGE}),
    ("养老", "elderly care", {GZ + "dalian"}),
    ("内涝", "waterlogging", {GZ + "fuzhou", ZH_ONLY_SPONGE}),
    ("防洪", "flood control", {GZ + "fuzhou", GZ + "bijie"}),
    ("海绵城市", "sponge city", {GZ + "bijie", GZ + "nanjing", ZH_ONLY_SPONGE}),
    ("疫情防控", "COVID-19", {GZ + "guangzhou", GZ + "dalian", ZH_ONLY_SIC}),
    ("住房", "housing", {GZ + "hong-kong", ZH_ONLY_SIC}),
    ("生物多样性", "biodiversity", {GZ + "haikou", GZ + "bijie"}),
    ("网格化管理", "grid management", {GZ + "dongguan", GZ + "dalian"}),
    ("新生儿", "newborn", {GZ + "guangzhou"}),
    ("新生儿黄疸", "neonatal jaundice", {GZ + "guangzhou"}),
    ("专利", "patents", {GZ + "harbin"}),
    ("知识产权", "intellectual property", {GZ + "harbin"}),
    ("过渡性房屋", "transitional housing", {GZ + "hong-kong"}),
    ("城市更新", "urban renewal", {GZ + "shanghai", GZ + "nanjing", GZ + "shijiazhuang"}),
    ("交通安全", "traffic safety", {GZ + "xianning"}),
    ("儿童友好", "child-friendly", {GZ + "xianning"}),
    ("湿地", "wetlands", {GZ + "haikou", GZ + "bijie"}),
    ("鸟类", "birds", {GZ + "haikou", GZ + "bijie"}),
    ("污水处理", "sewage treatment", {GZ + "bijie", GZ + "fuzhou"}),
    ("水环境", "water environment", {GZ + "bijie"}),
    ("排水", "drainage", {GZ + "fuzhou"}),
    ("智慧水务", "smart water management", {GZ + "fuzhou"}),
    ("大数据", "big data", {GZ + "dalian", GZ + "dongguan"}),
    ("透明度", "transparency", {GZ + "dalian"}),
    ("快速路", "expressway", {GZ + "shijiazhuang"}),
    ("低碳", "low-carbon", {GZ + "nanjing", GZ + "xianning"}),
    ("台风", "typhoon", {GZ + "fuzhou"}),
    ("老工业基地", "old industrial base", {GZ + "harbin"}),
    ("社会凝聚力", "social cohesion", {GZ + "shijiazhuang", ZH_ONLY_SIC}),
    ("雨水花园", "rain garden", {ZH_ONLY_SPONGE}),
    ("文化遗产", "cultural heritage", {GZ + "shanghai", ZH_ONLY_SIC}),
    ("步行", "pedestrians", {GZ + "xianning", GZ + "shanghai"}),
    ("志愿者", "volunteers", {GZ + "dalian", GZ + "haikou", ZH_ONLY_SIC}),
    ("共享经济", "sharing economy", {ZH_ONLY_SIC}),
    ("以人为本", "people-centred", {GZ + "bijie", ZH_ONLY_SIC}),
    ("包容性城市", "inclusive cities", {ZH_ONLY_SIC}),
    ("韧性城市", "resilient city", {GZ + "fuzhou", ZH_ONLY_SIC}),
    ("拥堵", "congestion", {GZ + "xianning", GZ + "shijiazhuang"}),
    ("公共空间", "public space", {GZ + "xianning", GZ + "nanjing", ZH_ONLY_SIC}),
    ("企业创新", "enterprise innovation", {GZ + "harbin"}),
    ("河道治理", "river management", {GZ + "bijie", GZ + "fuzhou", GZ + "haikou"}),
    ("组装合成建筑", "modular integrated construction", {GZ + "hong-kong"}),
    ("母婴", "mothers and newborns", {GZ + "guangzhou"}),
]


def chinese_lines(path: Path) -> str:
    """The lines of a bilingual document that are written in Chinese."""
    han = re.compile(r"[\u4e00-\u9fff]")
    lines = [ln.strip(" -✓\t") for ln in path.read_text("utf-8").splitlines()]
    return "\n".join(ln for ln in lines if han.search(ln) and not re.search(r"[A-Za-z]{4}", ln))


def load_corpus(factory: sessionmaker[Any], seeds: Path) -> None:
    """The Guangzhou collection and the two Chinese-only records, published."""
    with UnitOfWork(factory) as uow:
        apply_import(uow, parse_file(seeds / GZ_FILE, "guangzhou-award"))
    extra = ImportResult(source="query-pairs", format="bench")
    extra.cities = [known_cities()[k].data() for k in ("guangzhou", "wuhan")]
    extra.initiatives = [
        InitiativeData(
            key=ZH_ONLY_SPONGE,
            city_key="guangzhou",
            title_zh="老旧小区海绵城市改造与雨水花园",
            abstract_zh="在老旧小区改造中落实海绵城市理念，建设雨水花园和下凹式绿地，"
            "改造排水管网，消除小区内涝积水点，提升社区韧性。",
            key_measures_zh=["建设雨水花园", "雨污分流改造", "居民参与设计"],
            year=2023,
        ),
        InitiativeData(
            key=ZH_ONLY_SIC,
            city_key="wuhan",
            title_zh="COVID-19时代的包容性社会城市",
            abstract_zh=chinese_lines(seeds / "socially-integrative-cities-covid19.txt"),
            year=2020,
        ),
    ]
    with UnitOfWork(factory) as uow:
        apply_import(uow, extra)


@dataclass(frozen=True)
class Score:
    query: str
    expected: frozenset[str]
    found: tuple[str, ...]

    @property
    def precision_at_5(self) -> float:
        top = self.found[:5]
        return sum(k in self.expected for k in top) / len(top) if top else 0.0

    @property
    def recall(self) -> float:
        return len(self.expected & set(self.found)) / len(self.expected)


def evaluate(factory: sessionmaker[Any]) -> list[tuple[Score, Score]]:
    """(Chinese, English) scores per pair."""
    out = []
    with factory() as session:
        for zh, en, expected in PAIRS:
            scores = []
            for q in (zh, en):
                hits = search(session, SearchQuery(q=q, per_page=100), facets=False).hits
                scores.append(Score(q, frozenset(expected), tuple(h.item.key for h in hits)))
            out.append((scores[0], scores[1]))
    return out


def table(results: list[tuple[Score, Score]]) -> str:
    rows = ["| 中文 | P@5 | recall | English | P@5 | recall |", "|---|---|---|---|---|---|"]
    for zh, en in results:
        rows.append(
            f"| {zh.query} | {zh.precision_at_5:.2f} | {zh.recall:.2f} | {en.query} |"
            f" {en.precision_at_5:.2f} | {en.recall:.2f} |"
        )
    for label, pick in (("zh → all", 0), ("en → all", 1)):
        p = statistics.mean(r[pick].precision_at_5 for r in results)
        r_ = statistics.mean(r[pick].recall for r in results)
        rows.append(f"\n{label}: mean precision@5 {p:.3f}, mean recall {r_:.3f}")
    return "\n".join(rows)


def main() -> None:  # pragma: no cover - a report, run by hand
    import os
    import sys
    import tempfile
    import uuid

    from sqlalchemy import create_engine, text

    from rescity.core.storage import migrate
    from rescity.core.storage.db import make_engine, make_session_factory

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    repo = Path(__file__).resolve().parents[1]
    seeds = Path(os.environ.get("RESCITY_SHARED_DIR", repo.parent / "shared")) / "seeds"
    admin = os.environ.get(
        "RESCITY_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    for backend in args.backends.split(","):
        name = ""
        if backend == "sqlite":
            url = f"sqlite:///{tempfile.mkdtemp()}/pairs.db"
        else:
            name = f"rescity_pairs_{uuid.uuid4().hex[:8]}"
            with create_engine(admin, isolation_level="AUTOCOMMIT").connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            url = admin.rsplit("/", 1)[0] + "/" + name
        engine = make_engine(url)
        migrate.upgrade(engine)
        factory = make_session_factory(engine)
        load_corpus(factory, seeds)
        sys.stdout.write(f"\n### {backend}\n\n{table(evaluate(factory))}\n")
        engine.dispose()
        if name:
            with create_engine(admin, isolation_level="AUTOCOMMIT").connect() as c:
                c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
