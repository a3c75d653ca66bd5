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
