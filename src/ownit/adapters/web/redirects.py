"""Where a ``next=`` may send the browser: a path of this site, never another site."""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT = "/incidents"


def safe_next(target: str | None, default: str = DEFAULT) -> str:
    """``target`` when it is a same-site path (``/…``, not ``//…``), else ``default``."""
    if not target or len(target) > 2000:
        return default
    if any(ord(ch) < 0x21 or ch == "\\" for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if parts.path.startswith(("/login", "/logout")):
        return default
    return target
