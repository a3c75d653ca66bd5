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
