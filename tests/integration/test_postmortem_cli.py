"""``ownit postmortem create|show|export|action`` on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from ownit.cli.main import main
from tests.integration.conftest import Ctx
from tests.integration.postmortem_world import an_incident_with_changes


@pytest.fixture
def shop(ctx: Ctx, monkeypatch: pytest.MonkeyPatch) -> Ctx:
    an_incident_with_changes(ctx)
    monkeypatch.setenv("OWNIT_DATABASE_URL", ctx.engine.url.render_as_string(hide_password=False))
    return ctx


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_create_show_action_export(
    shop: Ctx, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "postmortem", "create", "1", "--owner", "alice")
    assert code == 0
    assert out == "postmortem 1 created #1: api 500s (draft, due 2026-12-01)\n"
    code, out, _ = run(capsys, "postmortem", "create", "1")
    assert out.startswith("postmortem 1 exists:")
    args = ["--title", "alert on slow migrations", "--owner", "bob", "--due", "2026-11-01"]
    code, out, _ = run(capsys, "postmortem", "action", "1", "add", *args)
    assert (code, out) == (
        0,
        "action item 1 added: alert on slow migrations (bob, due 2026-11-01)\n",
    )
    code, out, _ = run(capsys, "postmortem", "show", "1")
    assert code == 0
    assert "status draft, owner alice" in out
    assert "[contributing_factors]" in out
    assert "2026-11-01 !" in out  # overdue
    code, out, _ = run(capsys, "postmortem", "action", "1", "done", "1")
    assert out == "action item 1 is done: alert on slow migrations\n"
    target = tmp_path / "pm.md"
    code, out, _ = run(capsys, "postmortem", "export", "1", "-o", str(target))
    assert code == 0
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# #1: api 500s\n")
    assert "- [x] 1. alert on slow migrations" in text
    assert "| change on db | db: schema migration 42 |" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["create", "1", "--owner", "zed"], "--owner: no user is named 'zed'"),
        (["show", "99"], "incident '99' does not exist"),
        (["show", "1"], "postmortem of incident '1' does not exist"),
        (
            ["action", "1", "add", "--title", "x", "--owner", "bob", "--due", "tomorrow"],
            "--due: 'tomorrow' is not a date (YYYY-MM-DD)",
        ),
    ],
)
def test_bad_input_is_one_line_naming_the_option(
    shop: Ctx, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, "postmortem", *argv)
    assert code == 2
    assert err == f"ownit: error: {message}\n"
