"""The catalog pages of the web UI: services, one service, teams, one team, one policy.

On top of the on-call catalog (``oncall_catalog``: at T0, Thursday 2026-11-26 13:00 in Berlin,
carol is on call in ``primary`` and nobody in ``weekend``), a small shop:
``web-shop`` → ``payments-api`` → ``payments-db`` (dependsOn), a ``search`` team, and a policy
whose only level is the ``weekend`` schedule (a gap now).
"""

from __future__ import annotations

import html as markup
import re
from datetime import timedelta

import pytest
from sqlalchemy import Connection, text
from sqlalchemy import event as sa_event

from ownit.adapters.db.engine import READ_ONLY
from ownit.adapters.db.incident_store import SqlIncidentStore
from ownit.adapters.db.oncall_store import SqlScheduleStore
from ownit.adapters.db.responder_store import SqlResponderContexts
from ownit.cli.incident_context import context_lines
from tests.integration import oncall_catalog
from tests.integration.conftest import Ctx
from tests.integration.web_helpers import login, setup_people

DB_KEY = "paymentsdb0000000000000000000001"
API_KEY = "paymentsapi000000000000000000001"

SHOP = f"""
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: search}}
spec:
  displayName: Search & Discovery
  members: [{{user: alice, role: manager}}, {{user: bob, role: observer}}, {{user: dave}}]
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{name: weekend-only}}
spec:
  team: search
  repeat: 2
  levels:
    - {{after: 15m, targets: [{{schedule: weekend}}]}}
---
apiVersion: ownit/v1
kind: Service
metadata:
  name: payments-db
  description: "<script>alert('db')</script> The database behind payments"
spec:
  owner: payments
  escalationPolicy: payments
  tier: 1
  runbookText: |
    # payments-db
    1. Check <b>replication</b> lag.
  integrations:
    - {{name: events, type: events-v2, key: {DB_KEY}}}
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: payments-api, description: Takes payments}}
spec:
  owner: payments
  escalationPolicy: payments
  tier: 2
  urgency: high
  runbook: https://wiki.example.com/payments-api/runbook
  docs: [{{title: Architecture, url: "https://wiki.example.com/payments-api"}}]
  contract: {{type: openapi, url: "https://pay.example.com/openapi.json"}}
  dependsOn: [payments-db]
  components:
    - name: refunds
      owner: search
      escalationPolicy: weekend-only
      match: ['module="refunds"']
  integrations:
    - {{name: events, type: events-v2, key: {API_KEY}}}
    - {{name: prom, type: alertmanager}}
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: web-shop, description: The shop pages}}
spec:
  owner: search
  escalationPolicy: weekend-only
  tier: 3
  dependsOn: [payments-api]
"""


def event(ctx: Ctx, key: str, dedup: str, summary: str) -> None:
    body = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup,
        "payload": {"summary": summary, "source": "host-1", "severity": "critical"},
    }
    assert ctx.client.post("/v2/enqueue", json=body).status_code == 202


def change(ctx: Ctx, key: str, summary: str) -> None:
    body = {
        "routing_key": key,
        "payload": {"summary": summary, "source": "ci", "timestamp": ctx.clock.now().isoformat()},
        "links": [{"href": "https://ci.example.com/1", "text": "build 1"}],
    }
    assert ctx.client.post("/v2/change/enqueue", json=body).status_code == 202


@pytest.fixture
def shop(ctx: Ctx) -> Ctx:
    setup_people(ctx.engine, ctx.clock)
    oncall_catalog.apply(ctx.engine, SHOP)
    event(ctx, DB_KEY, "lag", "Replication lag on db-1")
    event(ctx, DB_KEY, "disk", "Disk <i>full</i> on db-2")
    event(ctx, API_KEY, "5xx", "Errors on payments-api")
    change(ctx, API_KEY, "Deployed payments-api v42")
    assert login(ctx.client).status_code == 303
    return ctx


def get(ctx: Ctx, path: str, status: int = 200) -> str:
    response = ctx.client.get(path)
    assert response.status_code == status, response.text
    return response.text


