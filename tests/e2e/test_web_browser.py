"""The web UI in a real browser (Debian's Chromium through Playwright) on a real ``ownit serve``.

Signs in, watches a new incident appear without a reload, acknowledges it with the keyboard,
adds a note, makes a schedule override and sees the on-call change, changes notification
rules on the Me page, and saves screenshots of the main pages (desktop and 360 px wide) to a
temporary folder — or to ``docs/screenshots/`` with ``make screenshots``, which sets
``OWNIT_SCREENSHOTS_DIR`` (so a test run never dirties the checkout).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import playwright.sync_api as playwright
import pytest
from sqlalchemy import select

from ownit.adapters.db import tables as t
from ownit.adapters.db.account_store import SqlAccountStore
from ownit.adapters.db.engine import make_engine
from ownit.adapters.db.migrate import upgrade
from ownit.adapters.passwords import Argon2Hasher
from ownit.app.accounts import OrgRole, create_login
from tests.builders import FakeClock, add_service
from tests.e2e.browser_world import CHROMIUM, ownit_serve, sign_in
from tests.integration import oncall_catalog

KEY = "e" * 31 + "2"
PASSWORD = "correct horse battery"
SHOTS = Path(
    os.environ.get("OWNIT_SCREENSHOTS_DIR")
    or Path(tempfile.gettempdir()) / f"ownit-screenshots-{os.getpid()}"
)
SHOTS.mkdir(parents=True, exist_ok=True)

pytestmark = [
    pytest.mark.slow,
    # Outside CI a machine without Chromium may skip this; CI installs it and never skips.
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("CI"),
        reason="apt-get install -y chromium",
    ),
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``ownit serve`` on a SQLite file with alice's login; yields (base URL, database URL)."""
    url = f"sqlite:///{tmp_path / 'ownit.db'}"
    engine = make_engine(url)
    upgrade(engine)
    oncall_catalog.apply(engine)
    add_service(engine, "checkout-api", keys={"events": KEY})
    create_login(
        store=SqlAccountStore(engine),
        hasher=Argon2Hasher(),
        clock=FakeClock(),
        email="alice@example.com",
        password=PASSWORD,
        org_role=OrgRole.ADMIN,
    )
    engine.dispose()
    with ownit_serve(url, tmp_path, engine=True, env={"OWNIT_EVENTS_RATE_LIMIT": "0"}) as base:
        yield base, url


def send(base: str, dedup: str, summary: str, severity: str = "critical") -> None:
    body = {
        "routing_key": KEY,
        "event_action": "trigger",
        "dedup_key": dedup,
        "payload": {
            "summary": summary,
            "source": "db-1",
            "severity": severity,
            "custom_details": {"disk": "/var/lib/postgresql", "used": "97%"},
        },
    }
    assert httpx.post(base + "/v2/enqueue", json=body, timeout=5).status_code == 202


# Put a fresh copy of the CPU row in place of it, as the list's poll does, and press `a` on
# the new row before htmx has processed it (as happens in the ~20 ms before a swap settles).
JUST_SWAPPED_THEN_A = """() => {
  const find = () => Array.from(document.querySelectorAll("li[data-incident]"))
    .find((li) => li.textContent.includes("CPU above 90%"));
  const old = find();
  old.replaceWith(old.cloneNode(true));  // a copy: none of htmx's own data comes with it
  const fresh = find();
  fresh.focus();
  fresh.dispatchEvent(new KeyboardEvent("keydown", {key: "a", bubbles: true}));
}"""


def test_sign_in_see_a_new_incident_live_acknowledge_and_annotate(
    server: tuple[str, str],
) -> None:
    base, url = server
    send(base, "cpu", "CPU above 90% on web-3 for 10 minutes", "warning")
    send(base, "tls", "TLS certificate for api.example.com expires in 6 days", "info")
    sync = playwright.sync_playwright
    problems: list[str] = []
    with sync() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(base + "/incidents")
            assert "/login" in page.url
            sign_in(page, "alice@example.com", PASSWORD)
            page.wait_for_url(base + "/incidents")
            assert page.get_by_text("CPU above 90%").is_visible()

            # A new incident appears without a reload (htmx polls the list).
            page.evaluate("window.__stillHere = true")
            send(base, "disk", "Disk full on db-1")
            row = page.locator("li[data-incident]", has_text="Disk full on db-1")
            row.wait_for(timeout=15_000)
            assert page.evaluate("window.__stillHere") is True

            # Acknowledge the focused row with the keyboard.
            row.focus()
            page.keyboard.press("a")
            page.locator("li[data-incident]", has_text="Disk full on db-1").locator(
                ".badge.s-acknowledged"
            ).wait_for(timeout=10_000)
            assert page.evaluate("window.__stillHere") is True
            engine = make_engine(url)
            with engine.connect() as conn:
                status, by = conn.execute(
                    select(t.incidents.c.status, t.incidents.c.acknowledged_by).where(
                        t.incidents.c.dedup_key == "disk"
                    )
                ).one()
            engine.dispose()
            assert (status, by) == ("acknowledged", "alice")
            page.screenshot(path=str(SHOTS / "incidents-desktop.png"), full_page=True)

            # A key pressed on a row the poll has only just swapped in (htmx takes a new row
            # over when the swap settles, ~20 ms later) still acts in place, without a reload.
            page.evaluate(JUST_SWAPPED_THEN_A)
            page.locator("li[data-incident]", has_text="CPU above 90%").locator(
                ".badge.s-acknowledged"
            ).wait_for(timeout=10_000)
            assert page.evaluate("window.__stillHere") is True

            # The incident page: add a note.
            page.get_by_role("link", name="Disk full on db-1").click()
            page.wait_for_url(base + "/incidents/3")
            page.get_by_label("Add a note").fill("Freed 20 GB of WAL; watching the disk.")
            page.get_by_role("button", name="Add note").click()
            page.locator(".timeline .k-note", has_text="Freed 20 GB").wait_for()
            page.locator(".alerts details summary").first.click()
            page.screenshot(path=str(SHOTS / "incident-desktop.png"), full_page=True)

            page.set_viewport_size({"width": 360, "height": 740})
            page.reload()
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            page.screenshot(path=str(SHOTS / "incident-360.png"), full_page=True)
            page.goto(base + "/incidents")
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            page.screenshot(path=str(SHOTS / "incidents-360.png"), full_page=True)
            page.goto(base + "/oncall")
            assert page.get_by_role("heading", name="On call now").is_visible()
            page.set_viewport_size({"width": 1280, "height": 800})
            page.screenshot(path=str(SHOTS / "oncall-desktop.png"), full_page=True)

            schedule_override_changes_who_is_on_call(page, base)
            change_notification_rules(page, base, url, problems)
            catalog_screenshots(page, base)
        finally:
            browser.close()
    assert problems == [], "\n".join(problems)


