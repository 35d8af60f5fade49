"""Who acts for a handler: members, and the check every handler-side case action makes.

A department or property manager is a :class:`Handler`; its staff are users linked to it
(:class:`HandlerMember`). Accepting, referring and resolving a case are the handler's own
acts (the monthly scores charge them to it), so the user must act for the case's handler, or
hold ``community.case.supervise`` on the case's place (city administrators).

Linking a user to a handler is people administration: those who may create handlers there,
or manage people there (``user.manage``: a community administrator in its community), add
and remove members; cases dispatched to the handler then reach the linked users.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.community.cases import domain as wo
from rescity.community.cases.adapters import Handler, HandlerMember, WorkOrder
from rescity.core import audit
from rescity.core.accounts import User, get_user
from rescity.core.audit import AuditKind
from rescity.core.errors import Conflict, InputError, NotFound, PermissionDenied, Problem
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


def require_staffing(principal: Principal, handler: Handler) -> None:
    """Refuse unless the principal may add and remove the handler's members."""
    target = Target(scope=handler.scope)
    if not is_allowed(principal, "user.manage", target):
        require(principal, "community.handler.create", target)


def _handler(s: Session, handler_code: str) -> Handler:
    handler = s.scalar(select(Handler).where(Handler.code == handler_code))
    if handler is None:
        raise InputError([Problem("handler", f"no handler '{handler_code}'")])
    return handler


def members(session: Session, principal: Principal, handler_code: str) -> list[User]:
    handler = _handler(session, handler_code)
    require_staffing(principal, handler)
    return list(session.scalars(
        select(User).join(HandlerMember, HandlerMember.user_id == User.id)
        .where(HandlerMember.handler_id == handler.id).order_by(User.username)))


def handlers_of(session: Session, user_id: int) -> list[tuple[Handler, bool]]:
    """The handlers a user acts for, each with whether the user supervises it."""
    return [(h, sup) for h, sup in session.execute(
        select(Handler, HandlerMember.supervises)
        .join(HandlerMember, HandlerMember.handler_id == Handler.id)
        .where(HandlerMember.user_id == user_id).order_by(Handler.code))]


def supervisors(session: Session, handler_id: int) -> list[int]:
    """The user ids supervising a handler."""
    return list(session.scalars(select(HandlerMember.user_id).where(
        HandlerMember.handler_id == handler_id, HandlerMember.supervises.is_(True))
        .order_by(HandlerMember.id)))


def remove_member(uow: UnitOfWork, principal: Principal, handler_code: str,
                  username: str) -> None:
    s = uow.session
    handler = _handler(s, handler_code)
    require_staffing(principal, handler)
    user = get_user(s, username)
    row = s.scalar(select(HandlerMember).where(HandlerMember.handler_id == handler.id,
                                               HandlerMember.user_id == user.id))
    if row is None:
        raise NotFound(f"'{username}' does not act for '{handler_code}'")
    s.delete(row)
    s.flush()
    audit.record(s, principal, kind=AuditKind.WRITE, action="community.handler.member_removed",
                 record_type="handler", record_id=handler.id, scope=handler.scope,
                 detail={"user": user.id})
    uow.commit()


def add_member(uow: UnitOfWork, principal: Principal, handler_code: str,
               username: str, *, supervises: bool = False) -> HandlerMember:
    """Link a user to a handler (as its supervisor with ``supervises``); linking a member
    again with the other ``supervises`` changes only that."""
    s = uow.session
    handler = _handler(s, handler_code)
    require_staffing(principal, handler)
    user = get_user(s, username)
    member = s.scalar(select(HandlerMember).where(HandlerMember.handler_id == handler.id,
                                                  HandlerMember.user_id == user.id))
    if member is not None and member.supervises == supervises:
        raise Conflict(f"'{username}' already acts for '{handler_code}'")
    if member is None:
        member = HandlerMember(handler_id=handler.id, user_id=user.id)
        s.add(member)
    member.supervises = supervises
    s.flush()
    audit.record(s, principal, kind=AuditKind.WRITE, action="community.handler.member",
                 record_type="handler", record_id=handler.id, scope=handler.scope,
                 detail={"user": user.id, "supervises": supervises})
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