def text_of(html: str) -> str:
    """The page's text, tags removed and whitespace squeezed (entities decoded)."""
    return " ".join(markup.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def section(html: str, heading_id: str) -> str:
    found = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', html, re.S)
    assert found, f"no section {heading_id}"
    return found.group(1)


def svg_of(html: str) -> str:
    found = re.search(r'<svg class="dep".*?</svg>', html, re.S)
    assert found, "no dependency picture"
    return found.group(0)


# --- what each page shows ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (
            "/services",
            [
                "payments-api",
                "payments-db",
                "web-shop",
                "checkout-api",  # added outside the catalog: no owner, no policy
                "no owner",
                "2 open",  # payments-db
                "1 open",  # payments-api
                "Carol Danvers",  # on call now in primary, level 1 of payments
                "nobody on call",  # web-shop: level 1 is the weekend schedule, a gap
            ],
        ),
        (
            "/services/payments-api",
            [
                "Takes payments",
                "Owner payments",
                "tier 2",
                "Urgency high",
                "Escalation policy payments",
                "Level 1",
                "primary (schedule) → Carol Danvers",
                "Level 2",
                "Alice Liddell (user)",
                "weekend (schedule) → nobody on call",
                "https://wiki.example.com/payments-api/runbook",
                "Architecture",
                "https://pay.example.com/openapi.json (openapi)",
                "refunds",
                'module="refunds"',
                "Errors on payments-api",
                "Deployed payments-api v42",
                "build 1",
                "events (events-v2)",
                "prom (alertmanager)",
                "1 open",
            ],
        ),
        (
            "/services/payments-db",
            [
                "tier 1",
                "payments-db Check <b>replication</b> lag.",  # Markdown, rendered
                "Replication lag on db-1",
                "Disk <i>full</i> on db-2",
                "No changes in the last 24 hours.",
                "Depends on: nothing",
                "Depended on by: payments-api , web-shop (2 hops)",  # tags become spaces
            ],
        ),
        ("/teams", ["payments", "Search & Discovery", "(search)"]),
        (
            "/teams/search",
            [
                "Search & Discovery",
                "3 members",
                "1 service",
                "Alice Liddell (alice) manager",
                "Bob Builder (bob) observer",
                "Dave Bowman (dave) responder",
                "web-shop",
                "weekend-only",
                "No schedules.",
                "Components",
                "payments-api / refunds",  # a component of another team's service
            ],
        ),
        (
            "/teams/payments",
            [
                "4 members",
                "Carol Danvers (carol) responder on call in primary",
                "payments-api",
                "payments-db",
                "primary",
            ],
        ),
        (
            "/policies/payments",
            [
                "payments escalation policy",
                "Team: payments",
                "2 levels",
                "does not repeat",
                "notified at once",
                "next level after 10m",
                "notified after 10m",
                "primary (schedule) → Carol Danvers",
                "payments-api",
                "payments-db",
            ],
        ),
        (
            "/policies/weekend-only",
            [
                "repeats 2 times after the last level",
                "weekend (schedule) → nobody on call",
                "This level would reach nobody right now.",
                "web-shop",
                "Components using it payments-api / refunds",
            ],
        ),
    ],
)
def test_each_catalog_page_shows_what_it_must(shop: Ctx, path: str, shown: list[str]) -> None:
    page = text_of(get(shop, path))
    for expected in shown:
        assert expected in page, f"{path} does not show {expected!r}"


def test_a_service_page_keeps_keys_and_scripts_out(shop: Ctx) -> None:
    html = get(shop, "/services/payments-db")
    assert DB_KEY not in html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;db&#39;)&lt;/script&gt; The database behind payments" in html
    # the runbook's Markdown is rendered, the raw HTML in it is not
    assert "<h1>payments-db</h1>" in html
    assert "<li>Check &lt;b&gt;replication&lt;/b&gt; lag.</li>" in html
    assert "<b>replication</b>" not in html
    assert "<i>full</i>" not in html
    listing = get(shop, "/services")
    assert "<script>alert" not in listing
    assert API_KEY not in get(shop, "/services/payments-api")


