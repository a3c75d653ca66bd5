"""The schedule pages, the Me page and the incident page's reassign/escalate, through forms.

The on-call catalog (``oncall_catalog``): at T0 (Thursday 2026-11-26 13:00 in Berlin) bob has
``primary``'s daily turn and carol its office hours (12:00-14:00), so carol is on call;
``weekend`` (no team) has dave on Saturdays and Sundays only: gaps on weekdays.
"""

from __future__ import annotations

import html as markup
import re
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from ownit.adapters.catalog.yaml_source import load_text
from ownit.adapters.db import tables as t
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.app import catalog as catalog_uc
from tests.integration import oncall_catalog
from tests.integration.conftest import Ctx
from tests.integration.receivers import http_receiver
from tests.integration.web_helpers import BOB, csrf_of, login, page_token, setup_people, trigger

WEB_KEY = "webpages000000000000000000000001"
SERVICE = f"""
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: payments-web}}
spec:
  owner: payments
  escalationPolicy: payments
  integrations:
    - {{name: events, type: events-v2, key: {WEB_KEY}}}
"""


@pytest.fixture
def alice(ctx: Ctx) -> Ctx:
    setup_people(ctx.engine, ctx.clock)
    assert login(ctx.client).status_code == 303
    return ctx


def on_call_shown(html: str) -> str:
    found = re.search(r'data-oncall="([^"]*)"', html)
    assert found, "the page does not say who is on call"
    return found.group(1)


def field_error(html: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert found, f"no error next to {field}"
    return markup.unescape(found.group(1))


def overrides(ctx: Ctx) -> int:
    with ctx.engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).select_from(t.schedule_overrides)).scalar_one()
        )


def user_spec(ctx: Ctx, name: str) -> dict[str, Any]:
    with ctx.engine.connect() as conn:
        spec = conn.execute(select(t.users.c.spec).where(t.users.c.name == name)).scalar_one()
    return dict(spec)


# --- schedules --------------------------------------------------------------------------------


def test_the_schedule_list_links_each_schedule_with_who_is_on_call(alice: Ctx) -> None:
    page = alice.client.get("/schedules")
    assert page.status_code == 200
    assert '<a href="/schedules/primary">primary</a>' in page.text
    assert '<a href="/schedules/weekend">weekend</a>' in page.text
    assert "Carol Danvers" in page.text  # primary, now
    assert '<span class="gap">nobody</span>' in page.text  # weekend on a Thursday
    assert 'href="/schedules/primary"' in alice.client.get("/oncall").text


def test_the_timeline_shows_layers_people_and_gaps(alice: Ctx) -> None:
    page = alice.client.get("/schedules/primary")
    assert page.status_code == 200
    html = page.text
    assert 'role="img"' in html
    assert '<title id="tl-title">primary: the next 14 days' in html
    for label in ("daily", "office", "Overrides", "Final"):
        assert f">{label}</text>" in html
    assert on_call_shown(html) == "carol"
    assert "Bob Builder: Thu 2026-11-26 09:00 to Fri 2026-11-27 09:00" in html
    # the catalog's Saturday override for carol is drawn and listed
    assert "Carol Danvers: Sat 2026-11-28 09:00 to Sat 2026-11-28 21:00" in html
    assert "in the catalog" in html
    assert 'class="now"' in html
    assert html.count('class="tick"') == 15  # a tick at each local midnight, both ends in

    weekend = alice.client.get("/schedules/weekend?days=7").text
    assert 'class="bar gapbar"' in weekend
    assert "gap: nobody from Thu 2026-11-26 00:00 to Sat 2026-11-28 00:00" in weekend
    assert '<span class="gap">gap: nobody</span>' in weekend  # the table says it too
    assert on_call_shown(weekend) == ""
    assert alice.client.get("/schedules/weekend?days=99").text.count('class="tick"') == 29
    assert alice.client.get("/schedules/nope").status_code == 404


