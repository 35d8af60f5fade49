"""The audit log page for administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from rescity.core import audit
from rescity.core.security.policy import Principal
from rescity.web.deps import UoW, allow
from rescity.web.pages import Page

router = APIRouter(include_in_schema=False)


@router.get("/admin/audit")
def audit_page(
    page: Page, uow: UoW, _: Annotated[Principal, Depends(allow("audit.read"))], actor: str = ""
) -> Response:
    rows = audit.query(uow.session, actor=actor or None, limit=200)
    return page.render("audit.html", rows=rows, actor=actor)
