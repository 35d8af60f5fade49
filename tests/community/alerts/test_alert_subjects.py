"""An alert names a resident only when its subject is a resident (ids of kinds collide)."""

from __future__ import annotations

from rescity.community.alerts import services as alerts
from rescity.community.alerts.domain import AlertKind, Severity
from rescity.community.shared.scoping import Resident
from rescity.core.storage.uow import UnitOfWork
from tests.community.conftest import World


def test_a_case_alert_with_a_residents_id_shows_no_name(world: World) -> None:
    with UnitOfWork(world.factory) as uow:
        scope = uow.session.get(Resident, world.ids["alice"]).scope  # type: ignore[union-attr]
        for subject_type in ("case", "resident"):
            alerts.raise_alert(
                uow.session, kind=AlertKind.FEVER, scope=scope, severity=Severity.HIGH,
                source="test", subject_type=subject_type, subject_id=world.ids["alice"],
                now=world.clock(),
            )
        uow.commit()
    listed = world.call("grid_a1", "GET", "/api/community/alerts").json()
    names = {a["subject_type"]: a["subject_name"] for a in listed}
    assert names == {"case": None, "resident": "Alice Test"}
