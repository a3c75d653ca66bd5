"""Webhook signing secrets sealed at rest with OWNIT_SECRET_KEY (decision 0031): never plain in
the database, plain where they are used, unchanged for apply's diff."""

from __future__ import annotations

import base64
import dataclasses

import pytest
from sqlalchemy import Engine, select

from ownit.adapters.catalog.yaml_source import load_text
from ownit.adapters.db import tables as t
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.personal_store import SqlPersonalStore
from ownit.adapters.db.secret_box import PREFIX, SecretBox
from ownit.adapters.db.work_store import SqlWorkStore
from ownit.app import catalog
from ownit.app.delivery import Claimed
from ownit.bootstrap import BootstrapError, database, secret_box
from ownit.cli.main import main
from ownit.domain.catalog import Contact
from ownit.settings import Settings
from tests.builders import FakeClock
from tests.integration import oncall_catalog

BOX = SecretBox(bytes(range(32)))
HOOKED = oncall_catalog.ORG.replace(
    "spec: {displayName: Alice Liddell, email: alice@example.com}",
    "spec: {displayName: Alice Liddell, email: alice@example.com, contacts: "
    "[{name: hook, type: webhook, url: 'https://h.example.com', "
    "secret: whsec_Zmlyc3Qtc2VjcmV0LW9mLTE2LWJ5}]}",
)


def _apply(engine: Engine, text: str) -> catalog.ApplyResult:
    loaded = load_text(text, "org.yaml")
    return catalog.apply(
        store=SqlCatalogStore(engine, box=BOX), documents=loaded.documents, clock=FakeClock()
    )


def _stored_spec(engine: Engine) -> dict[str, object]:
    with engine.connect() as conn:
        spec = conn.execute(select(t.users.c.spec).where(t.users.c.name == "alice")).scalar_one()
    assert isinstance(spec, dict)
    return spec


def test_catalog_secrets_are_sealed_and_read_back_plain(engine: Engine) -> None:
    _apply(engine, HOOKED)
    stored = _stored_spec(engine)
    assert "whsec_Zmlyc3Qtc2VjcmV0LW9mLTE2LWJ5" not in str(stored)
    assert stored["contacts"][0]["secret"].startswith(PREFIX)  # type: ignore[index]
    alice = SqlCatalogStore(engine, box=BOX).snapshot().users["alice"]
    assert alice.contacts[0].secret == "whsec_Zmlyc3Qtc2VjcmV0LW9mLTE2LWJ5"
    again = _apply(engine, HOOKED)
    assert again.diff.is_empty  # the same file changes nothing
    changed = _apply(
        engine,
        HOOKED.replace("whsec_Zmlyc3Qtc2VjcmV0LW9mLTE2LWJ5", "whsec_c2Vjb25kLXNlY3JldC1vZi0xNi1i"),
    )
    assert [c.name for c in changed.diff.of("update")] == ["alice"]
    assert SqlCatalogStore(engine, box=BOX).snapshot().users["alice"].contacts[0].secret == (
        "whsec_c2Vjb25kLXNlY3JldC1vZi0xNi1i"
    )


def test_the_notifier_gets_the_plain_secret(engine: Engine) -> None:
    _apply(engine, HOOKED)
    clock = FakeClock()
    with engine.begin() as conn:
        service = conn.execute(select(t.services.c.id)).scalars().first()
        conn.execute(
            t.incidents.insert().values(
                id="inc_1",
                org_id=1,
                number=1,
                service_id=service,
                title="disk full",
                status="triggered",
                urgency="high",
                severity="critical",
                dedup_key="disk",
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )
    claimed = Claimed(1, "inc_1", "alice", "hook", "webhook", "page", "k", 1, {})
    [context] = SqlWorkStore(engine, box=BOX).contexts([claimed])
    assert context is not None
    assert context.contact is not None
    assert context.contact["secret"] == "whsec_Zmlyc3Qtc2VjcmV0LW9mLTE2LWJ5"


def test_personal_contacts_are_sealed_too(engine: Engine) -> None:
    oncall_catalog.apply(engine)  # alice's contacts are hers (the catalog leaves them unsaid)
    store = SqlPersonalStore(engine, box=BOX)
    found = store.user_settings("alice")
    assert found is not None
    hook = Contact(
        "hook", "webhook", url="https://h.example.com", secret="whsec_bWluZS1zZWNyZXQtb2YtMTYtYnl0"
    )
    assert store.save_personal(
        dataclasses.replace(found.user, contacts=(hook,)), at=FakeClock().now()
    )
    assert "whsec_bWluZS1zZWNyZXQtb2YtMTYtYnl0" not in str(_stored_spec(engine))
    again = store.user_settings("alice")
    assert again is not None
    assert again.user.contacts[0].secret == "whsec_bWluZS1zZWNyZXQtb2YtMTYtYnl0"


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        (None, True),
        (base64.b64encode(bytes(32)).decode(), True),
        ("short", False),
        (base64.b64encode(bytes(31)).decode(), False),
    ],
)
def test_the_key_setting(raw: str | None, ok: bool) -> None:
    settings = Settings.from_env({"OWNIT_SECRET_KEY": raw} if raw else {})
    if ok:
        assert (secret_box(settings) is None) == (raw is None)
    else:
        with pytest.raises(BootstrapError, match="OWNIT_SECRET_KEY"):
            secret_box(settings)


def test_the_cli_seals_secrets_stored_before_the_key(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OWNIT_DATABASE_URL", database_url)
    assert main(["db", "seal-secrets"]) == 1  # no key yet
    assert "set OWNIT_SECRET_KEY first" in capsys.readouterr().err
    with database(Settings.from_env()) as db:
        oncall_catalog.apply(db.engine, HOOKED)  # plain: no key when it was stored
        assert "whsec_Zmlyc3Qtc2VjcmV0LW9mLTE2LWJ5" in str(_stored_spec(db.engine))
    monkeypatch.setenv("OWNIT_SECRET_KEY", base64.b64encode(bytes(range(32))).decode())
    assert main(["db", "seal-secrets"]) == 0
    assert capsys.readouterr().out == "webhook secrets sealed for 1 user(s)\n"
    assert main(["db", "seal-secrets"]) == 0
    assert capsys.readouterr().out == "webhook secrets sealed for 0 user(s)\n"
    with database(Settings.from_env()) as db:
        assert "whsec_Zmlyc3Qtc2VjcmV0LW9mLTE2LWJ5" not in str(_stored_spec(db.engine))
        alice = SqlCatalogStore(db.engine, box=BOX).snapshot().users["alice"]
        assert alice.contacts[0].secret == "whsec_Zmlyc3Qtc2VjcmV0LW9mLTE2LWJ5"


def test_ownit_refuses_to_start_with_sealed_secrets_it_cannot_open(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OWNIT_DATABASE_URL", database_url)
    monkeypatch.setenv("OWNIT_SECRET_KEY", base64.b64encode(bytes(range(32))).decode())
    with database(Settings.from_env()) as db:
        _apply(db.engine, HOOKED)
    for key, problem in (
        (
            base64.b64encode(bytes(32)).decode(),
            "has a webhook secret that OWNIT_SECRET_KEY does not open",
        ),
        ("", "has a sealed webhook secret: set OWNIT_SECRET_KEY"),
    ):
        monkeypatch.setenv("OWNIT_SECRET_KEY", key)
        assert main(["audit", "list"]) == 1
        assert f"ownit: error: user 'alice' {problem}" in capsys.readouterr().err
