"""Webhook signing secrets encrypted at rest (decision 0031): AES-256-GCM under a key from the
environment (``OWNIT_SECRET_KEY``).

A sealed value is ``enc:v1:`` + URL-safe base64 of a 12-byte random nonce and the
ciphertext with its tag; the contact's name is bound in as associated data, so a sealed
secret copied onto another contact does not open. Values without the prefix (written
before a key was set) open as they are, and are sealed the next time they are written.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine, select, update

from ownit.adapters.db import tables as t

PREFIX = "enc:v1:"


class SecretBoxError(ValueError):
    """A sealed secret that does not open: another key, or altered."""


def parse_key(raw: str) -> bytes:
    """``OWNIT_SECRET_KEY``: 32 bytes, base64 (``openssl rand -base64 32``)."""
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("is not base64 (make one with: openssl rand -base64 32)") from None
    if len(key) != 32:
        raise ValueError(f"is {len(key)} bytes; it must be 32 (openssl rand -base64 32)")
    return key


class SecretBox:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, value: str, context: str) -> str:
        if value.startswith(PREFIX):
            return value
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, value.encode(), context.encode())
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, value: str, context: str) -> str:
        if not value.startswith(PREFIX):
            return value
        try:
            raw = base64.urlsafe_b64decode(value[len(PREFIX) :].encode("ascii"))
            return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()
        except (binascii.Error, ValueError, InvalidTag, UnicodeError):
            raise SecretBoxError("a stored secret does not open with OWNIT_SECRET_KEY") from None


def _contacts(spec: Mapping[str, Any], change: Any) -> dict[str, Any]:
    out = dict(spec)
    contacts = spec.get("contacts")
    if isinstance(contacts, list):
        out["contacts"] = [
            change(c) if isinstance(c, dict) and isinstance(c.get("secret"), str) else c
            for c in contacts
        ]
    return out


def seal_spec(spec: Mapping[str, Any], box: SecretBox | None) -> dict[str, Any]:
    """A user's spec with every contact's ``secret`` sealed (as it is without a box)."""
    if box is None:
        return dict(spec)
    return _contacts(spec, lambda c: c | {"secret": box.seal(c["secret"], str(c.get("name")))})


def open_spec(spec: Mapping[str, Any], box: SecretBox | None) -> dict[str, Any]:
    """A user's spec with every contact's ``secret`` opened (without a box, as it is: a
    sealed secret then cannot be used — keep ``OWNIT_SECRET_KEY`` once secrets are sealed)."""
    if box is None:
        return dict(spec)
    return _contacts(spec, lambda c: c | {"secret": box.open(c["secret"], str(c.get("name")))})


def seal_stored(engine: Engine, box: SecretBox) -> int:
    """Seal every webhook secret still stored in plain text; returns how many users changed."""
    u = t.users
    changed = 0
    with engine.begin() as conn:
        for user_id, spec in conn.execute(select(u.c.id, u.c.spec).with_for_update()).all():
            if not isinstance(spec, dict):
                continue
            sealed = seal_spec(spec, box)
            if sealed != spec:
                conn.execute(update(u).where(u.c.id == user_id).values(spec=sealed))
                changed += 1
    return changed


def sealed_problem(engine: Engine, box: SecretBox | None) -> str | None:
    """Why the stored webhook secrets cannot be used with this key (sealed ones and no key, or
    a key they do not open with), or ``None``: checked at start, not at the first page."""
    u = t.users
    with engine.connect() as conn:
        specs = conn.execute(select(u.c.name, u.c.spec)).all()
    for name, spec in specs:
        if not isinstance(spec, dict):
            continue
        for contact in spec.get("contacts") or []:
            secret = contact.get("secret") if isinstance(contact, dict) else None
            if not isinstance(secret, str) or not secret.startswith(PREFIX):
                continue
            if box is None:
                return f"user {name!r} has a sealed webhook secret: set OWNIT_SECRET_KEY"
            try:
                box.open(secret, str(contact.get("name")))
            except SecretBoxError:
                return (
                    f"user {name!r} has a webhook secret that OWNIT_SECRET_KEY does not open "
                    "(was the key changed?)"
                )
    return None
