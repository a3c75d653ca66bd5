"""Who may put a service in maintenance, and what a window request must say (no database)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from ownit.app import maintenance as uc
from ownit.domain.errors import Forbidden
from ownit.domain.permissions import Actor, OrgRole, TeamRole

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class FakeStore:
    def __init__(self) -> None:
        self.owners_of = {"checkout-api": "payments", "search-api": "search", "orphan": None}
        self.saved: list[uc.Window] = []

    def owners(self, services: Sequence[str]) -> dict[str, str | None]:
        return {s: self.owners_of[s] for s in services if s in self.owners_of}

    def windows(self, *, ending_after: datetime | None) -> list[uc.Window]:
        return [w for w in self.saved if ending_after is None or w.end_at > ending_after]

    def get(self, window_id: int) -> uc.Window | None:
        return next((w for w in self.saved if w.id == window_id), None)

    def name_taken(self, name: str) -> bool:
        return any(w.name == name for w in self.saved)

    def insert(
        self,
        *,
        name: str,
        description: str,
        start_at: datetime,
        end_at: datetime,
        services: Sequence[str],
        created_by: str,
        at: datetime,
    ) -> uc.Window:
        window = uc.Window(
            len(self.saved) + 1,
            name,
            description,
            start_at,
            end_at,
            tuple(services),
            None,
            created_by,
        )
        self.saved.append(window)
        return window

    def end(self, window_id: int, at: datetime) -> None:
        raise AssertionError("not used")

    def delete(self, window_id: int, at: datetime) -> None:
        raise AssertionError("not used")


MANAGER = Actor(OrgRole.MEMBER, {"payments": TeamRole.MANAGER, "search": TeamRole.RESPONDER})


def start(who: Actor, *services: str) -> uc.Window:
    return uc.start_window(
        store=FakeStore(),
        who=who,
        actor="tester",
        now=NOW,
        services=services,
        duration=timedelta(hours=1),
    )


def test_a_manager_of_the_owner_team_may() -> None:
    window = start(MANAGER, "checkout-api")
    assert window.services == ("checkout-api",)
    assert window.name == "checkout-api-20261126T120000"
    assert (window.start_at, window.end_at) == (NOW, NOW + timedelta(hours=1))


@pytest.mark.parametrize(
    ("services", "words"),
    [
        (("checkout-api", "search-api"), "service 'search-api'"),  # not a manager there
        (("orphan",), "no team (administrators only)"),
    ],
)
def test_every_service_must_be_managed(services: tuple[str, ...], words: str) -> None:
    with pytest.raises(Forbidden, match=words.replace("(", r"\(").replace(")", r"\)")):
        start(MANAGER, *services)


def test_admins_may_and_read_only_may_not() -> None:
    assert start(Actor(OrgRole.ADMIN), "orphan", "search-api").services == ("orphan", "search-api")
    read_only = Actor(OrgRole.ADMIN, read_only=True)
    with pytest.raises(Forbidden):
        start(read_only, "checkout-api")


def test_a_window_ending_before_it_starts_names_end() -> None:
    with pytest.raises(uc.InvalidWindow) as caught:
        uc.start_window(
            store=FakeStore(),
            who=MANAGER,
            actor="t",
            now=NOW,
            services=["checkout-api"],
            start=NOW + timedelta(hours=2),
            end=NOW + timedelta(hours=1),
        )
    assert (caught.value.field, caught.value.detail) == (
        "end",
        "the window must end after it starts",
    )


def test_states() -> None:
    window = start(MANAGER, "checkout-api")
    assert window.state(NOW - timedelta(seconds=1)) == "scheduled"
    assert window.state(NOW) == "active"
    assert window.state(NOW + timedelta(hours=1)) == "ended"
