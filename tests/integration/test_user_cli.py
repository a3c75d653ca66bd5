"""``ownit user create``: a web login for a catalog user."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import Engine

from ownit.adapters.db.account_store import SqlAccountStore
from ownit.cli.main import main
from tests.integration import oncall_catalog


def run(monkeypatch: pytest.MonkeyPatch, engine: Engine, *args: str, stdin: str = "") -> int:
    monkeypatch.setenv("OWNIT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["user", "create", *args])


def test_user_create_makes_an_admin_login(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    oncall_catalog.apply(engine)
    code = run(
        monkeypatch,
        engine,
        "Alice@Example.com",
        "--admin",
        "--password-stdin",
        stdin="a long enough secret\n",
    )
    assert code == 0
    assert "login for alice <alice@example.com> (admin) is ready" in capsys.readouterr().out
    found = SqlAccountStore(engine).credentials("alice@example.com")
    assert [c.account.org_role.value for c in found] == ["admin"]
    assert found[0].password_hash is not None
    assert found[0].password_hash.startswith("$argon2id$")
    again = run(monkeypatch, engine, "alice@example.com", "--password-stdin", stdin="x" * 20)
    assert again == 2
    assert "already has a login" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("nobody@example.com", "a long enough secret", "no catalog user has the email"),
        ("bob@example.com", "short", "password: use at least 12 characters"),
    ],
)
def test_user_create_refusals(
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    email: str,
    password: str,
    message: str,
) -> None:
    oncall_catalog.apply(engine)
    assert run(monkeypatch, engine, email, "--password-stdin", stdin=password + "\n") == 2
    assert message in capsys.readouterr().err


def test_user_invite_prints_a_link_whose_hash_alone_is_kept(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import hashlib

    from sqlalchemy import select

    from ownit.adapters.db import tables as t

    oncall_catalog.apply(engine)
    monkeypatch.setenv("OWNIT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert main(["user", "invite", "carol"]) == 0
    out = capsys.readouterr()
    link = out.out.strip()
    assert link.startswith("http://127.0.0.1:8080/invite/")
    assert "Carol Danvers <carol@example.com>" in out.err
    token = link.rsplit("/", 1)[1]
    with engine.connect() as conn:
        row = conn.execute(
            select(t.user_credentials.c.invite_hash, t.user_credentials.c.password_hash)
        ).one()
    assert row.invite_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.password_hash is None
    assert main(["user", "invite", "nobody"]) == 2
    assert "no catalog user is called 'nobody'" in capsys.readouterr().err
