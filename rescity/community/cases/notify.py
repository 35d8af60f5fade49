"""Who hears about a step in a case's history: the handler's members when it is dispatched
to them, the reporter when its status changes (not for their own steps). Called from
:func:`rescity.community.cases.services.add_event`, inside the step's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.community.cases.adapters import HandlerMember, WorkOrder
from rescity.community.shared import notices


def case_changed(session: Session, case: WorkOrder, event: str, now: datetime,
                 actor_id: int | None) -> None:
    if event == "dispatched" and case.handler_id is not None:
        members = session.scalars(select(HandlerMember.user_id).where(
            HandlerMember.handler_id == case.handler_id)).all()
        notices.tell(session, [m for m in members if m != actor_id], notices.case_event(
            case.id, event, case.reopen_count, to_handler=True, handler_id=case.handler_id),
            now)
    if event in notices.REPORTER_EVENTS and case.reporter_id not in (None, actor_id):
        assert case.reporter_id is not None
        notices.tell(session, [case.reporter_id], notices.case_event(
            case.id, event, case.reopen_count, to_handler=False, handler_id=case.handler_id),
            now)
