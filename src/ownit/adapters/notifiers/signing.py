"""Signatures: Standard Webhooks v1 (what ownit sends), Slack request signing (what Slack sends
ownit) and signed, expiring one-click action tokens (acknowledge / resolve links and buttons).

Every comparison of a secret-derived value is constant-time (:func:`hmac.compare_digest`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime

from ownit.domain import webhook_secrets

WEBHOOK_TOLERANCE = 300
SLACK_TOLERANCE = 300
_ACTION_VERSION = "a1"
_ACTION_CONTEXT = b"ownit-action-token\x00"
_URLSAFE = re.compile(r"[A-Za-z0-9_-]+")
MAX_ACTION_TOKEN = 2048  # characters; a real token is about 150


class InvalidSecret(ValueError):
    """A webhook secret is not ``whsec_`` + base64 of at least 16 bytes."""


class ActionTokenError(ValueError):
    """An action token cannot be used; the message says why, in words a user understands."""


class InvalidActionToken(ActionTokenError):
    """The token was altered, truncated, or signed with another secret."""


class ExpiredActionToken(ActionTokenError):
    """The token was genuine but its time is up."""


# --- Standard Webhooks v1 -------------------------------------------------------------------


def decode_secret(secret: str) -> bytes:
    """The key bytes of a Standard Webhooks secret (``whsec_`` prefix optional), by the
    domain's one rule (:mod:`ownit.domain.webhook_secrets`, which the catalog checks too)."""
    try:
        return webhook_secrets.decode_secret(secret)
    except ValueError as error:
        raise InvalidSecret(str(error)) from None


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,`` + base64(HMAC-SHA256(key, ``{id}.{timestamp}.{body}``))."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(decode_secret(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def verify(
    secret: str,
    msg_id: str,
    timestamp: str | int,
    body: bytes,
    signature_header: str,
    *,
    now: float,
    tolerance: int = WEBHOOK_TOLERANCE,
) -> bool:
    """Whether any ``v1,…`` entry of the space-separated ``webhook-signature`` header matches,
    and ``webhook-timestamp`` is within ``tolerance`` seconds of ``now`` (Unix seconds)."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs(now - ts) > tolerance:
        return False
    expected = sign(secret, msg_id, ts, body).encode("ascii")
    found = False
    for entry in signature_header.split():
        # Compare every entry (no early exit), as bytes: compare_digest refuses non-ASCII str.
        found |= hmac.compare_digest(expected, entry.encode("utf-8"))
    return found


# --- Slack request signing ------------------------------------------------------------------


def slack_signature(signing_secret: str, timestamp: str, body: bytes) -> str:
    """``v0=`` + hex HMAC-SHA256(signing secret, ``v0:{timestamp}:{body}``)."""
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def verify_slack(
    signing_secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float,
    *,
    tolerance: int = SLACK_TOLERANCE,
) -> bool:
    """Whether a request really came from Slack: fresh timestamp, matching ``X-Slack-Signature``."""
    if not signing_secret or not timestamp.isascii() or not timestamp.isdigit():
        return False
    if abs(now - int(timestamp)) > tolerance:
        return False
    expected = slack_signature(signing_secret, timestamp, body).encode("ascii")
    return hmac.compare_digest(expected, signature.encode("utf-8"))


# --- one-click action tokens ----------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not _URLSAFE.fullmatch(text):
        raise ValueError("not URL-safe base64")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, signed: str) -> bytes:
    return hmac.new(secret, _ACTION_CONTEXT + signed.encode("ascii"), hashlib.sha256).digest()


def make_action_token(
    secret: bytes, incident_id: str, action: str, user: str, expires_at: datetime
) -> str:
    """A URL-safe token saying "``user`` may ``action`` incident ``incident_id`` until
    ``expires_at``", signed with ``secret`` (HMAC-SHA256). It is a bearer credential."""
    if len(secret) < 16:
        raise ValueError("the action secret must be at least 16 bytes")
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be an aware datetime")
    if not incident_id or not action:
        raise ValueError("incident_id and action must not be empty")
    payload = json.dumps(
        [incident_id, action, user, int(expires_at.timestamp())],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    signed = f"{_ACTION_VERSION}.{_b64(payload.encode('ascii'))}"
    return f"{signed}.{_b64(_mac(secret, signed))}"


def check_action_token(secret: bytes, token: str, now: datetime) -> tuple[str, str, str]:
    """``(incident_id, action, user)`` of a genuine, unexpired token.

    Raises :class:`InvalidActionToken` when it was altered or signed with another secret and
    :class:`ExpiredActionToken` when its time is up (checked only once it proved genuine).
    """
    invalid = InvalidActionToken("this link is not valid (altered, incomplete or out of date)")
    if len(token) > MAX_ACTION_TOKEN:
        raise invalid
    version, _, rest = token.strip().partition(".")
    body, _, mac = rest.rpartition(".")
    if version != _ACTION_VERSION or not body or not mac or not _URLSAFE.fullmatch(body):
        raise invalid
    # The MAC first: nothing an attacker wrote is decoded before it proves genuine.
    try:
        given = _unb64(mac)
    except ValueError:
        raise invalid from None
    if not hmac.compare_digest(_mac(secret, f"{version}.{body}"), given):
        raise invalid
    try:
        fields = json.loads(_unb64(body))
    except ValueError:
        raise invalid from None
    if not (
        isinstance(fields, list)
        and len(fields) == 4
        and all(isinstance(f, str) for f in fields[:3])
        and isinstance(fields[3], int)
    ):
        raise invalid
    incident_id, action, user, expires = fields
    if now.timestamp() >= expires:
        when = datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%d %H:%M UTC")
        raise ExpiredActionToken(f"this link expired at {when}; open the incident instead")
    return incident_id, action, user
