"""The drills page in a real browser (Debian's Chromium through Playwright) on a real
``ownit serve`` with its engine: a manager signs in, presses "Run drill now", sees the run in
the history, opens the [DRILL] incident and acknowledges it, and the page then shows the
drill complete and scored."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import playwright.sync_api as playwright
import pytest

from ownit.adapters.db.account_store import SqlAccountStore
from ownit.adapters.db.engine import make_engine
from ownit.adapters.db.migrate import upgrade
from ownit.adapters.passwords import Argon2Hasher
from ownit.app.accounts import OrgRole, create_login
from tests.builders import FakeClock
from tests.e2e.browser_world import CHROMIUM, ownit_serve, sign_in
from tests.integration import oncall_catalog

PASSWORD = "correct horse battery"
DRILL = """
---
apiVersion: ownit/v1
kind: Drill
metadata: {name: payments-weekly}
spec: {service: payments-api, ackTarget: 5m}
"""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("CI"),
        reason="apt-get install -y chromium",
    ),
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'ownit.db'}"
    engine = make_engine(url)
    upgrade(engine)
    oncall_catalog.apply(engine, oncall_catalog.ORG + DRILL)
    create_login(
        store=SqlAccountStore(engine),
        hasher=Argon2Hasher(),
        clock=FakeClock(),
        email="alice@example.com",
        password=PASSWORD,
        org_role=OrgRole.ADMIN,
    )
    engine.dispose()
    with ownit_serve(url, tmp_path, engine=True) as base:
        yield base


def test_a_manager_runs_a_drill_from_the_page_and_sees_it_scored(server: str) -> None:
    base = server
    problems: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(base + "/drills")
            sign_in(page, "alice@example.com", PASSWORD)
            page.wait_for_url(base + "/drills")
            assert page.get_by_role("heading", name="payments-weekly").is_visible()
            assert page.get_by_text("Not run yet.").is_visible()

            page.get_by_role("button", name="Run drill now").click()
            page.wait_for_url("**/teams/payments/drills?done=payments-weekly")
            assert page.get_by_text("Drill payments-weekly is running").is_visible()
            history = page.locator("table.drill-runs")
            assert history.locator("td.verdict").inner_text() == "open"

            history.get_by_role("link", name="#1").click()
            page.wait_for_url("**/incidents/1")
            assert page.get_by_text("[DRILL] payments-weekly").first.is_visible()
            page.get_by_role("button", name="Acknowledge").first.click()

            # The engine completes the drill on its next pass: the page shows it scored.
            deadline = time.monotonic() + 20
            while True:
                page.goto(base + "/teams/payments/drills")
                verdict = page.locator("table.drill-runs td.verdict").inner_text()
                if verdict != "open":
                    break
                assert time.monotonic() < deadline, "the drill was not scored"
                time.sleep(0.5)
            assert verdict == "met"
            assert page.locator(".hit-rate").inner_text() == "100 %"
        finally:
            browser.close()
    assert problems == []
