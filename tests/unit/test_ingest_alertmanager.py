"""Alertmanager webhook parsing, and a property over every ingest parser."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ownit.adapters.ingest.alertmanager import parse_alertmanager
from ownit.adapters.ingest.errors import InvalidEvent
from ownit.adapters.ingest.pagerduty_v2 import parse_alert_event, parse_change_event
from ownit.domain.events import Action, Event, Link, Severity

SAMPLES = Path(__file__).parent.parent / "samples" / "alertmanager-0.25"
KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
DROP = object()
STARTS = "2026-11-26T15:38:16.972131107Z"
STARTED = datetime(2026, 11, 26, 15, 38, 16, 972131, tzinfo=UTC)
ENDED = datetime(2026, 11, 26, 15, 38, 19, tzinfo=UTC)


def sample(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((SAMPLES / name).read_text())["body"]
    return body


def parse(data: dict[str, Any]) -> list[Event]:
    return parse_alertmanager(orjson.dumps(data), routing_key=KEY)


def one_alert(**overrides: Any) -> dict[str, Any]:
    """Sample 01 with only its first alert, that alert's fields overridden."""
    data = sample("01_integrations_alertmanager.json")
    alert = data["alerts"][0]
    for key, value in overrides.items():
        if value is DROP:
            alert.pop(key, None)
        else:
            alert[key] = value
    data["alerts"] = [alert]
    return data


def parse_one(**overrides: Any) -> Event:
    (event,) = parse(one_alert(**overrides))
    return event


def errors_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidEvent) as info:
        parse(data)
    assert (info.value.status, info.value.message) == ("invalid event", "Event object is invalid")
    errors: list[str] = info.value.errors
    return errors


# --- real samples ------------------------------------------------------------------------------

SAMPLE_ACTIONS = [
    ("01_integrations_alertmanager.json", [Action.TRIGGER, Action.TRIGGER]),
    ("03_integrations_alertmanager.json", [Action.RESOLVE, Action.TRIGGER]),
    ("04_integrations_alertmanager.json", [Action.RESOLVE]),
]


@pytest.mark.parametrize(("name", "actions"), SAMPLE_ACTIONS)
def test_sample_actions_per_alert(name: str, actions: list[Action]) -> None:
    data = sample(name)
    events = parse(data)
    assert [e.action for e in events] == actions
    assert [e.dedup_key for e in events] == [a["fingerprint"] for a in data["alerts"]]
    assert [e.labels for e in events] == [a["labels"] for a in data["alerts"]]
    assert all(e.routing_key == KEY and e.format == "alertmanager" for e in events)


def test_sample_03_resolves_web_1_and_keeps_web_2_firing() -> None:
    web1, web2 = parse(sample("03_integrations_alertmanager.json"))
    assert (web1.source, web1.action, web1.timestamp) == ("web-1:9100", Action.RESOLVE, ENDED)
    assert (web2.source, web2.action, web2.timestamp) == ("web-2:9100", Action.TRIGGER, STARTED)


def test_sample_01_first_alert_in_full() -> None:
    data = sample("01_integrations_alertmanager.json")
    first, second = parse(data)
    alert = data["alerts"][0]
    assert first == Event(
        format="alertmanager",
        routing_key=KEY,
        action=Action.TRIGGER,
        dedup_key="7909cc8d1cec8976",
        summary="p99 latency above 2s",
        source="web-1:9100",
        severity=Severity.CRITICAL,
        timestamp=STARTED,
        custom_details={
            "labels": alert["labels"],
            "annotations": alert["annotations"],
            "startsAt": STARTS,
            "endsAt": "0001-01-01T00:00:00Z",
        },
        labels={
            "alertname": "HighLatency",
            "cluster": "eu1",
            "instance": "web-1:9100",
            "severity": "critical",
        },
        links=(
            Link("http://prometheus:9090/graph?g0.expr=latency", "Source"),
            Link("https://wiki.example.com/latency", "Runbook"),
        ),
        client="Alertmanager",
        client_url="http://alertmanager.example:9093",
        raw={
            "alert": alert,
            "receiver": "hook",
            "groupKey": '{}:{alertname="HighLatency", cluster="eu1"}',
            "status": "firing",
            "externalURL": "http://alertmanager.example:9093",
        },
    )
    assert second.links == ()  # empty generatorURL, no runbook


# --- errors ------------------------------------------------------------------------------------

NOT_ARRAY = "'alerts' is missing or not an array"


def _without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != key}


