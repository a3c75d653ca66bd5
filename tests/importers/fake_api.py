"""A fake PagerDuty REST API on loopback serving the saved fixture: lists paged two at a
time (``offset``/``limit``/``more``), one schedule per ``GET /schedules/{id}``, and a single
``429`` with ``Retry-After: 0`` on the first request to ``/users``."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

PAGE = 2


@dataclass
class FakeApi:
    url: str
    requests: list[str] = field(default_factory=list)
    throttled: int = 0


def _load(root: Path, name: str) -> Any:
    return json.loads((root / f"{name}.json").read_text())


def _rows(root: Path, name: str, key: str) -> list[Any]:
    data = _load(root, name)
    pages = data if isinstance(data, list) else [data]
    return [row for page in pages for row in page[key]]


@contextmanager
def fake_pagerduty(root: Path, api_key: str) -> Iterator[FakeApi]:
    lists = {
        "/users": ("users", "users"),
        "/teams": ("teams", "teams"),
        "/schedules": ("schedules", "schedules"),
        "/escalation_policies": ("escalation_policies", "escalation_policies"),
        "/services": ("services", "services"),
        "/maintenance_windows": ("maintenance_windows", "maintenance_windows"),
    }
    schedules = {s["id"]: s for s in _rows(root, "schedules", "schedules")}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            api.requests.append(self.path)
            if self.headers.get("Authorization") != f"Token token={api_key}":
                self._send(401, {"error": {"message": "Unauthorized"}})
                return
            if url.path == "/users" and not api.throttled:
                api.throttled += 1
                self._send(429, {"error": {"message": "Rate Limit"}}, {"Retry-After": "0"})
                return
            parts = url.path.strip("/").split("/")
            if url.path in lists:
                file, key = lists[url.path]
                rows = _rows(root, file, key)
                offset = int(query.get("offset", ["0"])[0])
                limit = min(PAGE, int(query.get("limit", ["25"])[0]))
                self._send(
                    200,
                    {
                        key: rows[offset : offset + limit],
                        "offset": offset,
                        "limit": limit,
                        "more": offset + limit < len(rows),
                    },
                )
            elif parts[0] == "teams" and len(parts) == 3:
                self._send(200, _load(root, f"team_members/{parts[1]}") | {"more": False})
            elif parts[0] == "schedules" and len(parts) == 2:
                assert query["time_zone"] == [schedules[parts[1]]["time_zone"]]
                assert query["since"]
                assert query["until"]
                self._send(200, _load(root, f"schedules/{parts[1]}"))
            elif parts[0] == "schedules" and len(parts) == 3:
                self._send(200, _load(root, f"overrides/{parts[1]}"))
            elif parts[:2] == ["service_dependencies", "technical_services"]:
                rels = _load(root, "service_dependencies")["relationships"]
                ids = {parts[2]}
                self._send(
                    200,
                    {
                        "relationships": [
                            r
                            for r in rels
                            if {r["supporting_service"]["id"], r["dependent_service"]["id"]} & ids
                        ]
                    },
                )
            else:
                self._send(404, {"error": {"message": "Not Found"}})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api = FakeApi(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
