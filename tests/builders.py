"""Small builders for test data, written straight into the tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from ownit.adapters.db import tables as t
from ownit.domain.key_digests import key_digest

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class FakeClock:
    """A clock a test moves by hand."""

    def __init__(self, start: datetime = T0) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: Any) -> None:
        from datetime import timedelta

        self.current += timedelta(**kwargs)


def add_service(
    engine: Engine,
    name: str,
    *,
    urgency: str = "severity",
    keys: dict[str, str] | None = None,
) -> int:
    """A service with integrations ``{integration name: key}``; returns the service id."""
    with engine.begin() as conn:
        service_id = conn.execute(
            t.services.insert().values(
                name=name,
                description=f"{name} for tests",
                urgency=urgency,
                spec={"urgency": urgency},
                created_at=T0,
                updated_at=T0,
            )
        ).inserted_primary_key
        assert service_id is not None
        sid = int(service_id[0])
        for integration, key in (keys or {}).items():
            conn.execute(
                t.integrations.insert().values(
                    service_id=sid,
                    name=integration,
                    type="alertmanager" if "am" in integration else "events-v2",
                    key=key_digest(key),  # kept hashed (decision 0035)
                    key_hint=key[:4],
                    created_at=T0,
                )
            )
    return sid
