"""The API reference at /docs: Swagger UI served from /static, never from a CDN.

FastAPI's own page loads its scripts from a CDN and starts them with an inline script, which
would need the Content-Security-Policy relaxed on the origin that holds the sign-in cookie.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>rescity API</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
</head><body><div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/docs/init.js"></script>
</body></html>
"""


@router.get("/docs")
def api_reference() -> HTMLResponse:
    return HTMLResponse(PAGE)
