"""The web dependency of the cases, help and sensors routers: their runtime (settings, cipher,
tables, clock).

The runtime is built once per app and kept on ``app.state``; tests replace it with one whose
clock they control (``app.state.community_ops_runtime = rt.with_clock(...)``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from rescity.community.cases.runtime import OpsRuntime
from rescity.web.deps import Ctx

STATE_KEY = "community_ops_runtime"


def get_runtime(request: Request, ctx: Ctx) -> OpsRuntime:
    rt: OpsRuntime | None = getattr(request.app.state, STATE_KEY, None)
    if rt is None:
        rt = OpsRuntime.create(ctx.settings)
        setattr(request.app.state, STATE_KEY, rt)
    return rt


Runtime = Annotated[OpsRuntime, Depends(get_runtime)]
