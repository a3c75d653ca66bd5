"""The organisation's settings: today, who responds to incidents (decision 0031).

``anyone``: everyone whose roles let them respond (the default, as before). ``team``: only
the managers and responders of the team that owns the incident's service, and admins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ownit.app.clock import Clock
from ownit.domain.errors import DomainError

RESPONDING = ("anyone", "team")


class OrgSettingsStore(Protocol):
    def responding(self) -> str: ...

    def set_responding(self, value: str, at: datetime) -> None:
        """Store the setting (and its audit-log entry, in one transaction)."""
        ...


class InvalidSetting(DomainError):
    pass


def set_responding(*, store: OrgSettingsStore, clock: Clock, value: str) -> str:
    """Set who responds; returns the value as it was before."""
    if value not in RESPONDING:
        raise InvalidSetting(f"{value!r} must be one of {', '.join(RESPONDING)}")
    before = store.responding()
    if before != value:
        store.set_responding(value, clock.now())
    return before
