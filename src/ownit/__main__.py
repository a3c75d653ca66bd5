"""``python -m ownit`` is the ``ownit`` command."""

from __future__ import annotations

import sys

from ownit.cli.main import main

sys.exit(main())
