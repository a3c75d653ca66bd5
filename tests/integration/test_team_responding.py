"""Responding by team, an organisation setting (decision 0031): only the owner team's managers
and responders (and admins) respond to its incidents; the default stays "anyone"."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ownit.adapters.db import tables as t
from ownit.adapters.db.org_settings_store import SqlOrgSettings
from ownit.adapters.db.secrets import shared_secret
from ownit.adapters.notifiers.signing import make_action_token
from ownit.app import org_settings
from ownit.app.org_settings import InvalidSetting
from ownit.bootstrap import ACTION_SECRET
from ownit.cli.main import main
from tests.integration import oncall_catalog
from tests.integration.conftest import Ctx
from tests.integration.test_roles_api import ORG, _bearer

PAY = "d" * 32
OWNED = ORG.replace(
    "spec: {owner: payments, escalationPolicy: payments}",
    "spec: {owner: payments, escalationPolicy: payments, integrations: "
    f"[{{name: events, type: events-v2, key: {PAY}}}]}}",
)
# (anyone, by team): may acknowledge an incident of payments-api (owned by payments)?
EXPECTED = {
    "org admin (alice)": "YY",
    "manager of the schedule's team (bob)": "YY",
    "team responder (carol)": "YY",
    "manager of another team (erin)": "Y-",
    "member without a team (frank)": "Y-",
    "observer only (dave)": "--",
    "responder token": "Y-",
    "admin token": "YY",
}


def _incident(ctx: Ctx, key: str, dedup: str) -> int:
    body = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup,
        "payload": {"summary": dedup, "source": "h", "severity": "critical"},
    }
    assert ctx.client.post("/v2/enqueue", json=body).status_code == 202
    with ctx.engine.connect() as conn:
        return int(
            conn.execute(select(t.incidents.c.number).order_by(t.incidents.c.id.desc()))
            .scalars()
            .first()
            or 0
        )


@pytest.mark.parametrize("who", list(EXPECTED))
def test_responding_by_team(ctx: Ctx, who: str) -> None:
    oncall_catalog.apply(ctx.engine, OWNED)
    headers = _bearer(ctx, who)
    got = ""
    for setting in ("anyone", "team"):
        org_settings.set_responding(
            store=SqlOrgSettings(ctx.engine), clock=ctx.clock, value=setting
        )
        number = _incident(ctx, PAY, f"pay-{setting}")
        response = ctx.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=headers)
        assert response.status_code in (200, 403), response.text
        got += "Y" if response.status_code == 200 else "-"
        if response.status_code == 403 and setting == "team" and EXPECTED[who][0] == "Y":
            assert "responds by team" in response.json()["detail"]
            assert "'payments'" in response.json()["detail"]
    assert got == EXPECTED[who]


def test_by_team_a_service_without_a_team_is_for_admins(ctx: Ctx) -> None:
    oncall_catalog.apply(ctx.engine, OWNED)
    org_settings.set_responding(store=SqlOrgSettings(ctx.engine), clock=ctx.clock, value="team")
    number = _incident(ctx, "a" * 31 + "1", "unowned")  # checkout-api: no owner
    carol = _bearer(ctx, "team responder (carol)")
    refused = ctx.client.post(
        f"/api/v1/incidents/{number}/notes", json={"text": "x"}, headers=carol
    )
    assert refused.status_code == 403
    assert "no team (admins only)" in refused.json()["detail"]
    assert (
        ctx.client.post(f"/api/v1/incidents/{number}/resolve", headers=ctx.admin).status_code == 200
    )


def test_by_team_a_link_of_someone_outside_the_team_does_nothing(ctx: Ctx) -> None:
    oncall_catalog.apply(ctx.engine, OWNED)
    org_settings.set_responding(store=SqlOrgSettings(ctx.engine), clock=ctx.clock, value="team")
    _incident(ctx, PAY, "link")
    with ctx.engine.connect() as conn:
        incident_id = conn.execute(select(t.incidents.c.id)).scalar_one()
    secret = shared_secret(ctx.engine, ACTION_SECRET, ctx.clock.now())
    expires = ctx.clock.now().replace(year=2027)
    for user, status in (("erin", 403), ("carol", 200)):
        token = make_action_token(secret, incident_id, "acknowledge", user, expires)
        assert ctx.client.post(f"/actions/{token}").status_code == status


def test_the_setting_is_checked_audited_and_set_from_the_cli(
    ctx: Ctx, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = SqlOrgSettings(ctx.engine)
    with pytest.raises(InvalidSetting, match="must be one of anyone, team"):
        org_settings.set_responding(store=store, clock=ctx.clock, value="teams")
    monkeypatch.setenv("OWNIT_DATABASE_URL", ctx.engine.url.render_as_string(False))
    assert main(["org", "show"]) == 0
    assert capsys.readouterr().out == "responding: anyone\n"
    assert main(["org", "set", "--responding", "team"]) == 0
    assert capsys.readouterr().out == "responding: team (was anyone)\n"
    assert store.responding() == "team"
    assert main(["org", "set", "--responding", "nobody"]) == 2
    assert "must be one of anyone, team" in capsys.readouterr().err
    with ctx.engine.connect() as conn:
        entry = conn.execute(select(t.audit_log).where(t.audit_log.c.kind == "settings")).one()
    assert (entry.name, entry.before, entry.after) == (
        "organisation",
        {"responding": "anyone"},
        {"responding": "team"},
    )
    assert entry.actor.startswith("cli/")
