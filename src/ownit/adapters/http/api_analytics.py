"""REST API ``/api/v1/analytics`` (:class:`AnalyticsApi`): incident figures, responders and
noise, as JSON or (``format=csv``) CSV. Definitions: ``docs/analytics.md``.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from ownit.adapters.http.api_v1 import ok
from ownit.adapters.http.auth import requires
from ownit.adapters.http.problems import field_error
from ownit.app import analytics as uc
from ownit.app import baselines as bl
from ownit.app.clock import Clock
from ownit.app.oncall import ScheduleStore
from ownit.app.tokens import Principal, Role, TokenStore

FORMATS = ("json", "csv")
T = TypeVar("T")


@dataclass
class AnalyticsDeps:
    store: uc.AnalyticsStore
    schedules: ScheduleStore
    tokens: TokenStore
    clock: Clock
    baselines: bl.BaselineStore | None = None


class BaselineIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="letters, digits, . _ -")
    since: str | None = Field(None, description="RFC 3339 instant or duration back; default 30d")
    until: str | None = Field(None, description="RFC 3339 instant or duration back; default now")


def _answer(
    name: str, body: Mapping[str, Any], fmt: str, to_csv: Callable[[Mapping[str, Any]], str]
) -> Response:
    if fmt == "csv":
        return Response(
            to_csv(body),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="ownit-{name}.csv"'},
        )
    return ok(body)


def _format(value: str) -> str:
    if value not in FORMATS:
        raise field_error("format", f"{value!r} is not one of {', '.join(FORMATS)}")
    return value


@dataclass
class AnalyticsApi:
    """The analytics endpoints; the caller's principal comes checked (``router`` gates it)."""

    deps: AnalyticsDeps

    @staticmethod
    def _guard(run: Callable[[], T]) -> T:
        try:
            return run()
        except uc.InvalidAnalyticsRequest as exc:
            raise field_error(exc.field, exc.detail) from None

    def incidents(self, query: uc.Query, fmt: str) -> Response:
        fmt = _format(fmt)
        deps = self.deps
        report = self._guard(lambda: uc.incidents(store=deps.store, clock=deps.clock, query=query))
        return _answer("incidents", uc.incidents_answer(report), fmt, uc.incidents_csv)

    def responders(self, query: uc.Query, fmt: str) -> Response:
        fmt = _format(fmt)
        deps = self.deps
        period, figures = self._guard(
            lambda: uc.responders(
                store=deps.store, schedules=deps.schedules, clock=deps.clock, query=query
            )
        )
        return _answer("responders", uc.responders_answer(period, figures), fmt, uc.responders_csv)

    def noise(self, query: uc.Query, fmt: str) -> Response:
        fmt = _format(fmt)
        deps = self.deps
        report = self._guard(lambda: uc.noise(store=deps.store, clock=deps.clock, query=query))
        return _answer("noise", uc.noise_answer(report), fmt, uc.noise_csv)

    @property
    def _baselines(self) -> bl.BaselineStore:
        assert self.deps.baselines is not None
        return self.deps.baselines

    def capture(self, who: Principal, body: BaselineIn) -> Response:
        deps = self.deps
        baseline, groups = self._guard(
            lambda: bl.capture_baseline(
                analytics=deps.store,
                baselines=self._baselines,
                clock=deps.clock,
                name=body.name,
                since=body.since,
                until=body.until,
                by=who.actor,
            )
        )
        answer = baseline.as_dict() | {"groups": [_group(g) for g in groups]}
        return ok({"baseline": answer}, 201)

    def baselines(self) -> Response:
        found = bl.list_baselines(baselines=self._baselines)
        return ok({"baselines": [b.as_dict() for b in found]})

    def compare(self, name: str | None) -> Response:
        deps = self.deps
        found = bl.compare(
            analytics=deps.store, baselines=self._baselines, clock=deps.clock, name=name or None
        )
        return ok(found.as_dict())


def _group(g: Any) -> dict[str, Any]:
    return {
        "kind": g.kind,
        "key": g.key,
        "count": g.count,
        "tta_p50": g.tta_p50,
        "tta_p90": g.tta_p90,
        "ttr_p50": g.ttr_p50,
        "ttr_p90": g.ttr_p90,
        "noise_ratio": g.noise_ratio,
    }


SINCE = "RFC 3339 instant or a duration back from now (30d, 12h); default 30d"
UNTIL = "RFC 3339 instant or a duration back from now; default now"


def router(deps: AnalyticsDeps) -> APIRouter:
    api = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])
    handlers = AnalyticsApi(deps)
    viewer = Annotated[Principal, Depends(requires(deps.tokens, Role.VIEWER))]
    Since = Annotated[str | None, Query(description=SINCE)]
    Until = Annotated[str | None, Query(description=UNTIL)]
    Team = Annotated[str | None, Query(description="a team's name: its services or members")]
    Drills = Annotated[str | None, Query(description="exclude (default), include or only")]
    Format = Annotated[str, Query(description="json (default) or csv")]

    @api.get("/incidents", summary="Incident counts, MTTA and MTTR (mean, p50, p90)")
    def incidents(
        _: viewer,
        since: Since = None,
        until: Until = None,
        service: Annotated[str | None, Query(description="a service's name")] = None,
        team: Team = None,
        urgency: Annotated[str | None, Query(description="high or low")] = None,
        drills: Drills = None,
        by: Annotated[
            str | None, Query(description="service, team, component, urgency or week")
        ] = None,
        format: Format = "json",
    ) -> Response:
        query = uc.Query(since, until, service, team, urgency, drills, by)
        return handlers.incidents(query, format)

    @api.get("/responders", summary="Per responder: pages, interruptions, time on call, TTA")
    def responders(
        _: viewer,
        since: Since = None,
        until: Until = None,
        team: Team = None,
        drills: Drills = None,
        format: Format = "json",
    ) -> Response:
        return handlers.responders(uc.Query(since, until, team=team, drills=drills), format)

    @api.get("/noise", summary="The noisiest services and alert keys")
    def noise(
        _: viewer,
        since: Since = None,
        until: Until = None,
        service: Annotated[str | None, Query(description="a service's name")] = None,
        team: Team = None,
        drills: Drills = None,
        format: Format = "json",
    ) -> Response:
        query = uc.Query(since, until, service, team, drills=drills)
        return handlers.noise(query, format)

    if deps.baselines is not None:
        admin = Annotated[Principal, Depends(requires(deps.tokens, Role.ADMIN))]

        @api.post("/baselines", status_code=201, summary="Capture a baseline of a window")
        def capture(who: admin, body: Annotated[BaselineIn, Body()]) -> Response:
            return handlers.capture(who, body)

        @api.get("/baselines", summary="Every baseline, newest first; which is current")
        def baselines(_: viewer) -> Response:
            return handlers.baselines()

        @api.get(
            "/baselines/compare",
            summary="The last 7 days against a baseline: regressions and improvements",
        )
        def compare(
            _: viewer,
            baseline: Annotated[
                str | None, Query(description="a baseline's name; default the current one")
            ] = None,
        ) -> Response:
            return handlers.compare(baseline)

    return api
