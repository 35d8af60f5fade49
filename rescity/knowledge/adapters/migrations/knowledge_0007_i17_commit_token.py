"""search index (PostgreSQL): replace the index's version token at commit

The version token that validates each process's copy of the index's narrow rows
(adapters/search_cache.py) was replaced by a statement trigger on every write to
`kb_search_pg`, so a writer held the one `kb_search_version` row locked from its first index
write to its commit: concurrent writers waited for each other and could deadlock. Now the
statement trigger only marks the transaction, and a deferred constraint trigger replaces
the token once, at commit (TRUNCATE still at once). `SearchIndex.ensure()` creates the same
triggers with a new index; this installs them on an existing one (a search's ensure() would
roll them back with its read-only transaction). SQLite has nothing to change.

Revision ID: knowledge_0007_i17_commit_token
Revises: knowledge_0006_i17_rank_plain
Create Date: 2026-12-06 15:50:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "knowledge_0007_i17_commit_token"
down_revision: str | Sequence[str] | None = "knowledge_0006_i17_rank_plain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REPLACE_VERSION = "UPDATE kb_search_version SET token = (random() * 4503599627370496)::bigint;"
_PENDING = "rescity.kb_search_pending"


def _index_exists() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    return bind.execute(sa.text("SELECT to_regclass('kb_search_pg')")).scalar() is not None


def upgrade() -> None:
    if not _index_exists():
        return  # created with these triggers on first use (SearchIndex.ensure)
    op.execute(
        "CREATE TABLE IF NOT EXISTS kb_search_version (id integer PRIMARY KEY CHECK (id = 1),"
        " token bigint NOT NULL)"
    )
    op.execute(
        "INSERT INTO kb_search_version(id, token)"
        " VALUES (1, (random() * 4503599627370496)::bigint) ON CONFLICT (id) DO NOTHING"
    )
    op.execute(
        "CREATE OR REPLACE FUNCTION kb_search_bump() RETURNS trigger LANGUAGE plpgsql AS"
        f" $$ BEGIN IF TG_OP = 'TRUNCATE' THEN {_REPLACE_VERSION}"
        f" ELSE PERFORM set_config('{_PENDING}', 'on', true); END IF; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE OR REPLACE FUNCTION kb_search_commit() RETURNS trigger LANGUAGE plpgsql AS"
        f" $$ BEGIN IF current_setting('{_PENDING}', true) = 'on' THEN {_REPLACE_VERSION}"
        f" PERFORM set_config('{_PENDING}', '', true); END IF; RETURN NULL; END $$"
    )
    op.execute("DROP TRIGGER IF EXISTS kb_search_pg_bump ON kb_search_pg")
    op.execute(
        "CREATE TRIGGER kb_search_pg_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
        " ON kb_search_pg FOR EACH STATEMENT EXECUTE FUNCTION kb_search_bump()"
    )
    op.execute("DROP TRIGGER IF EXISTS kb_search_pg_commit ON kb_search_pg")
    op.execute(
        "CREATE CONSTRAINT TRIGGER kb_search_pg_commit AFTER INSERT OR UPDATE OR DELETE"
        " ON kb_search_pg DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
        " EXECUTE FUNCTION kb_search_commit()"
    )


def downgrade() -> None:
    if not _index_exists():
        return
    op.execute("DROP TRIGGER IF EXISTS kb_search_pg_commit ON kb_search_pg")
    op.execute("DROP FUNCTION IF EXISTS kb_search_commit()")
    op.execute(
        "CREATE OR REPLACE FUNCTION kb_search_bump() RETURNS trigger LANGUAGE plpgsql AS"
        f" $$ BEGIN {_REPLACE_VERSION} RETURN NULL; END $$"
    )
