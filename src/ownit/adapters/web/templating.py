"""Jinja2 templates (autoescaped), filters, and the headers every page carries."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup
from starlette.responses import HTMLResponse

HERE = Path(__file__).parent
STATIC = HERE / "static"
HTMX = "htmx-2.0.11.min.js"

# No inline script or style anywhere: the pages work under a strict policy.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Vary": "HX-Request, Cookie",
}


def when(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def iso(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).isoformat()


def ago(value: datetime | None, now: datetime) -> str:
    if value is None:
        return ""
    seconds = int((now - value).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return ""  # pragma: no cover


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)


def web_link(url: object) -> bool:
    """Only http(s) addresses become links (the catalog checks them; this is the last line)."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


_MARKDOWN = MarkdownIt("commonmark", {"html": False})  # raw HTML in the text stays text


def markdown(text: str | None) -> Markup:
    """Inline Markdown (a runbook written in the catalog) as HTML: CommonMark without raw
    HTML, and markdown-it's link check refuses ``javascript:`` and other unsafe schemes."""
    return Markup(_MARKDOWN.render(text or ""))  # noqa: S704 - rendered with html off


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    filters: dict[str, Callable[..., Any]] = {
        "when": when,
        "iso": iso,
        "pretty": pretty,
        "markdown": markdown,
    }
    env.filters |= filters
    env.globals |= {"ago": ago, "htmx": HTMX, "web_link": web_link}
    return env


class Pages:
    def __init__(self) -> None:
        self.env = environment()

    def render(
        self,
        template: str,
        context: dict[str, Any],
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        html = self.env.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS | (headers or {}))
