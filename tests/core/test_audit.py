"""Audit rows are written with the change they record and can never be rewritten."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from rescity.core import audit
from rescity.core.audit import AuditEntry, AuditImmutable, AuditKind
from rescity.core.security.policy import Principal
from rescity.core.storage.uow import UnitOfWork

ADMIN = Principal(user_id=1, username="admin")


def _one_entry(session_factory) -> int:
    with UnitOfWork(session_factory) as uow:
        entry = audit.record(
            uow.session,
            ADMIN,
            kind=AuditKind.READ,
            action="community.resident.read",
            record_type="resident",
            record_id=42,
            scope="/1/2/",
            purpose="care visit",
        )
        uow.commit()
        return entry.id


def test_a_read_of_personal_data_leaves_an_audit_row(session_factory) -> None:
    entry_id = _one_entry(session_factory)
    with session_factory() as session:
        rows = audit.query(session, kind=AuditKind.READ, record_type="resident")
    assert [r.id for r in rows] == [entry_id]
    assert rows[0].actor == "admin" and rows[0].purpose == "care visit"


def test_audit_rows_cannot_be_changed_through_the_orm(session_factory) -> None:
    entry_id = _one_entry(session_factory)
    with session_factory() as session:
        entry = session.get(AuditEntry, entry_id)
        entry.purpose = "rewritten"
        with pytest.raises(AuditImmutable):
            session.flush()
        session.rollback()
        session.delete(session.get(AuditEntry, entry_id))
        with pytest.raises(AuditImmutable):
            session.flush()


def test_audit_rows_cannot_be_changed_even_with_raw_sql(engine, session_factory) -> None:
    entry_id = _one_entry(session_factory)
    for statement in (
        f"UPDATE audit_log SET purpose = 'x' WHERE id = {entry_id}",
        f"DELETE FROM audit_log WHERE id = {entry_id}",
    ):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT purpose FROM audit_log")).scalar_one() == "care visit"


def test_a_rolled_back_change_leaves_no_audit_row(session_factory) -> None:
    with UnitOfWork(session_factory) as uow:
        audit.record(uow.session, ADMIN, kind=AuditKind.WRITE, action="x.create")
        # no commit: leaving the block rolls back
    with session_factory() as session:
        assert audit.query(session) == []
