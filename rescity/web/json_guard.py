"""JSON bodies and HTML form posts are checked once, for every route, before any parser
sees them.

- not UTF-8 → 400 naming the body (the parsers raised UnicodeDecodeError: a 500);
- nested deeper than :data:`MAX_DEPTH` → 422 (100,000 ``[`` made ``json.loads`` raise
  RecursionError: a 500);
- a field named ``id`` or ``…_id`` holding an integer outside the database's range → 422
  naming the field (it reached PostgreSQL and failed there);
- a string (or key) holding a NUL character, in a JSON body, an URL-encoded form or the
  query string (any method) → 422 naming the field (PostgreSQL text cannot hold NUL: the
  driver failed, a 500). One rule here instead of a validator on each schema. Multipart
  bodies pass unchecked (files may hold any byte).

Bodies are already bounded by :class:`rescity.web.limits.BodySizeLimit`, so buffering one is
cheap; it is handed on unchanged.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rescity.core.ids import ID_MAX, in_range

MAX_DEPTH = 32
NUL = "must not contain NUL characters"
_OPEN = frozenset(b"[{")


def _too_deep(body: bytes) -> bool:
    """Nesting deeper than MAX_DEPTH, outside strings (a quick count first)."""
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _bad_ids(value: Any, path: str = "body") -> list[str]:
    out: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if (key == "id" or str(key).endswith("_id")) and isinstance(item, int) and (
                not isinstance(item, bool) and not in_range(item)
            ):
                out.append(where)
            elif isinstance(item, dict | list):
                out += _bad_ids(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict | list):
                out += _bad_ids(item, f"{path}.{i}")
    return out


def _kind(scope: Scope) -> str | None:
    """``"json"``, ``"form"`` (URL-encoded) or None: the bodies this guard checks."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            kind: bytes = value.split(b";")[0].strip().lower()
            if kind == b"application/json" or kind.endswith(b"+json"):
                return "json"
            return "form" if kind == b"application/x-www-form-urlencoded" else None
    return None


def _nul_fields(value: Any, path: str = "body") -> list[str]:
    """Where a string or a key holds NUL."""
    out: list[str] = []
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}".replace("\x00", "\\u0000")
            out += [where] if "\x00" in key else _nul_fields(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _nul_fields(item, f"{path}.{i}")
    return out


def _form_problem(body: bytes, where: str = "body") -> tuple[int, str, str] | None:
    """NUL in an URL-encoded form or query string (``where`` says which)."""
    if b"%00" not in body and b"\x00" not in body:
        return None
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return 400, where, "not valid UTF-8"
    for key, value in pairs:
        if "\x00" in key or "\x00" in value:
            return 422, f"{where}.{key}".replace("\x00", "\\u0000"), NUL
    return None


class JsonGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = _form_problem(scope["query_string"], "query")
        if query is not None:
            await _answer(scope, send, *query)
            return
        kind = _kind(scope)
        if kind is None or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problem = _problem(body) if kind == "json" else _form_problem(body)
        if problem is not None:
            await _answer(scope, send, *problem)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _problem(body: bytes) -> tuple[int, str, str] | None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return 400, "body", f"not UTF-8 (byte {exc.start})"
    if _too_deep(body):
        return 422, "body", f"nested deeper than {MAX_DEPTH} levels"
    nul = "\\u0000" in text
    if nul or "_id" in text or '"id"' in text:
        try:
            data = json.loads(text)
        except ValueError:
            return None  # the route's parser words the error
        bad = _bad_ids(data)
        if bad:
            return 422, bad[0], f"an id from {-ID_MAX - 1} to {ID_MAX}"
        bad = _nul_fields(data) if nul else []
        if bad:
            return 422, bad[0], NUL
    return None


async def _answer(scope: Scope, send: Send, status: int, where: str, message: str) -> None:
    if scope["path"].startswith("/open311/"):
        payload: Any = [{"code": 400, "description": f"{where}: {message}"}]
        status = 400
    else:
        payload = {"error": "InputError", "message": f"{where}: {message}",
                   "problems": [{"where": where, "message": message}]}
    data = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})
