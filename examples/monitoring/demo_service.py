"""A tiny service to monitor: ``/`` answers, ``/metrics`` shows Prometheus text metrics.
Python standard library only. Usage: ``python demo_service.py PORT``."""

from __future__ import annotations

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STARTED = time.time()
_lock = threading.Lock()
_served = {"root": 0, "metrics": 0}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/metrics":
            with _lock:
                _served["metrics"] += 1
                counts = dict(_served)
            body = (
                "# HELP demo_requests_total Requests served, by path.\n"
                "# TYPE demo_requests_total counter\n"
                f'demo_requests_total{{path="/"}} {counts["root"]}\n'
                f'demo_requests_total{{path="/metrics"}} {counts["metrics"]}\n'
                "# HELP demo_start_time_seconds When the demo service started.\n"
                "# TYPE demo_start_time_seconds gauge\n"
                f"demo_start_time_seconds {STARTED}\n"
            ).encode()
            kind = "text/plain; version=0.0.4"
        elif self.path == "/":
            with _lock:
                _served["root"] += 1
            body, kind = b"demo shop: all good\n", "text/plain"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    port = int(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"demo service on http://127.0.0.1:{port}/metrics", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
