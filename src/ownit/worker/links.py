"""Links in notifications: to the incident, and signed one-click actions that expire."""

from __future__ import annotations

from datetime import timedelta

from ownit.adapters.notifiers.signing import make_action_token
from ownit.app.clock import Clock

ACTION_TTL = timedelta(hours=24)


class SignedLinks:
    def __init__(self, *, base_url: str, secret: bytes, clock: Clock) -> None:
        self._base = base_url.rstrip("/")
        self._secret = secret
        self._clock = clock

    def incident_url(self, incident_id: str) -> str:
        return f"{self._base}/incidents/{incident_id}"

    def action_url(self, incident_id: str, action: str, user: str) -> str | None:
        token = make_action_token(
            self._secret, incident_id, action, user, self._clock.now() + ACTION_TTL
        )
        return f"{self._base}/actions/{token}"
