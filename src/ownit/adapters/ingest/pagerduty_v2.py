"""PagerDuty Events API v2: alert events (``/v2/enqueue``) and change events.

Pure parsing and validation. Every broken rule is reported at once, each naming its field in
PagerDuty's wording. The routing key's shape is checked here; whether it exists is not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from ownit.adapters.ingest.errors import InvalidEvent, decode_json_object, nul_error
from ownit.domain.events import SEVERITIES, Action, Event, Image, Link, Severity

ROUTING_KEY_LENGTH = 32
DEDUP_KEY_MAX = 255
SUMMARY_MAX = 1024

_ACTIONS = {"trigger": Action.TRIGGER, "acknowledge": Action.ACKNOWLEDGE, "resolve": Action.RESOLVE}
_FRACTION = re.compile(r"([.,]\d{6})\d+")


# --- helpers shared with the other parsers ----------------------------------------------------


def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 / RFC 3339 timestamp as an aware UTC datetime; ``ValueError`` if invalid.

    Takes PagerDuty's ``+0000`` offsets, ``Z``, and more than six fractional digits (cut to
    six). A timestamp without a zone is UTC.
    """
    try:
        parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", text, count=1))
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"not an ISO 8601 timestamp: {text!r}") from exc


def label_value(value: Any) -> str:
    """A JSON value as a label string: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def without_key(data: Mapping[str, Any]) -> dict[str, Any]:
    """The body as it is kept: without its ``routing_key`` (anyone who can read raw events
    must not learn the key that opens incidents; finding 6)."""
    return {k: v for k, v in data.items() if k != "routing_key"}


def too_long(name: str, limit: int) -> str:
    return f"Length of '{name}' is too long (should be at most {limit} characters)"


class Fields:
    """Reads typed fields out of JSON objects, collecting an error for each broken rule."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors

    def string(
        self, obj: Mapping[str, Any], key: str, name: str, *, required: bool = False
    ) -> str | None:
        """A string field; ``None`` when absent, ``null``, blank or wrong (then an error)."""
        value = obj.get(key)
        if value is None:
            if required:
                self.errors.append(f"'{name}' is missing or blank")
            return None
        if not isinstance(value, str):
            self.errors.append(f"'{name}' must be a string")
            return None
        if not value.strip():
            if required:
                self.errors.append(f"'{name}' is missing or blank")
            return None
        return value

    def object(self, obj: Mapping[str, Any], key: str, name: str) -> dict[str, Any] | None:
        """An optional JSON object field."""
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.errors.append(f"'{name}' must be an object")
            return None
        return value

    def array(self, obj: Mapping[str, Any], key: str, name: str) -> list[Any]:
        """An optional JSON array field (``[]`` when absent)."""
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.errors.append(f"'{name}' must be an array")
            return []
        return value

    def timestamp(self, obj: Mapping[str, Any], key: str, name: str) -> datetime | None:
        text = self.string(obj, key, name)
        if text is None:
            return None
        try:
            return parse_timestamp(text)
        except ValueError:
            self.errors.append(f"'{name}' is invalid (must be ISO 8601)")
            return None

    def routing_key(self, body: Mapping[str, Any]) -> str:
        key = self.string(body, "routing_key", "routing_key", required=True)
        if key is None:
            return ""
        if len(key) != ROUTING_KEY_LENGTH:
            self.errors.append(
                f"Length of 'routing_key' is incorrect (should be {ROUTING_KEY_LENGTH} characters)"
            )
        return key

    def summary(self, payload: Mapping[str, Any], *, required: bool) -> str | None:
        summary = self.string(payload, "summary", "payload.summary", required=required)
        if summary is not None and len(summary) > SUMMARY_MAX:
            self.errors.append(too_long("payload.summary", SUMMARY_MAX))
            return None
        return summary

    def links(self, body: Mapping[str, Any]) -> tuple[Link, ...]:
        links: list[Link] = []
        for i, item in enumerate(self.array(body, "links", "links")):
            if not isinstance(item, dict):
                self.errors.append(f"'links[{i}]' must be an object")
                continue
            href = self.string(item, "href", f"links[{i}].href", required=True)
            text = self.string(item, "text", f"links[{i}].text")
            if href is not None:
                links.append(Link(href=href, text=text))
        return tuple(links)

    def images(self, body: Mapping[str, Any]) -> tuple[Image, ...]:
        images: list[Image] = []
        for i, item in enumerate(self.array(body, "images", "images")):
            if not isinstance(item, dict):
                self.errors.append(f"'images[{i}]' must be an object")
                continue
            src = self.string(item, "src", f"images[{i}].src", required=True)
            href = self.string(item, "href", f"images[{i}].href")
            alt = self.string(item, "alt", f"images[{i}].alt")
            if src is not None:
                images.append(Image(src=src, href=href, alt=alt))
        return tuple(images)


