"""The web dependency of the cases, help and sensors routers: their runtime (settings, cipher,
tables, clock).

The runtime is built once per app and kept on ``app.state``; tests replace it with one whose
clock they control (``app.state.community_ops_runtime = rt.with_clock(...)``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from rescity.community.cases.runtime import OpsRuntime
from rescity.web.deps import Ctx, app_singleton

STATE_KEY = "community_ops_runtime"


def get_runtime(request: Request, ctx: Ctx) -> OpsRuntime:
    return app_singleton(request, STATE_KEY, lambda: OpsRuntime.create(ctx.settings))


Runtime = Annotated[OpsRuntime, Depends(get_runtime)]
