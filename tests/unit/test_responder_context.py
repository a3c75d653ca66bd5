"""First-responder context as the channels show it: the short line, the lists, escaping."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from ownit.adapters.notifiers.email import html_body, text_body
from ownit.adapters.notifiers.push import push_text
from ownit.adapters.notifiers.webhook import incident_data
from ownit.app.notify import (
    Notification,
    PastIncident,
    RecentChange,
    ResponderContext,
    UpstreamIncident,
    context_facts,
    context_line,
    past_text,
)

T = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CAUSE = UpstreamIncident("payments-db", 41, "Disk <full>", "triggered", "https://o/incidents/41")
CHANGE = RecentChange(T, "payments-db", "migrate <schema>", "javascript:alert(1)")
PAST = PastIncident(12, "Latency", T, "alice", 3 * 3600 + 120, "restarted <pool>")
CONTEXT = ResponderContext("payments", "refunds", "https://wiki/run", (CAUSE,), (CHANGE,), (PAST,))


def page(context: ResponderContext | None = CONTEXT, **changes: Any) -> Notification:
    n = Notification(
        idempotency_key="k",
        event_type="incident.triggered",
        incident_id="inc_1",
        incident_number=42,
        title="Checkout latency",
        service="checkout-api",
        component=None,
        urgency="high",
        status="triggered",
        runbook_url=None,
        incident_url="https://o/incidents/42",
        ack_url=None,
        resolve_url=None,
        occurred_at=T,
        context=context,
    )
    return dataclasses.replace(n, **changes)


def test_the_short_line_names_the_cause_and_the_runbook() -> None:
    assert (
        context_line(CONTEXT) == "likely cause upstream: payments-db #41; runbook: https://wiki/run"
    )
    quiet = dataclasses.replace(CONTEXT, likely_cause=(), runbook_url=None)
    assert context_line(quiet) == "recent change: payments-db: migrate <schema>"
    assert context_line(ResponderContext(None, None, None)) == ""


def test_facts_leave_out_what_the_page_already_shows() -> None:
    names = [name for name, _ in context_facts(page())]
    assert names == ["Owner", "Component", "Runbook", "Likely cause upstream"]
    shown = page(component="refunds", runbook_url="https://wiki/run")
    assert [name for name, _ in context_facts(shown)] == ["Owner", "Likely cause upstream"]


def test_how_a_past_incident_was_resolved() -> None:
    assert (
        past_text(PAST) == "#12 Latency: resolved by alice after 3 h 2 min; note: restarted <pool>"
    )


def test_email_escapes_and_links_only_web_urls() -> None:
    html = html_body(page())
    assert "Disk &lt;full&gt;" in html
    assert "javascript:" not in html  # the change's link is not a web link: text only
    assert "migrate &lt;schema&gt;" in html
    assert '<a href="https://o/incidents/41">' in html
    assert "Context:" in text_body(page())
    assert "Context" not in text_body(page(None))
    assert "<h3>Context</h3>" not in html_body(page(None))


def test_push_and_webhook_without_context() -> None:
    assert push_text(page(None)).splitlines()[1] == "Service: checkout-api"
    assert incident_data(page(None))["context"] is None
    assert incident_data(page())["context"]["similar_incidents"][0]["time_to_resolve_s"] == 10920


def test_an_inline_runbook_is_shown_on_one_line_when_there_is_no_url() -> None:
    inline = dataclasses.replace(
        CONTEXT, runbook_url=None, runbook_text="# db\n1. Check lag.\n" + "x" * 600
    )
    facts = dict(context_facts(page(inline)))
    assert facts["Runbook"].startswith("# db 1. Check lag. xxx")
    assert len(facts["Runbook"]) == 500
    assert facts["Runbook"].endswith("…")
    assert "Runbook" not in dict(context_facts(page(inline, runbook_url="https://wiki/run")))
    assert incident_data(page(inline))["context"]["runbook_text"] == inline.runbook_text