def _labels(fields: Mapping[str, str | None], details: Mapping[str, Any] | None) -> dict[str, str]:
    """Routing labels: every custom detail as a string, then the standard fields (which win)."""
    labels = {key: label_value(value) for key, value in (details or {}).items()}
    labels.update({key: value for key, value in fields.items() if value is not None})
    return labels


# --- alert events ------------------------------------------------------------------------------


def parse_alert_event(body: bytes) -> Event:
    """Parse and validate a ``POST /v2/enqueue`` body; raise ``InvalidEvent`` listing all faults.

    The payload, links and images are the trigger's: for acknowledge and resolve they are
    optional and informational, so parts that are missing or malformed are dropped, not
    reported (a resolve must not be refused for its decoration).
    """
    data = decode_json_object(body)
    errors: list[str] = []
    nul = nul_error(body, data)
    if nul is not None:
        errors.append(nul)
    envelope = Fields(errors)
    routing_key = envelope.routing_key(data)

    action: Action | None = None
    action_text = envelope.string(data, "event_action", "event_action", required=True)
    if action_text is not None:
        action = _ACTIONS.get(action_text)
        if action is None:
            errors.append(
                "'event_action' is invalid (must be one of the following: "
                "'trigger', 'acknowledge' or 'resolve')"
            )

    trigger = action is Action.TRIGGER
    dedup_key = envelope.string(
        data, "dedup_key", "dedup_key", required=action in (Action.ACKNOWLEDGE, Action.RESOLVE)
    )
    if dedup_key is not None and len(dedup_key) > DEDUP_KEY_MAX:
        errors.append(too_long("dedup_key", DEDUP_KEY_MAX))

    # Unknown action: check what is there as for a trigger, but require nothing more.
    lenient = action in (Action.ACKNOWLEDGE, Action.RESOLVE)
    rest = Fields([] if lenient else errors)

    payload: dict[str, Any] = {}
    raw_payload = data.get("payload")
    if isinstance(raw_payload, dict):
        payload = raw_payload
    elif trigger or (raw_payload is not None and not lenient):
        errors.append("'payload' is missing or not an object")
    # Without a payload object, its own fields are not reported missing one by one.
    needed = trigger and payload is raw_payload

    summary = rest.summary(payload, required=needed)
    source = rest.string(payload, "source", "payload.source", required=needed)
    severity: Severity | None = None
    severity_text = rest.string(payload, "severity", "payload.severity", required=needed)
    if severity_text is not None:
        if severity_text in SEVERITIES:
            severity = Severity(severity_text)
        else:
            rest.errors.append(
                "'payload.severity' is invalid (must be one of the following: "
                "'critical', 'warning', 'error' or 'info')"
            )
    timestamp = rest.timestamp(payload, "timestamp", "payload.timestamp")
    component = rest.string(payload, "component", "payload.component")
    group = rest.string(payload, "group", "payload.group")
    class_ = rest.string(payload, "class", "payload.class")
    details = rest.object(payload, "custom_details", "payload.custom_details")
    links = rest.links(data)
    images = rest.images(data)
    client = rest.string(data, "client", "client")
    client_url = rest.string(data, "client_url", "client_url")

    if errors or action is None:
        raise InvalidEvent(errors)
    labels = _labels(
        {
            "severity": severity.value if severity is not None else None,
            "source": source,
            "component": component,
            "group": group,
            "class": class_,
            "summary": summary,
        },
        details,
    )
    return Event(
        format="events-v2",
        routing_key=routing_key,
        action=action,
        dedup_key=dedup_key,
        summary=summary or "",
        source=source or "",
        severity=severity or Severity.ERROR,
        timestamp=timestamp,
        component=component,
        group=group,
        class_=class_,
        custom_details=details,
        labels=labels,
        links=links,
        images=images,
        client=client,
        client_url=client_url,
        raw=without_key(data),
    )


# --- change events -----------------------------------------------------------------------------


def parse_change_event(body: bytes) -> Event:
    """Parse and validate a ``POST /v2/change/enqueue`` body; raise ``InvalidEvent``."""
    data = decode_json_object(body)
    errors: list[str] = []
    nul = nul_error(body, data)
    if nul is not None:
        errors.append(nul)
    check = Fields(errors)
    routing_key = check.routing_key(data)
    payload = data.get("payload")
    has_payload = isinstance(payload, dict)
    if not isinstance(payload, dict):
        errors.append("'payload' is missing or not an object")
        payload = {}
    summary = check.summary(payload, required=has_payload)
    source = check.string(payload, "source", "payload.source")
    timestamp = check.timestamp(payload, "timestamp", "payload.timestamp")
    details = check.object(payload, "custom_details", "payload.custom_details")
    links = check.links(data)
    if errors:
        raise InvalidEvent(errors)
    return Event(
        format="change-v2",
        routing_key=routing_key,
        action=Action.CHANGE,
        dedup_key=None,
        summary=summary or "",
        source=source or "",
        timestamp=timestamp,
        custom_details=details,
        labels=_labels({"source": source, "summary": summary}, details),
        links=links,
        raw=without_key(data),
    )
