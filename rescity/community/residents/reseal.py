"""Key rotation: every sealed column of every capability moved to the newest data key.

Rotation (docs/community/README.md): put the new key first in ``RESCITY_DATA_KEYS`` and
keep the old one after it; run ``rescity community reseal``; once it reports no value left
unreadable, remove the old key. Lookup digests do not change, so duplicate checks keep
working throughout.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rescity.community.access import adapters as access
from rescity.community.cases import adapters as cases
from rescity.community.help import adapters as help_
from rescity.community.outbreak import adapters as outbreak
from rescity.community.shared import adapters as shared
from rescity.community.shared.runtime import Runtime
from rescity.community.shared.sealed import BATCH, SealedColumn, reseal_column
from rescity.community.tracing import adapters as tracing
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.storage.uow import UnitOfWork


def sealed_columns() -> tuple[SealedColumn, ...]:
    """Every column holding values sealed with the data keys (a test checks it is all)."""
    return (*shared.SEALED, *access.SEALED, *help_.SEALED, *cases.SEALED, *tracing.SEALED,
            *outbreak.SEALED)


@dataclass
class ResealReport:
    key_id: str
    moved: dict[str, int] = field(default_factory=dict)  # by "table.column"
    unreadable: dict[str, list[object]] = field(default_factory=dict)  # row keys, by column

    @property
    def total(self) -> int:
        return sum(self.moved.values())


def reseal_all(uow: UnitOfWork, rt: Runtime, *, batch: int = BATCH) -> ResealReport:
    """Move every sealed value not yet under the newest key to it, in batches (each batch
    commits); safe to interrupt and to run again. Audited as a write with the counts."""
    session = uow.session
    report = ResealReport(rt.cipher.current_key_id)
    for column in sealed_columns():
        count = reseal_column(session, rt.cipher, column, commit=uow.commit, batch=batch)
        report.moved[column.label] = count.moved
        if count.unreadable:
            report.unreadable[column.label] = count.unreadable
    audit.record(
        session, None, kind=AuditKind.WRITE, action="community.reseal",
        detail={"key": report.key_id, "moved": report.moved,
                "unreadable": {k: len(v) for k, v in report.unreadable.items()}},
    )
    uow.commit()
    return report
