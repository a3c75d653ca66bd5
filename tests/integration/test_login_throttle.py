"""Login throttle in the database: parallel guesses each take a number, a backoff instead of a
lock, counters shared by every process (decision 0030); the client address behind proxies."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from itertools import pairwise

import pytest
from sqlalchemy import Engine, func, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.account_store import SqlAccountStore
from ownit.adapters.db.engine import make_engine
from ownit.adapters.db.login_throttle_store import SqlLoginThrottle
from ownit.adapters.passwords import Argon2Hasher
from ownit.app import accounts
from ownit.app.accounts import LoginLimits, LoginRefused, OrgRole, TooManyAttempts
from tests.builders import FakeClock
from tests.integration import oncall_catalog
from tests.integration.web_helpers import PASSWORD

ALICE = "alice@example.com"


@pytest.fixture
def people(engine: Engine) -> FakeClock:
    clock = FakeClock()
    oncall_catalog.apply(engine)
    accounts.create_login(
        store=SqlAccountStore(engine),
        hasher=Argon2Hasher(),
        clock=clock,
        email=ALICE,
        password=PASSWORD,
        org_role=OrgRole.ADMIN,
    )
    return clock


def _try(engine: Engine, clock: FakeClock, password: str, client: str = "10.0.0.1") -> str:
    try:
        accounts.login(
            store=SqlAccountStore(engine),
            hasher=Argon2Hasher(),
            clock=clock,
            throttle=SqlLoginThrottle(engine),
            email=ALICE,
            password=password,
            client=client,
        )
    except LoginRefused:
        return "wrong"
    except TooManyAttempts as exc:
        return "wait" if 0 < exc.retry_after <= 60 else f"wait {exc.retry_after}"
    return "in"


def test_twelve_parallel_wrong_passwords_are_not_judged_alike(
    engine: Engine, people: FakeClock
) -> None:
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda _: _try(engine, people, "wrong password!!"), range(12)))
    # The first five are judged (wrong); the fifth starts a one-second delay: the rest wait.
    assert sorted(results) == ["wait"] * 7 + ["wrong"] * 5
    # A backoff, not a 15-minute lock: the right password works once the delay is over.
    assert _try(engine, people, PASSWORD) == "wait"
    people.advance(seconds=1)
    assert _try(engine, people, PASSWORD) == "in"
    assert _try(engine, people, "wrong password!!") == "wrong"  # the count started again


def test_the_delay_doubles_and_is_capped(engine: Engine, people: FakeClock) -> None:
    waits = []
    for _ in range(12):
        while _try(engine, people, "wrong password!!") == "wait":
            people.advance(seconds=1)
        waits.append(people.now())
    gaps = [(b - a).total_seconds() for a, b in pairwise(waits)]
    assert gaps == [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60]


def test_counters_are_shared_by_every_process(database_url: str, people: FakeClock) -> None:
    first, second = make_engine(database_url), make_engine(database_url)
    try:
        for n in range(5):
            engine = first if n % 2 else second
            assert _try(engine, people, "wrong password!!") == "wrong"
        assert _try(first, people, PASSWORD) == "wait"
        assert _try(second, people, PASSWORD) == "wait"
    finally:
        first.dispose()
        second.dispose()


def test_one_client_address_is_throttled_across_emails(engine: Engine, people: FakeClock) -> None:
    limits = LoginLimits()
    for n in range(limits.by_client.free):
        with pytest.raises(LoginRefused):
            accounts.login(
                store=SqlAccountStore(engine),
                hasher=Argon2Hasher(),
                clock=people,
                throttle=SqlLoginThrottle(engine),
                email=f"guess{n}@example.com",
                password="wrong password!!",
                client="10.0.0.9",
            )
    assert _try(engine, people, PASSWORD, client="10.0.0.9") == "wait"
    assert _try(engine, people, PASSWORD, client="10.0.0.10") == "in"  # another address


def test_failed_logins_are_audited_and_stale_counters_pruned(
    engine: Engine, people: FakeClock
) -> None:
    assert _try(engine, people, "wrong password!!") == "wrong"
    with engine.connect() as conn:
        row = conn.execute(select(t.audit_log).where(t.audit_log.c.action == "failed")).one()
    assert (row.actor, row.kind, row.name) == ("anonymous", "login", ALICE)
    people.advance(hours=1)
    throttle = SqlLoginThrottle(engine)
    rule = LoginLimits().by_email
    assert throttle.attempt([("email:other", rule)], people.now()) == timedelta(0)
    with engine.connect() as conn:
        keys = conn.execute(select(t.login_attempts.c.key)).scalars().all()
        count = conn.execute(select(func.count()).select_from(t.login_attempts)).scalar_one()
    assert keys == ["email:other"]
    assert count == 1


@pytest.mark.parametrize("email", ["a\x00b@example.com", "\x1b[31m@example.com", "x" * 400])
def test_an_impossible_email_is_a_wrong_login_not_an_error(
    engine: Engine, people: FakeClock, email: str
) -> None:
    with pytest.raises(LoginRefused):
        accounts.login(
            store=SqlAccountStore(engine),
            hasher=Argon2Hasher(),
            clock=people,
            throttle=SqlLoginThrottle(engine),
            email=email,
            password="wrong password!!",
            client="10.0.0.1",
        )
    with engine.connect() as conn:
        name = conn.execute(
            select(t.audit_log.c.name).where(t.audit_log.c.action == "failed")
        ).scalar_one()
    assert "\x00" not in name
    assert len(name) <= 200
