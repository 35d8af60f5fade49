"""Why an open help request has no volunteer yet, so the requester and the grid worker see
the reason instead of a silent "open".

The checks follow the matching's hard filters in order (area, skills, vetting, shifts,
capacity) over the active volunteers (not rejected nor suspended); the first one that leaves
nobody is the reason. Shifts are checked against the request's window, or the current minute
for a request without one (as the matching does). A request that passes
them all is waiting for the next matching round (or its offers were declined).
"""

from __future__ import annotations

import math
from datetime import datetime, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rescity.community.help import shifts
from rescity.community.help.adapters import HelpOffer, HelpRequest, Volunteer
from rescity.community.help.domain import HelpRules, HelpStatus, OfferState, Vetting
from rescity.community.help.matching import KM_PER_DEG_LAT, KM_PER_DEG_LON_EQUATOR
from rescity.community.help.volunteers import is_vetted
from rescity.core.places import contains

REASONS = ("no_volunteer_in_area", "no_volunteer_with_skills", "no_vetted_volunteer",
           "no_volunteer_available", "volunteers_busy", "offers_declined", "waiting_for_round")


def serves(v: Volunteer, req: HelpRequest) -> bool:
    """The matching's area filter: a listed area contains the request's grid (when they listed
    none, the volunteer's own place: for a request without a point, or for any request when
    the volunteer has no home point either), or the request lies within their radius."""
    own = [v.scope] if not v.areas and (req.lat is None or v.lat is None) else []
    if any(contains(p, req.scope) for p in [*v.areas, *own]):
        return True
    if None in (v.lat, v.lon, req.lat, req.lon):
        return False
    dy = (v.lat - req.lat) * KM_PER_DEG_LAT  # type: ignore[operator]
    dx = (v.lon - req.lon) * KM_PER_DEG_LON_EQUATOR * math.cos(math.radians(req.lat))  # type: ignore[operator, arg-type]
    return math.hypot(dx, dy) <= v.radius_km


def unmatched_reason(s: Session, rules: HelpRules, req: HelpRequest, now: datetime,
                     zone: tzinfo) -> str | None:
    """One of :data:`REASONS` for an open request; ``None`` for any other status."""
    if req.status != HelpStatus.OPEN:
        return None
    found = [v for v in s.scalars(select(Volunteer).where(
        Volunteer.active.is_(True),
        Volunteer.vetting_state.not_in([Vetting.REJECTED, Vetting.SUSPENDED])))
        if serves(v, req)]
    if not found:
        return "no_volunteer_in_area"
    need = int(rules.kind_skills.required[rules.kinds.index(req.kind)])
    found = [v for v in found if rules.skill_mask(v.skills) & need == need]
    if not found:
        return "no_volunteer_with_skills"
    if rules.needs_vetting(req.vulnerable):
        found = [v for v in found if is_vetted(v, now)]
        if not found:
            return "no_vetted_volunteer"
    start, end = shifts.needed_window(req.window_start, req.window_end, now)
    found = [v for v in found if shifts.available(shifts.load_slots(v.slots), start, end, zone)]
    if not found:
        return "no_volunteer_available"
    busy = dict(s.execute(select(HelpOffer.volunteer_id, func.count()).where(
        HelpOffer.volunteer_id.in_([v.id for v in found]),
        HelpOffer.state.in_([OfferState.OFFERED, OfferState.ACCEPTED]),
    ).group_by(HelpOffer.volunteer_id)).all())
    if all(busy.get(v.id, 0) >= v.capacity for v in found):
        return "volunteers_busy"
    return "offers_declined" if req.attempts else "waiting_for_round"
