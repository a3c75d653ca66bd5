"""For `make run`: a web UI login for the demo's admin (catalog user ``alice``), printed once.

The password is kept in a file (mode 600) so that later runs print the same one; a new
password is made when the file is missing or no longer matches.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from ownit.adapters.db.account_store import SqlAccountStore
from ownit.adapters.passwords import Argon2Hasher
from ownit.app.accounts import OrgRole, create_login
from ownit.app.clock import SystemClock
from ownit.bootstrap import open_database
from ownit.settings import Settings

DEMO_EMAIL = "alice@example.com"  # examples/demo.yaml: alice


def main(path: Path) -> int:
    settings = Settings.from_env()
    store = SqlAccountStore(open_database(settings))
    hasher = Argon2Hasher()
    password = path.read_text().strip() if path.exists() else ""
    found = store.credentials(DEMO_EMAIL)
    current = found[0].password_hash if len(found) == 1 else None
    if not password or current is None or not hasher.verify(current, password):
        password = secrets.token_urlsafe(12)
        create_login(
            store=store,
            hasher=hasher,
            clock=SystemClock(),
            email=DEMO_EMAIL,
            password=password,
            org_role=OrgRole.ADMIN,
            replace=True,
        )
        path.write_text(password + "\n")
        os.chmod(path, 0o600)
    print(
        f"""Web UI: {settings.base_url}/login
  email:    {DEMO_EMAIL}
  password: {password}   (kept in {path})
""",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
