"""``/analytics`` in a real browser (Debian's Chromium through Playwright) on ``ownit serve``:
each chart shows the same numbers as the table beside it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import playwright.sync_api as playwright
import pytest

from ownit.adapters.db.account_store import SqlAccountStore
from ownit.adapters.db.engine import make_engine
from ownit.adapters.db.migrate import upgrade
from ownit.adapters.passwords import Argon2Hasher
from ownit.app.accounts import OrgRole, create_login
from ownit.domain.analytics.history import IncidentHistory
from tests.analytics_cases import HAND_MADE, seed
from tests.builders import FakeClock
from tests.e2e.browser_world import CHROMIUM, ownit_serve, sign_in
from tests.e2e.test_web_browser import PASSWORD, SHOTS
from tests.integration import oncall_catalog

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("CI"),
        reason="apt-get install -y chromium",
    ),
]


def _recent(h: IncidentHistory, shift: timedelta) -> IncidentHistory:
    """The hand-made incident moved ``shift`` later (into the server's last 30 days)."""
    return replace(
        h,
        created_at=h.created_at + shift,
        resolved_at=None if h.resolved_at is None else h.resolved_at + shift,
        acknowledgements=tuple(replace(a, at=a.at + shift) for a in h.acknowledgements),
        pages=tuple(replace(p, at=p.at + shift) for p in h.pages),
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'ownit.db'}"
    engine = make_engine(url)
    upgrade(engine)
    oncall_catalog.apply(engine)
    shift = datetime.now(UTC) - timedelta(days=14) - HAND_MADE[0].created_at
    seed(engine, [_recent(h, shift) for h in HAND_MADE])
    create_login(
        store=SqlAccountStore(engine),
        hasher=Argon2Hasher(),
        clock=FakeClock(),
        email="alice@example.com",
        password=PASSWORD,
        org_role=OrgRole.ADMIN,
    )
    engine.dispose()
    with ownit_serve(url, tmp_path, engine=False) as base:
        yield base


def test_each_chart_shows_the_numbers_of_its_table(server: str) -> None:
    base = server
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(base + "/analytics")
            sign_in(page, "alice@example.com", PASSWORD)
            page.wait_for_url(base + "/analytics")
            assert page.get_by_role("heading", name="Analytics").is_visible()
            assert page.locator('[data-figure="count"]').inner_text() == "7"

            # The weekly table, row by row, against the marks of each chart.
            rows = page.locator("#weekly-table tbody tr[data-week]")
            table = {
                rows.nth(i).get_attribute("data-week"): (
                    rows.nth(i).locator("td").nth(0).inner_text(),
                    rows.nth(i).locator("td").nth(1).inner_text(),
                )
                for i in range(rows.count())
            }
            assert table
            for chart, column in (("#mtta-chart", 0), ("#mttr-chart", 1)):
                marks = page.locator(f"{chart} circle.mark")
                drawn = {
                    marks.nth(i).get_attribute("data-week"): marks.nth(i).get_attribute(
                        "data-value"
                    )
                    for i in range(marks.count())
                }
                listed = {w: v[column] for w, v in table.items() if v[column] != "–"}
                assert drawn == listed, chart
                assert page.locator(chart).is_visible()

            # The heat map's cells against its table (opened).
            page.get_by_text("The heat map's numbers").click()
            cells = page.locator("#heat-map rect")
            assert cells.count() == 7 * 24
            tds = page.locator("#heat-table td")
            drawn_counts = [cells.nth(i).get_attribute("data-count") for i in range(0, 168, 7)]
            listed_counts = [tds.nth(i).inner_text() for i in range(0, 168, 7)]
            assert drawn_counts == listed_counts
            page.screenshot(path=str(SHOTS / "analytics-desktop.png"), full_page=True)
        finally:
            browser.close()
