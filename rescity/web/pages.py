"""Rendering server-side pages with what every template needs (user, language, CSRF token)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from rescity.core.i18n import Translator
from rescity.core.security.policy import is_allowed
from rescity.web.context import CSRF_COOKIE, AppContext
from rescity.web.deps import AuthDep, Ctx, Language, T


@dataclass
class PageRenderer:
    request: Request
    ctx: AppContext
    auth: Any
    lang: str
    t: Translator

    def render(self, template: str, *, status_code: int = 200, **context: Any) -> Response:
        csrf = self.auth.csrf_token or self.request.cookies.get(CSRF_COOKIE, "")
        new_cookie = ""
        if not csrf:
            csrf = new_cookie = secrets.token_urlsafe(24)
        principal = self.auth.principal
        response = self.ctx.templates.TemplateResponse(
            self.request,
            template,
            {
                "t": self.t,
                "lang": self.lang,
                "principal": principal,
                "display_name": self.auth.display_name,
                "csrf_token": csrf,
                "can": lambda action: is_allowed(principal, action),
                **context,
            },
            status_code=status_code,
        )
        if new_cookie:
            response.set_cookie(
                CSRF_COOKIE,
                new_cookie,
                httponly=True,
                samesite="strict",
                secure=self.ctx.settings.cookie_secure,
            )
        return response


def get_page(request: Request, ctx: Ctx, auth: AuthDep, lang: Language, t: T) -> PageRenderer:
    return PageRenderer(request, ctx, auth, lang, t)


Page = Annotated[PageRenderer, Depends(get_page)]
def safe_next(target: str | None) -> str:
    """Only same-site relative paths, so a crafted link cannot send a user elsewhere."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"
