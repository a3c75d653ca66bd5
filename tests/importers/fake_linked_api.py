"""Fake Opsgenie and Grafana OnCall APIs on loopback serving the saved fixtures: saved pages
are served one by one, each linking to the next (``paging.next`` / ``next``), and the first
request of all answers ``429`` with ``Retry-After: 0``."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

Route = Callable[[list[str], dict[str, list[str]]], Any]


@dataclass
class FakeApi:
    url: str
    requests: list[str] = field(default_factory=list)
    throttled: int = 0


def _pages(root: Path, name: str) -> list[Any]:
    data = json.loads((root / f"{name}.json").read_text())
    return data if isinstance(data, list) else [data]


@contextmanager
def serve(
    auth: str, route: Callable[[FakeApi, str, dict[str, list[str]]], Any]
) -> Iterator[FakeApi]:
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
            api.requests.append(self.path)
            if self.headers.get("Authorization") != auth:
                self._send(401, {"message": "unauthorized"})
                return
            if not api.throttled:
                api.throttled += 1
                self._send(429, {"message": "slow down"}, {"Retry-After": "0"})
                return
            url = urlsplit(self.path)
            body = route(api, url.path, parse_qs(url.query))
            self._send(200 if body is not None else 404, body or {"message": "not found"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api = FakeApi(f"http://127.0.0.1:{server.server_address[1]}")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


def _paged(api: FakeApi, path: str, query: dict[str, list[str]], pages: list[Any], key: str) -> Any:
    """Page ``page`` of the saved pages, linking to the next one."""
    i = int(query.get("page", ["0"])[0])
    page = dict(pages[i])
    link = f"{api.url}{path}?page={i + 1}" if i + 1 < len(pages) else None
    if key == "paging":
        page.pop("paging", None)
        if link:
            page["paging"] = {"next": link}
    else:
        page["next"] = link
    return page


@contextmanager
def fake_grafana(root: Path, key: str) -> Iterator[FakeApi]:
    def route(api: FakeApi, path: str, query: dict[str, list[str]]) -> Any:
        name = path.removeprefix("/api/v1/").strip("/")
        if not (root / f"{name}.json").exists():
            return None
        return _paged(api, path, query, _pages(root, name), "next")

    with serve(key, route) as api:
        yield api


@contextmanager
def fake_opsgenie(root: Path, key: str) -> Iterator[FakeApi]:
    def one(name: str) -> list[Any]:
        return [row for page in _pages(root, name) for row in page["data"]]

    def route(api: FakeApi, path: str, query: dict[str, list[str]]) -> Any:
        parts = path.strip("/").split("/")[1:]  # after v2
        if parts == ["users"]:
            return _paged(api, path, query, _pages(root, "users"), "paging")
        if parts[0] == "users" and len(parts) == 3:
            rules = one(f"notification_rules/{parts[1]}")
            return {"data": [{k: v for k, v in r.items() if k != "steps"} for r in rules]}
        if parts[0] == "users" and len(parts) == 4:
            [rule] = [r for r in one(f"notification_rules/{parts[1]}") if r["id"] == parts[3]]
            return {"data": rule}
        if parts == ["teams"]:
            return {"data": [{k: v for k, v in t.items() if k != "members"} for t in one("teams")]}
        if parts[0] == "teams":
            return {"data": next(t for t in one("teams") if t["id"] == parts[1])}
        if parts == ["schedules"]:
            assert query.get("expand") == ["rotation"]
            return {"data": one("schedules")}
        if parts[0] == "schedules":
            return {"data": one(f"overrides/{parts[1]}")}
        if parts == ["maintenance"]:
            assert query.get("type") == ["non-expired"]
            return _pages(root, "maintenance")[0]
        if parts[0] == "maintenance":
            return _pages(root, f"maintenance/{parts[1]}")[0]
        if parts[0] in ("escalations", "integrations", "heartbeats"):
            return _pages(root, parts[0])[0]
        return None

    with serve(f"GenieKey {key}", route) as api:
        yield api
