"""Postmortems through the API on SQLite and PostgreSQL: idempotent create, the timeline
filled in and ordered, the lifecycle, action items, overdue lists, merged incidents sharing
one, the Markdown export and bad input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import Ctx
from tests.integration.postmortem_world import (
    API_KEY,
    WEB_KEY,
    an_incident_with_changes,
    build_shop,
    post,
    trigger,
)

PM = "/api/v1/incidents/1/postmortem"


def get(ctx: Ctx, path: str, expect: int = 200, **params: str) -> Any:
    response = ctx.client.get(path, params=params, headers=ctx.viewer)
    assert response.status_code == expect, response.text
    return response.json()


def patch(ctx: Ctx, path: str, body: Any, status: int = 200) -> Any:
    response = ctx.client.patch(path, json=body, headers=ctx.responder)
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def shop(ctx: Ctx) -> Ctx:
    an_incident_with_changes(ctx)
    return ctx


def test_create_is_idempotent_and_fills_in_the_timeline(shop: Ctx) -> None:
    first = post(shop, PM, {"owner": "alice"}, status=201)
    again = post(shop, PM, {"owner": "bob"}, status=200)
    assert again["id"] == first["id"]
    assert again["owner"] == "alice"  # the existing one, unchanged
    assert first["status"] == "draft"
    assert first["due"] == "2026-12-01"  # 3 business days (api's override) after Thu 26 Nov
    assert first["required"] is True  # api: any urgency
    assert set(first["sections"]) == {
        "summary",
        "impact",
        "contributing_factors",
        "detection",
        "resolution",
        "what_went_well",
        "what_went_wrong",
        "where_we_got_lucky",
    }
    entries = [(e["kind"], e["service"], e["text"]) for e in first["timeline"]]
    assert entries[0] == ("change", "db", "db: schema migration 42")  # upstream, before
    assert [k for k, _, _ in entries[1:]][-3:] == ["acknowledged", "note", "resolved"]
    assert all(s != "web" for _, s, _ in entries)  # not upstream of api
    assert all("later deploy" not in t for _, _, t in entries)  # after the window
    times = [e["at"] for e in first["timeline"]]
    assert times == sorted(times)
    keys = first["key_times"]
    assert keys["time_to_acknowledge_s"] == 180
    assert keys["time_to_resolve_s"] == 34 * 60
    assert get(shop, PM)["id"] == first["id"]


def test_the_lifecycle_and_a_closed_postmortem_refuses_edits(shop: Ctx) -> None:
    post(shop, PM, status=201)
    bad = patch(shop, PM, {"status": "closed"}, status=422)
    assert bad["errors"][0]["field"] == "status"
    assert "draft postmortem can move to in_review" in bad["detail"]
    saved = patch(shop, PM, {"sections": {"summary": "Bob's fault: human error."}})
    assert saved["sections"]["summary"] == "Bob's fault: human error."
    assert [(h["section"], h["phrase"]) for h in saved["wording_hints"]] == [
        ("summary", "Bob's fault"),
        ("summary", "human error"),
    ]
    assert all(h["suggestion"] for h in saved["wording_hints"])
    assert patch(shop, PM, {"status": "in_review"})["status"] == "in_review"
    assert patch(shop, PM, {"status": "closed"})["status"] == "closed"
    refused = patch(shop, PM, {"title": "again"}, status=409)
    assert "closed" in refused["detail"]
    assert get(shop, PM)["title"] != "again"


def test_timeline_entries_are_hidden_or_annotated_never_rewritten(shop: Ctx) -> None:
    created = post(shop, PM, status=201)
    change_key = created["timeline"][0]["key"]
    note_key = next(e["key"] for e in created["timeline"] if e["kind"] == "note")
    body = {"timeline": {change_key: {"note": "the trigger"}, note_key: {"hidden": True}}}
    saved = patch(shop, PM, body)
    marked = {e["key"]: e for e in saved["timeline"]}
    assert marked[change_key]["note"] == "the trigger"
    assert marked[change_key]["text"] == "db: schema migration 42"
    assert marked[note_key]["hidden"] is True
    assert marked[note_key]["text"] == "rolling back migration 42"
    markdown = shop.client.get(f"/api/v1/postmortems/{saved['id']}.md", headers=shop.viewer).text
    assert "the trigger" in markdown
    assert "rolling back migration 42" not in markdown  # hidden


def test_action_items_overdue_and_the_overdue_list(shop: Ctx) -> None:
    pm_id = post(shop, PM, status=201)["id"]
    actions = f"/api/v1/postmortems/{pm_id}/actions"
    late = {"title": "alert on migration time", "owner": "bob", "due": "2026-11-01"}
    item = post(shop, actions, late, status=201)["action"]
    assert item == {
        "number": 1,
        "title": "alert on migration time",
        "owner": "bob",
        "due": "2026-11-01",
        "status": "open",
        "link": None,
        "overdue": True,  # a due date in the past: overdue at once
    }
    later = {"title": "runbook", "owner": "alice", "due": "2027-01-04", "link": "https://x.test"}
    assert post(shop, actions, later, status=201)["action"]["number"] == 2
    found = get(shop, "/api/v1/postmortems", overdue="true")["postmortems"]
    assert [p["id"] for p in found] == [pm_id]
    done = patch(shop, f"{actions}/1", {"status": "done"})["action"]
    assert done["status"] == "done"
    assert done["overdue"] is False
    assert get(shop, "/api/v1/postmortems", overdue="true")["postmortems"] == []
    shop.clock.advance(days=4)  # Wed 2 Dec: the postmortem itself (due 1 Dec) is now late
    assert [p["id"] for p in get(shop, "/api/v1/postmortems", overdue="true")["postmortems"]] == [
        pm_id
    ]
    assert get(shop, "/api/v1/postmortems", team="shop", status="draft")["postmortems"]


def test_merged_incidents_share_one_postmortem(ctx: Ctx) -> None:
    build_shop(ctx)
    trigger(ctx, API_KEY, "api errors")  # 1
    trigger(ctx, API_KEY, "api latency")  # 2
    post(ctx, "/api/v1/incidents/1/merge", {"incidents": [2]})
    target = post(ctx, "/api/v1/incidents/1/postmortem", status=201)
    source = post(ctx, "/api/v1/incidents/2/postmortem", status=200)
    assert source["id"] == target["id"]
    assert source["incident"]["number"] == 1
    assert get(ctx, "/api/v1/incidents/2/postmortem")["id"] == target["id"]


def test_the_policy_override_has_an_effect(ctx: Ctx) -> None:
    build_shop(ctx)
    trigger(ctx, WEB_KEY, "web down")  # #1 on web: postmortem: {required: false}
    created = post(ctx, PM, status=201)
    assert created["required"] is False
    assert created["due"] == "2026-12-03"  # the org's 5 business days from Thu 26 Nov (open)


def test_markdown_export_has_every_section_the_timeline_and_the_actions(shop: Ctx) -> None:
    pm_id = post(shop, PM, {"owner": "alice"}, status=201)["id"]
    patch(shop, PM, {"sections": {"impact": "Checkout | failed for 34 minutes"}})
    item = {"title": "add a canary", "owner": "bob", "due": "2026-11-01"}
    post(shop, f"/api/v1/postmortems/{pm_id}/actions", item, status=201)
    response = shop.client.get(f"/api/v1/postmortems/{pm_id}.md", headers=shop.viewer)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    text = response.text
    for title in (
        "## Summary",
        "## Impact",
        "## Contributing factors",
        "## Detection",
        "## Resolution",
        "## What went well",
        "## What went wrong",
        "## Where we got lucky",
        "## Timeline",
        "## Action items",
    ):
        assert f"\n{title}\n" in text
    assert "Checkout | failed for 34 minutes" in text
    assert "| Time (UTC) | What | Detail | Note |" in text
    assert "| 2026-11-26 12:00:00 | change on db | db: schema migration 42 |  |" in text
    assert "- [ ] 1. add a canary — bob, due 2026-11-01 **overdue**" in text
    assert "- Owner: alice" in text


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [
        ("post", "/api/v1/incidents/1/postmortem", {"owner": "nobody"}, 422, "owner"),
        ("patch", PM, {"owner": "nobody"}, 422, "owner"),
        ("patch", PM, {"status": "done"}, 422, "status"),
        ("patch", PM, {"sections": {"root_cause": "x"}}, 422, "sections"),
        ("patch", PM, {"due": "soon"}, 422, "due"),
        ("patch", PM, {"title": "  "}, 422, "title"),
        (
            "post",
            "/api/v1/postmortems/1/actions",
            {"title": "x", "owner": "zed", "due": "2027-01-01"},
            422,
            "owner",
        ),
        (
            "post",
            "/api/v1/postmortems/1/actions",
            {"title": "x", "owner": "bob", "due": "2027-13-01"},
            422,
            "due",
        ),
        (
            "post",
            "/api/v1/postmortems/1/actions",
            {"title": "x", "owner": "bob", "due": "2027-01-01", "link": "ftp://x"},
            422,
            "link",
        ),
        ("patch", "/api/v1/postmortems/1/actions/1", {"status": "closed"}, 422, "status"),
        ("patch", "/api/v1/postmortems/1/actions/1", {"owner": "zed"}, 422, "owner"),
        ("get", "/api/v1/postmortems?status=open", None, 422, "status"),
        ("get", "/api/v1/postmortems?team=nope", None, 422, "team"),
    ],
)
def test_bad_input_names_the_field(
    shop: Ctx, method: str, path: str, body: Any, status: int, field: str
) -> None:
    post(shop, PM, status=201)
    item = {"title": "first", "owner": "bob", "due": "2027-01-01"}
    post(shop, "/api/v1/postmortems/1/actions", item, status=201)
    kwargs: dict[str, Any] = {"headers": shop.responder}
    if body is not None:
        kwargs["json"] = body
    response = shop.client.request(method.upper(), path, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.parametrize(
    ("method", "path", "who", "status"),
    [
        ("get", "/api/v1/incidents/1/postmortem", "viewer", 404),  # none yet
        ("get", "/api/v1/incidents/99/postmortem", "viewer", 404),
        ("post", "/api/v1/incidents/99/postmortem", "responder", 404),
        ("post", "/api/v1/incidents/1/postmortem", "viewer", 403),
        ("get", "/api/v1/postmortems/7", "viewer", 404),
        ("get", "/api/v1/postmortems/7.md", "viewer", 404),
        ("patch", "/api/v1/postmortems/7/actions/1", "responder", 404),
        ("get", "/api/v1/postmortems", None, 401),
    ],
)
def test_missing_things_and_roles(
    shop: Ctx, method: str, path: str, who: str | None, status: int
) -> None:
    headers = {"viewer": shop.viewer, "responder": shop.responder}.get(who or "", {})
    kwargs: dict[str, Any] = {"headers": headers}
    if method != "get":
        kwargs["json"] = {}
    response = shop.client.request(method.upper(), path, **kwargs)
    assert response.status_code == status, response.text
