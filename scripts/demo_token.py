"""For `make run`: make the demo's admin API token once, keep it in a file, print how to use it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ownit.adapters.db.token_store import SqlTokenStore
from ownit.app.clock import SystemClock
from ownit.app.tokens import authenticate, create_token
from ownit.bootstrap import open_database
from ownit.settings import Settings

DEMO_KEY = "checkoutapi00000000000000000000e"  # examples/demo.yaml: checkout-api, "events"


def main(path: Path) -> int:
    settings = Settings.from_env()
    store = SqlTokenStore(open_database(settings))
    token = path.read_text().strip() if path.exists() else ""
    if not token or authenticate(store=store, token=token) is None:
        token = create_token(store=store, clock=SystemClock(), name="demo", role="admin")
        path.write_text(token + "\n")
        os.chmod(path, 0o600)
    base = settings.base_url
    event = {
        "routing_key": DEMO_KEY,
        "event_action": "trigger",
        "dedup_key": "disk-full",
        "payload": {"summary": "Disk full on db-1", "source": "db-1", "severity": "critical"},
    }
    body = json.dumps(event, separators=(",", ":"))
    print(
        f"""
ownit demo: {base}   (API docs: {base}/docs)
Admin API token (kept in {path}):
  {token}

Send a first event (PagerDuty Events API v2) to the checkout-api service:
  curl -sS -X POST {base}/v2/enqueue -H 'Content-Type: application/json' -d '{body}'

See it:
  curl -sS {base}/api/v1/incidents -H 'Authorization: Bearer {token}'
  OWNIT_DATABASE_URL={settings.database_url} .venv/bin/ownit incident list
""",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
