"""Routers in the catalog on a real database (SQLite and PostgreSQL), and their CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from ownit.adapters.catalog.yaml_source import dump_documents, load_text
from ownit.adapters.db import tables as t
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.router_store import SqlRouterStore
from ownit.app import catalog as use
from ownit.app.routing import RouterBook
from ownit.cli.main import main
from ownit.domain.events import Action, Event, Severity, event_labels
from ownit.domain.key_digests import key_digest
from tests.builders import FakeClock

KEY = "fedcba9876543210fedcba9876543210"

CATALOG = """\
apiVersion: ownit/v1
kind: Team
metadata: {name: payments}
spec: {}
---
apiVersion: ownit/v1
kind: Service
metadata: {name: checkout-api}
spec:
  owner: payments
  components:
    - {name: refunds, owner: payments, match: ['module="refunds"']}
---
apiVersion: ownit/v1
kind: Service
metadata: {name: unrouted}
spec: {owner: payments}
"""

ROUTERS = """\
apiVersion: ownit/v1
kind: Router
metadata: {name: prod-cluster}
spec:
  route:
    service: unrouted
    routes:
      - matchers: ['team="payments"']
        service: checkout-api
        routes:
          - matchers: ['module=~"refund.*"']
            component: refunds
      - matchers: ['severity="info"']
        action: suppress
      - matchers: [env=staging]
        action: drop
        continue: false
---
apiVersion: ownit/v1
kind: Router
metadata: {name: given-key}
spec:
  key: "KEY_HERE"
  route: {action: drop}
