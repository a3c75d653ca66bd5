"""Compare-only keys at rest: integration, router and heartbeat keys are kept as SHA-256
digests (decision 0035). A key is shown once, when it is made; afterwards only its hint
(its first characters) is.

Keys from the outside (an event's ``routing_key``, a ping's key) are always hashed
(:func:`key_digest`): a digest sent as a key is just an unknown key. Inside ownit a value
may be either a key from a catalog file (32 letters and digits) or a digest read back from
the database (64 hexadecimal characters); :func:`stored_key` turns both into what is kept.
"""

from __future__ import annotations

import hashlib
import re

DIGEST_LENGTH = 64
HINT_LENGTH = 4

_DIGEST = re.compile(r"[0-9a-f]{64}")


def key_digest(key: str) -> str:
    """The SHA-256 of ``key`` as 64 lowercase hexadecimal characters."""
    return hashlib.sha256(key.encode()).hexdigest()


def is_digest(value: str) -> bool:
    """Whether ``value`` has the shape of a stored digest (no key has: keys are 32 long)."""
    return len(value) == DIGEST_LENGTH and _DIGEST.fullmatch(value) is not None


def stored_key(value: str) -> str:
    """What the database keeps for ``value``: a key's digest; a digest as it is."""
    return value if is_digest(value) else key_digest(value)


def same_key(a: str | None, b: str | None) -> bool:
    """Whether two keys (each a key or a stored digest) are the same key."""
    if a is None or b is None:
        return a is b
    return stored_key(a) == stored_key(b)


def key_hint(key: str) -> str | None:
    """The first characters of a key, kept beside its digest to tell keys apart; none for
    a digest (the key it came from is unknown)."""
    return None if is_digest(key) else key[:HINT_LENGTH]


def masked(hint: str | None) -> str:
    """How a stored key is shown: its hint and an ellipsis."""
    return f"{hint}…" if hint else "…"
