"""One call to ownit's API, with every failure turned into a sentence Chaos Toolkit shows
(``ActivityFailed``) instead of a traceback."""

from __future__ import annotations

from typing import Any

import httpx
from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration, Secrets

TIMEOUT = 10.0


def base_url(configuration: Configuration | None) -> str:
    url = (configuration or {}).get("ownit_url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ActivityFailed(
            "ownit: set 'ownit_url' in the experiment's configuration to ownit's base URL "
            f"(like http://127.0.0.1:8080); got {url!r}"
        )
    return url.rstrip("/")


def token(secrets: Secrets | None) -> str:
    found = (secrets or {}).get("ownit_token")
    if not isinstance(found, str) or not found:
        raise ActivityFailed(
            "ownit: no 'ownit_token' secret: declare it under the experiment's secrets "
            "(an API token made with 'ownit token create') and list that scope in the "
            "activity's 'secrets'"
        )
    return found


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or body)[:300]
    return str(body)[:300]


def call(
    method: str,
    path: str,
    *,
    configuration: Configuration | None,
    secrets: Secrets | None,
    params: dict[str, Any] | None = None,
    body: Any = None,
    authenticated: bool = True,
) -> Any:
    """``method path`` on ownit; the JSON answer, or :class:`ActivityFailed` saying why not."""
    url = base_url(configuration) + path
    headers = {"Authorization": f"Bearer {token(secrets)}"} if authenticated else {}
    try:
        response = httpx.request(
            method, url, params=params, json=body, headers=headers, timeout=TIMEOUT
        )
    except httpx.HTTPError as exc:
        raise ActivityFailed(f"ownit: cannot reach {url} ({exc}); check 'ownit_url'") from None
    if response.status_code == 401:
        raise ActivityFailed(
            f"ownit refused the token at {url} (401): check the 'ownit_token' secret"
        )
    if response.status_code == 403:
        raise ActivityFailed(f"ownit: the token may not {method} {path} (403): {_detail(response)}")
    if response.status_code >= 400:
        raise ActivityFailed(
            f"ownit answered {response.status_code} to {method} {path}: {_detail(response)}"
        )
    try:
        return response.json()
    except ValueError:
        raise ActivityFailed(
            f"ownit: {url} did not answer JSON: is 'ownit_url' ownit's base URL?"
        ) from None
