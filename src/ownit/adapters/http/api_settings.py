"""REST API ``/api/v1/settings`` (admins): the organisation's settings — today who responds
to incidents (``anyone`` or ``team``, decision 0031). A change is an audit-log row.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from ownit.adapters.http.api_v1 import ok
from ownit.adapters.http.auth import requires
from ownit.adapters.http.problems import field_error
from ownit.app import org_settings
from ownit.app.clock import Clock
from ownit.app.org_settings import RESPONDING, InvalidSetting, OrgSettingsStore
from ownit.app.tokens import Principal, Role, TokenStore


@dataclass
class SettingsDeps:
    store: OrgSettingsStore
    tokens: TokenStore
    clock: Clock


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    responding: str = Field(
        max_length=20,
        description="who responds to incidents: " + " or ".join(RESPONDING),
        json_schema_extra={"enum": list(RESPONDING)},
    )


@dataclass
class SettingsApi:
    deps: SettingsDeps

    def read(self) -> Response:
        return ok({"responding": self.deps.store.responding()})

    def change(self, body: SettingsIn) -> Response:
        try:
            before = org_settings.set_responding(
                store=self.deps.store, clock=self.deps.clock, value=body.responding
            )
        except InvalidSetting as exc:
            raise field_error("responding", str(exc), status=422) from None
        return ok({"responding": body.responding, "was": {"responding": before}})


def router(deps: SettingsDeps) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["settings"])
    handlers = SettingsApi(deps)
    admin = Annotated[Principal, Depends(requires(deps.tokens, Role.ADMIN, deps.clock))]

    @api.get("/settings", summary="The organisation's settings (admins)")
    def read(_: admin) -> Response:
        return handlers.read()

    @api.put("/settings", summary="Change the organisation's settings (admins; audited)")
    def change(_: admin, body: Annotated[SettingsIn, Body()]) -> Response:
        return handlers.change(body)

    return api