def test_the_service_list_links_owners_and_open_incidents(shop: Ctx) -> None:
    html = get(shop, "/services")
    assert '<a href="/services/payments-api">payments-api</a>' in html
    assert '<a href="/teams/search">search</a>' in html
    assert 'href="/incidents?service=payments-db&amp;status=open"' in html


@pytest.mark.parametrize(
    ("q", "found", "not_found"),
    [
        ("db", ["payments-db"], ["web-shop", "payments-api", "checkout-api"]),
        ("SHOP PAGES", ["web-shop"], ["payments-db"]),  # the description, any case
        ("search", ["web-shop"], ["payments-db", "payments-api"]),  # the owner team
        ("discovery", ["web-shop"], ["payments-db"]),  # the owner's display name
        ("100%", [], ["payments-db", "web-shop"]),  # LIKE wildcards are plain text
    ],
)
def test_the_service_search_filters(
    shop: Ctx, q: str, found: list[str], not_found: list[str]
) -> None:
    html = get(shop, f"/services?q={q}")
    table = html.split('<div id="service-table">', 1)[1]
    for name in found:
        assert f'href="/services/{name}"' in table
    for name in not_found:
        assert f'href="/services/{name}"' not in table
    if not found:
        assert "No service matches" in text_of(table)


def test_live_search_answers_the_table_alone(shop: Ctx) -> None:
    response = shop.client.get(
        "/services?q=db", headers={"HX-Request": "true", "HX-Target": "service-table"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="service-table">')
    assert "<html" not in response.text
    assert 'href="/services/payments-db"' in response.text


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/services/nope", "There is no service nope."),
        ("/teams/nope", "There is no team nope."),
        ("/policies/nope", "There is no escalation policy nope."),
        ("/services/%3Cscript%3E", "There is no service <script>."),
    ],
)
def test_unknown_names_are_404_pages(shop: Ctx, path: str, message: str) -> None:
    html = get(shop, path, status=404)
    assert message in text_of(html)
    assert "<script>." not in html


def test_the_catalog_pages_need_a_login(shop: Ctx) -> None:
    shop.client.cookies.clear()
    for path in ("/services", "/services/payments-api", "/teams", "/teams/search", "/policies/x"):
        response = shop.client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")


def test_the_dependency_picture_links_both_sides(shop: Ctx) -> None:
    svg = svg_of(get(shop, "/services/payments-api"))
    assert 'role="img"' in svg
    assert '<title id="dep-title">Dependencies of payments-api</title>' in svg
    assert "payments-api depends on payments-db. web-shop depends on payments-api." in svg
    assert '<a href="/services/payments-db"' in svg  # upstream, on the right
    assert '<a href="/services/web-shop"' in svg  # downstream, on the left
    assert 'href="/services/payments-api"' not in svg  # the service itself is no link
    assert 'aria-label="payments-db (2 open incidents)"' in svg
    assert 'class="dep-node upstream has-open"' in svg
    assert 'class="dep-node downstream"' in svg
    assert svg.count('class="dep-edge"') == 2
    # the end of the chain: nothing upstream
    leaf = svg_of(get(shop, "/services/payments-db"))
    assert "payments-db depends on no other service. payments-api depends on" in leaf
    assert 'href="/services/payments-api"' in leaf
    assert 'class="dep-node upstream' not in leaf


def test_incident_pages_link_to_the_service(shop: Ctx) -> None:
    listing = get(shop, "/incidents")
    assert '<a href="/services/payments-db">payments-db</a>' in listing
    page = get(shop, "/incidents/1")
    assert '<a href="/services/payments-db">payments-db</a>' in page


def test_navigation_has_services_and_teams(shop: Ctx) -> None:
    html = get(shop, "/services")
    assert '<a href="/services" aria-current="page">Services</a>' in html
    assert '<a href="/teams">Teams</a>' in html
    assert '<a href="/teams" aria-current="page">Teams</a>' in get(shop, "/policies/payments")


