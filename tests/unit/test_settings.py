"""Settings from the environment: each is read, and a value ownit cannot use is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ownit.settings import Settings, SettingsError


def test_smtp_security_defaults_to_starttls() -> None:
    assert Settings.from_env({}).smtp_security == "starttls"


@pytest.mark.parametrize("value", ["none", "starttls", "tls"])
def test_smtp_security_takes_each_word(value: str) -> None:
    assert Settings.from_env({"OWNIT_SMTP_SECURITY": value}).smtp_security == value


@pytest.mark.parametrize("value", ["ssl", "TLS", ""])
def test_smtp_security_refuses_anything_else(value: str) -> None:
    with pytest.raises(SettingsError, match=r"must be none, starttls or tls$"):
        Settings.from_env({"OWNIT_SMTP_SECURITY": value})


@pytest.mark.parametrize(
    ("value", "networks", "hosts"),
    [
        ("", (), frozenset()),
        ("127.0.0.0/8", ("127.0.0.0/8",), frozenset()),
        ("127.0.0.1/32, ::1 ,hooks.internal", ("127.0.0.1/32", "::1/128"), {"hooks.internal"}),
    ],
)
def test_outbound_allow_reads_cidrs_and_host_names(
    value: str, networks: tuple[str, ...], hosts: frozenset[str]
) -> None:
    allow = Settings.from_env({"OWNIT_OUTBOUND_ALLOW": value}).outbound_allow
    assert tuple(str(n) for n in allow.networks) == networks
    assert allow.hosts == hosts


def test_outbound_allow_names_a_bad_entry() -> None:
    with pytest.raises(SettingsError, match=r"OWNIT_OUTBOUND_ALLOW: 'http://x' is neither"):
        Settings.from_env({"OWNIT_OUTBOUND_ALLOW": "10.0.0.0/8,http://x"})


@pytest.mark.parametrize(
    ("env", "idle", "most"),
    [
        ({}, timedelta(days=14), timedelta(days=30)),
        ({"OWNIT_SESSION_IDLE": "8h"}, timedelta(hours=8), timedelta(days=30)),
        ({"OWNIT_SESSION_IDLE": "1d", "OWNIT_SESSION_MAX": "1w"}, timedelta(days=1), timedelta(7)),
    ],
)
def test_session_lifetimes(env: dict[str, str], idle: timedelta, most: timedelta) -> None:
    settings = Settings.from_env(env)
    assert (settings.session_idle, settings.session_max) == (idle, most)


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"OWNIT_SESSION_IDLE": "soon"}, "OWNIT_SESSION_IDLE"),
        ({"OWNIT_SESSION_IDLE": "31d"}, "must not be longer than OWNIT_SESSION_MAX"),
        ({"OWNIT_SESSION_MAX": "0s"}, "must be longer than zero"),
    ],
)
def test_bad_session_lifetimes_are_named(env: dict[str, str], words: str) -> None:
    with pytest.raises(SettingsError, match=words):
        Settings.from_env(env)


@pytest.mark.parametrize(("value", "share"), [(None, 0.4), ("1", 1.0), ("0.25", 0.25), ("", 0.4)])
def test_engine_busy_share_reads_a_share_of_the_time(value: str | None, share: float) -> None:
    env = {} if value is None else {"OWNIT_ENGINE_BUSY_SHARE": value}
    assert Settings.from_env(env).engine_busy_share == share


@pytest.mark.parametrize("value", ["0", "-0.1", "1.5", "half", "nan"])
def test_engine_busy_share_refuses_anything_outside_zero_to_one(value: str) -> None:
    with pytest.raises(SettingsError, match=r"^OWNIT_ENGINE_BUSY_SHARE=.* at most 1$"):
        Settings.from_env({"OWNIT_ENGINE_BUSY_SHARE": value})
