"""Standard Webhooks signing secrets: ``whsec_`` and the base64 of at least 16 bytes.

One rule for everyone who handles a secret: the catalog refuses a webhook contact whose
secret the notifier could not sign with, the Me page refuses it, and the webhook notifier
reads the key with :func:`decode_secret`. The messages never repeat the secret.
"""

from __future__ import annotations

import base64
import binascii

__all__ = ["MIN_KEY_BYTES", "PREFIX", "decode_secret", "secret_problem"]

PREFIX = "whsec_"
MIN_KEY_BYTES = 16


def decode_secret(secret: str) -> bytes:
    """The key bytes of ``secret`` (the ``whsec_`` prefix optional); ``ValueError`` naming
    what is wrong (:func:`secret_problem`)."""
    raw = secret.strip().removeprefix(PREFIX)
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the webhook secret is not whsec_ followed by base64") from None
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the webhook secret is shorter than {MIN_KEY_BYTES} bytes")
    return key


def secret_problem(secret: str | None) -> str | None:
    """Why a webhook cannot be signed with ``secret`` (``None``: it can)."""
    if not secret or not secret.strip():
        return "the webhook has no signing secret"
    try:
        decode_secret(secret)
    except ValueError as error:
        return str(error)
    return None
