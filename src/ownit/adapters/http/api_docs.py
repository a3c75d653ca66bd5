"""``/docs``: Swagger UI over ``/openapi.json``, every file served by ownit itself.

The framework's default page loads Swagger UI from a CDN (a third party sees every visit and
could change the script); this one loads the copy under ``static/swagger-ui/`` (see its
README), under a Content-Security-Policy that allows this site only.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS = Path(__file__).parent / "static" / "swagger-ui"
_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ownit API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
"""
# Swagger UI sets style attributes as it renders: styles may be inline, scripts may not.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def install(app: FastAPI) -> None:
    """Serve ``/docs`` and its assets (create the app with ``docs_url=None``)."""
    app.mount("/docs/assets", StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(_PAGE, headers=HEADERS)
