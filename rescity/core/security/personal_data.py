"""Protection of personal identifiers: encryption at rest, keyed lookup digests, masking.

- Values are sealed with AES-256-GCM (an AEAD); the ciphertext names the key that sealed it,
  so keys can be rotated: new writes use the first key, old rows still open with older keys,
  and :meth:`FieldCipher.reseal` moves a value to the newest key.
- Equality lookups ("is this phone number already registered?") use HMAC-SHA256 under a key
  derived from the data key, never a plain hash (which a dictionary of phone numbers breaks).
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
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from rescity.core.config import Settings
from rescity.core.errors import ConfigError, Problem

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
        # The lookup key is derived from the oldest key so digests survive rotation.
        self._lookup_key = hmac.new(keys[-1].key, b"rescity-lookup", hashlib.sha256).digest()

    @classmethod
    def from_settings(cls, settings: Settings) -> FieldCipher:
        if settings.data_keys:
            return cls(parse_keys(settings.data_keys))
        if settings.environment == "production":
            raise ConfigError([Problem("setting 'data_keys'", "production needs encryption keys")])
        log.warning("no RESCITY_DATA_KEYS set: deriving a development key from the secret key")
        derived = hashlib.sha256(b"rescity-dev-data-key:" + settings.secret_key.encode()).digest()
        return cls([DataKey("dev", derived)])

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
        normalised = "".join(value.split()).upper()
        msg = context.encode() + b"\x00" + normalised.encode()
        return hmac.new(self._lookup_key, msg, hashlib.sha256).hexdigest()


def mask(value: str, *, keep_start: int = 3, keep_end: int = 4) -> str:
    """``13812341234`` → ``138****1234``; short values are masked whole."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]
