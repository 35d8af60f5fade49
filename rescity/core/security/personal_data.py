"""Protection of personal identifiers: encryption at rest, keyed lookup digests, masking.

- Values are sealed with AES-256-GCM (an AEAD); the ciphertext names the key that sealed it,
  so keys can be rotated: new writes use the first key, old rows still open with older keys,
  and :meth:`FieldCipher.reseal` moves a value to the newest key.
- Equality lookups ("is this phone number already registered?") use HMAC-SHA256 under a key
  derived from the data key, never a plain hash (which a dictionary of phone numbers breaks).
  New digests use the newest key; searches try the digests under every configured key
  (:meth:`FieldCipher.lookup_digests`), so rows written before a rotation are still found,
  and resealing recomputes stored digests, so the old key can then be removed.
- Views show masked values (``138****1234``) unless the role and purpose allow more.

Keys come from the ``data_keys`` setting: ``"k2:BASE64,k1:BASE64"``, newest first, each 32
bytes. Development without keys gets a key derived from the secret key, with a warning.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from rescity.core.config import Settings
from rescity.core.errors import ConfigError, DataFileError, Problem

log = logging.getLogger(__name__)
_VERSION = "v1"


@dataclass(frozen=True)
class DataKey:
    key_id: str
    key: bytes


def parse_keys(spec: str) -> list[DataKey]:
    keys = []
    problems = []
    for i, part in enumerate(p.strip() for p in spec.split(",") if p.strip()):
        key_id, sep, b64 = part.partition(":")
        try:
            raw = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
        except (ValueError, TypeError):
            raw = b""
        if not sep or not key_id.isalnum() or len(raw) != 32:
            problems.append(
                Problem(f"setting 'data_keys' item {i + 1}", "expected ID:BASE64 of 32 bytes")
            )
            continue
        keys.append(DataKey(key_id, raw))
    if problems:
        raise ConfigError(problems, source="data_keys")
    return keys


def new_key_spec(key_id: str = "k1") -> str:
    return f"{key_id}:" + base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


class FieldCipher:
    def __init__(self, keys: list[DataKey]) -> None:
        if not keys:
            raise ConfigError([Problem("setting 'data_keys'", "at least one key is needed")])
        self._keys = {k.key_id: k for k in keys}
        self._current = keys[0]
        # One lookup key per data key, newest first: like sealed values, digests move to the
        # newest key when resealed, and searches try every key meanwhile.
        self._lookup_keys = [
            hmac.new(k.key, b"rescity-lookup", hashlib.sha256).digest() for k in keys
        ]

    @classmethod
    def from_settings(cls, settings: Settings) -> FieldCipher:
        if settings.data_keys:
            return cls(parse_keys(settings.data_keys))
        if settings.environment == "production":
            raise ConfigError([Problem("setting 'data_keys'", "production needs encryption keys")])
        log.warning("no RESCITY_DATA_KEYS set: deriving a development key from the secret key")
        derived = hashlib.sha256(b"rescity-dev-data-key:" + settings.secret_key.encode()).digest()
        return cls([DataKey("dev", derived)])

    @property
    def current_key_id(self) -> str:
        """The id of the key new values are sealed with (the first of ``data_keys``)."""
        return self._current.key_id

    def seal(self, plaintext: str, *, context: str) -> str:
        """Encrypt; ``context`` (e.g. "resident.phone") is bound as associated data."""
        nonce = os.urandom(12)
        ct = AESGCM(self._current.key).encrypt(nonce, plaintext.encode(), context.encode())
        blob = base64.urlsafe_b64encode(nonce + ct).decode()
        return f"{_VERSION}:{self._current.key_id}:{blob}"

    def open(self, sealed: str, *, context: str) -> str:
        try:
            version, key_id, blob = sealed.split(":", 2)
            key = self._keys[key_id]
            raw = base64.urlsafe_b64decode(blob)
            if version != _VERSION:
                raise ValueError(version)
            return AESGCM(key.key).decrypt(raw[:12], raw[12:], context.encode()).decode()
        except (ValueError, KeyError, InvalidTag) as exc:
            raise ValueError(f"cannot open sealed {context} value ({type(exc).__name__})") from None

    def reseal(self, sealed: str, *, context: str) -> str:
        if sealed.split(":", 2)[1] == self._current.key_id:
            return sealed
        return self.seal(self.open(sealed, context=context), context=context)

    def lookup_digest(self, value: str, *, context: str) -> str:
        """The digest to store: under the newest key."""
        return self.lookup_digests(value, context=context)[0]

    def lookup_digests(self, value: str, *, context: str) -> list[str]:
        """The digests to search for: under every configured key, newest first."""
        normalised = "".join(value.split()).upper()
        msg = context.encode() + b"\x00" + normalised.encode()
        return list(dict.fromkeys(
            hmac.new(key, msg, hashlib.sha256).hexdigest() for key in self._lookup_keys
        ))


def mask(value: str, *, keep_start: int = 3, keep_end: int = 4) -> str:
    """``13812341234`` → ``138****1234``; short values are masked whole."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


