"""The action-link signing key is sealed under OWNIT_SECRET_KEY when it is set (decision
0037), on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import os

import pytest
from sqlalchemy import Engine, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.secret_box import SecretBox, SecretBoxError
from ownit.adapters.db.secrets import shared_secret
from tests.builders import T0

BOX = SecretBox(os.urandom(32))


def stored(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(t.app_secrets.c.value)).scalar_one())


@pytest.mark.parametrize(
    ("first", "then", "sealed_after"),
    [
        (None, None, False),  # no key: kept as before
        (BOX, BOX, True),  # made sealed, opened with the key
        (None, BOX, True),  # kept plain before the key was set: sealed on next use
    ],
)
def test_the_same_secret_comes_back_sealed_at_rest_with_a_key(
    engine: Engine, first: SecretBox | None, then: SecretBox | None, sealed_after: bool
) -> None:
    made = shared_secret(engine, "action-links", T0, first)
    assert len(made) == 32
    assert shared_secret(engine, "action-links", T0, then) == made
    value = stored(engine)
    assert value.startswith("enc:v1:") is sealed_after
    if sealed_after:
        assert base64.urlsafe_b64encode(made).decode() not in value
        assert shared_secret(engine, "action-links", T0, then) == made  # opens again


@pytest.mark.parametrize(
    ("box", "words"),
    [(None, "set OWNIT_SECRET_KEY"), (SecretBox(os.urandom(32)), "does not open")],
)
def test_a_sealed_secret_without_its_key_is_a_clear_error(
    engine: Engine, box: SecretBox | None, words: str
) -> None:
    shared_secret(engine, "action-links", T0, BOX)
    with pytest.raises(SecretBoxError, match=words):
        shared_secret(engine, "action-links", T0, box)
