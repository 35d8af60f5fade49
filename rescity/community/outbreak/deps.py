"""The outbreak runtime as a web dependency: built once per app, kept on ``app.state``;
tests replace it (``app.state.outbreak_runtime = rt.with_(clock=..., noise=...)``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from rescity.community.outbreak.runtime import OutbreakRuntime
from rescity.web.deps import Ctx, app_singleton

STATE_KEY = "outbreak_runtime"


def get_runtime(request: Request, ctx: Ctx) -> OutbreakRuntime:
    return app_singleton(request, STATE_KEY, lambda: OutbreakRuntime.create(ctx.settings))


Runtime = Annotated[OutbreakRuntime, Depends(get_runtime)]
