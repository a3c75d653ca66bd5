"""``GET /api/v1/standards`` and ``ownit standards report`` over a catalog applied to SQLite
and PostgreSQL: levels, reasons, team roll-ups, --fail-under and GitHub annotations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.app import catalog as use
from ownit.cli.main import main
from tests.builders import FakeClock
from tests.integration.conftest import Ctx

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "standards"
CATALOG = str(SAMPLES / "catalog.yaml")


def apply(engine: Engine) -> None:
    loaded = load_files([CATALOG])
    assert loaded.problems == ()
    use.apply(store=SqlCatalogStore(engine), documents=loaded.documents, clock=FakeClock())


def test_the_api_answers_levels_reasons_and_teams(ctx: Ctx) -> None:
    apply(ctx.engine)
    answer = ctx.client.get("/api/v1/standards", headers=ctx.viewer).json()
    levels = {s["service"]: s["level"] for s in answer["services"]}
    # cart passes everything but drilled-recently (tier 1, never drilled); cart depends on
    # db, which names no contract; legacy has no description and no policy.
    assert {k: levels[k] for k in ("cart", "db", "legacy")} == {
        "cart": "silver",
        "db": "silver",
        "legacy": "none",
    }
    cart = next(s for s in answer["services"] if s["service"] == "cart")
    assert cart["missing"] == ["drilled-recently"]
    assert {
        "id": "drilled-recently",
        "ok": False,
        "why": "no drill on policy shop was ever acknowledged",
    } in cart["standards"]
    db = next(s for s in answer["services"] if s["service"] == "db")
    assert db["missing"] == ["has-contract", "drilled-recently"]
    assert {
        "id": "has-contract",
        "ok": False,
        "why": "cart depends on it but it names no contract",
    } in db["standards"]
    legacy = next(s for s in answer["services"] if s["service"] == "legacy")
    assert legacy["team"] == "retail"
    assert legacy["missing"] == ["has-description", "escalation-depth", "responders-reachable"]
    why = {c["id"]: c["why"] for c in legacy["standards"]}
    assert why["has-description"] == "has no description (metadata.description)"
    assert why["escalation-depth"] == "has no escalation policy"
    assert [c["id"] for c in legacy["standards"]][:3] == [
        "has-owner",
        "team-size",
        "escalation-depth",
    ]
    teams = {t["team"]: t for t in answer["teams"]}
    assert teams["shop"]["by_level"] == {"none": 0, "bronze": 0, "silver": 2, "gold": 0}
    # retail takes in shop, the team under it
    assert teams["retail"]["services"] == 3
    assert teams["retail"]["by_level"] == {"none": 1, "bronze": 0, "silver": 2, "gold": 0}


@pytest.mark.parametrize(
    ("query", "services"),
    [
        ("?service=db", ["db"]),
        ("?team=shop", ["cart", "db"]),
        ("?team=retail", ["cart", "db", "legacy"]),
    ],
)
def test_the_api_filters_by_service_and_team(ctx: Ctx, query: str, services: list[str]) -> None:
    apply(ctx.engine)
    answer = ctx.client.get("/api/v1/standards" + query, headers=ctx.viewer).json()
    assert [s["service"] for s in answer["services"]] == services


@pytest.mark.parametrize(("query", "field"), [("?service=nope", "service"), ("?team=nope", "team")])
def test_unknown_names_are_a_problem_naming_the_field(ctx: Ctx, query: str, field: str) -> None:
    apply(ctx.engine)
    response = ctx.client.get("/api/v1/standards" + query, headers=ctx.viewer)
    assert response.status_code == 400
    assert field in response.text
    assert f"no {field} is named 'nope'" in response.text


@pytest.fixture
def cli_env(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("OWNIT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    apply(engine)
    return engine


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_report_and_its_bar(cli_env: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "standards", "report")
    assert code == 0
    rows = {line.split()[0]: line.split()[1:3] for line in out.splitlines()[2:5]}
    assert rows == {
        "cart": ["shop", "silver"],
        "db": ["shop", "silver"],
        "legacy": ["retail", "none"],
    }
    code, out, _ = run(capsys, "standards", "report", "--fail-under", "bronze")
    assert code == 1
    assert "1 service(s) below bronze: legacy" in out
    code, _, _ = run(capsys, "standards", "report", "--team", "shop", "--fail-under", "silver")
    assert code == 0
    code, out, _ = run(capsys, "standards", "report", "--team", "shop", "--fail-under", "gold")
    assert code == 1
    assert "2 service(s) below gold: cart, db" in out
    code, out, _ = run(capsys, "standards", "report", "--format", "json", "--service", "db")
    assert [s["level"] for s in json.loads(out)["services"]] == ["silver"]


def test_github_annotations_point_at_the_service_line(
    cli_env: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "standards",
        "report",
        "--format",
        "github",
        "--fail-under",
        "silver",
        "--catalog",
        CATALOG,
    )
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[0] == (  # above the bar, short of the next level: a warning
        f"::warning file={CATALOG},line=49,title=service cart is silver::"
        "drilled-recently: no drill on policy shop was ever acknowledged"
    )
    assert lines[1].startswith(
        f"::warning file={CATALOG},line=60,title=service db is silver::has-contract: cart "
    )
    line = 70  # `metadata: {name: legacy}` in catalog.yaml
    assert lines[2].startswith(
        f"::error file={CATALOG},line={line},title=service legacy is none::"
        "has-description: has no description (metadata.description); escalation-depth:"
    )


def test_custom_rules_change_levels(
    cli_env: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "apiVersion: ownit/v1\nkind: Standard\nmetadata: {name: pci-contract}\n"
        "spec: {when: {tags: [pci]}, require: [contract]}\n---\n"
        "apiVersion: ownit/v1\nkind: Scorecard\nmetadata: {name: ours}\n"
        "spec:\n  levels:\n    - {name: ok, standards: [has-owner, pci-contract]}\n"
    )
    code, out, _ = run(capsys, "standards", "report", "--rules", str(rules), "--format", "json")
    assert code == 0
    levels = {s["service"]: s["level"] for s in json.loads(out)["services"]}
    assert levels == {"cart": "none", "db": "ok", "legacy": "ok"}
    code, _, err = run(capsys, "standards", "report", "--rules", str(rules), "--fail-under", "gold")
    assert code == 2
    assert "--fail-under: 'gold' is not one of ok" in err
    rules.write_text(
        "apiVersion: ownit/v1\nkind: Scorecard\nmetadata: {name: ours}\n"
        "spec:\n  levels:\n    - {name: ok, standards: [has-ownr]}\n"
    )
    code, _, err = run(capsys, "standards", "report", "--rules", str(rules))
    assert code == 2
    assert f'{rules}:6: levels[0].standards[0] "has-ownr" is not a standard' in err
