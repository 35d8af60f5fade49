"""The community JSON API under ``/api/community``, gathered from the capabilities' routers.

Thin routes: parse, call a service, shape. Authorization: each route names its action
(``allowed("...")``) and the services check the record-level target; lists only contain rows
inside the principal's places (or their own). Submissions from phones (check-ins, gate scans)
take an ``Idempotency-Key``; updates take ``If-Match`` with the ETag from the last read.

``rescity/web/modules.py`` matches this router before all others, and the two hot submissions
(check-ins, gate scans) come first in it, so that matching a request to them is short.
"""

from __future__ import annotations

from fastapi import APIRouter

from rescity.community.access import api as access_api
from rescity.community.alerts import api as alerts_api
from rescity.community.dashboard import api as dashboard_api
from rescity.community.health import api as health_api
from rescity.community.residents import api as residents_api
from rescity.community.shared.lean import SubmissionRoute

_PARTS = (health_api, access_api, residents_api, alerts_api, dashboard_api)

router = APIRouter()
# The routes themselves (full paths, tags and route classes set by each capability's router)
# in one flat list to match, the hot submissions (SubmissionRoute) first.
router.routes.extend(sorted((r for part in _PARTS for r in part.router.routes),
                            key=lambda r: not isinstance(r, SubmissionRoute)))