""".replace("KEY_HERE", KEY)


def apply(engine: Engine, *texts: str, prune: bool = False) -> use.ApplyResult:
    documents = tuple(d for n, text in enumerate(texts) for d in load_text(text, f"f{n}").documents)
    return use.apply(
        store=SqlCatalogStore(engine),
        documents=documents,
        clock=FakeClock(),
        prune=prune,
        new_key=iter(
            ["generated0000000000000000000000a", "generated0000000000000000000000b"]
        ).__next__,
    )


def test_apply_generates_a_key_once_and_export_round_trips(engine: Engine) -> None:
    result = apply(engine, CATALOG, ROUTERS)
    assert [(r.name, r.key, r.generated) for r in result.new_routers] == [
        ("given-key", KEY, False),
        ("prod-cluster", "generated0000000000000000000000a", True),
    ]
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.routers.c.name, t.routers.c.key).order_by(t.routers.c.name)
        ).all()
    assert [tuple(r) for r in rows] == [  # the keys' SHA-256 only (decision 0035)
        ("given-key", key_digest(KEY)),
        ("prod-cluster", key_digest("generated0000000000000000000000a")),
    ]
    again = apply(engine, CATALOG, ROUTERS)  # no key in the file: the stored one stays
    assert again.diff.is_empty
    assert again.new_routers == ()
    exported = dump_documents(use.export(store=SqlCatalogStore(engine)))
    assert "key:" not in exported  # the database has no key to write
    assert '- team="payments"' in exported
    # Applying the export changes nothing and exports the same bytes.
    assert apply(engine, exported).diff.is_empty
    assert dump_documents(use.export(store=SqlCatalogStore(engine))) == exported


def test_a_changed_tree_updates_and_prune_deletes(engine: Engine) -> None:
    apply(engine, CATALOG, ROUTERS)
    changed = ROUTERS.replace("action: suppress", "action: drop")
    diff = apply(engine, CATALOG, changed).diff
    assert [(c.action, c.kind, c.name) for c in diff.changes if c.action != "unchanged"] == [
        ("update", "Router", "prod-cluster")
    ]
    only_one = ROUTERS.split("---\n")[0]
    pruned = apply(engine, CATALOG, only_one, prune=True).diff
    assert [(c.action, c.name) for c in pruned.of("delete")] == [("delete", "given-key")]
    assert [r.name for r in SqlRouterStore(engine).routers()] == ["prod-cluster"]


def test_the_router_book_decides_per_event(engine: Engine) -> None:
    apply(engine, CATALOG, ROUTERS)
    clock = FakeClock()
    book = RouterBook(store=SqlRouterStore(engine), clock=clock)
    key = "generated0000000000000000000000a"
    decision = book.decide(key, {"team": "payments", "module": "refunds"})
    assert decision is not None
    assert [(r.service, r.component, r.action) for r in decision.results] == [
        ("checkout-api", "refunds", "page")
    ]
    assert book.decide("nokey000000000000000000000000000", {}) is None
    event = Event(
        format="events-v2",
        routing_key=key,
        action=Action.TRIGGER,
        dedup_key="d",
        summary="Disk full",
        severity=Severity.INFO,
        custom_details={"team": "payments", "count": 3},
    )
    assert event_labels(event) == {
        "team": "payments",
        "count": "3",
        "severity": "info",
        "summary": "Disk full",
    }
    decided = book.decide(event.routing_key, event_labels(event))
    assert decided is not None
    assert [r.describe() for r in decided.results] == ["page checkout-api"]
    # A new apply reaches the book once its entries are older than max_age.
    apply(engine, CATALOG, ROUTERS.replace('team="payments"', 'team="nobody"'))
    assert book.decide(key, {"team": "payments"}).results[0].service == "checkout-api"  # type: ignore[union-attr]
    clock.advance(seconds=11)
    assert book.decide(key, {"team": "payments"}).results[0].service == "unrouted"  # type: ignore[union-attr]


# --- the CLI (SQLite) --------------------------------------------------------------------


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OWNIT_DATABASE_URL", f"sqlite:///{tmp_path / 'ownit.db'}")
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG + "---\n" + ROUTERS, encoding="utf-8")
    assert main(["catalog", "apply", str(path)]) == 0
    return path


def test_cli_apply_prints_new_router_keys(cli_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "apply", str(cli_db)]) == 0
    assert "nothing to change" in capsys.readouterr().out


def test_cli_route_test_prints_the_decision_and_the_path(
    cli_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code = main(
        ["route", "test", "prod-cluster", "--label", "team=payments", "-l", "module=refunds"]
    )
    assert code == 0
    assert capsys.readouterr().out == (
        'router prod-cluster, event {module="refunds", team="payments"}: 1 result\n'
        "1. page checkout-api/refunds\n"
        "     route (matches every event)\n"
        '     routes[0] {team="payments"}\n'
        '     routes[0].routes[0] {module=~"refund.*"}\n'
        "(nothing was sent)\n"
    )
    assert main(["route", "test", KEY]) == 0  # by key, too
    assert "1. drop\n" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["route", "test", "nope"], "router 'nope' does not exist (see `ownit router list`)"),
        (["route", "test", "prod-cluster", "-l", "team"], "--label 'team' must be NAME=VALUE"),
        (["route", "test", "prod-cluster", "-l", "9x=1"], "'9x' is not a label name"),
    ],
)
def test_cli_route_test_errors(
    cli_db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("ownit: error: ")
    assert message in err
    assert "Traceback" not in err


def test_cli_router_list(cli_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["router", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "KEY", "ROUTES", "EVENTS", "V2", "ALERTMANAGER"]
    assert lines[2].split()[:3] == ["given-key", KEY[:4] + "…", "1"]  # a hint, not the key
    assert KEY not in "\n".join(lines)
    assert lines[2].endswith("/integrations/alertmanager/KEY")
    assert lines[3].split()[0] == "prod-cluster"
    assert lines[3].split()[2] == "5"


def test_route_test_names_the_component_the_service_matchers_pick() -> None:
    from ownit.cli.routers import render_decision
    from ownit.domain.catalog.routers import Component
    from ownit.domain.matchers import parse_matcher
    from ownit.domain.routing import Route
    from ownit.domain.routing import route as decide

    tree = Route.of(service="shop")
    comps = {
        "shop": (
            Component("checkout", "payments", "payments", (parse_matcher('module="cart"'),)),
            Component("search", "search", None, (parse_matcher('module="search"'),)),
        )
    }
    cases = [
        ({"module": "cart"}, "1. page shop/checkout", "owner payments, policy payments"),
        ({"module": "search"}, "1. page shop/search", "owner search, the service's policy"),
        ({"module": "other"}, "1. page shop", None),
    ]
    for labels, first, detail in cases:
        lines = render_decision("r", labels, decide(tree, labels), comps)
        assert lines[1] == first
        assert (detail is not None) == any(detail and detail in line for line in lines)


@pytest.mark.parametrize(
    ("row", "shown"),
    [
        ({"tags": ["pci"], "labels": {}}, "     service shop: tagged pci"),
        (
            {"tags": [], "labels": {"region": "eu", "env": "prod"}},
            "     service shop: labels env=prod, region=eu",
        ),
        (
            {"tags": ["pci", "java"], "labels": {"region": "eu"}},
            "     service shop: tagged pci, java; labels region=eu",
        ),
        ({"tags": [], "labels": {}}, None),
    ],
)
def test_route_test_shows_the_services_tags_and_labels(
    row: dict[str, object], shown: str | None
) -> None:
    from ownit.cli.routers import render_decision
    from ownit.domain.routing import Route
    from ownit.domain.routing import route as decide

    tree = Route.of(service="shop")
    lines = render_decision("r", {}, decide(tree, {}), {}, {"shop": {"name": "shop", **row}})
    tagged = [line for line in lines if line.startswith("     service shop:")]
    assert tagged == ([shown] if shown else [])
