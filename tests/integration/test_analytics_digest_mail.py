"""The weekly digest mailed to team managers through the outbox (decision 0062): a real SMTP
server (aiosmtpd) on loopback, the real worker, on SQLite and PostgreSQL. Delivered once;
a refusing server retried until it takes it; a second run in the same week adds nothing."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.analytics_store import SqlAnalyticsStore
from ownit.adapters.db.baseline_store import SqlBaselineStore
from ownit.adapters.db.digest_store import SqlDigestOutbox
from ownit.app import digests as dg
from ownit.app.notify import ANALYTICS_DIGEST
from ownit.bootstrap import build_worker
from ownit.cli.main import main
from ownit.settings import Settings
from tests.builders import T0, FakeClock
from tests.integration.live import free_port

MANAGER_MAIL = {"name": "work", "type": "email", "address": "mia@example.com"}


@dataclass
class Mailbox:
    """Keeps what arrives; refuses the first ``refuse`` messages with ``answer``."""

    refuse: int = 0
    answer: str = "451 4.3.0 try again later"
    kept: list[Any] = field(default_factory=list)
    refused: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refused < self.refuse:
            self.refused += 1
            return self.answer
        self.kept.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@dataclass
class World:
    engine: Engine
    clock: FakeClock
    mailbox: Mailbox
    settings: Settings

    def queue(self) -> list[dg.Queued]:
        return dg.mail_weekly_report(
            analytics=SqlAnalyticsStore(self.engine),
            baselines=SqlBaselineStore(self.engine),
            outbox=SqlDigestOutbox(self.engine),
            clock=self.clock,
        )

    def rows(self) -> list[Any]:
        n = t.notifications
        with self.engine.connect() as conn:
            return list(
                conn.execute(select(n).where(n.c.event_type == ANALYTICS_DIGEST).order_by(n.c.id))
            )


def _people(engine: Engine) -> None:
    """Team payments: mia (manager, e-mail and a phone), rob (responder, e-mail); team web:
    no manager. Only mia's e-mail contact gets the digest."""
    phone = {"name": "phone", "type": "webhook", "url": "http://127.0.0.1:9/hook"}
    rob_mail = {"name": "mail", "type": "email", "address": "rob@example.com"}
    with engine.begin() as conn:
        for n, (name, contacts) in enumerate(
            (("mia", [MANAGER_MAIL, phone]), ("rob", [rob_mail])), start=1
        ):
            conn.execute(
                t.users.insert().values(
                    id=n,
                    name=name,
                    timezone="UTC",
                    spec={"contacts": contacts},
                    created_at=T0,
                    updated_at=T0,
                )
            )
        for n, team in enumerate(("payments", "web"), start=1):
            conn.execute(
                t.teams.insert().values(id=n, name=team, spec={}, created_at=T0, updated_at=T0)
            )
        conn.execute(
            t.team_members.insert(),
            [
                {"team_id": 1, "user_id": 1, "role": "manager"},
                {"team_id": 1, "user_id": 2, "role": "responder"},
            ],
        )


@pytest.fixture
def world(engine: Engine, request: pytest.FixtureRequest) -> Iterator[World]:
    mailbox = Mailbox(refuse=getattr(request, "param", 0))
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    _people(engine)
    settings = Settings(
        database_url=str(engine.url),
        events_rate_limit=0,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        smtp_from="ownit@example.com",
    )
    try:
        yield World(engine, FakeClock(T0), mailbox, settings)
    finally:
        controller.stop()


def _deliver(w: World) -> int:
    work = build_worker(w.settings, w.engine, clock=w.clock)
    try:
        return work.deliver_due()
    finally:
        work.stop()


