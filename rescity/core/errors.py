"""Exceptions shared by every module.

Each subclasses a built-in so that callers who do not know rescity can still catch it, and
carries what an API or CLI needs to explain the problem (HTTP status, field, file, line).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class RescityError(Exception):
    """Base of every error rescity raises on purpose."""

    status_code: int = 400

    def to_dict(self) -> dict[str, object]:
        return {"error": type(self).__name__, "message": str(self)}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with some input: where it is and what is expected."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class InputError(RescityError, ValueError):
    """Input that cannot be used; lists every problem found, not only the first."""

    status_code = 422

    def __init__(self, problems: Iterable[Problem] | str, *, source: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [Problem(source or "input", problems)]
        self.problems: list[Problem] = list(problems)
        self.source = source
        if len(self.problems) == 1:
            only = self.problems[0]
            text = str(only) if not source or only.where.startswith(source) else f"{source}: {only}"
        else:
            head = f"invalid input in {source}" if source else "invalid input"
            text = head + ":\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(text)

    def to_dict(self) -> dict[str, object]:
        return {
            "error": type(self).__name__,
            "message": str(self),
            "problems": [{"where": p.where, "message": p.message} for p in self.problems],
        }


class ConfigError(InputError):
    """A setting has a wrong value; start-up stops with the setting's name."""


class DataFileError(InputError):
    """A data file (OSM extract, seed document, config table) is malformed."""

    def __init__(self, path: str, message: str, *, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else path
        self.path = path
        self.line = line
        super().__init__([Problem(where, message)], source=path)


class NotFound(RescityError, LookupError):
    status_code = 404


class PermissionDenied(RescityError, PermissionError):
    status_code = 403


class AuthenticationRequired(RescityError, PermissionError):
    status_code = 401


class Conflict(RescityError):
    """The request conflicts with what is stored (duplicate key, stale version)."""

    status_code = 409


class PreconditionFailed(Conflict):
    """Optimistic concurrency: the client's version (ETag) is stale."""

    status_code = 412


class TooManyRequests(RescityError):
    status_code = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
