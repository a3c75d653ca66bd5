"""PagerDuty Events API v2 parsing: alert events and change events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest

from ownit.adapters.ingest.errors import InvalidEvent, nul_field
from ownit.adapters.ingest.pagerduty_v2 import parse_alert_event, parse_change_event
from ownit.domain.events import Action, Event, Image, Link, Severity

SAMPLES = Path(__file__).parent.parent / "samples" / "alertmanager-0.25"
KEY = "0123456789abcdef0123456789abcdef"
DROP = object()  # an override value meaning "remove this field"

SEVERITY_INVALID = (
    "'payload.severity' is invalid (must be one of the following: "
    "'critical', 'warning', 'error' or 'info')"
)
ACTION_INVALID = (
    "'event_action' is invalid (must be one of the following: "
    "'trigger', 'acknowledge' or 'resolve')"
)
KEY_LENGTH = "Length of 'routing_key' is incorrect (should be 32 characters)"
SUMMARY_TOO_LONG = "Length of 'payload.summary' is too long (should be at most 1024 characters)"
DEDUP_TOO_LONG = "Length of 'dedup_key' is too long (should be at most 255 characters)"
NO_PAYLOAD = "'payload' is missing or not an object"


def _apply(target: dict[str, Any], overrides: dict[str, Any] | None) -> None:
    for key, value in (overrides or {}).items():
        if value is DROP:
            target.pop(key, None)
        else:
            target[key] = value


def alert(top: dict[str, Any] | None = None, payload: dict[str, Any] | None = None) -> bytes:
    """A valid trigger, with payload fields then top-level fields overridden."""
    data: dict[str, Any] = {
        "routing_key": KEY,
        "event_action": "trigger",
        "payload": {"summary": "disk full on db-1", "source": "db-1", "severity": "critical"},
    }
    _apply(data["payload"], payload)
    _apply(data, top)
    return orjson.dumps(data)


def change(top: dict[str, Any] | None = None, payload: dict[str, Any] | None = None) -> bytes:
    data: dict[str, Any] = {"routing_key": KEY, "payload": {"summary": "deployed v1.2.3"}}
    _apply(data["payload"], payload)
    _apply(data, top)
    return orjson.dumps(data)


def sample_body(name: str) -> bytes:
    return orjson.dumps(json.loads((SAMPLES / name).read_text())["body"])


def errors_of(parse: Any, body: bytes) -> list[str]:
    with pytest.raises(InvalidEvent) as info:
        parse(body)
    assert info.value.status == "invalid event"
    assert info.value.message == "Event object is invalid"
    errors: list[str] = info.value.errors
    return errors


# --- alert events: errors --------------------------------------------------------------------

ALERT_ERRORS: list[tuple[str, dict[str, Any], dict[str, Any], list[str]]] = [
    ("routing_key short", {"routing_key": "abc"}, {}, [KEY_LENGTH]),
    ("routing_key long", {"routing_key": KEY + "0"}, {}, [KEY_LENGTH]),
    ("routing_key missing", {"routing_key": DROP}, {}, ["'routing_key' is missing or blank"]),
    ("routing_key null", {"routing_key": None}, {}, ["'routing_key' is missing or blank"]),
    ("routing_key blank", {"routing_key": " " * 32}, {}, ["'routing_key' is missing or blank"]),
    ("routing_key number", {"routing_key": 123}, {}, ["'routing_key' must be a string"]),
    ("action missing", {"event_action": DROP}, {}, ["'event_action' is missing or blank"]),
    ("action blank", {"event_action": ""}, {}, ["'event_action' is missing or blank"]),
    ("action unknown", {"event_action": "snooze"}, {}, [ACTION_INVALID]),
    ("action wrong case", {"event_action": "Trigger"}, {}, [ACTION_INVALID]),
    ("action not a string", {"event_action": ["trigger"]}, {}, ["'event_action' must be a string"]),
    (
        "acknowledge without dedup_key",
        {"event_action": "acknowledge"},
        {},
        ["'dedup_key' is missing or blank"],
    ),
    (
        "resolve with blank dedup_key",
        {"event_action": "resolve", "dedup_key": "  "},
        {},
        ["'dedup_key' is missing or blank"],
    ),
    ("dedup_key too long", {"dedup_key": "k" * 256}, {}, [DEDUP_TOO_LONG]),
    ("dedup_key number", {"dedup_key": 42}, {}, ["'dedup_key' must be a string"]),
    ("payload missing", {"payload": DROP}, {}, [NO_PAYLOAD]),
    ("payload null", {"payload": None}, {}, [NO_PAYLOAD]),
    ("payload string", {"payload": "disk full"}, {}, [NO_PAYLOAD]),
    ("payload array", {"payload": []}, {}, [NO_PAYLOAD]),
    ("summary missing", {}, {"summary": DROP}, ["'payload.summary' is missing or blank"]),
    ("summary blank", {}, {"summary": " "}, ["'payload.summary' is missing or blank"]),
    ("summary too long", {}, {"summary": "s" * 1025}, [SUMMARY_TOO_LONG]),
    ("summary number", {}, {"summary": 7}, ["'payload.summary' must be a string"]),
    ("source missing", {}, {"source": DROP}, ["'payload.source' is missing or blank"]),
    ("source blank", {}, {"source": ""}, ["'payload.source' is missing or blank"]),
    ("severity missing", {}, {"severity": DROP}, ["'payload.severity' is missing or blank"]),
    ("severity blank", {}, {"severity": ""}, ["'payload.severity' is missing or blank"]),
    ("severity upper case", {}, {"severity": "CRITICAL"}, [SEVERITY_INVALID]),
    ("severity unknown", {}, {"severity": "fatal"}, [SEVERITY_INVALID]),
    ("severity number", {}, {"severity": 1}, ["'payload.severity' must be a string"]),
    (
        "timestamp words",
        {},
        {"timestamp": "yesterday"},
        ["'payload.timestamp' is invalid (must be ISO 8601)"],
    ),
    (
        "timestamp bad month",
        {},
        {"timestamp": "2015-13-01T00:00:00Z"},
        ["'payload.timestamp' is invalid (must be ISO 8601)"],
    ),
    ("timestamp number", {}, {"timestamp": 1437122578}, ["'payload.timestamp' must be a string"]),
    ("component number", {}, {"component": 5}, ["'payload.component' must be a string"]),
    ("group object", {}, {"group": {}}, ["'payload.group' must be a string"]),
    ("class bool", {}, {"class": True}, ["'payload.class' must be a string"]),
    (
        "custom_details string",
        {},
        {"custom_details": "free text"},
        ["'payload.custom_details' must be an object"],
    ),
    (
        "custom_details array",
        {},
        {"custom_details": [1]},
        ["'payload.custom_details' must be an object"],
    ),
    ("links object", {"links": {"href": "x"}}, {}, ["'links' must be an array"]),
    ("link not object", {"links": ["https://x"]}, {}, ["'links[0]' must be an object"]),
    ("link without href", {"links": [{"text": "a"}]}, {}, ["'links[0].href' is missing or blank"]),
    (
        "second link blank href",
        {"links": [{"href": "https://x"}, {"href": ""}]},
        {},
        ["'links[1].href' is missing or blank"],
    ),
    (
        "link text number",
        {"links": [{"href": "https://x", "text": 1}]},
        {},
        ["'links[0].text' must be a string"],
    ),
    ("images string", {"images": "x.png"}, {}, ["'images' must be an array"]),
    ("image without src", {"images": [{"alt": "a"}]}, {}, ["'images[0].src' is missing or blank"]),
    ("image src number", {"images": [{"src": 3}]}, {}, ["'images[0].src' must be a string"]),
    ("client number", {"client": 5}, {}, ["'client' must be a string"]),
    ("client_url list", {"client_url": []}, {}, ["'client_url' must be a string"]),
]


@pytest.mark.parametrize(
    ("top", "payload", "expected"),
    [case[1:] for case in ALERT_ERRORS],
    ids=[case[0] for case in ALERT_ERRORS],
)
def test_alert_event_errors(
    top: dict[str, Any], payload: dict[str, Any], expected: list[str]
) -> None:
    assert errors_of(parse_alert_event, alert(top, payload)) == expected


def test_every_error_is_reported_at_once() -> None:
    body = alert(
        {"routing_key": "short", "dedup_key": "d" * 300, "links": [{}], "images": "x"},
        {"summary": DROP, "severity": "Critical", "timestamp": "soon", "custom_details": 1},
    )
    assert errors_of(parse_alert_event, body) == [
        KEY_LENGTH,
        DEDUP_TOO_LONG,
        "'payload.summary' is missing or blank",
        SEVERITY_INVALID,
        "'payload.timestamp' is invalid (must be ISO 8601)",
        "'payload.custom_details' must be an object",
        "'links[0].href' is missing or blank",
        "'images' must be an array",
    ]


def test_missing_everything() -> None:
    assert errors_of(parse_alert_event, b"{}") == [
        "'routing_key' is missing or blank",
        "'event_action' is missing or blank",
    ]


def test_unknown_action_still_checks_the_payload_it_has() -> None:
    body = alert({"event_action": "escalate"}, {"severity": "bad"})
    assert errors_of(parse_alert_event, body) == [ACTION_INVALID, SEVERITY_INVALID]


MALFORMED = [b"", b"{", b"not json", b"[]", b'"text"', b"null", b"42", b"\xff\xfe", b"{'a': 1}"]


@pytest.mark.parametrize("parse", [parse_alert_event, parse_change_event])
@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_json_is_an_unrecognized_object(parse: Any, body: bytes) -> None:
    with pytest.raises(InvalidEvent) as info:
        parse(body)
    assert info.value.status == "Unrecognized object"
    assert info.value.message == "Event object format is unrecognized"
    assert info.value.errors == ["JSON parse error"]


# --- alert events: accepted --------------------------------------------------------------------


def test_full_trigger() -> None:
    data = {
        "routing_key": KEY,
        "event_action": "trigger",
        "dedup_key": "db-1/disk",
        "payload": {
            "summary": "disk full on db-1",
            "source": "db-1.example.com",
            "severity": "warning",
            "timestamp": "2015-07-17T08:42:58.315+0000",
            "component": "postgres",
            "group": "prod-db",
            "class": "disk",
            "custom_details": {"free": "0 bytes", "mount": "/var"},
        },
        "links": [{"href": "https://grafana/d/1", "text": "Dashboard"}, {"href": "https://x"}],
        "images": [{"src": "https://img/1.png", "href": "https://img", "alt": "graph"}],
        "client": "Monitoring",
        "client_url": "https://monitoring.example.com",
    }
    event = parse_alert_event(orjson.dumps(data))
    assert event == Event(
        format="events-v2",
        routing_key=KEY,
        action=Action.TRIGGER,
        dedup_key="db-1/disk",
        summary="disk full on db-1",
        source="db-1.example.com",
        severity=Severity.WARNING,
        timestamp=datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC),
        component="postgres",
        group="prod-db",
        class_="disk",
        custom_details={"free": "0 bytes", "mount": "/var"},
        labels={
            "free": "0 bytes",
            "mount": "/var",
            "severity": "warning",
            "source": "db-1.example.com",
            "component": "postgres",
            "group": "prod-db",
            "class": "disk",
            "summary": "disk full on db-1",
        },
        links=(Link("https://grafana/d/1", "Dashboard"), Link("https://x")),
        images=(Image("https://img/1.png", "https://img", "graph"),),
        client="Monitoring",
        client_url="https://monitoring.example.com",
        raw={k: v for k, v in data.items() if k != "routing_key"},  # the key is not kept
    )


@pytest.mark.parametrize("dedup", [DROP, None, "", "   "])
def test_trigger_without_dedup_key_gets_none(dedup: object) -> None:
    event = parse_alert_event(alert({"dedup_key": dedup}))
    assert event.dedup_key is None


def test_optional_fields_may_be_null() -> None:
    top = {"links": None, "images": None, "client": None, "client_url": None, "dedup_key": None}
    payload = {"timestamp": None, "component": None, "custom_details": None, "class": None}
    event = parse_alert_event(alert(top, payload))
    assert (event.links, event.images, event.timestamp, event.custom_details) == (
        (),
        (),
        None,
        None,
    )
    assert event.labels == {
        "severity": "critical",
        "source": "db-1",
        "summary": "disk full on db-1",
    }


def test_unknown_fields_are_ignored() -> None:
    event = parse_alert_event(
        alert(
            {"future": {"x": 1}, "links": [{"href": "https://x", "rel": "alternate"}]},
            {"priority": "P1"},
        )
    )
    assert event.action is Action.TRIGGER
    assert event.links == (Link("https://x"),)
    assert "priority" not in event.labels
    assert event.raw is not None
    assert event.raw["future"] == {"x": 1}


TIMESTAMPS = [
    ("2015-07-17T08:42:58.315+0000", datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)),
    ("2015-07-17T08:42:58Z", datetime(2015, 7, 17, 8, 42, 58, tzinfo=UTC)),
    ("2015-07-17T08:42:58.315Z", datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)),
    ("2015-07-17T10:42:58+02:00", datetime(2015, 7, 17, 8, 42, 58, tzinfo=UTC)),
    ("2015-07-17T03:42:58-0500", datetime(2015, 7, 17, 8, 42, 58, tzinfo=UTC)),
    ("2015-07-17T08:42:58", datetime(2015, 7, 17, 8, 42, 58, tzinfo=UTC)),
    ("2015-07-17T08:42:58.123456789Z", datetime(2015, 7, 17, 8, 42, 58, 123456, tzinfo=UTC)),
    ("2015-07-17", datetime(2015, 7, 17, tzinfo=UTC)),
]


@pytest.mark.parametrize(("text", "expected"), TIMESTAMPS, ids=[t[0] for t in TIMESTAMPS])
def test_timestamps(text: str, expected: datetime) -> None:
    stamp = parse_alert_event(alert(payload={"timestamp": text})).timestamp
    assert stamp == expected
    assert stamp is not None
    assert stamp.utcoffset() == timedelta(0)


def test_timestamp_out_of_range_after_conversion_is_invalid() -> None:
    body = alert(payload={"timestamp": "0001-01-01T00:00:00+01:00"})
    assert errors_of(parse_alert_event, body) == [
        "'payload.timestamp' is invalid (must be ISO 8601)"
    ]


@pytest.mark.parametrize("action", [Action.ACKNOWLEDGE, Action.RESOLVE])
def test_acknowledge_and_resolve_need_no_payload(action: Action) -> None:
    body = orjson.dumps({"routing_key": KEY, "event_action": action.value, "dedup_key": "k-1"})
    event = parse_alert_event(body)
    assert (event.action, event.dedup_key, event.summary, event.source) == (action, "k-1", "", "")
    assert event.severity is Severity.ERROR
    assert event.labels == {}


def test_resolve_keeps_a_valid_payload_and_drops_a_broken_one() -> None:
    body = alert(
        {"event_action": "resolve", "dedup_key": "k-1", "links": "nope"},
        {"severity": "ok", "summary": "recovered", "timestamp": "later"},
    )
    event = parse_alert_event(body)
    assert event.action is Action.RESOLVE
    assert (event.summary, event.severity, event.timestamp) == ("recovered", Severity.ERROR, None)
    assert event.links == ()
    assert event.labels == {"source": "db-1", "summary": "recovered"}


@pytest.mark.parametrize("severity", ["critical", "error", "warning", "info"])
def test_every_severity(severity: str) -> None:
    event = parse_alert_event(alert(payload={"severity": severity}))
    assert event.severity == Severity(severity)
    assert event.labels["severity"] == severity


LABEL_VALUES: list[tuple[Any, str]] = [
    ("eu1", "eu1"),
    (3, "3"),
    (2.5, "2.5"),
    (True, "true"),
    (None, "null"),
    ([1, "a"], '[1,"a"]'),
    ({"b": {"c": 1}}, '{"b":{"c":1}}'),
    ("", ""),
]


@pytest.mark.parametrize(("value", "expected"), LABEL_VALUES)
def test_custom_details_become_string_labels(value: Any, expected: str) -> None:
    event = parse_alert_event(alert(payload={"custom_details": {"team": value}}))
    assert event.labels["team"] == expected
    assert event.custom_details == {"team": value}


def test_standard_fields_win_over_custom_details_of_the_same_name() -> None:
    details = {"severity": "page", "source": "other", "team": "db"}
    event = parse_alert_event(alert(payload={"custom_details": details}))
    assert event.labels == {
        "severity": "critical",
        "source": "db-1",
        "team": "db",
        "summary": "disk full on db-1",
    }


SAMPLE_EVENTS = [("02_v2_enqueue.json", Action.TRIGGER), ("05_v2_enqueue.json", Action.RESOLVE)]


@pytest.mark.parametrize(("name", "action"), SAMPLE_EVENTS)
def test_alertmanager_pagerduty_configs_samples(name: str, action: Action) -> None:
    event = parse_alert_event(sample_body(name))
    assert event.action is action
    assert event.dedup_key == "aec439c6ebda5587d0a07ce618c7aec02b59e226e7ef101f0c41fd07e89bf48e"
    assert len(event.dedup_key) == 64
    assert event.routing_key == "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    assert (event.source, event.severity, event.client) == (
        "Alertmanager",
        Severity.ERROR,
        "Alertmanager",
    )
    assert event.client_url == "http://alertmanager.example:9093/#/alerts?receiver=pd"
    assert event.timestamp is None
    assert event.labels["num_firing"] == ("1" if action is Action.TRIGGER else "0")
    assert event.summary.startswith("[FIRING:1]" if action is Action.TRIGGER else "[RESOLVED]")


# --- change events -----------------------------------------------------------------------------

CHANGE_ERRORS: list[tuple[str, dict[str, Any], dict[str, Any], list[str]]] = [
    ("routing_key short", {"routing_key": "k"}, {}, [KEY_LENGTH]),
    ("routing_key missing", {"routing_key": DROP}, {}, ["'routing_key' is missing or blank"]),
    ("payload missing", {"payload": DROP}, {}, [NO_PAYLOAD]),
    ("payload string", {"payload": "deploy"}, {}, [NO_PAYLOAD]),
    ("summary missing", {}, {"summary": DROP}, ["'payload.summary' is missing or blank"]),
    ("summary too long", {}, {"summary": "s" * 1025}, [SUMMARY_TOO_LONG]),
    ("source number", {}, {"source": 1}, ["'payload.source' must be a string"]),
    (
        "timestamp invalid",
        {},
        {"timestamp": "2020-02-30T00:00:00Z"},
        ["'payload.timestamp' is invalid (must be ISO 8601)"],
    ),
    (
        "custom_details list",
        {},
        {"custom_details": []},
        ["'payload.custom_details' must be an object"],
    ),
    ("links string", {"links": "x"}, {}, ["'links' must be an array"]),
    ("link without href", {"links": [{}]}, {}, ["'links[0].href' is missing or blank"]),
    (
        "several",
        {"routing_key": 5, "links": [1]},
        {"summary": ""},
        [
            "'routing_key' must be a string",
            "'payload.summary' is missing or blank",
            "'links[0]' must be an object",
        ],
    ),
]


@pytest.mark.parametrize(
    ("top", "payload", "expected"),
    [case[1:] for case in CHANGE_ERRORS],
    ids=[case[0] for case in CHANGE_ERRORS],
)
def test_change_event_errors(
    top: dict[str, Any], payload: dict[str, Any], expected: list[str]
) -> None:
    assert errors_of(parse_change_event, change(top, payload)) == expected


def test_change_event() -> None:
    data = {
        "routing_key": KEY,
        "event_action": "whatever",
        "payload": {
            "summary": "deployed checkout v1.2.3",
            "source": "ci.example.com",
            "timestamp": "2026-01-01T10:00:00.000+0100",
            "custom_details": {"build": 812, "sha": "abc123"},
            "severity": "nonsense",
        },
        "links": [{"href": "https://ci/812", "text": "Build"}],
        "images": "ignored",
    }
    event = parse_change_event(orjson.dumps(data))
    assert event == Event(
        format="change-v2",
        routing_key=KEY,
        action=Action.CHANGE,
        dedup_key=None,
        summary="deployed checkout v1.2.3",
        source="ci.example.com",
        timestamp=datetime(2026, 1, 1, 10, tzinfo=timezone(timedelta(hours=1))),
        custom_details={"build": 812, "sha": "abc123"},
        labels={
            "build": "812",
            "sha": "abc123",
            "source": "ci.example.com",
            "summary": "deployed checkout v1.2.3",
        },
        links=(Link("https://ci/812", "Build"),),
        raw={k: v for k, v in data.items() if k != "routing_key"},  # the key is not kept
    )


def test_minimal_change_event() -> None:
    event = parse_change_event(change())
    assert (event.action, event.dedup_key, event.summary, event.source) == (
        Action.CHANGE,
        None,
        "deployed v1.2.3",
        "",
    )
    assert event.labels == {"summary": "deployed v1.2.3"}


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"a": "ok"}, None),
        ({"payload": {"summary": "a\x00b"}}, "payload.summary"),
        ({"payload": {"custom_details": {"x": ["ok", "n\x00"]}}}, "payload.custom_details.x[1]"),
        ({"payload": {"custom_details": {"k\x00": 1}}}, "payload.custom_details"),
        ({"dedup_key": "\x00"}, "dedup_key"),
        ({"n": 1, "b": True, "z": None}, None),
    ],
)
def test_nul_characters_are_found_by_path(value: dict[str, Any], where: str | None) -> None:
    assert nul_field(value) == where


def test_an_event_with_a_nul_character_is_invalid_naming_the_field() -> None:
    body = orjson.dumps(
        {
            "routing_key": "a" * 32,
            "event_action": "trigger",
            "payload": {"summary": "disk\x00full", "source": "db", "severity": "info"},
        }
    )
    with pytest.raises(InvalidEvent) as caught:
        parse_alert_event(body)
    assert list(caught.value.errors) == ["'payload.summary' must not contain NUL characters"]