BASE = sample("01_integrations_alertmanager.json")
TOP_ERRORS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("alerts missing", _without(BASE, "alerts"), [NOT_ARRAY]),
    ("alerts null", {**BASE, "alerts": None}, [NOT_ARRAY]),
    ("alerts object", {**BASE, "alerts": {"0": {}}}, [NOT_ARRAY]),
    ("version 3", {**BASE, "version": "3"}, ["'version' is invalid (must be \"4\")"]),
    ("version number", {**BASE, "version": 4}, ["'version' is invalid (must be \"4\")"]),
    ("externalURL number", {**BASE, "externalURL": 1}, ["'externalURL' must be a string"]),
    ("alert not object", {**BASE, "alerts": ["x"]}, ["'alerts[0]' must be an object"]),
]


@pytest.mark.parametrize(
    ("data", "expected"), [c[1:] for c in TOP_ERRORS], ids=[c[0] for c in TOP_ERRORS]
)
def test_top_level_errors(data: dict[str, Any], expected: list[str]) -> None:
    assert errors_of(data) == expected


STATUS_INVALID = "'alerts[0].status' is invalid (must be 'firing' or 'resolved')"
NO_LABELS = "'alerts[0].labels' is missing or not an object"
ALERT_ERRORS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("status pending", {"status": "pending"}, [STATUS_INVALID]),
    ("status upper case", {"status": "FIRING"}, [STATUS_INVALID]),
    ("status missing", {"status": DROP}, ["'alerts[0].status' is missing or blank"]),
    ("status number", {"status": 1}, ["'alerts[0].status' must be a string"]),
    ("labels missing", {"labels": DROP}, [NO_LABELS]),
    ("labels list", {"labels": [["a", "b"]]}, [NO_LABELS]),
    ("annotations list", {"annotations": []}, ["'alerts[0].annotations' must be an object"]),
    ("startsAt words", {"startsAt": "now"}, ["'alerts[0].startsAt' is invalid (must be RFC 3339)"]),
    ("endsAt number", {"endsAt": 0}, ["'alerts[0].endsAt' must be a string"]),
    ("generatorURL number", {"generatorURL": 1}, ["'alerts[0].generatorURL' must be a string"]),
    ("fingerprint number", {"fingerprint": 7}, ["'alerts[0].fingerprint' must be a string"]),
]


@pytest.mark.parametrize(
    ("overrides", "expected"), [c[1:] for c in ALERT_ERRORS], ids=[c[0] for c in ALERT_ERRORS]
)
def test_alert_errors(overrides: dict[str, Any], expected: list[str]) -> None:
    assert errors_of(one_alert(**overrides)) == expected


def test_every_error_is_reported_at_once() -> None:
    data = copy.deepcopy(BASE)
    data["version"] = "5"
    data["alerts"][0]["status"] = "unknown"
    del data["alerts"][1]["labels"]
    data["alerts"].extend([{"status": "firing", "labels": {}, "startsAt": "x"}, 3])
    assert errors_of(data) == [
        "'version' is invalid (must be \"4\")",
        STATUS_INVALID,
        "'alerts[1].labels' is missing or not an object",
        "'alerts[2].startsAt' is invalid (must be RFC 3339)",
        "'alerts[3]' must be an object",
    ]


MALFORMED = [b"", b"{", b"[]", b"[{}]", b"null", b'"alerts"', b"\x00"]


@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_json_is_an_unrecognized_object(body: bytes) -> None:
    with pytest.raises(InvalidEvent) as info:
        parse_alertmanager(body, routing_key=KEY)
    assert (info.value.status, info.value.message, info.value.errors) == (
        "Unrecognized object",
        "Event object format is unrecognized",
        ["JSON parse error"],
    )


# --- accepted variations -----------------------------------------------------------------------


def test_minimal_body() -> None:
    body = b'{"alerts": [{"status": "firing", "labels": {"alertname": "Up"}}]}'
    (event,) = parse_alertmanager(body, routing_key="k")
    assert (event.routing_key, event.summary, event.source, event.severity) == (
        "k",
        "Up",
        "alertmanager",
        Severity.ERROR,
    )
    assert (event.timestamp, event.client_url, event.links) == (None, None, ())
    assert event.raw == {
        "alert": {"status": "firing", "labels": {"alertname": "Up"}},
        "receiver": None,
        "groupKey": None,
        "status": None,
        "externalURL": None,
    }


def test_no_alerts_is_no_events() -> None:
    assert parse({**BASE, "alerts": []}) == []


