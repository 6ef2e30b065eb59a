"""The body limit holds on the bytes actually received: a chunked body (no Content-Length) is
refused with 413 once it passes the limit, with or without a key, and no more of it is read."""

from __future__ import annotations

import json

import anyio
import pytest
from serving_world import tiny_bundle

from recsys.serving.api import create_app
from recsys.serving.settings import ServeConfig

LIMIT = 1 << 20  # 1 MiB
CHUNK = 64 << 10
TOTAL = 100 << 20  # a 100 MB body, generated as it is read


def _post(app, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, dict, int]:
    """POST a chunked 100 MB body straight to the ASGI app: (status, body, bytes it read)."""
    sent = 0
    out: dict = {"body": b""}

    async def receive():
        nonlocal sent
        if sent >= TOTAL:
            return {"type": "http.request", "body": b"", "more_body": False}
        sent += CHUNK
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": True}

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"transfer-encoding", b"chunked"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    anyio.run(app, scope, receive, send)
    return out["status"], json.loads(out["body"]), sent


@pytest.fixture(scope="module")
def app():
    from fastapi.testclient import TestClient

    settings = ServeConfig(api={"max_body_bytes": LIMIT}, saved_shortlists=None)
    app = create_app(str(tiny_bundle()), api_keys=["k:admin"], settings=settings)
    with TestClient(app):  # the lifespan: the model is loaded
        yield app


JSON = (b"content-type", b"application/json")
AUTH = (b"authorization", b"Bearer k")


@pytest.mark.parametrize(
    "path, headers",
    [
        ("/v1/shortlist", [JSON]),  # no key: refused for its size before its 401
        ("/v1/shortlist", [JSON, AUTH]),
        ("/v1/score", [JSON, AUTH]),
        ("/v1/admin/reload", [JSON, AUTH]),
        ("/v1/audit/shortlist", [JSON, (b"authorization", b"Bearer wrong")]),
    ],
)
def test_a_chunked_100mb_body_is_refused_after_the_limit(app, path, headers):
    status, body, read = _post(app, path, headers)
    assert status == 413, body
    assert body["detail"] == f"Request body must be at most {LIMIT} bytes."
    assert read <= LIMIT + CHUNK  # reading stopped at the chunk that crossed the limit


def test_a_declared_length_above_the_limit_is_refused_before_reading(app):
    status, body, read = _post(app, "/v1/shortlist", [JSON, (b"content-length", b"104857600")])
    assert status == 413 and read == 0
