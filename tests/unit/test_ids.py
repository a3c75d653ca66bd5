"""Ids: prefix, 10 base32 digits of milliseconds, 16 of entropy; sortable by time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ownit.domain.ids import make_id

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def digits(text: str) -> int:
    value = 0
    for char in text:
        value = value * 32 + ALPHABET.index(char)
    return value


instants = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


@given(instants, st.binary(min_size=10, max_size=10), st.sampled_from(["inc", "alr", "evt"]))
def test_an_id_reads_back_as_its_time_and_entropy(
    at: datetime, entropy: bytes, prefix: str
) -> None:
    made = make_id(prefix, at, entropy)
    head, _, body = made.partition("_")
    assert head == prefix
    assert len(body) == 26
    assert digits(body[:10]) == int(at.timestamp() * 1000)
    assert digits(body[10:]) == int.from_bytes(entropy, "big")


@given(instants, st.binary(min_size=10, max_size=10), st.binary(min_size=10, max_size=10))
def test_a_later_millisecond_sorts_later_whatever_the_entropy(
    at: datetime, first: bytes, second: bytes
) -> None:
    assert make_id("inc", at, first) < make_id("inc", at + timedelta(milliseconds=1), second)


def test_a_known_id() -> None:
    at = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    assert make_id("inc", at, bytes(10)) == "inc_" + "01m95kkag0" + "0" * 16
