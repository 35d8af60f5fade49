"""People pages: ``/admin/users`` for city and community administrators (search, a user's
roles, tokens and sessions, and the forms that change them), and ``/account`` where every
signed-in user changes their own password and revokes their own tokens.

The forms post back and get the page again with what happened (or what was refused, with
the status of the refusal); a temporary password is shown once, on the answer to the reset.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from rescity.community.cases import handlers as handler_staff
from rescity.core import audit
from rescity.core.accounts import change_password, list_api_tokens, revoke_api_token
from rescity.core.audit import AuditKind
from rescity.core.errors import InputError, RescityError
from rescity.core.people import directory, rules, services
from rescity.core.people.directory import UserQuery
from rescity.core.places import Place, places_within
from rescity.core.security.policy import Principal, Role
from rescity.web.deps import Ctx, CurrentPrincipal, UoW, allow
from rescity.web.pages import Page
from rescity.web.routes.shell import client_key

router = APIRouter(include_in_schema=False)
Admin = Annotated[Principal, Depends(allow("user.manage"))]
PER_PAGE = 25
Name = Annotated[str, Form(max_length=64)]


def _grantable(uow: UoW, actor: Principal) -> tuple[list[str], list[Place]]:
    """The roles and places the actor's forms offer (the rules still decide on submit)."""
    roles = [r.value for r in Role if any(r in rules.GRANTABLE_BY[g.role]
                                          for g in rules.reach(actor))]
    seen: dict[str, Place] = {}
    for g in rules.reach(actor):
        for p in places_within(uow.session, g.scope):
            seen.setdefault(p.path, p)
    return roles, sorted(seen.values(), key=lambda p: p.path)


def _problems(exc: RescityError) -> list[str]:
    if isinstance(exc, InputError):
        return [str(p) for p in exc.problems]
    return [str(exc)]


