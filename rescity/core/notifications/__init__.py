"""Notifications: a durable outbox, delivered in-app (SSE), by e-mail and to group robots.

Telling someone about an event is one call inside the event's own unit of work::

    from rescity.core.notifications import notify

    notify(uow.session, recipient_user_id=worker.id, kind="case.dispatched",
           subject=t("…"), body=t("…"), urgent=False, link=f"/community/cases/{case.id}",
           dedupe_key=f"case:{case.id}:dispatch:{worker.id}")
    uow.commit()  # the event and its notification are stored together, or neither

The notification is the in-app message at once (the recipient's open pages receive it over
Server-Sent Events from ``/api/notifications/stream``); e-mail and robot deliveries are
rows that ``rescity notifications worker`` sends with retries (see
:mod:`rescity.core.notifications.worker` for the guarantees). Each user chooses channels
and quiet hours on ``/notifications``; administrators read the delivery log at
``/admin/notifications``.
"""

from rescity.core.notifications.models import Delivery, Notification, Preference, Status
from rescity.core.notifications.outbox import notify

__all__ = ["Delivery", "Notification", "Preference", "Status", "notify"]
