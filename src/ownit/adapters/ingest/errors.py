"""The error every wire-format parser raises, worded like PagerDuty's Events API v2."""

from __future__ import annotations

from typing import Any

import orjson

INVALID_STATUS = "invalid event"
INVALID_MESSAGE = "Event object is invalid"
UNRECOGNIZED_STATUS = "Unrecognized object"
UNRECOGNIZED_MESSAGE = "Event object format is unrecognized"
JSON_PARSE_ERROR = "JSON parse error"


class InvalidEvent(Exception):
    """A request body that cannot become events; ``errors`` names every faulty field."""

    def __init__(
        self,
        errors: list[str],
        *,
        status: str = INVALID_STATUS,
        message: str = INVALID_MESSAGE,
    ) -> None:
        super().__init__(f"{message}: {'; '.join(errors)}")
        self.errors = errors
        self.status = status
        self.message = message


def unrecognized_object() -> InvalidEvent:
    """The error for a body that is not JSON, or whose top level is not an object."""
    return InvalidEvent(
        [JSON_PARSE_ERROR], status=UNRECOGNIZED_STATUS, message=UNRECOGNIZED_MESSAGE
    )


def decode_json_object(body: bytes) -> dict[str, Any]:
    """Decode ``body`` as a JSON object, or raise the "Unrecognized object" error."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise unrecognized_object() from None
    if not isinstance(value, dict):
        raise unrecognized_object()
    return value


def nul_field(value: Any, path: str = "") -> str | None:
    """The path (``payload.summary``, ``alerts[3].labels``) of the first string or object key
    in ``value`` that holds a NUL character, which PostgreSQL cannot store in text."""
    if isinstance(value, str):
        return path or "body" if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return path or "body"
            found = nul_field(item, inner)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_field(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def nul_error(body: bytes, data: Any) -> str | None:
    """The error for a body whose JSON holds a NUL character (escaped as ``\\u0000``: JSON
    allows it no other way), else ``None``; the body is walked only when it may hold one."""
    if b"\\u0000" not in body:
        return None
    where = nul_field(data)
    return f"'{where}' must not contain NUL characters" if where is not None else None