def test_the_digest_goes_to_each_managers_email_once(world: World) -> None:
    queued = world.queue()
    assert [(q.recipient.user, q.recipient.contact, q.new) for q in queued] == [
        ("mia", "work", True)
    ]
    assert _deliver(world) == 1
    [message] = world.mailbox.kept
    assert message["To"] == "mia@example.com"
    assert message["Subject"] == "[ownit] weekly digest 2026-W48"
    assert message["X-Ownit-Event"] == ANALYTICS_DIGEST
    body = message.get_content()
    assert body.startswith("ownit weekly digest: 2026-11-19 12:00 to 2026-11-26 12:00 UTC")
    assert "No baseline yet" in body
    [row] = world.rows()
    assert (row.status, row.attempts, row.incident_id) == ("sent", 1, None)
    assert row.sent_at is not None
    # The same week again (a second cron run): nothing new is queued or sent.
    world.clock.advance(days=2)
    assert [q.new for q in world.queue()] == [False]
    assert _deliver(world) == 0
    assert len(world.mailbox.kept) == 1
    # Next week: a new digest.
    world.clock.advance(days=7)
    assert [q.new for q in world.queue()] == [True]
    assert _deliver(world) == 1
    assert [m["Subject"] for m in world.mailbox.kept] == [
        "[ownit] weekly digest 2026-W48",
        "[ownit] weekly digest 2026-W49",
    ]


@pytest.mark.parametrize("world", [1, 3], indirect=True, ids=["refused-once", "refused-3x"])
def test_a_refusing_smtp_server_is_retried_until_it_takes_the_digest(world: World) -> None:
    world.queue()
    for attempt in range(1, world.mailbox.refuse + 1):
        assert _deliver(world) == 1
        [row] = world.rows()
        assert (row.status, row.attempts) == ("pending", attempt)
        assert "451" in row.last_error
        assert "retrying in" in row.last_error
        assert world.mailbox.kept == []
        assert _deliver(world) == 0  # not due yet: it waits for its backoff
        world.clock.advance(seconds=301)  # past the longest backoff
    assert _deliver(world) == 1
    [row] = world.rows()
    assert (row.status, row.attempts) == ("sent", world.mailbox.refuse + 1)
    assert len(world.mailbox.kept) == 1  # delivered once: nothing lost, nothing doubled
    [seen] = SqlDigestOutbox(world.engine).deliveries(10)
    assert (seen.week, seen.user, seen.status) == ("2026-W48", "mia", "sent")


@pytest.mark.parametrize("world", [1], indirect=True, ids=["refused-permanently"])
def test_a_permanent_refusal_is_kept_on_the_row_not_retried(world: World) -> None:
    world.mailbox.answer = "550 5.1.1 no such mailbox"
    world.queue()
    assert _deliver(world) == 1
    [row] = world.rows()
    assert (row.status, row.attempts) == ("failed", 1)
    assert "550" in row.last_error
    assert "not retried" in row.last_error
    [seen] = SqlDigestOutbox(world.engine).deliveries(10)
    assert (seen.status, seen.last_error) == ("failed", row.last_error)


def test_no_manager_with_email_is_an_error_not_silence(engine: Engine) -> None:
    with pytest.raises(dg.NoRecipients, match="no team manager has an e-mail contact"):
        dg.mail_weekly_report(
            analytics=SqlAnalyticsStore(engine),
            baselines=SqlBaselineStore(engine),
            outbox=SqlDigestOutbox(engine),
            clock=FakeClock(T0),
        )


def test_the_cli_queues_once_a_week_and_lists_the_deliveries(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OWNIT_DATABASE_URL", engine.url.render_as_string(hide_password=False))

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    code, out, err = run("analytics", "report", "--mail")
    assert code == 2
    assert "--mail: no team manager has an e-mail contact" in err
    assert out.startswith("ownit weekly digest:")  # the digest is still printed
    _people(engine)
    code, out, _ = run("analytics", "report", "--mail")
    assert code == 0
    assert out.splitlines()[-1] == "queued: mia (work)"
    code, out, _ = run("analytics", "report", "--mail")
    assert out.splitlines()[-1] == "already queued this week: mia (work)"
    code, out, _ = run("analytics", "digests")
    lines = out.splitlines()
    assert lines[0].split() == [
        "WEEK",
        "USER",
        "CONTACT",
        "STATUS",
        "ATTEMPTS",
        "SENT",
        "LAST",
        "ERROR",
    ]
    assert lines[2].split()[1:6] == ["mia", "work", "pending", "0", "-"]
    assert len(lines) == 3  # one row: the second run queued nothing