def test_unknown_fields_are_ignored() -> None:
    data = one_alert(silenced=True, extra={"x": [1]})
    data["future"] = {"a": 1}
    (event,) = parse(data)
    assert event.dedup_key == "7909cc8d1cec8976"


SEVERITIES = [
    ("critical", Severity.CRITICAL),
    ("CRITICAL", Severity.CRITICAL),
    ("page", Severity.CRITICAL),
    ("Page", Severity.CRITICAL),
    ("error", Severity.ERROR),
    ("high", Severity.ERROR),
    ("warning", Severity.WARNING),
    (" Warning ", Severity.WARNING),
    ("warn", Severity.WARNING),
    ("info", Severity.INFO),
    ("low", Severity.INFO),
    ("none", Severity.INFO),
    ("disaster", Severity.ERROR),
    ("", Severity.ERROR),
    (None, Severity.ERROR),
]


@pytest.mark.parametrize(("label", "expected"), SEVERITIES)
def test_severity_mapping(label: str | None, expected: Severity) -> None:
    labels = {"alertname": "A"} if label is None else {"alertname": "A", "severity": label}
    assert parse_one(labels=labels).severity is expected


LONG = "x" * 2000
SUMMARIES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("summary annotation", {"alertname": "A"}, {"summary": "s", "description": "d"}, "s"),
    ("description", {"alertname": "A"}, {"description": "d"}, "d"),
    ("blank summary", {"alertname": "A"}, {"summary": " ", "description": "d"}, "d"),
    (
        "from labels",
        {"instance": "a:9100", "alertname": "HighLatency", "cluster": "eu1"},
        {},
        "HighLatency: cluster=eu1, instance=a:9100",
    ),
    ("alertname only", {"alertname": "Up"}, {}, "Up"),
    ("no alertname", {"job": "node", "env": "prod"}, {}, "env=prod, job=node"),
    ("no labels", {}, {}, "Alertmanager alert"),
    ("long summary", {}, {"summary": LONG}, "x" * 1023 + "…"),
    ("long labels", {"alertname": "A", "big": LONG}, {}, ("A: big=" + LONG)[:1023] + "…"),
]


@pytest.mark.parametrize(
    ("labels", "annotations", "expected"),
    [c[1:] for c in SUMMARIES],
    ids=[c[0] for c in SUMMARIES],
)
def test_summary(labels: dict[str, str], annotations: dict[str, str], expected: str) -> None:
    event = parse_one(labels=labels, annotations=annotations)
    assert event.summary == expected
    assert len(event.summary) <= 1024


SOURCES: list[tuple[str, dict[str, str], str, str]] = [
    ("instance", {"instance": "a:9100", "job": "node"}, "http://prom:9090/g", "a:9100"),
    ("job", {"job": "node"}, "http://prom:9090/g", "node"),
    ("blank instance", {"instance": "", "job": "node"}, "", "node"),
    ("generator host", {}, "http://prom.example:9090/graph?g0=1", "prom.example"),
    ("bad generator URL", {}, "http://[::1/x", "alertmanager"),
    ("nothing", {}, "", "alertmanager"),
]


@pytest.mark.parametrize(
    ("labels", "url", "expected"), [c[1:] for c in SOURCES], ids=[c[0] for c in SOURCES]
)
def test_source(labels: dict[str, str], url: str, expected: str) -> None:
    assert parse_one(labels=labels, generatorURL=url).source == expected


@pytest.mark.parametrize("fingerprint", [DROP, None, "", "  "])
def test_missing_fingerprint_gets_a_stable_label_hash(fingerprint: object) -> None:
    labels = {"alertname": "A", "instance": "x:1"}
    event = parse_one(labels=labels, fingerprint=fingerprint)
    pairs = orjson.dumps([["alertname", "A"], ["instance", "x:1"]])
    assert event.dedup_key == hashlib.sha256(pairs).hexdigest()[:16]
    reordered = parse_one(labels={"instance": "x:1", "alertname": "A"}, fingerprint=fingerprint)
    assert reordered.dedup_key == event.dedup_key
    other = parse_one(labels={"alertname": "A", "instance": "x:2"}, fingerprint=fingerprint)
    assert other.dedup_key != event.dedup_key


def test_label_and_annotation_values_become_strings() -> None:
    event = parse_one(labels={"alertname": "A", "n": 5, "ok": True}, annotations={"v": [1]})
    assert event.labels == {"alertname": "A", "n": "5", "ok": "true"}
    assert event.custom_details is not None
    assert event.custom_details["annotations"] == {"v": "[1]"}


