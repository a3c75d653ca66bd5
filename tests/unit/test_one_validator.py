"""One validator: every rule the engine, the router or a notifier enforces at run time is
refused by ``ownit catalog lint`` with the file, the line and the field.

Each row is one run-time rule: a catalog document that breaks it, what lint says about it,
and a proof that the run-time code refuses the same thing (so the row cannot pass because
the rule quietly went away at run time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ownit.adapters.catalog.yaml_source import load_text
from ownit.adapters.notifiers import check_url
from ownit.adapters.notifiers.push import PushNotifier
from ownit.adapters.notifiers.slack import SlackNotifier
from ownit.adapters.notifiers.webhook import WebhookNotifier
from ownit.app.notify import Notification
from ownit.domain import escalation as esc
from ownit.domain.catalog import EscalationPolicy, validate
from ownit.domain.catalog.spec import to_spec
from ownit.domain.incidents import Urgency
from ownit.domain.ingest.services import parse_service, policy_snapshot
from ownit.domain.matchers import parse_matcher
from ownit.domain.oncall import schedules as calc

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SECRET = "whsec_AAAAAAAAAAAAAAAAAAAAAAAA"

BASE = f"""\
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec:
  email: alice@example.com
  contacts: [{{name: hook, type: webhook, url: "https://hooks.example.com/a", secret: {SECRET}}}]
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: ops}}
spec: {{members: [{{user: alice, role: manager}}]}}
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: api}}
spec: {{owner: ops}}
"""


def lint(bad: str) -> list[str]:
    docs = load_text(BASE, "base.yaml").documents + load_text(bad, "bad.yaml").documents
    return [str(p) for p in validate(docs).problems]


def doc(kind: str, name: str, *spec: str) -> str:
    """A document whose first spec line is line 5 of bad.yaml."""
    head = ["apiVersion: ownit/v1", f"kind: {kind}", f"metadata: {{name: {name}}}", "spec:"]
    return "\n".join([*head, *spec, ""])


def note() -> Notification:
    return Notification(
        idempotency_key="inc_1:0:1:alice:hook",
        event_type="incident.triggered",
        incident_id="inc_1",
        incident_number=1,
        title="Disk full",
        service="api",
        component=None,
        urgency="high",
        status="triggered",
        runbook_url=None,
        incident_url="https://ownit.example.com/incidents/1",
        ack_url=None,
        resolve_url=None,
        occurred_at=NOW,
    )


def _unreachable(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"the notifier must refuse before sending to {request.url}")


CLIENT = httpx.Client(transport=httpx.MockTransport(_unreachable))


# --- what the run-time code does with the same input ---------------------------------------


def engine_refuses_policy(levels: list[dict[str, object]], repeat: int = 0) -> None:
    """The engine's own path: the frozen snapshot, its check, and ``start`` itself."""
    snapshot: dict[str, object] = {"name": "p", "repeat": repeat, "levels": levels}
    assert esc.snapshot_problems(snapshot)
    with pytest.raises(ValueError, match="is invalid"):
        esc.start(esc.Policy.from_json(snapshot), Urgency.HIGH, lambda t, at: ("alice",), NOW)


def webhook_refuses(contact: dict[str, str]) -> None:
    delivery = WebhookNotifier(CLIENT, now=lambda: NOW).send(note(), contact)
    assert not delivery.ok
    assert delivery.permanent


def slack_refuses(url: str) -> None:
    delivery = SlackNotifier(CLIENT).send(note(), {"name": "chat", "webhookUrl": url})
    assert not delivery.ok
    assert delivery.permanent


def push_refuses(url: str) -> None:
    delivery = PushNotifier(CLIENT).send(note(), {"name": "phone", "url": url})
    assert not delivery.ok
    assert delivery.permanent


def calculator_refuses_layer_without_users() -> None:
    layer = calc.Layer(
        name="l",
        start=datetime(2026, 1, 5, 9, 0),
        rotation=calc.Rotation(1, "week"),
        users=(),
    )
    schedule = calc.Schedule(name="s", timezone="UTC", layers=(layer,))
    with pytest.raises(ValueError, match="at least one user"):
        calc.on_call(schedule, NOW)


def router_refuses_matcher(text: str) -> None:
    with pytest.raises(ValueError, match="missing"):
        parse_matcher(text)


def ingest_drops_component_matcher(text: str) -> None:
    """Ingest reads a component's matchers with the same parser and leaves out one that does
    not parse: the component would then take events it was not meant to."""
    service = parse_service(
        service_id=1,
        name="mono",
        urgency="severity",
        spec={"components": [{"name": "refunds", "match": [text]}]},
        policy_name=None,
        policy_spec=None,
    )
    assert service.components[0].match == ()
    router_refuses_matcher(text)


