"""Request body limits: a body over the configured size is refused with 413 before any of
it is parsed or kept, whether its size is announced (Content-Length) or not (chunked).

Multipart bodies (file uploads: OSM extracts for an assessment) have their own, larger
limit; everything else (JSON, forms) the small one. Pure ASGI, so it costs nothing per
request beyond counting bytes.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes

    def _limit(self, scope: Scope) -> int:
        for name, value in scope["headers"]:
            if name == b"content-type" and value.lower().startswith(b"multipart/form-data"):
                return self.max_upload_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    announced = int(value)
                except ValueError:
                    announced = -1
                if announced > limit or announced < 0:
                    await _refuse(send, limit, status=413 if announced > limit else 400)
                    return
        seen = 0
        over = False
        started = False

        async def counting_receive() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    # End the body here: the parser sees a truncated request and gives up;
                    # its answer is replaced by the 413 below.
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over:
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await _refuse(send, limit)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counting_receive, guarded_send)


async def _refuse(send: Send, limit: int, *, status: int = 413) -> None:
    if status == 413:
        body = {"error": "PayloadTooLarge", "message": f"the request body is over {limit} bytes",
                "problems": [{"where": "body", "message": f"at most {limit} bytes"}]}
    else:
        body = {"error": "InputError", "message": "invalid Content-Length",
                "problems": [{"where": "content-length", "message": "a number of bytes"}]}
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": data})
