"""``/drills`` and ``/teams/{team}/drills`` (:class:`DrillPages`): each drill's history, time
to acknowledge per responder and contact type, who never acknowledged, and "Run drill now"
for the team's managers (and admins).

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from ownit.adapters.web.deps import Form, WebDeps, check_csrf, signed_in
from ownit.adapters.web.page_handlers import PageHandlers, PostedForm
from ownit.adapters.web.templating import Pages
from ownit.app import drills as uc
from ownit.app.accounts import WebSession
from ownit.domain.errors import FieldError, InvalidTransition, NotFound
from ownit.domain.permissions import Action as Permission


def responder_rows(runs: Sequence[uc.Run]) -> list[dict[str, Any]]:
    """Per responder and contact type: pages sent, delivered, and the mean time to
    acknowledge of the runs that person acknowledged after being reached that way."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for run in runs:
        for c in run.contacts:
            row = rows.setdefault(
                (c.user, c.type),
                {"user": c.user, "type": c.type, "pages": 0, "delivered": 0, "acks": []},
            )
            row["pages"] += 1
            row["delivered"] += int(c.delivered)
        if run.acknowledged_by is None or run.acknowledged_at is None:
            continue
        took = (run.acknowledged_at - run.started_at).total_seconds()
        for kind in {c.type for c in run.contacts if c.user == run.acknowledged_by}:
            rows[(run.acknowledged_by, kind)]["acks"].append(took)
    out = []
    for key in sorted(rows):
        row = rows[key]
        acks = row.pop("acks")
        row["acknowledged"] = len(acks)
        row["mean_seconds"] = round(sum(acks) / len(acks)) if acks else None
        out.append(row)
    return out


def never_acknowledged(runs: Sequence[uc.Run]) -> list[tuple[str, int]]:
    """Who was paged by these runs and never acknowledged, with how many times."""
    counts: dict[str, int] = {}
    for run in runs:
        for user in run.never_acknowledged:
            counts[user] = counts.get(user, 0) + 1
    return sorted(counts.items())


@dataclass
class DrillPages(PageHandlers):
    @property
    def _store(self) -> uc.DrillStore:
        assert self.deps.drills is not None
        return self.deps.drills

    def page(self, request: Request, session: WebSession, team: str | None, done: str) -> Response:
        now = self.deps.clock.now()
        shown = []
        for info in self._store.drills(team):
            runs = self._store.runs(info.drill.name)
            shown.append(
                {
                    "info": info,
                    "answer": uc.drill_answer(info, runs, now),
                    "runs": [(r, r.score(now)) for r in runs],
                    "responders": responder_rows(runs),
                    "never": never_acknowledged(runs),
                    "may_run": session.account.permissions.may(Permission.MANAGE, info.team),
                }
            )
        return self.pages.render(
            "drills.html",
            self._context(request, session) | {"team": team, "drills": shown, "done": done},
        )

    def run(self, request: Request, session: WebSession, form: Form, name: str) -> Response:
        check_csrf(session, request, form)
        info = self._store.drill(name)
        if info is None:
            return self._error(request, session, 404, "Not found", f"No drill is named {name}.")
        if not session.account.permissions.may(Permission.MANAGE, info.team):
            who = f"managers of team {info.team}" if info.team else "admins"
            return self._error(
                request, session, 403, "Not allowed", f"Only {who} may run drill {name}."
            )
        try:
            uc.run_now(
                store=self._store, clock=self.deps.clock, name=name, by=session.account.actor
            )
        except (InvalidTransition, NotFound) as exc:
            return self._error(request, session, 409, "Cannot run this drill", str(exc))
        except FieldError as exc:
            return self._error(request, session, 422, "Cannot run this drill", exc.detail)
        where = f"/teams/{info.team}/drills" if info.team else "/drills"
        return RedirectResponse(f"{where}?done={name}", status_code=303)


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    handlers = DrillPages(deps, pages)
    me = Annotated[WebSession, Depends(signed_in(deps))]

    @web.get("/drills")
    def all_drills(request: Request, session: me, done: str = "") -> Response:
        return handlers.page(request, session, None, done)

    @web.get("/teams/{team}/drills")
    def team_drills(request: Request, session: me, team: str, done: str = "") -> Response:
        return handlers.page(request, session, team, done)

    @web.post("/drills/{name}/run")
    def run(request: Request, session: me, form: PostedForm, name: str) -> Response:
        return handlers.run(request, session, form, name)

    return web
