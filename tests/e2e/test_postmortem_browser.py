"""The postmortem pages in a real browser (Debian's Chromium through Playwright) on a real
``ownit serve``: from the incident page, start the postmortem, write a section and see the
wording hint beside it, hide and annotate a timeline entry, add and tick an action item,
move it to review, and find it in the overdue list."""

from __future__ import annotations

import os
from pathlib import Path

import playwright.sync_api as playwright
import pytest

from tests.e2e.browser_world import CHROMIUM
from tests.e2e.test_web_browser import PASSWORD, SHOTS, send
from tests.e2e.test_web_browser import server as server  # the fixture

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("CI"),
        reason="apt-get install -y chromium",
    ),
]


def test_write_and_review_a_postmortem(server: tuple[str, str]) -> None:
    base, _ = server
    send(base, "disk", "Disk full on db-1")
    problems: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(base + "/incidents/1")
            page.get_by_label("Email").fill("alice@example.com")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(base + "/incidents/1")

            page.locator("#postmortem-link").click()
            page.wait_for_url(base + "/incidents/1/postmortem")
            page.locator("#pm-start").click()
            page.locator("#pm-title").wait_for()
            assert page.locator("#pm-status").inner_text() == "draft"

            # A section with blaming words: saved, and the hint shows beside it.
            page.locator("#s-summary").fill("The disk filled up: human error by the DBA.")
            page.locator("#pm-save").click()
            hint = page.locator("#hints-summary")
            hint.wait_for()
            assert "human error" in hint.inner_text()
            assert page.locator("#s-summary").input_value().startswith("The disk filled up")

            # Hide the first timeline entry and annotate it; its text is kept.
            row = page.locator("#pm-timeline tbody tr").first
            key = row.get_attribute("data-key")
            row.locator("input[name=hidden]").check()
            row.locator("input[name=note]").fill("noise from the test")
            row.get_by_role("button", name="Keep").click()
            marked = page.locator(f'#pm-timeline tr[data-key="{key}"]')
            marked.locator("text=(hidden)").wait_for()
            assert "noise from the test" in marked.inner_text()

            # An action item already past due is overdue at once; the list shows it.
            form = page.locator("#pm-add-action")
            form.get_by_label("Title").fill("Alert at 80% disk")
            form.get_by_label("Owner").fill("bob")
            form.get_by_label("Due").fill("2020-01-01")
            form.get_by_role("button", name="Add action item").click()
            item = page.locator('#pm-actions li[data-number="1"]')
            item.wait_for()
            assert "overdue" in item.inner_text()
            page.screenshot(path=str(SHOTS / "postmortem-desktop.png"), full_page=True)
            page.goto(base + "/postmortems?overdue=1")
            assert page.locator("#postmortem-list", has_text="#1").is_visible()

            # Tick it: done, no longer overdue, and the overdue list is empty.
            page.goto(base + "/incidents/1/postmortem")
            page.locator('#pm-actions li[data-number="1"]').get_by_role(
                "button", name="Done"
            ).click()
            ticked = page.locator('#pm-actions li[data-number="1"]')
            ticked.get_by_role("button", name="Reopen").wait_for()
            assert "overdue" not in ticked.inner_text()
            page.goto(base + "/postmortems?overdue=1")
            assert page.locator("#postmortem-list", has_text="No postmortems overdue").is_visible()

            # Review.
            page.goto(base + "/incidents/1/postmortem")
            page.locator("#pm-status-select").select_option("in_review")
            page.locator("#pm-save").click()
            page.locator("#pm-status", has_text="in_review").wait_for()
        finally:
            browser.close()
    assert problems == []
