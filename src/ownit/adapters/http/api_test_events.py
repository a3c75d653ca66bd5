"""REST API ``POST /api/v1/services/{name}/test-event``: a marked test event to a service by
name, with an API token instead of its integration key (decision 0060). What the Chaos
Toolkit action ``send_event(service=…)`` calls.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path
from pydantic import BaseModel, Field
from starlette.responses import Response

from ownit.adapters.http.api_v1 import ok
from ownit.adapters.http.auth import requires
from ownit.adapters.http.problems import Problem, field_error
from ownit.app import test_events as uc
from ownit.app.clock import Clock
from ownit.app.drills import DrillStore, run_answer
from ownit.app.incidents import IncidentStore, get_incident
from ownit.app.rate_limits import (
    TEST_EVENTS_PER_MINUTE,
    MemoryRateLimits,
    RateLimitStore,
    may_send_test_event,
)
from ownit.app.tokens import Principal, Role, TokenStore
from ownit.domain.errors import FieldError


@dataclass
class TestEventDeps:
    drills: DrillStore
    targets: uc.TargetStore
    incidents: IncidentStore
    tokens: TokenStore
    clock: Clock
    # Test events a caller (token or person) may send a minute, like test notifications:
    # counted in the database in a server, shared by every process (decision 0055).
    rate_limits: RateLimitStore = field(default_factory=MemoryRateLimits)


_LIMIT = TEST_EVENTS_PER_MINUTE


class TestEventIn(BaseModel):
    summary: str = Field(min_length=1, max_length=uc.MAX_SUMMARY)
    severity: str = Field("critical", description="critical, error, warning or info")
    dedup_key: str | None = Field(
        None, description="1-64 letters, digits, '.', '_', ':', '-'; made up when left out"
    )


def router(deps: TestEventDeps) -> APIRouter:
    api = APIRouter(prefix="/api/v1/services", tags=["services"])
    responder = Annotated[Principal, Depends(requires(deps.tokens, Role.RESPONDER, deps.clock))]
    Name = Annotated[str, Path(description="the service's name")]

    @api.post(
        "/{name}/test-event",
        status_code=201,
        summary="Page the service's policy with a test event, marked as a drill",
        responses={429: {"description": f"More than {_LIMIT} test events a minute"}},
    )
    def test_event(who: responder, name: Name, body: Annotated[TestEventIn, Body()]) -> Response:
        now = deps.clock.now()
        if not may_send_test_event(deps.rate_limits, who.actor, now):
            raise Problem(
                429,
                "Too many requests",
                f"too many test events: {_LIMIT} a minute each; try again in a minute",
                slug="rate-limited",
                headers={"Retry-After": "60"},
            )
        event = uc.TestEvent(name, body.summary, body.severity, body.dedup_key)
        try:
            sent = uc.send(
                drills=deps.drills,
                targets=deps.targets,
                clock=deps.clock,
                who=who.permissions,
                by=who.actor,
                event=event,
            )
        except FieldError as exc:  # a bad field, or nobody to page (DrillRefused)
            raise field_error(exc.field, exc.detail, status=422) from None
        incident = get_incident(store=deps.incidents, ref=sent.run.incident_id or "")
        answer = {
            "incident": incident,
            "run": run_answer(sent.run, deps.clock.now()),
            "dedup_key": sent.dedup_key,
        }
        return ok(answer, status=201)

    return api
