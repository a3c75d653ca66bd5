"""``/analytics`` (:class:`AnalyticsPages`): incident figures per team and service, the weekly
MTTA/MTTR trend and the interruption heat map (SVG, each with its numbers in a table), and
the same figures as CSV (``/analytics/{incidents,responders,noise}.csv``).

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ownit.adapters.web.analytics_picture import heat, trend
from ownit.adapters.web.deps import WebDeps, signed_in
from ownit.adapters.web.page_handlers import PageHandlers
from ownit.adapters.web.templating import Pages
from ownit.app import analytics as uc
from ownit.app import baselines as bl
from ownit.app.accounts import WebSession
from ownit.domain.analytics.baselines import Verdict
from ownit.domain.analytics.heatmap import WEEKDAYS, heat_map
from ownit.domain.analytics.incidents import GroupBy
from ownit.domain.errors import NotFound

SPANS = ("7d", "30d", "90d", "365d")
CSV = {
    "incidents": uc.incidents_csv,
    "responders": uc.responders_csv,
    "noise": uc.noise_csv,
}


def baseline_flags(deps: WebDeps, kind: str, key: str) -> dict[str, Any]:
    """For a service or team page: its regressions and improvements against the current
    baseline (``baseline_flags``, ``baseline_name``); nothing without analytics or a baseline."""
    none: dict[str, Any] = {"baseline_flags": [], "baseline_name": ""}
    if deps.analytics is None or deps.baselines is None:
        return none
    try:
        found = bl.compare(analytics=deps.analytics, baselines=deps.baselines, clock=deps.clock)
    except NotFound:
        return none
    moved = [
        c
        for c in found.groups
        if c.kind == kind
        and c.key == key
        and c.verdict in (Verdict.REGRESSION, Verdict.IMPROVEMENT)
    ]
    return {"baseline_flags": moved, "baseline_name": found.baseline.name}


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _shown(seconds: float | None) -> float | str:
    """A duration as the tables show it: minutes to one decimal, or a dash when there is
    none (a function, not a template macro: the page shows some 2,000 of them)."""
    minutes = _minutes(seconds)
    return "–" if minutes is None else minutes


@dataclass
class AnalyticsPages(PageHandlers):
    """The analytics page and its CSV downloads."""

    @property
    def _store(self) -> uc.AnalyticsStore:
        assert self.deps.analytics is not None
        return self.deps.analytics

    def page(self, request: Request, session: WebSession, query: uc.Query) -> Response:
        store, clock = self._store, self.deps.clock
        try:
            by_team, by_service, weekly = uc.incident_reports(
                store=store,
                clock=clock,
                query=query,
                bys=(GroupBy.TEAM, GroupBy.SERVICE, GroupBy.WEEK),
            )
        except uc.InvalidAnalyticsRequest as exc:
            return self._error(request, session, 400, "Cannot show these figures", str(exc))
        weeks = [g.key or "" for g in weekly.groups]
        mtta = [_minutes(g.figures.tta.mean) for g in weekly.groups]
        mttr = [_minutes(g.figures.ttr.mean) for g in weekly.groups]
        zones = store.zones()
        zone = zones.get(session.account.name, "UTC")
        people = None
        if query.team:
            people = set(store.team_members(query.team) or ())
        counts = heat_map(
            store.messages(weekly.period.since, weekly.period.until),
            zone,
            weekly.period,
            people=people,
        )
        filters = {k: v for k, v in (("since", query.since), ("team", query.team)) if v} | (
            {"service": query.service} if query.service else {}
        )
        return self.pages.render(
            "analytics.html",
            self._context(request, session)
            | {
                "period": weekly.period,
                "total": weekly.total,
                "by_team": by_team.groups,
                "by_service": by_service.groups,
                "weeks": list(zip(weeks, mtta, mttr, strict=True)),
                "mtta": trend(weeks, mtta),
                "mttr": trend(weeks, mttr),
                "heat": heat(counts),
                "counts": counts,
                "weekdays": WEEKDAYS,
                "zone": zone,
                "spans": SPANS,
                "since": query.since or "30d",
                "team": query.team or "",
                "service": query.service or "",
                "teams": sorted({g.key for g in by_team.groups if g.key}),
                "sec": _shown,
                "qs": urlencode(filters),
            },
        )

    def csv(self, request: Request, session: WebSession, report: str, query: uc.Query) -> Response:
        store, clock = self._store, self.deps.clock
        to_csv = CSV.get(report)
        if to_csv is None:
            return self._error(request, session, 404, "Not found", f"There is no {report}.csv.")
        try:
            answer: dict[str, Any]
            if report == "incidents":
                answer = uc.incidents_answer(uc.incidents(store=store, clock=clock, query=query))
            elif report == "responders":
                period, figures = uc.responders(
                    store=store, schedules=self.deps.schedules, clock=clock, query=query
                )
                answer = uc.responders_answer(period, figures)
            else:
                answer = uc.noise_answer(uc.noise(store=store, clock=clock, query=query))
        except uc.InvalidAnalyticsRequest as exc:
            return self._error(request, session, 400, "Cannot make this CSV", str(exc))
        return Response(
            to_csv(answer),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="ownit-{report}.csv"'},
        )


def _query(since: str, until: str, team: str, service: str, by: str = "") -> uc.Query:
    return uc.Query(
        since=since or None,
        until=until or None,
        team=team or None,
        service=service or None,
        by=by or None,
    )


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    handlers = AnalyticsPages(deps, pages)
    me = Annotated[WebSession, Depends(signed_in(deps))]

    @web.get("/analytics")
    def analytics_page(
        request: Request,
        session: me,
        since: str = "",
        until: str = "",
        team: str = "",
        service: str = "",
    ) -> Response:
        return handlers.page(request, session, _query(since, until, team, service))

    @web.get("/analytics/{report}.csv")
    def analytics_csv(
        request: Request,
        session: me,
        report: str,
        since: str = "",
        until: str = "",
        team: str = "",
        service: str = "",
        by: str = "",
    ) -> Response:
        return handlers.csv(request, session, report, _query(since, until, team, service, by))

    return web
