"""``ownit route test`` and ``ownit router list``: routers, one key for many services."""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ownit.bootstrap import database
from ownit.cli.errors import CliError
from ownit.cli.tables import render
from ownit.domain.catalog.routers import Component, component_for
from ownit.domain.key_digests import masked
from ownit.domain.matchers import quote_value
from ownit.domain.routing import Decision, Route, route
from ownit.settings import Settings

_LABEL = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")


def register(sub: Any) -> None:
    rparser: argparse.ArgumentParser = sub.add_parser(
        "route", help="see where an event would be routed (nothing is sent)"
    )
    rsub = rparser.add_subparsers(dest="route_command", metavar="ACTION", required=True)
    test = rsub.add_parser(
        "test", help="print where a label set goes through a router, and why (sends nothing)"
    )
    test.add_argument("router", metavar="ROUTER", help="the router's name (or its key)")
    test.add_argument(
        "-l",
        "--label",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a label of the event (repeat for more)",
    )
    test.set_defaults(func=_test)
    lparser: argparse.ArgumentParser = sub.add_parser(
        "router", help="routers: one integration key for many services"
    )
    lsub = lparser.add_subparsers(dest="router_command", metavar="ACTION", required=True)
    ls = lsub.add_parser("list", help="every router with its key and where to send events")
    ls.set_defaults(func=_list)


def parse_labels(items: Sequence[str]) -> dict[str, str]:
    """``name=value`` pairs; the value may be empty or hold ``=``."""
    labels: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise CliError(f"--label {item!r} must be NAME=VALUE (for example team=payments)")
        if not _LABEL.match(name):
            raise CliError(
                f"--label {item!r}: {name!r} is not a label name "
                "(letters, digits, _ and :, not starting with a digit)"
            )
        if name in labels:
            raise CliError(f"--label {name} is given twice")
        labels[name] = value
    return labels


def _test(args: argparse.Namespace, settings: Settings) -> int:
    labels = parse_labels(args.label)
    with database(settings) as db:
        store = db.routers
        router = store.router_by_name(args.router) or store.router_by_key(args.router)
        if router is None:
            raise CliError(f"router {args.router!r} does not exist (see `ownit router list`)")
        decision = route(router.route, labels)
        components = store.components(
            {r.service for r in decision.results if r.service and r.component is None}
        )
        services = {str(row["name"]): row for row in db.directory.services()}
    for line in render_decision(router.name, labels, decision, components, services):
        print(line)
    return 0


def render_decision(
    name: str,
    labels: dict[str, str],
    decision: Decision,
    components: Mapping[str, Sequence[Component]] | None = None,
    services: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[str]:
    """The results in order, each with the path of routes that led there, the component
    of a monolith that the service's own matchers pick when the router named none, and the
    tags and labels of the service it pages (``services``: the directory's rows)."""
    shown = ", ".join(f"{k}={quote_value(v)}" for k, v in sorted(labels.items())) or "no labels"
    count = len(decision.results)
    lines = [f"router {name}, event {{{shown}}}: {count} result{'s' if count != 1 else ''}"]
    for n, result in enumerate(decision.results, 1):
        chosen = None
        if result.service and result.component is None and components:
            chosen = component_for(components.get(result.service, ()), labels)
        if chosen is None:
            lines.append(f"{n}. {result.describe()}")
        else:
            lines.append(f"{n}. {result.describe()}/{chosen.name}")
        for step in result.path:
            lines.append(f"     {step}")
        if chosen is not None:
            matched = ", ".join(str(m) for m in chosen.match)
            owner = f"owner {chosen.owner}" if chosen.owner else "the service's owner"
            policy = (
                f"policy {chosen.escalation_policy}"
                if chosen.escalation_policy
                else "the service's policy"
            )
            lines.append(f"     component {chosen.name} {{{matched}}}: {owner}, {policy}")
        row = (services or {}).get(result.service or "")
        if row is not None and tags_text(row):
            lines.append(f"     service {result.service}: {tags_text(row)}")
    lines.append("(nothing was sent)")
    return lines


def tags_text(service: Mapping[str, Any]) -> str:
    """``tagged pci, java; labels region=eu`` (empty without either): why a custom standard
    or a tag filter selects the service."""
    parts = []
    if service.get("tags"):
        parts.append("tagged " + ", ".join(service["tags"]))
    if service.get("labels"):
        parts.append(
            "labels " + ", ".join(f"{k}={v}" for k, v in sorted(service["labels"].items()))
        )
    return "; ".join(parts)


def _count(tree: Route) -> int:
    return 1 + sum(_count(child) for child in tree.routes)


def _list(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        routers = db.routers.routers()
        hints = db.routers.key_hints()
    if not routers:
        print("no routers (add a Router to the catalog and `ownit catalog apply`)")
        return 0
    base = settings.base_url
    print(
        render(
            ["NAME", "KEY", "ROUTES", "EVENTS V2", "ALERTMANAGER"],
            [
                [
                    r.name,
                    masked(hints.get(r.name)),
                    _count(r.route),
                    f"{base}/v2/enqueue",
                    f"{base}/integrations/alertmanager/KEY",
                ]
                for r in routers
            ],
        )
    )
    return 0