ROUTER = """
---
apiVersion: ownit/v1
kind: Router
metadata: {name: everything}
spec:
  key: everythingrouter0000000000000001
  route:
    service: web-shop
    routes:
      - matchers: ['app="pay"']
        service: payments-api
"""


@pytest.fixture
def routed(ctx: Ctx) -> Ctx:
    """The shop with a router in front: one event lands on the payments-api component
    ``refunds`` (owner search), with an open incident upstream on payments-db."""
    setup_people(ctx.engine, ctx.clock)
    oncall_catalog.apply(ctx.engine, SHOP + ROUTER)
    event(ctx, DB_KEY, "lag", "Replication lag on db-1")
    change(ctx, API_KEY, "Deployed payments-api v42")
    body = {
        "routing_key": "everythingrouter0000000000000001",
        "event_action": "trigger",
        "dedup_key": "refund-errors",
        "payload": {
            "summary": "Refunds failing",
            "source": "host-2",
            "severity": "critical",
            "custom_details": {"app": "pay", "module": "refunds"},
        },
    }
    assert ctx.client.post("/v2/enqueue", json=body).status_code == 202
    assert login(ctx.client).status_code == 303
    return ctx


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("cx", "Owner search — component refunds; payments-api is owned by payments"),
        ("cx", "nobody for payments-api/refunds (policy weekend-only )"),  # a gap now
        ("cx", "carol for payments-api (policy payments )"),
        ("cx", "Runbook https://wiki.example.com/payments-api/runbook"),
        ("cx", "Architecture"),
        ("cx", "contract: https://pay.example.com/openapi.json (openapi)"),
        ("cx", "Depends on payments-db"),
        ("cx", "Likely cause upstream payments-db #1 triggered: Replication lag on db-1"),
        ("cx", "payments-api : Deployed payments-api v42 build 1"),
        ("cx", "Similar past incidents none"),
        ("rt", "Router everything"),
        ("rt", "→ page payments-api (component refunds chosen by payments-api's own matchers)"),
        ("rt", 'routes[0] app="pay"'),
    ],
)
def test_the_incident_page_shows_the_first_responder_context(
    routed: Ctx, heading: str, expected: str
) -> None:
    text = text_of(section(get(routed, "/incidents/2"), heading))
    assert expected in text, text


def test_an_incident_without_a_router_has_no_decision_path_and_renders_markdown(
    routed: Ctx,
) -> None:
    html = get(routed, "/incidents/1")  # payments-db: its own integration, runbookText
    assert 'aria-labelledby="rt"' not in html
    runbook = section(html, "cx")
    assert "<h1>payments-db</h1>" in runbook
    assert "&lt;b&gt;replication&lt;/b&gt;" in runbook
    assert "Hurting downstream payments-api #2 triggered: Refunds failing" in text_of(runbook)


def test_the_raw_payload_is_shown_without_the_routing_key(routed: Ctx) -> None:
    html = get(routed, "/incidents/2")
    assert "Refunds failing" in html
    assert "everythingrouter0000000000000001" not in html  # a credential: anyone could send
    assert DB_KEY not in get(routed, "/incidents/1")


def test_a_component_incident_names_the_component_owner_everywhere(routed: Ctx) -> None:
    """API, CLI and the first page agree: the component's team owns the incident."""
    api = routed.client.get("/api/v1/incidents/2/context", headers=routed.viewer).json()
    assert api["owner"] == "search"
    assert api["service_owner"] == "payments"
    assert api["incident"]["component"] == "refunds"
    assert [o["service"] for o in api["on_call"]][:2] == ["payments-api/refunds", "payments-api"]
    assert api["on_call"][0]["escalation_policy"] == "weekend-only"
    lines = context_lines(api | {"recent_changes": []})  # the CLI's lines take datetimes
    assert "  owner:          search (component refunds; payments-api is owned by payments)" in (
        lines
    )
    incident = SqlIncidentStore(routed.engine).get("2")
    assert incident is not None
    first_page = SqlResponderContexts(routed.engine).responder_contexts(
        [incident["id"]], routed.clock.now()
    )[incident["id"]]
    assert (first_page.owner, first_page.component) == ("search", "refunds")


