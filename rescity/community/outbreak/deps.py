"""The outbreak runtime as a web dependency: built once per app, kept on ``app.state``;
tests replace it (``app.state.outbreak_runtime = rt.with_(clock=..., noise=...)``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from rescity.community.outbreak.runtime import OutbreakRuntime
from rescity.web.deps import Ctx

STATE_KEY = "outbreak_runtime"


def get_runtime(request: Request, ctx: Ctx) -> OutbreakRuntime:
    rt: OutbreakRuntime | None = getattr(request.app.state, STATE_KEY, None)
    if rt is None:
        rt = OutbreakRuntime.create(ctx.settings)
        setattr(request.app.state, STATE_KEY, rt)
    return rt


Runtime = Annotated[OutbreakRuntime, Depends(get_runtime)]
