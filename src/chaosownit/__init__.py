"""Chaos Toolkit extension for ownit: probes that check the ownership path (was the owner
paged in time?) and actions that drive it (send an event, start maintenance, run a drill).

An HTTP client of ownit's public API only: it imports nothing of ``ownit``. Configure it in
an experiment with ``ownit_url`` (configuration) and ``ownit_token`` (a secret); see
``docs/practice.md``.
"""

from __future__ import annotations

from chaoslib.discovery.discover import (
    discover_actions,
    discover_probes,
    initialize_discovery_result,
)
from chaoslib.types import Discovery

__version__ = "0.1.0"


def discover(discover_system: bool = True) -> Discovery:
    """What ``chaos discover chaosownit`` lists: every probe and action of this extension."""
    discovery = initialize_discovery_result("chaosownit", __version__, "ownit")
    discovery["activities"].extend(discover_probes("chaosownit.probes"))
    discovery["activities"].extend(discover_actions("chaosownit.actions"))
    return discovery
