"""Password hashing with argon2id (OWASP's first choice)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rescity.core.errors import InputError, Problem

_hasher = PasswordHasher()  # argon2id with the library's current defaults
MIN_LENGTH = 8


def check_strength(password: str) -> None:
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(Problem("password", f"must have at least {MIN_LENGTH} characters"))
    if len(password) > 1024:
        problems.append(Problem("password", "must have at most 1024 characters"))
    if problems:
        raise InputError(problems, source="password")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def dummy_verify() -> None:
    """Spend the same time as a real check, so unknown usernames are not revealed by timing."""
    verify_password(_DUMMY, "not-the-password")


_DUMMY = _hasher.hash("a-dummy-password-for-timing")
