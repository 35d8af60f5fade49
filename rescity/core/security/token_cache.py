"""A small per-process cache of API token → who is asking, so that a hot device token (a gate
scanner posting every second) does not cost two queries on every request.

Bounded in size and in time: an entry lives at most ``ttl_s`` seconds (setting
``RESCITY_AUTH_CACHE_S``, default 30; 0 turns the cache off) and never past the token's own
``expires_at``. Any change to users, role grants or API tokens written through the ORM in this
process (a flush, or an ORM ``UPDATE``/``DELETE`` on those tables) empties every cache at once,
so in one process a revoked token, a deactivated user or a changed grant takes effect on the
next request. A change made by another process (another uvicorn worker, the CLI, raw SQL) is
honoured within ``ttl_s`` seconds.

The same small cache serves other hot, rarely written tables (the community alert rules); a
module registers the ORM classes whose writes must empty the caches with :func:`watch`.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

V = TypeVar("V")

_CACHES: weakref.WeakSet[TokenCache[Any]] = weakref.WeakSet()
_WATCHED: tuple[type, ...] = ()


class TokenCache(Generic[V]):
    def __init__(self, ttl_s: float, max_entries: int = 1024) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, datetime | None, V]] = OrderedDict()
        _CACHES.add(self)

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0

    def get(self, key: str, now: datetime) -> V | None:
        if not self.enabled:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            until, expires_at, value = entry
            if time.monotonic() >= until or (expires_at is not None and now >= expires_at):
                del self._entries[key]
                return None
            return value

    def put(self, key: str, value: V, expires_at: datetime | None) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._entries[key] = (time.monotonic() + self.ttl_s, expires_at, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def clear_all() -> None:
    for cache in list(_CACHES):
        cache.clear()


def watch(*classes: type) -> None:
    """Empty every cache whenever rows of these ORM classes are written in this process."""
    global _WATCHED
    new = tuple(c for c in classes if c not in _WATCHED)
    if not new:
        return
    if not _WATCHED:
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_execute)
        event.listen(Session, "after_commit", _after_commit)
    _WATCHED = _WATCHED + new


def _after_flush(session: Session, _flush_context: UOWTransaction) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, _WATCHED):
            # Again at commit: a request may have cached the old rows in between.
            session.info["token_cache_dirty"] = True
            clear_all()
            return


def _after_commit(session: Session) -> None:
    if session.info.pop("token_cache_dirty", False):
        clear_all()


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    mapper = state.bind_mapper
    if mapper is not None and issubclass(mapper.class_, _WATCHED):
        state.session.info["token_cache_dirty"] = True
        clear_all()
