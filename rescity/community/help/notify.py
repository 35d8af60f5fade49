"""Tell volunteers about the offers made to them, in the transaction that makes them: an
offer that expires within the hour is urgent, so quiet hours do not hide it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.community.help.adapters import HelpOffer, HelpRequest, Volunteer
from rescity.community.shared import notices


def tell_offers(s: Session, offers: Sequence[HelpOffer], now: datetime) -> None:
    if not offers:
        return
    s.flush()
    users = {vid: uid for vid, uid in s.execute(select(Volunteer.id, Volunteer.user_id).where(
        Volunteer.id.in_({o.volunteer_id for o in offers})))}
    kinds = {rid: kind for rid, kind in s.execute(select(HelpRequest.id, HelpRequest.kind)
                                                   .where(HelpRequest.id.in_(
                                                       {o.request_id for o in offers})))}
    for o in offers:
        user_id = users.get(o.volunteer_id)
        if user_id is not None:
            notices.tell(s, [user_id], notices.offer(
                o.id, o.request_id, kinds[o.request_id], o.expires_at, now), now)
