"""An app on a migrated database (SQLite and PostgreSQL), a fake clock and API tokens."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ownit.adapters.db.token_store import SqlTokenStore
from ownit.app.tokens import create_token
from ownit.bootstrap import build_app
from ownit.domain.outbound import AllowList
from ownit.settings import Settings
from tests.builders import FakeClock, add_service

PAY_KEY = "a" * 31 + "1"
AM_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
LOW_KEY = "b" * 31 + "2"


@dataclass
class Ctx:
    client: TestClient
    engine: Engine
    clock: FakeClock
    admin: dict[str, str]
    responder: dict[str, str]
    viewer: dict[str, str]


@pytest.fixture
def ctx(engine: Engine, request: pytest.FixtureRequest) -> Iterator[Ctx]:
    add_service(engine, "checkout-api", keys={"events": PAY_KEY, "am": AM_KEY})
    add_service(engine, "batch-jobs", urgency="low", keys={"events": LOW_KEY})
    clock = FakeClock()
    # Test receivers are on loopback; a test marked ``outbound_refused`` gets the default.
    refused = request.node.get_closest_marker("outbound_refused") is not None
    allow = AllowList() if refused else AllowList.parse("127.0.0.0/8")
    settings = Settings(database_url=str(engine.url), events_rate_limit=0, outbound_allow=allow)
    tokens = SqlTokenStore(engine)

    def bearer(role: str) -> dict[str, str]:
        token = create_token(store=tokens, clock=clock, name=f"t-{role}", role=role)
        return {"Authorization": f"Bearer {token}"}

    app = build_app(settings, engine, clock=clock)
    with TestClient(app) as client:
        yield Ctx(client, engine, clock, bearer("admin"), bearer("responder"), bearer("viewer"))
