"""The notification delivery log for administrators: what was sent, what waits, what failed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy import select

from rescity.core.accounts import User
from rescity.core.notifications.models import Delivery, Notification, Status
from rescity.core.security.policy import Principal
from rescity.web.deps import UoW, allow
from rescity.web.pages import Page

router = APIRouter(include_in_schema=False)


@router.get("/admin/notifications")
def delivery_log(
    page: Page, uow: UoW, _: Annotated[Principal, Depends(allow("notification.log.read"))],
    status: str = "",
) -> Response:
    stmt = (select(Delivery, Notification, User.username)
            .join(Notification, Notification.id == Delivery.notification_id)
            .join(User, User.id == Notification.recipient_user_id)
            .order_by(Delivery.id.desc()).limit(300))
    statuses = [s.value for s in Status]
    if status in statuses:
        stmt = stmt.where(Delivery.status == status)
    rows = [tuple(r) for r in uow.session.execute(stmt).all()]
    return page.render("admin/notifications.html", rows=rows, statuses=statuses,
                       status=status)
