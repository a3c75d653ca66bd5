"""Compare-only keys kept as digests: the pure rules (decision 0035)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ownit.domain.key_digests import (
    is_digest,
    key_digest,
    key_hint,
    masked,
    same_key,
    stored_key,
)

KEY = "abcd" + "0" * 28
DIGEST = hashlib.sha256(KEY.encode()).hexdigest()

keys = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    min_size=32,
    max_size=32,
)


@pytest.mark.parametrize(
    ("value", "digest", "hint"),
    [
        (KEY, True, "abcd"),  # a key: hashed, hint kept
        (DIGEST, False, None),  # a stored digest: as it is, no hint (the key is unknown)
        (DIGEST.upper(), True, DIGEST.upper()[:4]),  # not a digest: upper case
        ("f" * 63, True, "ffff"),  # one short of a digest
    ],
)
def test_stored_key_and_hint(value: str, digest: bool, hint: str | None) -> None:
    expected = hashlib.sha256(value.encode()).hexdigest() if digest else value
    assert stored_key(value) == expected
    assert key_hint(value) == hint
    assert is_digest(stored_key(value))


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (KEY, KEY, True),
        (KEY, DIGEST, True),
        (DIGEST, KEY, True),
        (KEY, "abcd" + "0" * 27 + "1", False),
        (None, KEY, False),
        (KEY, None, False),
        (None, None, True),
    ],
)
def test_same_key(a: str | None, b: str | None, same: bool) -> None:
    assert same_key(a, b) is same


@pytest.mark.parametrize(("hint", "shown"), [("abcd", "abcd…"), (None, "…"), ("", "…")])
def test_masked(hint: str | None, shown: str) -> None:
    assert masked(hint) == shown


@given(keys)
def test_a_key_and_its_digest_are_the_same_key_and_storing_is_idempotent(key: str) -> None:
    assert stored_key(stored_key(key)) == stored_key(key) == key_digest(key)
    assert same_key(key, key_digest(key))
    assert not is_digest(key)
    assert key_hint(key) == key[:4]


@given(keys, keys)
def test_different_keys_have_different_digests(a: str, b: str) -> None:
    assert same_key(a, b) is (a == b)