@router.get("/admin/users")
def users_page(
    page: Page, uow: UoW, actor: Admin,
    q: Annotated[str, Query(max_length=100)] = "",
    role: Annotated[str, Query(max_length=32)] = "",
    place: Annotated[str, Query(max_length=64)] = "",
    state: Annotated[str, Query(max_length=10)] = "",
    p: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    active = {"active": True, "disabled": False}.get(state)
    query = UserQuery(text=q, role=role, place=place, active=active, page=p, per_page=PER_PAGE)
    roles, places = _grantable(uow, actor)
    context: dict[str, Any] = {"q": q, "role": role, "place": place, "state": state,
                               "all_roles": [r.value for r in Role], "roles": roles,
                               "places": places}
    try:
        found = directory.search(uow.session, actor, query)
    except InputError as exc:
        return page.render("admin/users.html", status_code=422, found=None,
                           problems=_problems(exc), **context)

    def link(n: int) -> str:
        return "/admin/users?" + urlencode({"q": q, "role": role, "place": place,
                                             "state": state, "p": n})

    return page.render("admin/users.html", found=found, link=link,
                       user_places=directory.places_of(uow.session, found.users), **context)


@router.post("/admin/users")
def create_user(
    page: Page, uow: UoW, actor: Admin, username: Name, role: Name, place: Name,
    display_name: Annotated[str, Form(max_length=200)] = "",
    language: Annotated[str, Form(max_length=2)] = "zh",
) -> Response:
    try:
        user, password = services.add_user(
            uow, actor, username=username.strip(), display_name=display_name.strip(),
            role=role, place_code=place, language=language)
    except RescityError as exc:
        uow.rollback()
        roles, places = _grantable(uow, actor)
        return page.render("admin/users.html", status_code=exc.status_code, found=None,
                           problems=_problems(exc), q="", role="", place="", state="",
                           all_roles=[r.value for r in Role], roles=roles, places=places)
    return _detail(page, uow, actor, user.username, temporary_password=password,
                   done="people.done.created")


def _detail(page: Page, uow: UoW, actor: Principal, username: str, *, status_code: int = 200,
            **context: Any) -> Response:
    d = directory.detail(uow.session, actor, username)
    roles, places = _grantable(uow, actor)
    return page.render("admin/user.html", status_code=status_code, d=d, roles=roles,
                       places=places, handlers=handler_staff.handlers_of(uow.session, d.user.id),
                       **context)


@router.get("/admin/users/{username}")
def user_page(username: str, page: Page, uow: UoW, actor: Admin) -> Response:
    return _detail(page, uow, actor, username)


def _act(page: Page, uow: UoW, actor: Principal, username: str, done: str,
         run: Any) -> Response:
    """Run one change and show the user again, with what happened or why it was refused."""
    directory.find_user(uow.session, username)  # 404 page for an unknown user
    try:
        extra = run() or {}
    except RescityError as exc:
        uow.rollback()
        directory.visible_user(uow.session, actor, username)
        return _detail(page, uow, actor, username, status_code=exc.status_code,
                       problems=_problems(exc))
    return _detail(page, uow, actor, username, done=done, **extra)


@router.post("/admin/users/{username}/disable")
def disable(username: str, page: Page, uow: UoW, actor: Admin) -> Response:
    return _act(page, uow, actor, username, "people.done.disabled",
                lambda: services.set_active(uow, actor, username, active=False) and None)


@router.post("/admin/users/{username}/enable")
def enable(username: str, page: Page, uow: UoW, actor: Admin) -> Response:
    return _act(page, uow, actor, username, "people.done.enabled",
                lambda: services.set_active(uow, actor, username, active=True) and None)


@router.post("/admin/users/{username}/grants")
def grant(username: str, page: Page, uow: UoW, actor: Admin, role: Name, place: Name
          ) -> Response:
    return _act(page, uow, actor, username, "people.done.granted",
                lambda: services.grant(uow, actor, username, role, place) and None)


@router.post("/admin/users/{username}/grants/{grant_id}/withdraw")
def withdraw(username: str, grant_id: int, page: Page, uow: UoW, actor: Admin) -> Response:
    return _act(page, uow, actor, username, "people.done.withdrawn",
                lambda: services.withdraw(uow, actor, username, grant_id))


@router.post("/admin/users/{username}/password-reset")
def reset(username: str, page: Page, uow: UoW, actor: Admin) -> Response:
    return _act(page, uow, actor, username, "people.done.reset", lambda: {
        "temporary_password": services.reset_password(uow, actor, username)})


@router.post("/admin/users/{username}/tokens/{token_id}/revoke")
def revoke(username: str, token_id: int, page: Page, uow: UoW, actor: Admin) -> Response:
    return _act(page, uow, actor, username, "people.done.token_revoked",
                lambda: services.revoke_token(uow, actor, username, token_id))


@router.post("/admin/users/{username}/sessions/end")
def sign_out(username: str, page: Page, uow: UoW, actor: Admin) -> Response:
    return _act(page, uow, actor, username, "people.done.signed_out",
                lambda: services.end_sessions(uow, actor, username) and None)


@router.post("/admin/users/{username}/handlers")
def link_handler(username: str, page: Page, uow: UoW, actor: Admin, handler: Name,
                 supervises: Annotated[bool, Form()] = False) -> Response:
    """Let the user act for (or supervise) a handler: cases dispatched to it reach them."""
    return _act(page, uow, actor, username, "people.done.linked",
                lambda: handler_staff.add_member(uow, actor, handler.strip(), username,
                                                 supervises=supervises) and None)


@router.post("/admin/users/{username}/handlers/{code}/unlink")
def unlink_handler(username: str, code: str, page: Page, uow: UoW, actor: Admin) -> Response:
    return _act(page, uow, actor, username, "people.done.unlinked",
                lambda: handler_staff.remove_member(uow, actor, code, username))


# --- the user's own account -------------------------------------------------------------

def _account(page: Page, uow: UoW, principal: Principal, *, status_code: int = 200,
             **context: Any) -> Response:
    return page.render("account.html", status_code=status_code,
                       tokens=list_api_tokens(uow.session, principal.user_id), **context)


@router.get("/account")
def account_page(page: Page, uow: UoW, principal: CurrentPrincipal,
                 must_change: int = 0) -> Response:
    return _account(page, uow, principal, must_change=bool(must_change))


@router.post("/account/password")
def account_password(
    request: Request, page: Page, ctx: Ctx, uow: UoW, principal: CurrentPrincipal,
    current_password: Annotated[str, Form(max_length=1024)] = "",
    new_password: Annotated[str, Form(max_length=1024)] = "",
    repeat_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Change your password; every browser session of yours ends, so sign in again."""
    if new_password != repeat_password:
        return _account(page, uow, principal, status_code=422,
                        problems=[page.t("people.account.mismatch")])
    try:
        keys = ctx.throttle.attempt(f"user:{principal.username.lower()}", client_key(request))
        change_password(uow.session, principal.user_id, current_password, new_password)
        ctx.throttle.succeeded(*keys)
    except RescityError as exc:
        uow.rollback()
        return _account(page, uow, principal, status_code=exc.status_code,
                        problems=_problems(exc))
    audit.record(uow.session, principal, kind=AuditKind.AUTH, action="auth.password_changed",
                 record_type="user", record_id=principal.user_id)
    uow.commit()
    return RedirectResponse("/login?" + urlencode({"next": "/account"}), status_code=303)


@router.post("/account/tokens/{token_id}/revoke")
def account_revoke(token_id: int, page: Page, uow: UoW, principal: CurrentPrincipal
                   ) -> Response:
    try:
        revoke_api_token(uow.session, principal.user_id, token_id)
    except RescityError as exc:
        uow.rollback()
        return _account(page, uow, principal, status_code=exc.status_code,
                        problems=_problems(exc))
    audit.record(uow.session, principal, kind=AuditKind.AUTH, action="auth.token_revoked",
                 record_type="api_token", record_id=token_id)
    uow.commit()
    return _account(page, uow, principal, done="people.account.token_revoked")
