"""Services and incidents selected by tags and labels (``GET /api/v1/services?tag=&label=``,
``GET /api/v1/incidents?tag=&label=``) on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from ownit.adapters.db import tables as t
from tests.integration.conftest import LOW_KEY, PAY_KEY, Ctx
from tests.integration.test_api_incidents import send

SPECS: dict[str, dict[str, Any]] = {
    "checkout-api": {"tags": ["pci", "java"], "labels": {"region": "eu", "team": "payments"}},
    "batch-jobs": {"tags": ["java"], "labels": {"region": "eu"}},
}


@pytest.fixture
def tagged(ctx: Ctx) -> Ctx:
    with ctx.engine.begin() as conn:
        for name, spec in SPECS.items():
            conn.execute(
                update(t.services)
                .where(t.services.c.name == name)
                .values(spec={"urgency": "severity", **spec})
            )
    send(ctx, "pay-1", key=PAY_KEY)
    send(ctx, "batch-1", key=LOW_KEY)
    return ctx


@pytest.mark.parametrize(
    ("query", "services"),
    [
        ("", ["batch-jobs", "checkout-api"]),
        ("?tag=pci", ["checkout-api"]),
        ("?tag=java", ["batch-jobs", "checkout-api"]),
        ("?tag=java&tag=pci", ["checkout-api"]),
        ("?tag=go", []),
        ("?label=region:eu", ["batch-jobs", "checkout-api"]),
        ("?label=team:payments", ["checkout-api"]),
        ("?label=region:us", []),
        ("?label=region:eu&tag=pci", ["checkout-api"]),
        ("?label=region:eu&label=team:payments", ["checkout-api"]),
    ],
)
def test_services_by_tag_and_label(tagged: Ctx, query: str, services: list[str]) -> None:
    response = tagged.client.get(f"/api/v1/services{query}", headers=tagged.viewer)
    assert response.status_code == 200
    found = response.json()["services"]
    assert [s["name"] for s in found] == services
    for s in found:
        assert (s["tags"], s["labels"]) == (SPECS[s["name"]]["tags"], SPECS[s["name"]]["labels"])


@pytest.mark.parametrize(
    ("query", "services"),
    [
        ("", {"batch-jobs", "checkout-api"}),
        ("?tag=pci", {"checkout-api"}),
        ("?tag=java&status=open", {"batch-jobs", "checkout-api"}),
        ("?tag=go", set()),
        ("?label=team:payments", {"checkout-api"}),
        ("?tag=java&service=batch-jobs", {"batch-jobs"}),
        ("?tag=pci&service=batch-jobs", set()),
    ],
)
def test_incidents_of_services_with_a_tag(tagged: Ctx, query: str, services: set[str]) -> None:
    response = tagged.client.get(f"/api/v1/incidents{query}", headers=tagged.viewer)
    assert response.status_code == 200
    assert {i["service"] for i in response.json()["incidents"]} == services


@pytest.mark.parametrize(
    ("path", "field", "detail"),
    [
        ("/api/v1/services?tag=PCI", "tag", '"PCI" is not a tag'),
        ("/api/v1/services?label=region", "label", '"region" must be key:value'),
        ("/api/v1/services?label=-x:y", "label", "is not a label key"),
        ("/api/v1/incidents?tag=a_b", "tag", '"a_b" is not a tag'),
        ("/api/v1/incidents?label=eu", "label", "must be key:value"),
    ],
)
def test_bad_filters_are_a_problem_naming_the_field(
    tagged: Ctx, path: str, field: str, detail: str
) -> None:
    response = tagged.client.get(path, headers=tagged.viewer)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert detail in errors[0]["detail"]


@pytest.mark.parametrize(
    ("args", "code", "services", "error"),
    [
        (["--tag", "pci"], 0, {"checkout-api"}, None),
        (["--tag", "java"], 0, {"checkout-api", "batch-jobs"}, None),
        (["--label", "team:payments", "--tag", "java"], 0, {"checkout-api"}, None),
        (["--tag", "go"], 0, set(), None),
        (["--tag", "go", "--service", "nope"], 2, set(), "service 'nope' does not exist"),
        (["--tag", "PCI"], 2, set(), '--tag: "PCI" is not a tag'),
        (["--label", "region"], 2, set(), '--label: "region" must be key:value'),
    ],
)
def test_the_cli_lists_incidents_by_tag(
    tagged: Ctx,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    code: int,
    services: set[str],
    error: str | None,
) -> None:
    from ownit.cli.main import main

    url = tagged.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("OWNIT_DATABASE_URL", url)
    assert main(["incident", "list", *args]) == code
    out, err = capsys.readouterr()
    if error is not None:
        assert error in err
        return
    rows = out.splitlines()[2:] if services else []
    assert {row.split()[4] for row in rows} == services
    assert ("no incidents" in out) == (not services)
