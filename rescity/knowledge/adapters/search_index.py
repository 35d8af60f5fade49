"""The full-text index on both backends, over the same pre-segmented tokens.

* SQLite: an FTS5 table ``kb_fts(title, body)`` whose rowid is the initiative id (ranking by
  ``bm25``, title weighted 5:1), and a narrow table ``kb_fts_meta`` with what search filters
  and counts (city, country, year, status, tags).
* PostgreSQL: one table ``kb_search_pg`` holding the same columns and a GIN-indexed ``tsv``
  built with the 'simple' configuration (no stemming, no stop words: the tokens are already
  segmented), title weighted A and body B; ranking by ``ts_rank`` on the title and the body's lead.

Both index the record's text as segmented, stemmed tokens, plus one token per thesaurus
concept found in it (and its SDG tags, and the concepts' preferred labels in both languages),
so that a query in one language finds records written in the other. English phrase queries
rely on the tokens keeping their order.

Search never reads the wide initiative rows for the thousands of matches a broad query has;
it reads these narrow rows, then loads only the page it shows. Both are derived data:
created on first use, kept in step by the services (import, submit, edit, review) and
rebuilt at any time with ``rescity kb reindex``. Queries are built from :class:`QueryTerm`
clauses (:func:`parse_query`) whose tokens only hold letters, digits and CJK characters,
passed as bound parameters.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    TableClause,
    Text,
    TextualSelect,
    bindparam,
    case,
    column,
    func,
    literal,
    literal_column,
    table,
    text,
)
from sqlalchemy.orm import Session

from rescity.knowledge.adapters.orm import Initiative
from rescity.knowledge.adapters.search_cache import PENDING
from rescity.knowledge.adapters.segmenter import Alt, Clause, index_text, parse_query
from rescity.knowledge.domain.countries import country_code
from rescity.knowledge.domain.thesaurus import thesaurus

_SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS kb_fts USING fts5(title, body, tokenize='unicode61')",
    "CREATE TABLE IF NOT EXISTS kb_fts_meta (id INTEGER PRIMARY KEY, city_id INTEGER NOT NULL,"
    " city_key TEXT NOT NULL, country TEXT NOT NULL, year INTEGER, status TEXT NOT NULL,"
    " tag_text TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS kb_search_version (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " token INTEGER NOT NULL)",
    # the narrow rows' version (adapters/search_cache.py): replaced by every write to them
    *(
        f"CREATE TRIGGER IF NOT EXISTS kb_fts_meta_{event.lower()} AFTER {event}"  # noqa: S608
        " ON kb_fts_meta BEGIN UPDATE kb_search_version SET token = random(); END"
        for event in ("INSERT", "UPDATE", "DELETE")
    ),
)
# what ensure() finds when the index exists (the version table is created after the rest)
_SQLITE_NAMES = (
    "kb_fts",
    "kb_fts_meta",
    "kb_search_version",
    "kb_fts_meta_insert",
    "kb_fts_meta_update",
    "kb_fts_meta_delete",
)
_PG_DDL = (
    "CREATE TABLE IF NOT EXISTS kb_search_pg ("
    " id integer PRIMARY KEY REFERENCES kb_initiative(id) ON DELETE CASCADE,"
    " city_id integer NOT NULL, city_key text NOT NULL, country text NOT NULL, year integer,"
    " status text NOT NULL, tag_text text NOT NULL, tsv tsvector NOT NULL,"
    " rank_tsv tsvector NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_kb_search_pg_tsv ON kb_search_pg USING gin (tsv)",
    # every match's filter columns and ranking tsvector are read: kept in the row,
    # uncompressed (tag_text had been moved out of line in large rows, a TOAST lookup per
    # match; decompressing rank_tsv took two thirds of ts_rank's time). rank_tsv's size is
    # bounded (RANK_BYTES) so that the row always fits in a page.
    *(
        f"ALTER TABLE kb_search_pg ALTER COLUMN {name} SET STORAGE PLAIN"
        for name in ("city_key", "country", "status", "tag_text", "rank_tsv")
    ),
    "CREATE TABLE IF NOT EXISTS kb_search_version (id integer PRIMARY KEY CHECK (id = 1),"
    " token bigint NOT NULL)",
    # The narrow rows' version (adapters/search_cache.py), replaced once per transaction that
    # writes them, at its commit (a deferred trigger): the one version row is locked only
    # while committing, so index writers do not wait for each other (nor deadlock, #17)
    # until then. Until its commit, a writer's own searches see no token (search_cache.PENDING)
    # and read its uncommitted rows without caching them. TRUNCATE, which cannot have a
    # deferred trigger and locks the whole table anyway, replaces it at once.
    "CREATE OR REPLACE FUNCTION kb_search_bump() RETURNS trigger LANGUAGE plpgsql AS"  # noqa: S608
    " $$ BEGIN IF TG_OP = 'TRUNCATE' THEN UPDATE kb_search_version"
    " SET token = (random() * 4503599627370496)::bigint;"
    f" ELSE PERFORM set_config('{PENDING}', 'on', true); END IF; RETURN NULL; END $$",
    "CREATE OR REPLACE FUNCTION kb_search_commit() RETURNS trigger LANGUAGE plpgsql AS"  # noqa: S608
    f" $$ BEGIN IF current_setting('{PENDING}', true) = 'on' THEN"
    " UPDATE kb_search_version SET token = (random() * 4503599627370496)::bigint;"
    f" PERFORM set_config('{PENDING}', '', true); END IF; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS kb_search_pg_bump ON kb_search_pg",
    "CREATE TRIGGER kb_search_pg_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
    " ON kb_search_pg FOR EACH STATEMENT EXECUTE FUNCTION kb_search_bump()",
    "DROP TRIGGER IF EXISTS kb_search_pg_commit ON kb_search_pg",
    "CREATE CONSTRAINT TRIGGER kb_search_pg_commit AFTER INSERT OR UPDATE OR DELETE"
    " ON kb_search_pg DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
    " EXECUTE FUNCTION kb_search_commit()",
)
_PG_PRESENT = (
    "SELECT to_regclass('kb_search_pg') IS NOT NULL AND EXISTS (SELECT 1 FROM pg_trigger"
    " WHERE tgname = 'kb_search_pg_commit' AND tgrelid = to_regclass('kb_search_pg'))"
    " AND to_regclass('kb_search_version') IS NOT NULL"
)
_BUMP = (
    "INSERT INTO kb_search_version(id, token) VALUES (1, :token)"
    " ON CONFLICT (id) DO UPDATE SET token = excluded.token"
)
# PostgreSQL ranks on the title and the first tokens of the body (the concept tokens and
# bilingual keywords come first, then summary, abstract…): a small tsvector kept in the row
# (STORAGE PLAIN), so ranking thousands of matches does not read every full tsvector.
# Matching still uses the full ``tsv`` through the GIN index. 60 tokens (≈ 1.7 kB) rather
# than 150 (≈ 3.1 kB): every match's row is read for its filter columns, and the smaller
# lead halves the table's pages; the query-pair results (bench/knowledge_queries.py) are
# the same with either. Rows written before the change keep their lead until reindexed.
RANK_TOKENS = 60
# An uncompressed value must fit in the row's 8 kB page: the title's and the lead's tokens
# are each cut at half of this many bytes of tsvector (a token takes at most its UTF-8
# length + 9 bytes). Ordinary records stay far below (≈ 2 kB at most in the benchmark);
# only a title of hundreds of characters is cut.
RANK_BYTES = 4000
# A write of at least this many records (an import, a reindex) merges the GIN index's
# pending list into the index, as a vacuum would (single edits leave it to autovacuum).
CLEAN_PENDING_AT = 50
# Added to the score of records that match the query without its linked concepts (see
# :meth:`~rescity.knowledge.domain.thesaurus.Thesaurus.expansions`): they rank above every
# record found only through a narrower or related concept (scores themselves stay below 100).
TIER = 1000.0
_SQLITE_MATCH = (
    "SELECT rowid AS id, -bm25(kb_fts, 5.0, 1.0) AS score FROM kb_fts WHERE kb_fts MATCH :q"
)
_SQLITE_MATCH_TIERED = (
    "SELECT rowid AS id, -bm25(kb_fts, 5.0, 1.0) + CASE WHEN rowid IN"
    " (SELECT rowid FROM kb_fts WHERE kb_fts MATCH :exact) THEN :tier ELSE 0.0 END AS score"
    " FROM kb_fts WHERE kb_fts MATCH :q"
)
_META_COLUMNS = ("city_id", "city_key", "country", "year", "status", "tag_text")
BODY_FIELDS = (
    "summary",
    "abstract",
    "background",
    "key_measures",
    "innovative_aspects",
    "outcomes",
    "lessons",
)


def _meta_table(name: str) -> TableClause:
    return table(
        name,
        column("id", Integer),
        column("city_id", Integer),
        column("city_key"),
        column("country"),
        column("year", Integer),
        column("status"),
        column("tag_text"),
    )


@dataclass(frozen=True)
class Document:
    id: int
    title: str
    body: str
    lead: str = ""  # the body's first RANK_TOKENS tokens (PostgreSQL ranks on title + lead)
    rank_title: str = ""  # the title's tokens that PostgreSQL ranks on (within RANK_BYTES)
    city_id: int = 0
    city_key: str = ""
    country: str = ""
    year: int | None = None
    status: str = ""
    tag_text: str = ""


def record_text(item: Initiative) -> tuple[str, str]:
    """(title text, body text) of an initiative in both languages, as people wrote them."""
    title_parts = [item.title_en, item.title_zh, item.city.name_en, item.city.name_zh]
    body_parts: list[str] = []
    for name in BODY_FIELDS:
        for lang in ("en", "zh"):
            value = getattr(item, f"{name}_{lang}")
            body_parts.append("\n".join(value) if isinstance(value, list) else value or "")
    body_parts.extend(str(f.get("indicator", "")) for f in item.figures or [])
    return " ".join(p for p in title_parts if p), "\n".join(p for p in body_parts if p)


def record_keywords(item: Initiative, *, limit: int = 12) -> dict[str, list[str]]:
    """The record's keywords in both languages: the thesaurus concepts it names most often
    (title first), so a reader of either language sees what it is about."""
    th = thesaurus()
    title, body = record_text(item)
    counts: dict[str, int] = {}
    for cid in th.ids(title):
        counts[cid] = counts.get(cid, 0) + 3
    for f in th.find(body):
        counts[f.concept] = counts.get(f.concept, 0) + 1
    top = sorted(counts, key=lambda c: -counts[c])[:limit]
    return {lang: [th.concepts[c].label(lang) for c in top] for lang in ("zh", "en")}


def document_of(item: Initiative) -> Document:
    """Index tokens of one initiative (title with city names, body; both languages, with the
    thesaurus concepts found in each) and the fields search filters and counts."""
    th = thesaurus()
    title, body_text = record_text(item)
    title_tokens, body_tokens = th.index_tokens(title), th.index_tokens(body_text)
    title_concepts = [th.by_token[t[:-1] + "e"].id for t in title_tokens]
    body_concepts = [th.by_token[t[:-1] + "e"].id for t in body_tokens]
    tags = sorted(t.code for t in item.tags)
    # Keywords in both languages: what a reader of the other language would search for.
    keywords = " ".join(
        th.concepts[c].label(lang)
        for c in dict.fromkeys(title_concepts + body_concepts)
        for lang in ("zh", "en")
    )
    extra = " ".join(body_tokens + [t for t in tags if t.startswith("sdg")])
    body = " ".join([extra, index_text(keywords), index_text(body_text)])
    title_text = " ".join([index_text(title), *title_tokens])
    return Document(
        item.id,
        title_text,
        body,
        lead=_within(body.split()[:RANK_TOKENS], RANK_BYTES // 2),
        rank_title=_within(title_text.split(), RANK_BYTES // 2),
        city_id=item.city_id,
        city_key=item.city.key,
        country=country_code(item.city.country) or item.city.country,
        year=item.year,
        status=item.status,
        tag_text=" ".join(tags),
    )


def _within(tokens: list[str], budget: int) -> str:
    """The first ``tokens`` whose tsvector takes at most ``budget`` bytes (each token at most
    its UTF-8 length + 9: entry, alignment, position count and one position)."""
    used = 0
    for n, token in enumerate(tokens):
        used += len(token.encode()) + 9
        if used > budget:
            return " ".join(tokens[:n])
    return " ".join(tokens)


class SearchIndex:
    """Index maintenance and matching for one session's backend."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self.meta = _meta_table("kb_fts_meta" if self.dialect == "sqlite" else "kb_search_pg")

    def ensure(self) -> None:
        """Create the index tables if missing (a read-only check when they exist)."""
        if self.dialect == "sqlite":
            present = self.session.execute(
                text("SELECT count(*) FROM sqlite_master WHERE name IN :names").bindparams(
                    bindparam("names", _SQLITE_NAMES, expanding=True)
                )
            ).scalar_one()
            missing = present < len(_SQLITE_NAMES)
        else:
            missing = not self.session.execute(text(_PG_PRESENT)).scalar_one()
        if missing:
            for ddl in _SQLITE_DDL if self.dialect == "sqlite" else _PG_DDL:
                self.session.execute(text(ddl))
            # a new version: the tables may have been dropped and created again
            self.session.execute(text(_BUMP), {"token": secrets.randbits(52)})

    def put(self, item: Initiative) -> None:
        self.put_many([document_of(item)])

    def put_many(self, docs: list[Document]) -> None:
        if not docs:
            return
        self.ensure()
        rows = [d.__dict__ for d in docs]
        if self.dialect == "sqlite":
            self.session.execute(text("DELETE FROM kb_fts WHERE rowid = :id"), rows)
            self.session.execute(
                text("INSERT INTO kb_fts(rowid, title, body) VALUES (:id, :title, :body)"), rows
            )
            self.session.execute(
                text(
                    "INSERT OR REPLACE INTO kb_fts_meta(id, city_id, city_key, country, year,"
                    " status, tag_text) VALUES (:id, :city_id, :city_key, :country, :year,"
                    " :status, :tag_text)"
                ),
                rows,
            )
        else:
            self.session.execute(
                text(
                    "INSERT INTO kb_search_pg(id, city_id, city_key, country, year, status,"
                    " tag_text, tsv, rank_tsv) VALUES (:id, :city_id, :city_key, :country, :year,"
                    " :status, :tag_text, setweight(to_tsvector('simple', :title), 'A') || "
                    "setweight(to_tsvector('simple', :body), 'B'), "
                    "setweight(to_tsvector('simple', :rank_title), 'A') || "
                    "setweight(to_tsvector('simple', :lead), 'B')) "
                    "ON CONFLICT (id) DO UPDATE SET tsv = EXCLUDED.tsv,"
                    " rank_tsv = EXCLUDED.rank_tsv, city_id = EXCLUDED.city_id,"
                    " city_key = EXCLUDED.city_key, country = EXCLUDED.country,"
                    " year = EXCLUDED.year, status = EXCLUDED.status, tag_text = EXCLUDED.tag_text"
                ),
                rows,
            )
            if len(docs) >= CLEAN_PENDING_AT:
                # GIN queues new entries in a pending list that every search scans whole
                # until a VACUUM or an autoanalyze merges it (a manual ANALYZE does not):
                # after an import of 10,000 records 284 pages, ≈ 1 ms per GIN scan.
                self.session.execute(text("SELECT gin_clean_pending_list('ix_kb_search_pg_tsv')"))

    def remove(self, initiative_id: int) -> None:
        self.ensure()
        statements = (
            ("DELETE FROM kb_fts WHERE rowid = :id", "DELETE FROM kb_fts_meta WHERE id = :id")
            if self.dialect == "sqlite"
            else ("DELETE FROM kb_search_pg WHERE id = :id",)
        )
        for sql in statements:
            self.session.execute(text(sql), {"id": initiative_id})

    def clear(self) -> None:
        self.ensure()
        statements = (
            ("DELETE FROM kb_fts", "DELETE FROM kb_fts_meta")
            if self.dialect == "sqlite"
            else ("DELETE FROM kb_search_pg",)
        )
        for sql in statements:
            self.session.execute(text(sql))

    def pg_condition(self, query: str) -> tuple[ColumnElement[bool], ColumnElement[float]] | None:
        """PostgreSQL: (match condition, rank) on ``kb_search_pg`` itself, so that one scan
        of the GIN index gives the rows with their filter columns. ``ts_rank`` on the title
        and the body's lead (its default weights count a title (A) hit 2.5 times a body (B)
        hit), plus :data:`TIER` for records that match without the linked concepts."""
        clauses = parse_query(query)
        if not clauses:
            return None
        simple: ColumnElement[Any] = literal_column("'simple'::regconfig")
        tsq = func.to_tsquery(simple, literal(tsquery(clauses), Text))
        match = func.to_tsquery(simple, literal(tsquery(clauses, matching=True), Text))
        tsv: ColumnElement[Any] = literal_column("kb_search_pg.tsv")
        rank_tsv: ColumnElement[Any] = literal_column("kb_search_pg.rank_tsv")
        rank: ColumnElement[float] = func.ts_rank(rank_tsv, tsq, type_=Float)
        if has_related(clauses):
            exact = (
                text(
                    "SELECT id FROM kb_search_pg WHERE tsv @@ to_tsquery('simple', :exact)"
                )
                .bindparams(exact=tsquery(clauses, related=False, matching=True))
                .columns(id=Integer)
            )
            own = literal_column("kb_search_pg.id").in_(exact.subquery().select())
            rank = rank + case((own, TIER), else_=0.0)
        return tsv.op("@@")(match), rank

    def matches(self, query: str) -> TextualSelect | None:
        """SQLite: a selectable of (id, score) for the query, higher score better (``bm25``,
        title weighted 5:1, plus :data:`TIER` for records that match without the linked
        concepts); None if the query is empty."""
        clauses = parse_query(query)
        if not clauses:
            return None
        self.ensure()
        if not has_related(clauses):
            return text(_SQLITE_MATCH).bindparams(q=fts5_query(clauses)).columns(
                id=Integer, score=Float
            )
        return (
            text(_SQLITE_MATCH_TIERED)
            .bindparams(q=fts5_query(clauses), exact=fts5_query(clauses, related=False), tier=TIER)
            .columns(id=Integer, score=Float)
        )


