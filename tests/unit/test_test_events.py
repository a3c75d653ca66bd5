"""The rules of a test event to a service (decision 0060): each field checked and named,
the dedup key kept or made up, the drill run's name within its column and one per service
and key; and ``drills=`` of ``GET /api/v1/pages``."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ownit.app.pages import drills_of
from ownit.app.test_events import DEDUP_KEY, MAX_NAME, check, drill_name
from ownit.app.test_events import TestEvent as Asked
from ownit.domain.analytics.history import Drills
from ownit.domain.errors import FieldError


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (Asked("s", ""), "summary"),
        (Asked("s", "  \n"), "summary"),
        (Asked("s", "x" * 1025), "summary"),
        (Asked("s", "down", "dire"), "severity"),
        (Asked("s", "down", "CRITICAL"), "severity"),
        (Asked("s", "down", "error", ""), "dedup_key"),
        (Asked("s", "down", "error", "a b"), "dedup_key"),
        (Asked("s", "down", "error", "k/1"), "dedup_key"),
        (Asked("s", "down", "error", "k" * 65), "dedup_key"),
    ],
)
def test_bad_fields_are_named(event: Asked, field: str) -> None:
    with pytest.raises(FieldError) as refused:
        check(event)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("event", "dedup"),
    [
        (Asked("s", "x" * 1024, "info", "chaos-1"), "chaos-1"),
        (Asked("s", "down", "warning", "a.b_c:d-9"), "a.b_c:d-9"),
        (Asked("s", "down", "critical", "k" * 64), "k" * 64),
    ],
)
def test_a_given_dedup_key_is_kept(event: Asked, dedup: str) -> None:
    assert check(event) == dedup


def test_a_missing_dedup_key_is_made_up_fresh_each_time() -> None:
    made = {check(Asked("s", "down")) for _ in range(50)}
    assert len(made) == 50
    assert all(DEDUP_KEY.fullmatch(key) and key.startswith("test-") for key in made)


NAMES = st.text(min_size=1, max_size=120)
KEYS = st.from_regex(DEDUP_KEY, fullmatch=True)


@given(NAMES, KEYS, NAMES, KEYS)
def test_drill_names_fit_and_are_one_per_service_and_key(
    service: str, key: str, other_service: str, other_key: str
) -> None:
    name = drill_name(service, key)
    assert name.startswith("test-event/")
    assert len(name) <= MAX_NAME
    assert drill_name(service, key) == name  # the same pair: the same run (409 while open)
    if (service, key) != (other_service, other_key):
        assert drill_name(other_service, other_key) != name


@pytest.mark.parametrize(
    ("value", "want"),
    [
        (None, Drills.INCLUDE),
        ("", Drills.INCLUDE),
        ("include", Drills.INCLUDE),
        ("exclude", Drills.EXCLUDE),
        ("only", Drills.ONLY),
    ],
)
def test_pages_list_practice_unless_told(value: str | None, want: Drills) -> None:
    assert drills_of(value) is want


@pytest.mark.parametrize("value", ["none", "ONLY", "yes"])
def test_an_unknown_drills_value_names_the_field(value: str) -> None:
    with pytest.raises(FieldError) as refused:
        drills_of(value)
    assert refused.value.field == "drills"
