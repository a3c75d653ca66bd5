"""Prometheus Alertmanager webhook (``webhook_configs``, payload version 4).

One event per alert in the group. The integration key arrives beside the body (bearer token
or path), so the caller passes it in; it is not checked here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import orjson

from ownit.adapters.ingest.errors import InvalidEvent, decode_json_object, nul_error
from ownit.adapters.ingest.pagerduty_v2 import (
    DEDUP_KEY_MAX,
    SUMMARY_MAX,
    Fields,
    label_value,
    parse_timestamp,
    too_long,
)
from ownit.domain.events import Action, Event, Link, Severity

_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)
_STATUSES = {"firing": Action.TRIGGER, "resolved": Action.RESOLVE}
_SEVERITIES = {
    "critical": Severity.CRITICAL,
    "page": Severity.CRITICAL,
    "error": Severity.ERROR,
    "high": Severity.ERROR,
    "warning": Severity.WARNING,
    "warn": Severity.WARNING,
    "info": Severity.INFO,
    "low": Severity.INFO,
    "none": Severity.INFO,
}
FINGERPRINT_LENGTH = 16


def parse_alertmanager(body: bytes, *, routing_key: str) -> list[Event]:
    """Parse and validate a webhook body; raise ``InvalidEvent`` listing every fault."""
    data = decode_json_object(body)
    errors: list[str] = []
    nul = nul_error(body, data)
    if nul is not None:
        errors.append(nul)
    check = Fields(errors)
    version = data.get("version")
    if version is not None and version != "4":
        errors.append("'version' is invalid (must be \"4\")")
    external_url = check.string(data, "externalURL", "externalURL")
    alerts = data.get("alerts")
    if not isinstance(alerts, list):
        errors.append("'alerts' is missing or not an array")
        alerts = []
    group = {key: data.get(key) for key in ("receiver", "groupKey", "status", "externalURL")}
    events: list[Event] = []
    for index, alert in enumerate(alerts):
        event = _alert_event(check, f"alerts[{index}]", alert, routing_key, external_url, group)
        if event is not None:
            events.append(event)
    if errors:
        raise InvalidEvent(errors)
    return events


def _alert_event(
    check: Fields,
    name: str,
    alert: Any,
    routing_key: str,
    external_url: str | None,
    group: Mapping[str, Any],
) -> Event | None:
    if not isinstance(alert, dict):
        check.errors.append(f"'{name}' must be an object")
        return None
    action: Action | None = None
    status = check.string(alert, "status", f"{name}.status", required=True)
    if status is not None:
        action = _STATUSES.get(status)
        if action is None:
            check.errors.append(f"'{name}.status' is invalid (must be 'firing' or 'resolved')")
    raw_labels = alert.get("labels")
    if not isinstance(raw_labels, dict):
        check.errors.append(f"'{name}.labels' is missing or not an object")
        raw_labels = {}
    labels = {key: label_value(value) for key, value in raw_labels.items()}
    annotations = {
        key: label_value(value)
        for key, value in (check.object(alert, "annotations", f"{name}.annotations") or {}).items()
    }
    starts_at = _time(check, alert, "startsAt", name)
    ends_at = _time(check, alert, "endsAt", name)
    generator_url = check.string(alert, "generatorURL", f"{name}.generatorURL")
    fingerprint = check.string(alert, "fingerprint", f"{name}.fingerprint")
    if fingerprint is not None and len(fingerprint) > DEDUP_KEY_MAX:
        check.errors.append(too_long(f"{name}.fingerprint", DEDUP_KEY_MAX))
        return None
    if action is None:
        return None

    links: list[Link] = []
    if generator_url is not None:
        links.append(Link(href=generator_url, text="Source"))
    runbook = annotations.get("runbook_url", "")
    if runbook.strip():
        links.append(Link(href=runbook, text="Runbook"))
    return Event(
        format="alertmanager",
        routing_key=routing_key,
        action=action,
        dedup_key=fingerprint or label_fingerprint(labels),
        summary=_summary(labels, annotations),
        source=_source(labels, generator_url),
        severity=_SEVERITIES.get(labels.get("severity", "").strip().lower(), Severity.ERROR),
        timestamp=starts_at if action is Action.TRIGGER else ends_at,
        custom_details={
            "labels": labels,
            "annotations": annotations,
            "startsAt": alert.get("startsAt"),
            "endsAt": alert.get("endsAt"),
        },
        labels=labels,
        links=tuple(links),
        client="Alertmanager",
        client_url=external_url,
        raw={"alert": alert, **group},
    )


def _time(check: Fields, alert: Mapping[str, Any], key: str, name: str) -> datetime | None:
    """An RFC 3339 time (nanoseconds allowed); Go's zero time means none."""
    text = check.string(alert, key, f"{name}.{key}")
    if text is None:
        return None
    try:
        parsed = parse_timestamp(text)
    except ValueError:
        check.errors.append(f"'{name}.{key}' is invalid (must be RFC 3339)")
        return None
    return None if parsed == _ZERO_TIME else parsed


def label_fingerprint(labels: Mapping[str, str]) -> str:
    """A stable key for an alert sent without a fingerprint: hash of its sorted label pairs."""
    pairs = sorted(labels.items())
    return hashlib.sha256(orjson.dumps(pairs)).hexdigest()[:FINGERPRINT_LENGTH]


def _summary(labels: Mapping[str, str], annotations: Mapping[str, str]) -> str:
    for key in ("summary", "description"):
        text = annotations.get(key, "")
        if text.strip():
            return _cut(text)
    others = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k != "alertname")
    alertname = labels.get("alertname", "").strip()
    if alertname:
        return _cut(f"{alertname}: {others}" if others else alertname)
    return _cut(others or "Alertmanager alert")


def _cut(text: str) -> str:
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"


def _source(labels: Mapping[str, str], generator_url: str | None) -> str:
    for key in ("instance", "job"):
        value = labels.get(key, "")
        if value.strip():
            return value
    if generator_url:
        try:
            host = urlsplit(generator_url).hostname
        except ValueError:
            host = None
        if host:
            return host
    return "alertmanager"