def test_the_cli_shows_an_inline_runbook_as_written(routed: Ctx) -> None:
    api = routed.client.get("/api/v1/incidents/1/context", headers=routed.viewer).json()
    assert api["runbook"] is None
    lines = context_lines(api | {"recent_changes": []})
    at = lines.index("  runbook:        # payments-db")
    assert lines[at + 1] == "                  1. Check <b>replication</b> lag."


# --- the service page reads the kept catalog snapshot, and only reads ---------------------


def test_a_catalog_change_shows_on_the_next_service_page(shop: Ctx) -> None:
    """The page is built from the catalog snapshot kept while its rows are unchanged
    (decision 0067): an apply, or a row changed by hand, shows on the very next request."""
    before = text_of(get(shop, "/services/web-shop"))
    assert "The shop pages" in before
    assert "weekend (schedule) → nobody on call" in before
    edited = SHOP.replace("The shop pages", "The new shop pages").replace(
        "dependsOn: [payments-api]", "dependsOn: [payments-db]"
    )
    edited = edited.replace(
        "levels:\n    - {after: 15m, targets: [{schedule: weekend}]}",
        "levels:\n    - {after: 15m, targets: [{user: dave}]}",
    )
    oncall_catalog.apply(shop.engine, edited)
    after = text_of(get(shop, "/services/web-shop"))
    assert "The new shop pages" in after
    assert "Depends on: payments-db" in after
    assert "Dave Bowman (user)" in after
    assert "weekend (schedule)" not in after
    with shop.engine.begin() as conn:
        conn.execute(
            text("UPDATE services SET description = 'Edited by hand' WHERE name = 'web-shop'")
        )
    assert "Edited by hand" in text_of(get(shop, "/services/web-shop"))


def test_an_override_shows_in_the_policy_reach_on_the_next_service_page(shop: Ctx) -> None:
    """The overrides are read once a page for the policy's reach and the badge, not kept."""
    assert "primary (schedule) → Carol Danvers" in text_of(get(shop, "/services/payments-api"))
    now = shop.clock.now()
    SqlScheduleStore(shop.engine).add_override(
        schedule="primary",
        user="dave",
        start=now - timedelta(hours=1),
        end=now + timedelta(hours=1),
        created_by="alice",
        created_at=now,
    )
    page = text_of(get(shop, "/services/payments-api"))
    assert "primary (schedule) → Dave Bowman" in page
    assert "primary (schedule) → Carol Danvers" not in page


def test_the_service_page_reads_without_the_write_lock(shop: Ctx) -> None:
    """Every transaction of a service page but the session's is a read-only one (on SQLite
    a plain BEGIN: it does not queue for the write lock behind ingest and the engine), and
    the page reads in a few statements."""
    get(shop, "/services/payments-api")  # warm: the snapshot is built and kept
    writers: list[bool] = []
    statements: list[str] = []

    def on_begin(conn: Connection) -> None:
        writers.append(not conn.get_execution_options().get(READ_ONLY, False))

    def on_execute(conn: Connection, *args: object) -> None:
        statements.append(str(args[1]))

    sa_event.listen(shop.engine, "begin", on_begin)
    sa_event.listen(shop.engine, "before_cursor_execute", on_execute)
    try:
        get(shop, "/services/payments-api")
    finally:
        sa_event.remove(shop.engine, "begin", on_begin)
        sa_event.remove(shop.engine, "before_cursor_execute", on_execute)
    assert sum(writers) <= 1, "only the session's transaction may take the write lock"
    assert len(writers) >= 5  # the page's own reads were seen, each read-only
    reads = [s for s in statements if not s.startswith(("BEGIN", "SELECT 1"))]
    assert len(reads) <= 20, reads
