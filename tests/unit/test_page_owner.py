"""Which team a page was for: a monolith component's owner, else the service's owner."""

from __future__ import annotations

from typing import Any

import pytest

from ownit.domain.page_owner import owning_team

PARTS: list[dict[str, Any]] = [
    {"name": "refunds", "owner": "payments"},
    {"name": "search", "owner": None},
    {"name": "ledger"},
]


@pytest.mark.parametrize(
    ("service_owner", "component", "parts", "want"),
    [
        ("shop", None, PARTS, "shop"),  # no component: the service's owner
        ("shop", "refunds", PARTS, "payments"),  # a component with its own owner
        ("shop", "search", PARTS, "shop"),  # owner left empty: the service's
        ("shop", "ledger", PARTS, "shop"),  # no owner field
        ("shop", "gone", PARTS, "shop"),  # a component the catalog no longer has
        (None, None, PARTS, None),  # an unowned service
        (None, "refunds", PARTS, "payments"),
        ("shop", "refunds", [], "shop"),
    ],
)
def test_owning_team(
    service_owner: str | None, component: str | None, parts: list[dict[str, Any]], want: str | None
) -> None:
    assert owning_team(service_owner, component, parts) == want
