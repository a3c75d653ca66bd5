"""The problem documents each operation can answer, written into the OpenAPI description.

FastAPI documents the success and the ``422`` of validation; the guards and handlers answer
more (a body over the limit, a missing token, an unknown name). Every code an operation can
answer is listed, with the problem document's schema, so that a client — and the fuzz test
over the description (``tests/integration/test_openapi_fuzz.py``) — knows them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

_BODY = frozenset({"post", "put", "patch", "delete"})
_EVENTS = ("/v2/", "/integrations/alertmanager")
_KEYED = ("/api/v1/", "/integrations/")
_WHY = {
    400: "Invalid request (names the field)",
    401: "No valid token or key",
    403: "The token may not do this",
    404: "Not found",
    409: "Conflict with the current state",
    413: "Body over the size limit",
    422: "Invalid request (names the field)",
    429: "Too many requests",
    503: "Not available now; retry",
}
_PROBLEM = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}


def codes(path: str, method: str) -> set[int]:
    """The error codes ``method path`` can answer besides what the route declares."""
    found = {400}  # a NUL in the URL, at least
    if method in _BODY:
        found.add(413)
    if "{" in path:
        found.add(404)
    if path.startswith(_KEYED) or path == "/metrics":
        found.add(401)
    if path.startswith("/api/v1/"):
        found |= {403, 404, 422}
        if method in _BODY:
            found.add(409)
    if path.startswith(_EVENTS):
        found |= {429, 503}
    if path in ("/readyz",):
        found.add(503)
    if path.startswith("/integrations/slack"):
        found |= {401, 403, 404, 409}
    return found


def document(app: FastAPI) -> None:
    """Make ``app.openapi()`` list :func:`codes` for every operation."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for code in sorted(codes(path, method)):
                    responses.setdefault(
                        str(code),
                        {
                            "description": _WHY[code],
                            "content": {"application/problem+json": {"schema": _PROBLEM}},
                        },
                    )
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
