"""Who acts for a handler: members, and the check every handler-side case action makes.

A department or property manager is a :class:`Handler`; its staff are users linked to it
(:class:`HandlerMember`). Accepting, referring and resolving a case are the handler's own
acts (the monthly scores charge them to it), so the user must act for the case's handler, or
hold ``community.case.supervise`` on the case's place (city administrators).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.community.cases import domain as wo
from rescity.community.cases.adapters import Handler, HandlerMember, WorkOrder
from rescity.core import audit
from rescity.core.accounts import get_user
from rescity.core.audit import AuditKind
from rescity.core.errors import Conflict, InputError, PermissionDenied, Problem
from rescity.core.places import Place
from rescity.core.security.policy import Principal, Target, is_allowed, require
from rescity.core.storage.uow import UnitOfWork


def acts_for(session: Session, principal: Principal, handler_id: int) -> bool:
    return session.scalar(select(HandlerMember.id).where(
        HandlerMember.handler_id == handler_id, HandlerMember.user_id == principal.user_id)
    ) is not None


def require_handler(session: Session, principal: Principal, case: WorkOrder) -> None:
    """Refuse unless the user acts for the handler the case is dispatched to (or supervises)."""
    if is_allowed(principal, "community.case.supervise", Target(scope=case.scope)):
        return
    if case.handler_id is None or not acts_for(session, principal, case.handler_id):
        raise PermissionDenied(
            f"{principal.username} does not act for the handler of case {case.id}")


def add_member(uow: UnitOfWork, principal: Principal, handler_code: str,
               username: str) -> HandlerMember:
    s = uow.session
    handler = s.scalar(select(Handler).where(Handler.code == handler_code))
    if handler is None:
        raise InputError([Problem("handler", f"no handler '{handler_code}'")])
    require(principal, "community.handler.create", Target(scope=handler.scope))
    user = get_user(s, username)
    if acts_for(s, Principal(user.id, user.username), handler.id):
        raise Conflict(f"'{username}' already acts for '{handler_code}'")
    member = HandlerMember(handler_id=handler.id, user_id=user.id)
    s.add(member)
    s.flush()
    audit.record(s, principal, kind=AuditKind.WRITE, action="community.handler.member",
                 record_type="handler", record_id=handler.id, scope=handler.scope,
                 detail={"user": user.id})
    uow.commit()
    return member


def add_handler(uow: UnitOfWork, principal: Principal, *, code: str, kind: wo.HandlerKind,
                name_zh: str, name_en: str, place: Place) -> Handler:
    require(principal, "community.handler.create", Target(scope=place.path))
    if uow.session.scalar(select(Handler.id).where(Handler.code == code)) is not None:
        raise InputError([Problem("code", f"handler '{code}' exists")])
    h = Handler(code=code, kind=kind.value, name_zh=name_zh, name_en=name_en,
                place_id=place.id, scope=place.path)
    uow.session.add(h)
    uow.session.flush()
    audit.record(uow.session, principal, kind=AuditKind.WRITE, action="community.handler.create",
                 record_type="handler", record_id=h.id, scope=place.path)
    uow.commit()
    return h