def _fts_quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _fts_alt(alt: Alt) -> str:
    if alt.kind == "phrase":
        return '"' + " ".join(t.replace('"', '""') for t in alt.tokens) + '"'
    if alt.kind == "all":
        return "(" + " AND ".join(_fts_quote(t) for t in alt.tokens) + ")"
    return _fts_quote(alt.tokens[0])


def has_related(clauses: list[Clause]) -> bool:
    """Whether a query reaches linked concepts (and so has a lower-ranked part)."""
    return any(c.related_alts for c in clauses)


def _alts(clause: Clause, related: bool, matching: bool = False) -> tuple[Alt, ...]:
    alts = clause.alts + clause.related_alts if related else clause.alts
    return tuple(a for a in alts if not a.implied) if matching else alts


def fts5_query(clauses: list[Clause], *, related: bool = True, matching: bool = False) -> str:
    """FTS5 MATCH syntax: every clause, each any of its alternatives (with the linked
    concepts' tokens unless ``related`` is false; ``matching``: as :func:`tsquery`)."""
    return " AND ".join(
        "(" + " OR ".join(map(_fts_alt, _alts(c, related, matching))) + ")" for c in clauses
    )


def _ts_quote(token: str) -> str:
    return "'" + token.replace("'", "''").replace("\\", "\\\\") + "'"


def _ts_alt(alt: Alt) -> str:
    if alt.kind == "phrase":
        return "(" + " <-> ".join(map(_ts_quote, alt.tokens)) + ")"
    if alt.kind == "all":
        return "(" + " & ".join(map(_ts_quote, alt.tokens)) + ")"
    return _ts_quote(alt.tokens[0])


def tsquery(clauses: list[Clause], *, related: bool = True, matching: bool = False) -> str:
    """to_tsquery syntax with the same meaning as :func:`fts5_query`; ``matching`` leaves
    out the alternatives that match nothing more (:attr:`Alt.implied`): the same records,
    without the phrases that PostgreSQL checks by re-reading each candidate's full tsvector
    (the query as a whole still ranks)."""
    return " & ".join(
        "(" + " | ".join(map(_ts_alt, _alts(c, related, matching))) + ")" for c in clauses
    )
