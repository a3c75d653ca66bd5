"""``/standards`` and the level badge on a service page in a real browser (Debian's Chromium
through Playwright) on ``ownit serve``."""

from __future__ import annotations

import os
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
from tests.e2e.test_web_browser import PASSWORD, SHOTS
from tests.integration.test_standards_report import apply

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
    apply(
        engine
    )  # tests/samples/standards/catalog.yaml: cart silver (never drilled), db silver, legacy none
    create_login(
        store=SqlAccountStore(engine),
        hasher=Argon2Hasher(),
        clock=FakeClock(),
        email="ann@example.com",
        password=PASSWORD,
        org_role=OrgRole.ADMIN,
    )
    engine.dispose()
    with ownit_serve(url, tmp_path, engine=False) as base:
        yield base


def test_the_standards_page_and_the_service_badge(server: str) -> None:
    base = server
    problems: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(base + "/standards")
            sign_in(page, "ann@example.com", PASSWORD)
            page.wait_for_url(base + "/standards")
            assert page.get_by_role("heading", name="Ownership standards").is_visible()
            assert page.get_by_role("link", name="Standards").get_attribute("aria-current") == (
                "page"
            )
            levels = {
                name: page.locator(f'tr[data-service="{name}"] .level').inner_text()
                for name in ("cart", "db", "legacy")
            }
            assert levels == {"cart": "silver", "db": "silver", "legacy": "none"}
            assert "has-contract: cart depends on it but it names no contract" in (
                page.locator('tr[data-service="db"]').inner_text()
            )
            retail = page.locator('#standards-teams tr[data-team="retail"]')
            assert retail.locator("td").nth(0).inner_text() == "3"  # shop's services roll up
            page.screenshot(path=str(SHOTS / "standards.png"), full_page=True)

            # Per team: the team's link keeps only its services (and its sub-teams').
            page.get_by_role("link", name="shop", exact=True).first.click()
            page.wait_for_url(base + "/standards?team=shop")
            assert page.locator("tr[data-service]").count() == 2

            # The badge on the service page, with what is missing.
            page.goto(base + "/services/db")
            badge = page.get_by_label("Ownership standards")
            assert badge.locator("[data-level]").inner_text() == "silver"
            assert "has-contract" in badge.inner_text()
            page.goto(base + "/services/cart")
            cart = page.get_by_label("Ownership standards")
            assert cart.locator("[data-level]").inner_text() == "silver"
            assert "drilled-recently" in cart.inner_text()
        finally:
            browser.close()
    assert problems == []