def on_call(page: playwright.Page) -> str:
    return str(page.locator("[data-oncall]").get_attribute("data-oncall"))


def schedule_override_changes_who_is_on_call(page: playwright.Page, base: str) -> None:
    """From the on-call page to the schedule; an override for dave (or carol) from now."""
    page.goto(base + "/oncall")
    page.get_by_role("link", name="primary").click()
    page.wait_for_url(base + "/schedules/primary")
    assert page.locator("svg.tl[role=img]").is_visible()
    before = on_call(page)
    taker = "carol" if before == "dave" else "dave"
    page.get_by_label("Who is on call").select_option(taker)
    page.get_by_role("button", name="Add override").click()
    page.get_by_text("The override is saved.").wait_for()
    assert on_call(page) == taker
    assert page.locator(".tl .k-overrides .bar").count() >= 1
    page.screenshot(path=str(SHOTS / "schedule-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SHOTS / "schedule-360.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(base + "/oncall")
    row = page.locator("tr", has=page.get_by_role("link", name="primary"))
    assert taker.capitalize() in row.inner_text()


BAD_REQUEST = "Failed to load resource: the server responded with a status of 400 (Bad Request)"


def change_notification_rules(
    page: playwright.Page, base: str, url: str, problems: list[str]
) -> None:
    """Two contacts and two rules on the Me page; the second rule moved first. A rule with a
    wrong delay is refused first (a 400 page, which the browser reports: expected once)."""
    page.get_by_role("link", name="Alice Liddell").click()
    page.wait_for_url(base + "/me")
    for name, kind, value in (
        ("work", "email", "alice@work.example"),
        ("phone", "push", "https://ntfy.sh/alice-oncall"),
    ):
        page.get_by_label("Name", exact=True).fill(name)
        page.get_by_label("Type").select_option(kind)
        page.get_by_label("Address or URL").fill(value)
        page.get_by_role("button", name="Add contact").click()
        page.get_by_text("The contact is added.").wait_for()
    bad = page.get_by_label("After (0, 30s, 5m, 1h)")
    bad.fill("soon")
    page.get_by_role("button", name="Add rule").click()
    page.locator("#after-error", has_text="is not a delay").wait_for()
    deadline = time.monotonic() + 5
    while BAD_REQUEST not in problems and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    problems.remove(BAD_REQUEST)
    for contact, after in (("work", "0"), ("phone", "5m")):
        page.get_by_label("Contact", exact=True).select_option(contact)
        page.get_by_label("After (0, 30s, 5m, 1h)").fill(after)
        page.get_by_role("button", name="Add rule").click()
        page.get_by_text("The rule is added.").wait_for()
    page.get_by_role("button", name="Move the phone rule up").click()
    page.get_by_text("The rules are reordered.").wait_for()
    assert page.locator(".rules li").first.get_attribute("data-rule") == "phone"
    engine = make_engine(url)
    with engine.connect() as conn:
        spec = conn.execute(select(t.users.c.spec).where(t.users.c.name == "alice")).scalar_one()
    engine.dispose()
    assert spec["notificationRules"] == [
        {"contact": "phone", "after": "5m"},
        {"contact": "work", "after": "0s"},
    ]
    page.screenshot(path=str(SHOTS / "me-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SHOTS / "me-360.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def catalog_screenshots(page: playwright.Page, base: str) -> None:
    """The catalog pages: every service, one service, one team."""
    for path, name, heading in (
        ("/services", "services-desktop.png", "Services"),
        ("/services/payments-api", "service-desktop.png", "payments-api"),
        ("/teams/payments", "team-desktop.png", "payments"),
    ):
        response = page.goto(base + path)
        assert response is not None
        assert response.status == 200, path
        assert page.get_by_role("heading", name=heading).first.is_visible()
        page.screenshot(path=str(SHOTS / name), full_page=True)