@dataclass(frozen=True)
class Rule:
    """One run-time rule: a document breaking it, lint's words, the run-time refusal."""

    document: str
    expected: list[str]
    runtime: Callable[[], None]


RULES = {
    "escalation level after at least 1m": Rule(
        doc(
            "EscalationPolicy",
            "p",
            "  levels:",
            "    - after: 15s",
            "      targets: [{user: alice}]",
        ),
        ["bad.yaml:6: levels[0].after: must be at least 1m (got 15s) (the engine would refuse it)"],
        lambda: engine_refuses_policy([{"after": "15s", "targets": [{"user": "alice"}]}]),
    ),
    "escalation level after at least 1m, on a later level": Rule(
        doc(
            "EscalationPolicy",
            "p",
            "  levels:",
            "    - {after: 5m, targets: [{user: alice}]}",
            "    - after: 59s",
            "      targets: [{user: alice}]",
        ),
        ["bad.yaml:7: levels[1].after: must be at least 1m (got 59s) (the engine would refuse it)"],
        lambda: engine_refuses_policy(
            [
                {"after": "5m", "targets": [{"user": "alice"}]},
                {"after": "59s", "targets": [{"user": "alice"}]},
            ]
        ),
    ),
    "no target twice in one level": Rule(
        doc(
            "EscalationPolicy",
            "p",
            "  levels:",
            "    - after: 5m",
            "      targets:",
            "        - {user: alice}",
            "        - {user: alice}",
        ),
        [
            "bad.yaml:9: levels[0].targets[1]: duplicate target user alice (also targets[0]) "
            "(the engine would refuse it)"
        ],
        lambda: engine_refuses_policy(
            [{"after": "5m", "targets": [{"user": "alice"}, {"user": "alice"}]}]
        ),
    ),
    "repeat is 0 or more": Rule(
        doc(
            "EscalationPolicy",
            "p",
            "  repeat: -1",
            "  levels: [{after: 5m, targets: [{user: alice}]}]",
        ),
        ["bad.yaml:5: repeat must be a whole number of 0 or more, not -1"],
        lambda: engine_refuses_policy([{"after": "5m", "targets": [{"user": "alice"}]}], -1),
    ),
    "a policy has a level": Rule(
        doc("EscalationPolicy", "p", "  levels: []"),
        ["bad.yaml:5: levels is empty: a policy needs at least one level"],
        lambda: engine_refuses_policy([]),
    ),
    "a level has a target": Rule(
        doc("EscalationPolicy", "p", "  levels: [{after: 5m, targets: []}]"),
        ["bad.yaml:5: levels[0].targets is empty: a level needs a target"],
        lambda: engine_refuses_policy([{"after": "5m", "targets": []}]),
    ),
    "a webhook has a signing secret": Rule(
        doc(
            "User",
            "bob",
            "  email: bob@example.com",
            "  contacts:",
            '    - {name: hook, type: webhook, url: "https://hooks.example.com/b"}',
        ),
        [
            "bad.yaml:7: contacts[0].secret: the webhook has no signing secret "
            "(write whsec_ and the base64 of 16 bytes or more, e.g. from "
            "`openssl rand -base64 24`)"
        ],
        lambda: webhook_refuses({"name": "hook", "url": "https://hooks.example.com/b"}),
    ),
    "a webhook secret is base64": Rule(
        doc(
            "User",
            "bob",
            "  email: bob@example.com",
            "  contacts:",
            "    - name: hook",
            "      type: webhook",
            "      url: https://hooks.example.com/b",
            "      secret: not-base64!",
        ),
        [
            "bad.yaml:10: contacts[0].secret: the webhook secret is not whsec_ followed by "
            "base64 (write whsec_ and the base64 of 16 bytes or more, e.g. from "
            "`openssl rand -base64 24`)"
        ],
        lambda: webhook_refuses(
            {"name": "hook", "url": "https://hooks.example.com/b", "secret": "not-base64!"}
        ),
    ),
    "a webhook secret has 16 bytes": Rule(
        doc(
            "User",
            "bob",
            "  email: bob@example.com",
            "  contacts:",
            "    - {name: hook, type: webhook, url: https://hooks.example.com/b,",
            "       secret: whsec_AAAA}",
        ),
        [
            "bad.yaml:8: contacts[0].secret: the webhook secret is shorter than 16 bytes "
            "(write whsec_ and the base64 of 16 bytes or more, e.g. from "
            "`openssl rand -base64 24`)"
        ],
        lambda: webhook_refuses(
            {"name": "hook", "url": "https://hooks.example.com/b", "secret": "whsec_AAAA"}
        ),
    ),
    "a webhook URL parses": Rule(
        doc(
            "User",
            "bob",
            "  email: bob@example.com",
            "  contacts:",
            f'    - {{name: hook, type: webhook, url: "http://[::1/x", secret: {SECRET}}}',
        ),
        ['bad.yaml:7: contacts[0].url "http://[::1/x" is not an http(s) URL'],
        lambda: webhook_refuses({"name": "hook", "url": "http://[::1/x", "secret": SECRET}),
    ),
    "a webhook URL has a port that is a number": Rule(
        doc(
            "User",
            "bob",
            "  email: bob@example.com",
            "  contacts:",
            f'    - {{name: hook, type: webhook, url: "http://h:port/x", secret: {SECRET}}}',
        ),
        ['bad.yaml:7: contacts[0].url "http://h:port/x" is not an http(s) URL'],
        lambda: webhook_refuses({"name": "hook", "url": "http://h:port/x", "secret": SECRET}),
    ),
    "a Slack URL has a host": Rule(
        doc(
            "User",
            "bob",
            "  email: bob@example.com",
            "  contacts:",
            '    - {name: chat, type: slack, webhookUrl: "http://:80/services/x"}',
        ),
        ['bad.yaml:7: contacts[0].webhookUrl "http://:80/services/x" is not an http(s) URL'],
        lambda: slack_refuses("http://:80/services/x"),
    ),
    "a push URL parses": Rule(
        doc(
            "User",
            "bob",
            "  email: bob@example.com",
            "  contacts:",
            '    - {name: phone, type: push, url: "https://ntfy.example.com:99999/t"}',
        ),
        ['bad.yaml:7: contacts[0].url "https://ntfy.example.com:99999/t" is not an http(s) URL'],
        lambda: push_refuses("https://ntfy.example.com:99999/t"),
    ),
    "a schedule layer has a user": Rule(
        doc(
            "Schedule",
            "s",
            "  timezone: UTC",
            "  layers:",
            '    - {name: l, start: "2026-01-05T09:00:00", rotation: 1w, users: []}',
        ),
        ["bad.yaml:7: layers[0].users: a layer needs at least one user"],
        calculator_refuses_layer_without_users,
    ),
    "a router matcher is a valid regular expression": Rule(
        doc(
            "Router",
            "r",
            "  route:",
            "    service: api",
            "    routes:",
            "      - matchers: ['team=~\"(\"']",
            "        service: api",
        ),
        [
            "bad.yaml:8: route.routes[0].matchers[0]: matcher 'team=~\"(\"' has a bad "
            'regular expression: "(": missing ), unterminated subpattern'
        ],
        lambda: router_refuses_matcher('team=~"("'),
    ),
    "a component matcher is a valid regular expression (ingest drops it)": Rule(
        doc(
            "Service",
            "mono",
            "  owner: ops",
            "  components:",
            "    - name: refunds",
            "      match: ['module=~\"(\"']",
        ),
        [
            "bad.yaml:8: components[0].match[0]: matcher 'module=~\"(\"' has a bad regular "
            'expression: "(": missing ), unterminated subpattern'
        ],
        lambda: ingest_drops_component_matcher('module=~"("'),
    ),
}