TIMES: list[tuple[str, str, str, datetime | None]] = [
    ("firing", STARTS, "0001-01-01T00:00:00Z", STARTED),
    ("firing", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z", None),
    ("firing", "2026-11-26T16:38:16.5+01:00", "", datetime(2026, 11, 26, 15, 38, 16, 500000, UTC)),
    ("resolved", STARTS, "2026-11-26T15:38:19Z", ENDED),
    ("resolved", STARTS, "0001-01-01T00:00:00.000Z", None),
    ("resolved", STARTS, "", None),
]


@pytest.mark.parametrize(("status", "starts", "ends", "expected"), TIMES)
def test_timestamp(status: str, starts: str, ends: str, expected: datetime | None) -> None:
    assert parse_one(status=status, startsAt=starts, endsAt=ends).timestamp == expected


def test_runbook_link_without_generator_url() -> None:
    event = parse_one(generatorURL=DROP, annotations={"runbook_url": "https://rb"})
    assert event.links == (Link("https://rb", "Runbook"),)


# --- property: every parser fails only with InvalidEvent ---------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
STAMP = st.sampled_from(["2026-01-01T00:00:00Z", STARTS, "0001-01-01T00:00:00Z", "x", ""])


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a plausible value, sometimes any JSON value at all."""
    return st.integers(0, 7).flatmap(lambda n: JSON if n == 0 else strategy)


TEXT = st.text(max_size=12)
LINKS = st.lists(
    st.fixed_dictionaries({"href": _maybe(TEXT)}, optional={"text": _maybe(TEXT)}), max_size=2
)
PAYLOAD = st.fixed_dictionaries(
    {
        "summary": _maybe(TEXT),
        "source": _maybe(TEXT),
        "severity": _maybe(st.sampled_from(["critical", "info", "Info"])),
    },
    optional={
        "timestamp": _maybe(STAMP),
        "custom_details": _maybe(st.dictionaries(TEXT, JSON, max_size=3)),
        "component": _maybe(TEXT),
    },
)
PD_BODY = st.fixed_dictionaries(
    {
        "routing_key": _maybe(st.just("a" * 32)),
        "event_action": _maybe(st.sampled_from(["trigger", "acknowledge", "resolve"])),
        "payload": _maybe(PAYLOAD),
    },
    optional={
        "dedup_key": _maybe(TEXT),
        "links": _maybe(LINKS),
        "images": _maybe(st.lists(st.fixed_dictionaries({"src": _maybe(TEXT)}), max_size=2)),
    },
)
AM_ALERT = st.fixed_dictionaries(
    {
        "status": _maybe(st.sampled_from(["firing", "resolved"])),
        "labels": _maybe(st.dictionaries(TEXT, _maybe(TEXT), max_size=4)),
    },
    optional={
        "annotations": _maybe(st.dictionaries(TEXT, _maybe(TEXT), max_size=3)),
        "startsAt": _maybe(STAMP),
        "endsAt": _maybe(STAMP),
        "generatorURL": _maybe(st.sampled_from(["", "http://[::1", "http://h:9/x"])),
        "fingerprint": _maybe(TEXT),
    },
)
AM_BODY = st.fixed_dictionaries(
    {"alerts": _maybe(st.lists(AM_ALERT, max_size=3))}, optional={"version": _maybe(st.just("4"))}
)
ANY_BODY = (
    st.dictionaries(st.text(max_size=10), JSON).map(orjson.dumps)
    | PD_BODY.map(orjson.dumps)
    | AM_BODY.map(orjson.dumps)
    | st.binary(max_size=64)
)


def _outcome(parser: Callable[[bytes], Event | list[Event]], body: bytes) -> Any:
    """The events a parser returns, or the InvalidEvent it raises."""
    try:
        result = parser(body)
    except InvalidEvent as exc:
        return exc
    return result if isinstance(result, list) else [result]


@settings(max_examples=200, database=None, deadline=None)
@given(body=ANY_BODY)
def test_parsers_raise_nothing_but_invalid_event(body: bytes) -> None:
    parsers: list[Callable[[bytes], Event | list[Event]]] = [
        parse_alert_event,
        parse_change_event,
        lambda b: parse_alertmanager(b, routing_key=KEY),
    ]
    for parser in parsers:
        outcome = _outcome(parser, body)
        if isinstance(outcome, InvalidEvent):
            assert outcome.errors
            assert all(isinstance(e, str) and e for e in outcome.errors)
            continue
        for event in outcome:
            assert isinstance(event, Event)
            assert all(isinstance(v, str) for v in event.labels.values())
            assert len(event.summary) <= 1024
