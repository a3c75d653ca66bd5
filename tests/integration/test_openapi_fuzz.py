"""A property-based fuzz of the whole OpenAPI description (schemathesis), on SQLite and
PostgreSQL: every operation, with an admin token and without one, a bounded number of
generated requests each — 0 server errors, and only status codes the description lists."""

from __future__ import annotations

from collections import Counter
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, status_code_conformance
from schemathesis.core.result import Ok

from tests.integration.conftest import Ctx

EXAMPLES = 6  # per operation and token: the whole run stays within a minute per database
CHECKS = [not_a_server_error, status_code_conformance]
SENT = ("method", "url", "headers", "params", "content", "json", "data", "files")


def fuzz(
    ctx: Ctx, operation: Any, token: dict[str, str], answered: Counter[int], failures: list[str]
) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy())
    def probe(case: Any) -> None:
        sent = case.as_transport_kwargs(base_url="http://testserver", headers=token)
        cookies = sent.pop("cookies", None)
        if cookies:  # as a header: per-request cookies are deprecated by the client
            sent["headers"] = (sent.get("headers") or {}) | {
                "cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())
            }
        response = ctx.client.request(**{k: v for k, v in sent.items() if k in SENT})
        answered[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:  # every failure, in the report of the test
            failures.append(f"{operation.label}: {response.status_code}: {exc}"[:400])

    probe()


def test_fuzz_every_operation(ctx: Ctx) -> None:
    schema = schemathesis.openapi.from_dict(ctx.client.app.openapi())  # type: ignore[attr-defined]
    answered: Counter[int] = Counter()
    failures: list[str] = []
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results)  # every operation of the description is usable
    assert len(operations) > 40
    for operation in operations:
        for token in (ctx.admin, {}):
            fuzz(ctx, operation, token, answered, failures)
    assert failures == [], "\n".join(failures)
    assert not any(code >= 500 for code in answered)
    assert answered[200] > 0  # it reached the handlers
    assert answered[401] > 0  # and the guards