# --- Declarative field policy -------------------------------------------------------------
#
# Each module that stores personal data lists every personal field in a TOML table (data, not
# code): how sensitive it is, why it is collected, how long it is kept, whether it is sealed at
# rest, and which action and purposes may see it unmasked. Services and the retention job read
# this table; tests check that every personal column of the ORM is listed.


class Sensitivity(StrEnum):
    """From least to most sensitive; ``special`` is health and care data (GB/T 35273 "敏感")."""

    INTERNAL = "internal"
    PERSONAL = "personal"
    IDENTIFIER = "identifier"
    SPECIAL = "special"


@dataclass(frozen=True)
class FieldPolicy:
    record: str
    field: str
    sensitivity: Sensitivity
    purpose: str
    retention_days: int
    retention_from: str  # the record's date the period counts from, e.g. "created_at"
    on_expiry: str  # "delete" the record, or "erase" (de-identify) the field
    encrypted: bool = False
    masked: bool = False
    reveal_action: str = ""
    reveal_purposes: tuple[str, ...] = ()

    @property
    def context(self) -> str:
        """The associated-data label the field is sealed under, e.g. ``resident.phone``."""
        return f"{self.record}.{self.field}"


class FieldPolicyTable:
    """The policies of one module, looked up by ``(record, field)``."""

    def __init__(self, policies: list[FieldPolicy]) -> None:
        self._by_key = {(p.record, p.field): p for p in policies}

    def __iter__(self) -> Iterator[FieldPolicy]:
        return iter(self._by_key.values())

    def get(self, record: str, field: str) -> FieldPolicy:
        try:
            return self._by_key[(record, field)]
        except KeyError:
            raise KeyError(f"no field policy for {record}.{field}") from None

    def for_record(self, record: str) -> list[FieldPolicy]:
        return [p for p in self._by_key.values() if p.record == record]

    def may_reveal(self, record: str, field: str, *, allowed: bool, purpose: str) -> bool:
        """True when the caller holds the reveal action and states an accepted purpose."""
        policy = self.get(record, field)
        if not policy.masked:
            return True
        return allowed and bool(policy.reveal_action) and purpose in policy.reveal_purposes


_POLICY_KEYS = {
    "sensitivity", "purpose", "retention_days", "retention_from", "on_expiry", "encrypted",
    "masked", "reveal_action", "reveal_purposes",
}


def load_field_policies(text: str, *, source: str) -> FieldPolicyTable:
    """Parse a ``[record.field]`` TOML table; every problem is reported at once."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(source, f"not valid TOML: {exc}") from None
    policies: list[FieldPolicy] = []
    problems: list[Problem] = []
    for record, fields in data.items():
        if not isinstance(fields, dict):
            problems.append(Problem(f"{source} [{record}]", "must be a table of fields"))
            continue
        for name, spec in fields.items():
            where = f"{source} [{record}.{name}]"
            if not isinstance(spec, dict):
                problems.append(Problem(where, "must be a table"))
                continue
            for key in sorted(set(spec) - _POLICY_KEYS):
                problems.append(Problem(where, f"unknown key '{key}'"))
            try:
                sensitivity = Sensitivity(spec.get("sensitivity", ""))
            except ValueError:
                problems.append(
                    Problem(where, f"sensitivity must be one of {', '.join(Sensitivity)}")
                )
                continue
            days = spec.get("retention_days")
            if not isinstance(days, int) or days < 0:
                problems.append(Problem(where, "retention_days must be a whole number ≥ 0"))
                continue
            if not str(spec.get("purpose", "")).strip():
                problems.append(Problem(where, "purpose must say why the field is collected"))
            on_expiry = spec.get("on_expiry", "delete")
            if on_expiry not in ("delete", "erase"):
                problems.append(Problem(where, "on_expiry must be 'delete' or 'erase'"))
            if spec.get("masked") and not spec.get("reveal_action"):
                problems.append(Problem(where, "a masked field needs a reveal_action"))
            policies.append(
                FieldPolicy(
                    record=record, field=name, sensitivity=sensitivity,
                    purpose=str(spec.get("purpose", "")), retention_days=days,
                    retention_from=str(spec.get("retention_from", "created_at")),
                    on_expiry=str(on_expiry), encrypted=bool(spec.get("encrypted", False)),
                    masked=bool(spec.get("masked", False)),
                    reveal_action=str(spec.get("reveal_action", "")),
                    reveal_purposes=tuple(spec.get("reveal_purposes", ())),
                )
            )
    if problems:
        raise DataFileError(source, "; ".join(str(p) for p in problems))
    return FieldPolicyTable(policies)
