"""The one rule for a URL ownit will post to (webhook, Slack, push, team channel).

The catalog, the Me page and every notifier ask :func:`url_problem`, so a URL accepted
when the catalog is applied is one the notifier will try at send time.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["url_problem"]

_SPACE = re.compile(r"\s")


def url_problem(url: str | None) -> str | None:
    """Why ``url`` cannot be posted to (``None``: an http(s) URL with a host)."""
    if not url:
        return "has no URL"
    if _SPACE.search(url) or not url.isprintable():
        return "has an invalid URL"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises on a port that is not a number in range
    except ValueError:
        return "has an invalid URL"
    if parts.scheme not in ("http", "https") or not host:
        return "needs an http:// or https:// URL"
    return None
