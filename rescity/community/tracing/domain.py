"""The presence-tracing protocol (v1), on libsodium primitives through PyNaCl.

A venue has a random 32-byte key ``qk``, printed in its QR code (in the URL fragment, which
browsers never send) and held by the health office sealed at rest. Time is cut into hour
slots ``h = floor(unix_seconds / 3600)``. For each slot three keys follow from ``qk`` with
keyed BLAKE2b (libsodium's ``crypto_generichash``), one per purpose::

    id_h  = generichash(key=qk, "rescity-trace-v1|id|h")    where the phone files the record
    k_h   = generichash(key=qk, "rescity-trace-v1|enc|h")   seals the phone's record
    m_h   = generichash(key=qk, "rescity-trace-v1|msg|h")   seals the published advice

A phone that checks in keeps, per slot of its stay, ``(id_h, secretbox(record, k_h))`` where
the record holds the venue's name, arrival, departure and ``m_h``; then it forgets ``qk``.
A trace releases ``(id_h, k_h, secretbox(window and advice, m_h))`` for the window's slots
only: phones holding ``id_h`` open their record with ``k_h``, then the advice with the ``m_h``
it holds; anyone else learns neither the venue nor the advice. The browser side
(``rescity/web/static/tracing/tracing.js``) is the same construction on libsodium-wrappers;
tests check both sides agree.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import nacl.encoding
import nacl.exceptions
import nacl.hash
import nacl.secret
import nacl.utils

VERSION = "v1"
SLOT_SECONDS = 3600
KEY_BYTES = 32
# A trace covers at most a week of hour slots: a case's stay, not a venue's history.
MAX_WINDOW_SLOTS = 7 * 24
# How long phones keep check-ins and the server keeps publishing a trace.
RETENTION_DAYS = 14


class VenueKind(StrEnum):
    SHOP = "shop"
    CLINIC = "clinic"
    CANTEEN = "canteen"
    LIFT_LOBBY = "lift_lobby"
    OFFICE = "office"
    OTHER = "other"


class TraceMaterialError(ValueError):
    """A sealed record or message that does not open with the key given."""


def b64(data: bytes) -> str:
    """URL-safe base64 without padding (libsodium's ``URLSAFE_NO_PADDING``)."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_venue_key() -> bytes:
    return nacl.utils.random(KEY_BYTES)


def slot_of(moment: datetime) -> int:
    return int(moment.timestamp()) // SLOT_SECONDS


def slots_between(start: datetime, end: datetime) -> range:
    """The hour slots that ``[start, end)`` touches."""
    first = slot_of(start)
    last = (int(end.timestamp()) - 1) // SLOT_SECONDS
    return range(first, max(first, last) + 1)


def _derive(qk: bytes, purpose: str, slot: int) -> bytes:
    if len(qk) != KEY_BYTES:
        raise ValueError("a venue key is 32 bytes")
    message = f"rescity-trace-{VERSION}|{purpose}|{slot}".encode()
    return nacl.hash.blake2b(message, digest_size=KEY_BYTES, key=qk,
                             encoder=nacl.encoding.RawEncoder)


@dataclass(frozen=True)
class SlotKeys:
    slot: int
    ident: bytes  # id_h: where a phone files its record of this slot
    key: bytes  # k_h: opens the phone's record
    message_key: bytes  # m_h: opens the published advice


def slot_keys(qk: bytes, slot: int) -> SlotKeys:
    return SlotKeys(slot, _derive(qk, "id", slot), _derive(qk, "enc", slot),
                    _derive(qk, "msg", slot))


def seal(key: bytes, payload: dict[str, Any]) -> str:
    """``secretbox`` (XSalsa20-Poly1305, random nonce) of JSON; base64 of nonce‖ciphertext."""
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return b64(bytes(nacl.secret.SecretBox(key).encrypt(raw)))


def unseal(key: bytes, sealed: str) -> dict[str, Any]:
    try:
        raw = nacl.secret.SecretBox(key).decrypt(unb64(sealed))
    except (nacl.exceptions.CryptoError, ValueError) as exc:
        raise TraceMaterialError("does not open with this key") from exc
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise TraceMaterialError("not a record")
    return value


# --- the venue's QR code ----------------------------------------------------------------


def venue_fragment(qk: bytes, name: str, kind: str) -> str:
    """What follows ``#`` in the check-in URL: version, venue key, venue name and kind."""
    info = json.dumps({"n": name, "c": kind}, separators=(",", ":"), ensure_ascii=False)
    return f"{VERSION}.{b64(qk)}.{b64(info.encode())}"


@dataclass(frozen=True)
class VenueCode:
    qk: bytes
    name: str
    kind: str


def read_fragment(fragment: str) -> VenueCode:
    version, key, info = fragment.lstrip("#").split(".")
    if version != VERSION:
        raise ValueError(f"unknown version {version!r}")
    data = json.loads(unb64(info))
    return VenueCode(unb64(key), str(data["n"]), str(data["c"]))


# --- a phone's side (the reference the browser code is tested against) -----------------


@dataclass(frozen=True)
class StoredVisit:
    """What a phone keeps for one slot: an opaque identifier, a sealed record, and the day
    (for deleting records after the retention period; the venue and hour stay sealed)."""

    ident: str
    box: str
    day: int


def check_in(code: VenueCode, arrival: datetime, departure: datetime) -> list[StoredVisit]:
    out = []
    for slot in slots_between(arrival, departure):
        keys = slot_keys(code.qk, slot)
        record = {"n": code.name, "c": code.kind, "a": int(arrival.timestamp()),
                  "d": int(departure.timestamp()), "m": b64(keys.message_key)}
        out.append(StoredVisit(keys.ident.hex(), seal(keys.key, record), slot // 24))
    return out


@dataclass(frozen=True)
class Exposure:
    venue: str
    kind: str
    arrival: datetime
    departure: datetime
    window_start: datetime
    window_end: datetime
    advice: str


def _at(seconds: Any) -> datetime:
    return datetime.fromtimestamp(int(seconds), UTC)


def match(visits: list[StoredVisit], published: list[dict[str, str]]) -> list[Exposure]:
    """Phones' matching: records whose identifier is published, opened with the published
    key; the advice opened with the key the record holds; kept when the stay overlaps."""
    mine = {v.ident: v for v in visits}
    found: dict[tuple[str, int, int], Exposure] = {}
    for entry in published:
        visit = mine.get(entry["id"])
        if visit is None:
            continue
        record = unseal(unb64(entry["key"]), visit.box)
        notice = unseal(unb64(str(record["m"])), entry["msg"])
        arrival, departure = _at(record["a"]), _at(record["d"])
        start, end = _at(notice["s"]), _at(notice["e"])
        if arrival < end and start < departure:
            key = (str(record["n"]), int(record["a"]), int(notice["s"]))
            found[key] = Exposure(str(record["n"]), str(record["c"]), arrival, departure,
                                  start, end, str(notice["t"]))
    return list(found.values())


# --- the health office's side ------------------------------------------------------------


@dataclass(frozen=True)
class Release:
    """Published for one slot: anyone may fetch it; only phones with a record there use it."""

    ident: str  # hex of id_h
    key: str  # base64 of k_h
    message: str  # secretbox(window and advice, m_h)


def release(qk: bytes, start: datetime, end: datetime, advice: str) -> list[Release]:
    """Trace material for the slots of ``[start, end)`` and no other."""
    slots = slots_between(start, end)
    if end <= start:
        raise ValueError("the window must end after it starts")
    if len(slots) > MAX_WINDOW_SLOTS:
        raise ValueError(f"a window covers at most {MAX_WINDOW_SLOTS} hours")
    notice = {"s": int(start.timestamp()), "e": int(end.timestamp()), "t": advice}
    return [Release(k.ident.hex(), b64(k.key), seal(k.message_key, notice))
            for k in _keys(qk, slots)]


def _keys(qk: bytes, slots: range) -> Iterator[SlotKeys]:
    for slot in slots:
        yield slot_keys(qk, slot)
