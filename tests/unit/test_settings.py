"""Settings from the environment: OWNIT_SMTP_SECURITY is one of three words."""

from __future__ import annotations

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
