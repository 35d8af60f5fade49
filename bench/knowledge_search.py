"""Benchmark: knowledge search over 10,000 generated initiatives, on SQLite and PostgreSQL.

Generates bilingual initiatives (English paragraphs drawn from the Guangzhou collection,
Chinese text from planning phrases, seeded randomness), loads them through the normal import
service, then times searches (full text + facets + first page of 20) for a fixed mix of
English, Chinese two-character, Chinese word and filtered queries. Also times the import of
the real seed collection. Prints a table; see docs/knowledge/benchmark.md.

    python bench/knowledge_search.py [--n 10000] [--queries 300] [--backends sqlite,postgres]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text

from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine, make_session_factory
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters.importers import guangzhou, parse_file
from rescity.knowledge.domain.gazetteer import known_cities
from rescity.knowledge.domain.model import ImportResult, InitiativeData
from rescity.knowledge.domain.taxonomy import auto_tags
from rescity.knowledge.services.catalogue import apply_import
from rescity.knowledge.services.search import SearchQuery, search

REPO = Path(__file__).resolve().parents[1]
SEEDS = Path(os.environ.get("RESCITY_SHARED_DIR", REPO.parent / "shared")) / "seeds"
GZ = SEEDS / "guangzhou-award-6th-chinese-initiatives.txt"
PG_ADMIN = os.environ.get(
    "RESCITY_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ZH_PHRASES = [
    "海绵城市建设",
    "15分钟社区生活圈",
    "提升城市韧性",
    "老旧小区改造",
    "儿童友好城市",
    "公共空间",
    "智慧城市平台",
    "网格化管理",
    "城市更新",
    "历史街区保护",
    "低碳交通",
    "步行和自行车出行",
    "防灾减灾",
    "应急管理",
    "社区卫生服务中心",
    "养老服务设施",
    "湿地保护",
    "生物多样性",
    "循环经济",
    "垃圾分类",
    "清洁能源",
    "公众参与",
    "数字治理",
    "过渡性房屋",
    "保障性住房",
    "新生儿健康管理",
    "水环境综合治理",
    "内涝防治",
    "城市绿道",
    "口袋公园",
    "文化旅游",
    "就业与技能培训",
    "外来人口融合",
    "社区志愿服务",
    "疫情防控",
    "碳中和",
    "产业转型",
]
QUERIES_EN = [
    "flood",
    "school",
    "housing",
    "water management",
    "public space",
    "heritage",
    "data sharing",
    "children",
    "green",
    "resilient city",
    "traffic safety",
    "community participation",
    "energy",
    "tourism",
    "governance",
]
QUERIES_ZH = [
    "韧性",
    "海绵城市",
    "生活圈",
    "更新",
    "公园",
    "社区",
    "内涝",
    "住房",
    "低碳",
    "湿地",
    "智慧",
    "儿童友好",
    "养老",
    "交通",
    "文化旅游",
]


def corpus_paragraphs() -> list[str]:
    result = guangzhou.parse(GZ)
    paras: list[str] = []
    for item in result.initiatives:
        for field in (item.abstract_en, item.background_en, item.outcomes_en, item.lessons_en):
            paras.extend(p for p in field.split("\n\n") if len(p) > 80)
        paras.extend(item.key_measures_en)
    return paras


def generate(n: int, seed: int = 7) -> ImportResult:
    rng = random.Random(seed)
    paras = corpus_paragraphs()
    cities = list(known_cities().values())
    result = ImportResult(source="generated", format="bench")
    result.cities = [c.data() for c in cities]
    for i in range(n):
        city = rng.choice(cities)
        zh = [rng.choice(ZH_PHRASES) for _ in range(rng.randint(3, 6))]
        title_words = rng.sample(paras, 1)[0].split()[:8]
        abstract = " ".join(rng.sample(paras, 2))
        item = InitiativeData(
            key=f"bench-{i:05d}",
            city_key=city.key,
            title_en=" ".join(title_words).strip(" ,."),
            title_zh=f"{city.zh}：{zh[0]}与{zh[1]}",
            abstract_en=abstract,
            abstract_zh="，".join(zh) + "。",
            background_en=rng.choice(paras),
            key_measures_en=rng.sample(paras, 2),
            key_measures_zh=zh[2:],
            outcomes_en=rng.choice(paras),
            year=rng.randint(2012, 2024),
            source_document="generated",
        )
        item.tags = auto_tags(" ".join([item.title_en, item.abstract_en, item.abstract_zh]))
        result.initiatives.append(item)
    return result


def queries(count: int, seed: int = 11) -> list[SearchQuery]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        kind = i % 4
        if kind == 0:
            out.append(SearchQuery(q=rng.choice(QUERIES_EN)))
        elif kind == 1:
            out.append(SearchQuery(q=rng.choice(QUERIES_ZH), lang="zh"))
        elif kind == 2:
            two = f"{rng.choice(QUERIES_ZH)} {rng.choice(QUERIES_ZH)}"
            out.append(SearchQuery(q=two, lang="zh"))
        else:
            out.append(
                SearchQuery(
                    q=rng.choice(QUERIES_EN),
                    country="CN",
                    sdg=rng.choice(["sdg11", "sdg6", "sdg3", "sdg13"]),
                )
            )
    return out


def pctl(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _cpu_ns(pid: int | None) -> int:
    """CPU time a process has run (Linux ``/proc/<pid>/schedstat``, nanoseconds), or 0 when
    unknown (another host, another OS): the database server's CPU per query, which unlike
    wall-clock time does not grow while the process waits for a CPU on a busy machine."""
    if pid is None:
        return 0
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def run_backend(name: str, url: str, data: ImportResult, qs: list[SearchQuery]) -> dict[str, Any]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    statements = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_: Any) -> None:
        statements[0] += 1

    factory = make_session_factory(engine)
    t0 = time.perf_counter()
    with UnitOfWork(factory) as uow:
        apply_import(uow, parse_file(GZ, "guangzhou-award"))
    seed_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    with UnitOfWork(factory) as uow:
        apply_import(uow, data)
    bulk = time.perf_counter() - t0
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    times: list[float] = []
    cpu: list[float] = []
    server: list[float] = []
    hits: list[int] = []
    with factory() as session:
        pid = None
        if engine.dialect.name == "postgresql":
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            pid = pid if _cpu_ns(pid) else None
        for q in qs[:20]:  # warm-up (loads jieba's dictionary and the thesaurus)
            search(session, q)
        # as `rescity serve` does after start-up: the long-lived heap (imports, dictionaries;
        # here also the generated records) left out of garbage collections, which would
        # otherwise scan it all every ~30 searches (50-75 ms each)
        gc.collect()
        gc.freeze()
        statements[0] = 0
        for q in qs:
            s0 = _cpu_ns(pid)
            t, c = time.perf_counter(), time.process_time()
            res = search(session, q)
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            server.append((_cpu_ns(pid) - s0) / 1e6)
            hits.append(res.total)
    gc.unfreeze()
    engine.dispose()
    return {
        "backend": name,
        "docs": len(data.initiatives) + 12,
        "seed_import_s": seed_import,
        "bulk_import_s": bulk,
        "p50_ms": statistics.median(times),
        "p95_ms": pctl(times, 95),
        "max_ms": max(times),
        "mean_hits": statistics.mean(hits),
        "queries": len(qs),
        "cpu_p50_ms": statistics.median(cpu),
        "cpu_p95_ms": pctl(cpu, 95),
        # client + server CPU of each query (SQLite runs in the client: server is 0)
        "all_cpu_p50_ms": statistics.median(a + b for a, b in zip(cpu, server, strict=True)),
        "all_cpu_p95_ms": pctl([a + b for a, b in zip(cpu, server, strict=True)], 95),
        "server_known": pid is not None or engine.dialect.name == "sqlite",
        "statements": statements[0] / len(qs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    if not GZ.exists():
        sys.exit(f"seed collection not found at {GZ} (set RESCITY_SHARED_DIR)")
    data = generate(args.n)
    qs = queries(args.queries)
    load_start = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if "sqlite" in args.backends:
            rows.append(run_backend("SQLite FTS5", f"sqlite:///{tmp}/bench.sqlite3", data, qs))
        if "postgres" in args.backends:
            db = f"rescity_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{db}"'))
            try:
                url = PG_ADMIN.rsplit("/", 1)[0] + f"/{db}"
                rows.append(run_backend("PostgreSQL tsvector", url, data, qs))
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
                admin.dispose()
    header = (
        f"{'backend':<22}{'docs':>7}{'queries':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
        f"{'client CPU p95':>16}{'mean hits':>11}{'seed import s':>15}{'bulk import s':>15}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['backend']:<22}{r['docs']:>7}{r['queries']:>9}{r['p50_ms']:>9.1f}"
            f"{r['p95_ms']:>9.1f}{r['max_ms']:>9.1f}{r['cpu_p95_ms']:>16.1f}"
            f"{r['mean_hits']:>11.0f}{r['seed_import_s']:>15.2f}{r['bulk_import_s']:>15.1f}"
        )
    print()
    print("CPU per query (load-independent): the client's, and the client's + the database")
    print("server's (PostgreSQL backend read from /proc; SQLite runs inside the client)")
    header = (
        f"{'backend':<22}{'CPU p50':>9}{'CPU p95':>9}{'+server p50':>13}{'+server p95':>13}"
        f"{'stmts/q':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        both = (
            f"{r['all_cpu_p50_ms']:>13.1f}{r['all_cpu_p95_ms']:>13.1f}"
            if r["server_known"]
            else f"{'n/a':>13}{'n/a':>13}"
        )
        print(
            f"{r['backend']:<22}{r['cpu_p50_ms']:>9.1f}{r['cpu_p95_ms']:>9.1f}{both}"
            f"{r['statements']:>9.1f}"
        )
    print(
        f"load average (1 min) at the start {load_start:.1f}, at the end "
        f"{os.getloadavg()[0]:.1f}, on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
