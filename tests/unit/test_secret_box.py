"""Webhook secrets sealed at rest: AES-256-GCM, bound to the contact, old plain values read."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ownit.adapters.db.secret_box import (
    PREFIX,
    SecretBox,
    SecretBoxError,
    open_spec,
    parse_key,
    seal_spec,
)

KEY = bytes(range(32))
BOX = SecretBox(KEY)


@given(st.text(max_size=300), st.text(max_size=50))
def test_seal_then_open_gives_the_secret_back(secret: str, contact: str) -> None:
    sealed = BOX.seal(secret, contact)
    assert sealed.startswith(PREFIX)
    assert len(secret) < 8 or secret not in sealed
    assert BOX.open(sealed, contact) == secret
    assert BOX.seal(sealed, contact) == sealed  # sealing twice changes nothing


def test_each_seal_is_different_and_plain_values_open_as_they_are() -> None:
    assert BOX.seal("whsec_x", "hook") != BOX.seal("whsec_x", "hook")
    assert BOX.open("whsec_plain_from_before", "hook") == "whsec_plain_from_before"


@pytest.mark.parametrize(
    ("box", "contact", "tamper"),
    [
        (SecretBox(bytes(32)), "hook", False),  # another key
        (BOX, "other", False),  # moved onto another contact
        (BOX, "hook", True),  # altered
    ],
)
def test_a_sealed_secret_opens_only_with_its_key_contact_and_bytes(
    box: SecretBox, contact: str, tamper: bool
) -> None:
    sealed = BOX.seal("whsec_x", "hook")
    if tamper:
        sealed = sealed[:-2] + ("AA" if not sealed.endswith("AA") else "BB")
    with pytest.raises(SecretBoxError, match="OWNIT_SECRET_KEY"):
        box.open(sealed, contact)


def test_specs_seal_and_open_only_contact_secrets() -> None:
    spec = {
        "email": "a@example.com",
        "contacts": [
            {"name": "hook", "type": "webhook", "url": "https://h", "secret": "whsec_a"},
            {"name": "mail", "type": "email", "address": "a@example.com"},
        ],
    }
    sealed = seal_spec(spec, BOX)
    assert sealed["contacts"][0]["secret"].startswith(PREFIX)
    assert sealed["contacts"][1] == spec["contacts"][1]
    assert sealed["email"] == "a@example.com"
    assert open_spec(sealed, BOX) == spec
    assert seal_spec(spec, None) == spec
    assert open_spec({"contacts": "not a list"}, BOX) == {"contacts": "not a list"}


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("not base64!", "is not base64"),
        (base64.b64encode(bytes(16)).decode(), "is 16 bytes; it must be 32"),
    ],
)
def test_bad_keys_are_named(raw: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_key(raw)
    assert parse_key(base64.b64encode(KEY).decode()) == KEY
