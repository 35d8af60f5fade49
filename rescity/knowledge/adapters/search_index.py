"""The full-text index on both backends, over the same pre-segmented tokens.

* SQLite: an FTS5 table ``kb_fts(title, body)`` whose rowid is the initiative id; ranking by
  ``bm25`` with the title weighted 5:1.
* PostgreSQL: a table ``kb_search_pg(id, tsv)`` with a GIN index, ``tsv`` built with the
  'simple' configuration (no stemming, no stop words: the tokens are already segmented),
  title weighted A and body B; ranking by ``ts_rank_cd``.

Both are derived data: they are created on first use and can be rebuilt from the initiatives
at any time (``rescity kb reindex``). Queries are built from :class:`QueryTerm` objects whose
text only ever holds letters, digits and CJK characters, and are passed as bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Float, Integer, TextualSelect, text
from sqlalchemy.orm import Session

from rescity.knowledge.adapters.orm import Initiative
from rescity.knowledge.adapters.segmenter import QueryTerm, index_text, query_terms

_SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS kb_fts USING fts5(title, body, tokenize='unicode61')"
)
_PG_DDL = (
    "CREATE TABLE IF NOT EXISTS kb_search_pg ("
    " id integer PRIMARY KEY REFERENCES kb_initiative(id) ON DELETE CASCADE,"
    " tsv tsvector NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_kb_search_pg_tsv ON kb_search_pg USING gin (tsv)",
)
BODY_FIELDS = (
    "summary",
    "abstract",
    "background",
    "key_measures",
    "innovative_aspects",
    "outcomes",
    "lessons",
)


@dataclass(frozen=True)
class Document:
    id: int
    title: str
    body: str


def document_of(item: Initiative) -> Document:
    """Index tokens of one initiative: title (with city names) and body, both languages."""
    title_parts = [item.title_en, item.title_zh, item.city.name_en, item.city.name_zh]
    body_parts: list[str] = []
    for name in BODY_FIELDS:
        for lang in ("en", "zh"):
            value = getattr(item, f"{name}_{lang}")
            body_parts.append(" ".join(value) if isinstance(value, list) else value or "")
    body_parts.extend(str(f.get("indicator", "")) for f in item.figures or [])
    return Document(item.id, index_text(" ".join(title_parts)), index_text(" ".join(body_parts)))


class SearchIndex:
    """Index maintenance and matching for one session's backend."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    def ensure(self) -> None:
        if self.dialect == "sqlite":
            self.session.execute(text(_SQLITE_DDL))
        else:
            for ddl in _PG_DDL:
                self.session.execute(text(ddl))

    def put(self, item: Initiative) -> None:
        self.put_many([document_of(item)])

    def put_many(self, docs: list[Document]) -> None:
        if not docs:
            return
        self.ensure()
        rows = [{"id": d.id, "title": d.title, "body": d.body} for d in docs]
        if self.dialect == "sqlite":
            self.session.execute(text("DELETE FROM kb_fts WHERE rowid = :id"), rows)
            self.session.execute(
                text("INSERT INTO kb_fts(rowid, title, body) VALUES (:id, :title, :body)"), rows
            )
        else:
            self.session.execute(
                text(
                    "INSERT INTO kb_search_pg(id, tsv) VALUES (:id, "
                    "setweight(to_tsvector('simple', :title), 'A') || "
                    "setweight(to_tsvector('simple', :body), 'B')) "
                    "ON CONFLICT (id) DO UPDATE SET tsv = EXCLUDED.tsv"
                ),
                rows,
            )

    def remove(self, initiative_id: int) -> None:
        self.ensure()
        sql = (
            "DELETE FROM kb_fts WHERE rowid = :id"
            if self.dialect == "sqlite"
            else "DELETE FROM kb_search_pg WHERE id = :id"
        )
        self.session.execute(text(sql), {"id": initiative_id})

    def clear(self) -> None:
        self.ensure()
        sql = "DELETE FROM kb_fts" if self.dialect == "sqlite" else "DELETE FROM kb_search_pg"
        self.session.execute(text(sql))

    def matches(self, query: str, *, scored: bool = True) -> TextualSelect | None:
        """A selectable of (id, score) for the query, higher score better; None if empty.

        ``scored=False`` gives (id) only, which skips ranking (for counting facets).
        """
        terms = query_terms(query)
        if not terms:
            return None
        self.ensure()
        if not scored:
            if self.dialect == "sqlite":
                return (
                    text("SELECT rowid AS id FROM kb_fts WHERE kb_fts MATCH :q")
                    .bindparams(q=fts5_query(terms))
                    .columns(id=Integer)
                )
            return (
                text("SELECT id FROM kb_search_pg WHERE tsv @@ to_tsquery('simple', :q)")
                .bindparams(q=tsquery(terms))
                .columns(id=Integer)
            )
        if self.dialect == "sqlite":
            return (
                text(
                    "SELECT rowid AS id, -bm25(kb_fts, 5.0, 1.0) AS score FROM kb_fts "
                    "WHERE kb_fts MATCH :q"
                )
                .bindparams(q=fts5_query(terms))
                .columns(id=Integer, score=Float)
            )
        return (
            text(
                "SELECT id, ts_rank_cd(tsv, to_tsquery('simple', :q)) AS score FROM kb_search_pg "
                "WHERE tsv @@ to_tsquery('simple', :q)"
            )
            .bindparams(q=tsquery(terms))
            .columns(id=Integer, score=Float)
        )


def _fts_quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def fts5_query(terms: list[QueryTerm]) -> str:
    parts = []
    for term in terms:
        if term.prefix:
            parts.append(_fts_quote(term.text) + "*")
        elif term.bigrams:
            grams = " AND ".join(_fts_quote(g) for g in term.bigrams)
            parts.append(f"({_fts_quote(term.text)} OR ({grams}))")
        else:
            parts.append(_fts_quote(term.text))
    return " AND ".join(parts)


def _ts_quote(token: str) -> str:
    return "'" + token.replace("'", "''").replace("\\", "\\\\") + "'"


def tsquery(terms: list[QueryTerm]) -> str:
    parts = []
    for term in terms:
        if term.prefix:
            parts.append(_ts_quote(term.text) + ":*")
        elif term.bigrams:
            grams = " & ".join(_ts_quote(g) for g in term.bigrams)
            parts.append(f"({_ts_quote(term.text)} | ({grams}))")
        else:
            parts.append(_ts_quote(term.text))
    return " & ".join(parts)