def test_an_override_changes_who_is_on_call_and_deleting_it_changes_it_back(alice: Ctx) -> None:
    token = page_token(alice.client, "/schedules/primary")
    made = alice.client.post(
        "/schedules/primary/overrides",
        data={
            "csrf": token,
            "user": "dave",
            "start": "2026-11-26T13:00",
            "end": "2026-11-26T18:00",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    page = alice.client.get(made.headers["location"]).text
    assert "The override is saved." in page
    assert on_call_shown(page) == "dave"
    api = alice.client.get("/api/v1/schedules/primary/oncall", headers=alice.viewer).json()
    assert [u["name"] for u in api["users"]] == ["dave"]
    [row] = alice.client.get("/api/v1/schedules/primary/overrides", headers=alice.viewer).json()[
        "overrides"
    ][:1]
    assert row["user"] == "dave"
    assert row["start"] == "2026-11-26T12:00:00+00:00"  # 13:00 Berlin
    assert row["created_by"] == "alice"

    override_id = re.search(r"/schedules/primary/overrides/(\d+)/delete", page)
    assert override_id
    gone = alice.client.post(
        f"/schedules/primary/overrides/{override_id.group(1)}/delete",
        data={"csrf": token},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    assert on_call_shown(alice.client.get("/schedules/primary").text) == "carol"
    again = alice.client.post(
        f"/schedules/primary/overrides/{override_id.group(1)}/delete", data={"csrf": token}
    )
    assert again.status_code == 404
    assert "is already gone" in again.text


def test_an_override_for_one_persons_shifts_only_covers_theirs(alice: Ctx) -> None:
    token = page_token(alice.client, "/schedules/primary")
    made = alice.client.post(
        "/schedules/primary/overrides",
        data={
            "csrf": token,
            "user": "dave",
            "start": "2026-11-26T10:00",
            "end": "2026-11-26T16:00",
            "replacing": "bob",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    found = alice.client.get("/api/v1/schedules/primary/overrides", headers=alice.viewer).json()
    api = [(o["start"], o["end"]) for o in found["overrides"] if o["source"] == "api"]
    # from now (13:00) bob's turn is cut by carol's office hours until 14:00
    assert api == [("2026-11-26T13:00:00+00:00", "2026-11-26T15:00:00+00:00")]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"start": "2026-11-26T18:00", "end": "2026-11-26T14:00"}, "end", "must be after start"),
        ({"start": "tomorrow", "end": "2026-11-26T14:00"}, "start", "is not a date and time"),
        ({"start": "", "end": "2026-11-26T14:00"}, "start", "is required"),
        ({"user": "zoe"}, "user", "there is no user named 'zoe'"),
        ({"start": "2026-11-20T10:00", "end": "2026-11-21T10:00"}, "end", "is in the past"),
        ({"replacing": "dave"}, "replacing", "dave is not on call in primary"),
    ],
)
def test_override_form_errors_stand_next_to_their_field_and_save_nothing(
    alice: Ctx, data: dict[str, str], field: str, message: str
) -> None:
    token = page_token(alice.client, "/schedules/primary")
    form = {"csrf": token, "user": "carol", "start": "2026-11-26T14:00", "end": "2026-11-26T20:00"}
    response = alice.client.post("/schedules/primary/overrides", data=form | data)
    assert response.status_code == 400
    assert message in field_error(response.text, field)
    assert f'id="{field}" name="{field}"' in response.text
    assert overrides(alice) == 0


def test_only_managers_of_the_team_change_overrides(alice: Ctx) -> None:
    assert "Add an override" in alice.client.get("/schedules/primary").text  # an admin
    assert login(alice.client, BOB).status_code == 303  # a member, responder in payments
    page = alice.client.get("/schedules/primary")
    assert page.status_code == 200
    assert "Add an override" not in page.text
    assert "Managers of team payments (and admins) can add" in page.text
    assert "only admins can add" in alice.client.get("/schedules/weekend").text
    token = page_token(alice.client, "/schedules/primary")
    refused = alice.client.post(
        "/schedules/primary/overrides",
        data={"csrf": token, "user": "bob", "start": "2026-11-26T14:00", "end": "2026-11-26T20:00"},
    )
    assert refused.status_code == 403
    assert "Only managers of team payments may change" in refused.text
    assert overrides(alice) == 0
    made = alice.client.post(
        "/api/v1/schedules/primary/overrides",
        json={"user": "dave", "start": "2026-11-26T14:00:00Z", "end": "2026-11-26T20:00:00Z"},
        headers=alice.admin,
    )
    assert made.status_code == 201
    override_id = made.json()["override"]["id"]
    gone = alice.client.post(
        f"/schedules/primary/overrides/{override_id}/delete", data={"csrf": token}
    )
    assert gone.status_code == 403
    assert overrides(alice) == 1


def test_a_team_manager_who_is_no_admin_changes_overrides(alice: Ctx) -> None:
    managers = oncall_catalog.ORG.replace("{user: bob}", "{user: bob, role: manager}")
    assert managers != oncall_catalog.ORG
    oncall_catalog.apply(alice.engine, managers)
    assert login(alice.client, BOB).status_code == 303
    assert "Add an override" in alice.client.get("/schedules/primary").text
    assert "Add an override" not in alice.client.get("/schedules/weekend").text  # no team
    token = page_token(alice.client, "/schedules/primary")
    made = alice.client.post(
        "/schedules/primary/overrides",
        data={"csrf": token, "user": "bob", "start": "2026-11-26T14:00", "end": "2026-11-26T20:00"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    assert overrides(alice) == 1
    refused = alice.client.post(
        "/schedules/weekend/overrides",
        data={"csrf": token, "user": "bob", "start": "2026-11-26T14:00", "end": "2026-11-26T20:00"},
    )
    assert refused.status_code == 403
    assert "Only admins may change the overrides of weekend" in refused.text
    assert overrides(alice) == 1


# --- the Me page ----------------------------------------------------------------------------


def add_contact(ctx: Ctx, **values: str) -> Any:
    token = page_token(ctx.client, "/me")
    return ctx.client.post("/me/contacts", data={"csrf": token, **values}, follow_redirects=False)


def test_me_edits_persist_and_survive_a_catalog_apply_that_leaves_them_unsaid(alice: Ctx) -> None:
    page = alice.client.get("/me")
    assert page.status_code == 200
    assert "No contacts yet" in page.text
    assert 'href="/me/password"' in page.text
    assert "You are not on call right now." in page.text  # alice: Wednesday's turn was hers
    assert "2026-11-27 08:00 UTC" in page.text  # her next daily turn, Friday 09:00 Berlin

    assert (
        add_contact(alice, name="work", type="email", value="alice@work.example").status_code == 303
    )
    assert (
        add_contact(alice, name="phone", type="push", value="https://ntfy.sh/alice").status_code
        == 303
    )
    token = page_token(alice.client, "/me")
    for contact, after in (("work", "0"), ("phone", "5m")):
        added = alice.client.post(
            "/me/rules",
            data={"csrf": token, "contact": contact, "after": after},
            follow_redirects=False,
        )
        assert added.status_code == 303
    moved = alice.client.post("/me/rules/1/up", data={"csrf": token}, follow_redirects=False)
    assert moved.status_code == 303
    spec = user_spec(alice, "alice")
    assert spec["contacts"] == [
        {"name": "work", "type": "email", "address": "alice@work.example"},
        {"name": "phone", "type": "push", "url": "https://ntfy.sh/alice"},
    ]
    assert spec["notificationRules"] == [
        {"contact": "phone", "after": "5m"},
        {"contact": "work", "after": "0s"},
    ]

    oncall_catalog.apply(alice.engine)  # the same catalog, which says nothing of contacts
    kept = user_spec(alice, "alice")
    assert kept["contacts"] == spec["contacts"]
    assert kept["notificationRules"] == spec["notificationRules"]
    export = catalog_uc.export(store=SqlCatalogStore(alice.engine))
    [doc] = [d for d in export if d["kind"] == "User" and d["metadata"] == {"name": "alice"}]
    exported = doc["spec"]
    assert isinstance(exported, dict)
    assert "contacts" not in exported  # the person's own: not the catalog's to export

    removed = alice.client.post("/me/contacts/phone/delete", data={"csrf": token})
    assert removed.status_code == 200  # followed to the page
    spec = user_spec(alice, "alice")
    assert [c["name"] for c in spec["contacts"]] == ["work"]
    assert spec["notificationRules"] == [{"contact": "work", "after": "0s"}]


def test_contacts_stated_in_the_catalog_are_read_only_and_win(alice: Ctx) -> None:
    assert add_contact(alice, name="mine", type="email", value="a@mine.example").status_code == 303
    stated = oncall_catalog.ORG.replace(
        "spec: {displayName: Alice Liddell, email: alice@example.com}",
        "spec: {displayName: Alice Liddell, email: alice@example.com, "
        "contacts: [{name: pager, type: email, address: pager@example.com}]}",
    )
    assert stated != oncall_catalog.ORG
    loaded = load_text(stated, "people/alice.yaml")
    result = catalog_uc.apply(
        store=SqlCatalogStore(alice.engine),
        documents=loaded.documents,
        clock=alice.clock,
        source="people/alice.yaml",
    )
    [change] = [c for c in result.diff.changes if c.name == "alice" and c.kind == "User"]
    assert {f.path for f in change.fields} >= {"contacts", "personal"}
    assert [c["name"] for c in user_spec(alice, "alice")["contacts"]] == ["pager"]
    page = alice.client.get("/me").text
    assert "Managed in the catalog (file people/alice.yaml)" in page
    assert 'action="/me/contacts"' not in page
    assert "Add a rule" in page  # the rules are still hers
    refused = add_contact(alice, name="other", type="email", value="o@example.com")
    assert refused.status_code == 400
    assert "managed in the catalog" in refused.text
    assert [c["name"] for c in user_spec(alice, "alice")["contacts"]] == ["pager"]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": "Work Mail", "type": "email", "value": "a@b.example"}, "name", "is not a slug"),
        ({"name": "w", "type": "email", "value": "not-an-address"}, "value", "email address"),
        ({"name": "w", "type": "webhook", "value": "ftp://x"}, "value", "http(s) URL"),
        ({"name": "w", "type": "fax", "value": "123"}, "type", "choose one of"),
        (
            {"name": "w", "type": "webhook", "value": "https://h.example", "secret": "nope"},
            "secret",
            "whsec_",
        ),
    ],
)
def test_contact_form_errors_stand_next_to_their_field_and_save_nothing(
    alice: Ctx, values: dict[str, str], field: str, message: str
) -> None:
    response = add_contact(alice, **values)
    assert response.status_code == 400
    assert message in field_error(response.text, field)
    assert "contacts" not in user_spec(alice, "alice")


def test_rule_errors_save_nothing(alice: Ctx) -> None:
    assert add_contact(alice, name="work", type="email", value="a@b.example").status_code == 303
    token = page_token(alice.client, "/me")
    bad = alice.client.post("/me/rules", data={"csrf": token, "contact": "work", "after": "soon"})
    assert bad.status_code == 400
    assert "is not a delay" in field_error(bad.text, "after")
    unknown = alice.client.post("/me/rules", data={"csrf": token, "contact": "fax", "after": "0"})
    assert "choose one of your contacts" in field_error(unknown.text, "rule_contact")
    assert "notificationRules" not in user_spec(alice, "alice")
    no_csrf = alice.client.post("/me/rules", data={"contact": "work", "after": "0"})
    assert no_csrf.status_code == 403


def test_a_reminder_on_the_same_contact_is_added_and_the_same_rule_twice_refused(
    alice: Ctx,
) -> None:
    assert add_contact(alice, name="work", type="email", value="a@b.example").status_code == 303
    token = page_token(alice.client, "/me")
    for after in ("0", "20s"):
        added = alice.client.post(
            "/me/rules",
            data={"csrf": token, "contact": "work", "after": after},
            follow_redirects=False,
        )
        assert added.status_code == 303, added.text
    again = alice.client.post("/me/rules", data={"csrf": token, "contact": "work", "after": "20s"})
    assert again.status_code == 400
    assert "your rule 2 already notifies 'work' after 20s" in field_error(again.text, "after")
    assert user_spec(alice, "alice")["notificationRules"] == [
        {"contact": "work", "after": "0s"},
        {"contact": "work", "after": "20s"},
    ]


def test_status_updates_are_chosen_per_contact_on_the_me_page(alice: Ctx) -> None:
    assert add_contact(alice, name="work", type="email", value="a@b.example").status_code == 303
    page = alice.client.get("/me").text
    assert "Status updates" in page
    token = page_token(alice.client, "/me")
    saved = alice.client.post(
        "/me/status-updates", data={"csrf": token, "contact": "work"}, follow_redirects=False
    )
    assert saved.status_code == 303
    assert user_spec(alice, "alice")["statusUpdates"] == ["work"]
    assert 'value="work" checked' in alice.client.get("/me").text
    bad = alice.client.post("/me/status-updates", data={"csrf": token, "contact": "fax"})
    assert bad.status_code == 400
    assert "you have no contact named" in field_error(bad.text, "updates")
    cleared = alice.client.post("/me/status-updates", data={"csrf": token}, follow_redirects=False)
    assert cleared.status_code == 303
    assert "statusUpdates" not in user_spec(alice, "alice")


def test_a_test_notification_reaches_a_real_webhook(alice: Ctx) -> None:
    with http_receiver() as hook:
        made = add_contact(alice, name="hook", type="webhook", value=f"{hook.url}/alice")
        assert made.status_code == 303
        secret = user_spec(alice, "alice")["contacts"][0]["secret"]
        assert secret.startswith("whsec_")
        token = page_token(alice.client, "/me")
        sent = alice.client.post("/me/test-notification", data={"csrf": token, "contact": ""})
        assert sent.status_code == 200
        assert '<li class="r-delivered"><strong>hook</strong> (webhook): delivered' in sent.text
        [request] = hook.requests
        assert request.path == "/alice"
        body = orjson.loads(request.body)
        assert body["type"] == "test"
        assert body["data"]["recipient"] == "alice"
        assert request.headers["webhook-signature"].startswith("v1,")

        hook.status = 404
        failed = alice.client.post("/me/test-notification", data={"csrf": token, "contact": "hook"})
        assert '<li class="r-failed"><strong>hook</strong> (webhook): failed' in failed.text
        assert "404" in failed.text
        assert len(hook.requests) == 2
        nothing = alice.client.post("/me/test-notification", data={"csrf": token, "contact": "x"})
        assert nothing.status_code == 400
        assert "you have no contact named 'x'" in field_error(nothing.text, "test")


@pytest.mark.outbound_refused
def test_a_contact_url_pointing_inward_warns_when_saved_and_is_refused_at_send(
    alice: Ctx,
) -> None:
    with http_receiver() as hook:
        made = add_contact(alice, name="hook", type="webhook", value=f"{hook.url}/alice")
        assert made.status_code == 200  # saved, with a warning on the page
        assert "The contact is added." in made.text
        warning = re.search(r'<p class="warning" role="alert">([^<]*)</p>', made.text)
        assert warning is not None
        assert markup.unescape(warning.group(1)) == (
            "Warning: deliveries to this URL will be refused: 127.0.0.1 is a loopback "
            "address; allow it with OWNIT_OUTBOUND_ALLOW"
        )
        assert user_spec(alice, "alice")["contacts"][0]["url"] == f"{hook.url}/alice"
        token = page_token(alice.client, "/me")
        sent = alice.client.post("/me/test-notification", data={"csrf": token, "contact": ""})
        assert '<li class="r-failed"><strong>hook</strong> (webhook): failed' in sent.text
        assert "is a loopback address" in markup.unescape(sent.text)
        assert hook.requests == []


def test_a_public_contact_url_saves_without_a_warning(alice: Ctx) -> None:
    made = add_contact(alice, name="hook", type="webhook", value="https://93.184.215.14/x")
    assert made.status_code == 303


def test_test_notifications_are_rate_limited_per_person(alice: Ctx) -> None:
    assert add_contact(alice, name="work", type="email", value="a@b.example").status_code == 303
    token = page_token(alice.client, "/me")
    codes = [
        alice.client.post("/me/test-notification", data={"csrf": token}).status_code
        for _ in range(7)
    ]
    assert codes == [200] * 5 + [429] * 2
    alice.clock.advance(minutes=1)
    assert alice.client.post("/me/test-notification", data={"csrf": token}).status_code == 200


def test_rotating_the_calendar_link_stops_the_old_one(alice: Ctx) -> None:
    token = page_token(alice.client, "/me")
    assert "You have no link yet." in alice.client.get("/me").text
    first = alice.client.post("/me/calendar", data={"csrf": token})
    assert first.status_code == 200
    url = re.search(r'value="http://[^"]+(/calendar/ownitcal_[^"]+\.ics)"', first.text)
    assert url
    feed = alice.client.get(url.group(1))
    assert feed.status_code == 200
    assert "SUMMARY:On call: primary" in feed.text
    page = alice.client.get("/me").text
    assert "cannot show it again" in page
    assert url.group(1) not in page

    unconfirmed = alice.client.post("/me/calendar", data={"csrf": token})
    assert unconfirmed.status_code == 400
    assert "old link will stop working" in field_error(unconfirmed.text, "confirm")
    assert alice.client.get(url.group(1)).status_code == 200  # nothing changed

    second = alice.client.post("/me/calendar", data={"csrf": token, "confirm": "yes"})
    new_url = re.search(r'value="http://[^"]+(/calendar/ownitcal_[^"]+\.ics)"', second.text)
    assert new_url
    assert new_url.group(1) != url.group(1)
    assert alice.client.get(url.group(1)).status_code == 404
    assert alice.client.get(new_url.group(1)).status_code == 200


# --- reassign and escalate ------------------------------------------------------------------


def test_reassign_and_escalate_from_the_incident_page(alice: Ctx) -> None:
    oncall_catalog.apply(alice.engine, oncall_catalog.ORG + SERVICE)
    event = {
        "routing_key": WEB_KEY,
        "event_action": "trigger",
        "dedup_key": "web-1",
        "payload": {"summary": "Checkout is slow", "source": "web-1", "severity": "critical"},
    }
    assert alice.client.post("/v2/enqueue", json=event).status_code == 202
    page = alice.client.get("/incidents/1")
    assert "Reassign or escalate" in page.text
    assert "Level 1 (next): primary (schedule) → carol" in page.text
    token = page_token(alice.client, "/incidents/1")

    escalated = alice.client.post(
        "/incidents/1/escalate", data={"csrf": token, "level": "2"}, follow_redirects=False
    )
    assert escalated.status_code == 303
    bad = alice.client.post("/incidents/1/escalate", data={"csrf": token, "level": "7"})
    assert bad.status_code == 400
    assert "level 7 does not exist" in field_error(bad.text, "level")

    reassigned = alice.client.post(
        "/incidents/1/reassign", data={"csrf": token, "to": "user:dave"}, follow_redirects=False
    )
    assert reassigned.status_code == 303
    by_level = alice.client.post(
        "/incidents/1/reassign", data={"csrf": token, "to": "level:1"}, follow_redirects=False
    )
    assert by_level.status_code == 303
    unknown = alice.client.post("/incidents/1/reassign", data={"csrf": token, "to": "user:zed"})
    assert unknown.status_code == 400
    assert "no user is named 'zed'" in field_error(unknown.text, "to")

    with alice.engine.connect() as conn:
        entries = conn.execute(
            select(t.log_entries.c.kind, t.log_entries.c.message).order_by(t.log_entries.c.id)
        ).all()
    messages = [m for k, m in entries if k in ("escalated", "reassigned")]
    assert "escalated by hand to level 2" in messages
    assert any("dave" in m for m in messages)
    assert any("carol" in m for m in messages)


def test_without_a_policy_there_is_nothing_to_escalate(alice: Ctx) -> None:
    trigger(alice.client, "no-policy")  # checkout-api has no escalation policy
    page = alice.client.get("/incidents/1").text
    assert "there is nothing to escalate" in page
    assert 'action="/incidents/1/escalate"' not in page
    token = csrf_of(page)
    refused = alice.client.post("/incidents/1/escalate", data={"csrf": token, "level": "1"})
    assert refused.status_code == 400
    assert "no escalation policy" in field_error(refused.text, "level")
    assert login(alice.client, BOB).status_code == 303
    assert "Reassign or escalate" in alice.client.get("/incidents/1").text  # members respond


def test_an_observer_may_not_reassign_or_escalate(alice: Ctx) -> None:
    observers = (oncall_catalog.ORG + SERVICE).replace("{user: bob}", "{user: bob, role: observer}")
    oncall_catalog.apply(alice.engine, observers)
    event = {
        "routing_key": WEB_KEY,
        "event_action": "trigger",
        "dedup_key": "web-2",
        "payload": {"summary": "Checkout is slow", "source": "web-1", "severity": "critical"},
    }
    assert alice.client.post("/v2/enqueue", json=event).status_code == 202
    assert login(alice.client, BOB).status_code == 303
    page = alice.client.get("/incidents/1")
    assert "Reassign or escalate" not in page.text
    refused = alice.client.post(
        "/incidents/1/escalate", data={"csrf": csrf_of(page.text), "level": "2"}
    )
    assert refused.status_code == 403
    with alice.engine.connect() as conn:
        kinds = list(conn.execute(select(t.log_entries.c.kind)).scalars())
    assert "escalated" not in kinds
