"""Errors of the community module; each subclasses a core error so the web layer maps it."""

from __future__ import annotations

from rescity.core.errors import Conflict, InputError, PreconditionFailed, Problem


class IdempotencyKeyReused(InputError):
    """The same idempotency key was sent with a different request body (422)."""

    def __init__(self, key: str) -> None:
        super().__init__(
            [Problem("Idempotency-Key", f"key '{key}' was already used for a different request")]
        )


class IdempotencyInFlight(Conflict):
    """A request with this key is being processed right now (409); retry later."""


class StaleVersion(PreconditionFailed):
    """The record changed since the client read it (412): re-read and retry."""

    def __init__(self, record: str, current: int) -> None:
        super().__init__(f"{record} has changed (now version {current}); re-read it and retry")
        self.current = current


class PreconditionRequired(InputError):
    """An update without If-Match (428), so a lost update cannot happen silently."""

    status_code = 428

    def __init__(self) -> None:
        super().__init__([Problem("If-Match", "send the ETag you read with this update")])


class BadTransition(Conflict):
    """An alert cannot move to the asked status from where it is (409)."""