@pytest.mark.parametrize("name", list(RULES))
def test_lint_refuses_what_run_time_refuses(name: str) -> None:
    rule = RULES[name]
    rule.runtime()  # the run-time code refuses it…
    problems = lint(rule.document)
    assert problems == rule.expected


def test_the_base_and_a_good_policy_pass() -> None:
    good = doc("EscalationPolicy", "p", "  levels: [{after: 1m, targets: [{user: alice}]}]")
    assert lint(good) == []


@settings(max_examples=60, deadline=None)
@given(seconds=st.integers(min_value=1, max_value=7200), unit=st.sampled_from(["s", "m"]))
def test_lint_and_engine_agree_on_every_after(seconds: int, unit: str) -> None:
    """Lint refuses a level's ``after`` exactly when the engine would: the same check."""
    document = doc(
        "EscalationPolicy",
        "p",
        "  levels:",
        f"    - after: {seconds}{unit}",
        "      targets: [{user: alice}]",
    )
    docs = load_text(BASE, "base.yaml").documents + load_text(document, "bad.yaml").documents
    validated = validate(docs)
    (policy,) = [d.obj for d in validated.documents if isinstance(d.obj, EscalationPolicy)]
    snapshot = policy_snapshot(policy.name, to_spec(policy))
    assert snapshot is not None
    engine_refuses = bool(esc.snapshot_problems(snapshot))
    after = timedelta(seconds=seconds * (60 if unit == "m" else 1))
    assert bool(validated.problems) == engine_refuses == (after < esc.MIN_AFTER)


def test_url_rule_is_one_rule() -> None:
    """The notifiers' URL check starts with the domain rule the catalog and Me page use."""
    for url in ("http://[::1/x", "http://h:port/x", "http://:80/x", "ftp://h/x", ""):
        assert check_url(url) is not None
