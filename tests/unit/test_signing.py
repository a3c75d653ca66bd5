"""Signatures: the published test vectors, exactly, and action tokens that cannot be forged."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from ownit.adapters.notifiers.signing import (
    ExpiredActionToken,
    InvalidActionToken,
    InvalidSecret,
    check_action_token,
    decode_secret,
    make_action_token,
    sign,
    slack_signature,
    verify,
    verify_slack,
)

# The Standard Webhooks specification's example (docs/wire-formats.md)
SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SW_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SW_TS = 1614265330
SW_BODY = b'{"test": 2432232314}'
SW_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

# Slack's published example (docs/wire-formats.md)
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TS = "1531420618"
SLACK_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
    b"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_SIG = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

KEY = b"0123456789abcdef0123456789abcdef"
T = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_standard_webhooks_vector_exact() -> None:
    assert sign(SW_SECRET, SW_ID, SW_TS, SW_BODY) == SW_SIG


def test_secret_prefix_is_optional() -> None:
    assert sign(SW_SECRET.removeprefix("whsec_"), SW_ID, SW_TS, SW_BODY) == SW_SIG


@pytest.mark.parametrize(
    ("msg_id", "timestamp", "body", "header", "now", "expected"),
    [
        (SW_ID, SW_TS, SW_BODY, SW_SIG, SW_TS, True),
        (SW_ID, str(SW_TS), SW_BODY, SW_SIG, SW_TS + 299, True),
        (SW_ID, SW_TS, SW_BODY, f"v1,b2xk {SW_SIG}", SW_TS, True),  # rotated keys
        (SW_ID, SW_TS, SW_BODY, SW_SIG, SW_TS + 301, False),  # too old
        (SW_ID, SW_TS, SW_BODY, SW_SIG, SW_TS - 301, False),  # from the future
        (SW_ID, SW_TS, b'{"test": 2432232315}', SW_SIG, SW_TS, False),  # body changed
        ("msg_other", SW_TS, SW_BODY, SW_SIG, SW_TS, False),  # id changed
        (SW_ID, SW_TS + 1, SW_BODY, SW_SIG, SW_TS, False),  # timestamp changed
        (SW_ID, SW_TS, SW_BODY, SW_SIG.replace("v1,", "v2,"), SW_TS, False),
        (SW_ID, SW_TS, SW_BODY, "", SW_TS, False),
        (SW_ID, SW_TS, SW_BODY, "v1,ünïcode", SW_TS, False),
        (SW_ID, "soon", SW_BODY, SW_SIG, SW_TS, False),
    ],
)
def test_standard_webhooks_verify(
    msg_id: str, timestamp: int | str, body: bytes, header: str, now: int, expected: bool
) -> None:
    assert verify(SW_SECRET, msg_id, timestamp, body, header, now=now) is expected


@pytest.mark.parametrize(
    "secret", ["", "whsec_", "whsec_not base64!", "whsec_" + base64.b64encode(b"short").decode()]
)
def test_bad_secrets_are_refused(secret: str) -> None:
    with pytest.raises(InvalidSecret):
        decode_secret(secret)


def test_slack_published_example_exact() -> None:
    assert slack_signature(SLACK_SECRET, SLACK_TS, SLACK_BODY) == SLACK_SIG


@pytest.mark.parametrize(
    ("secret", "timestamp", "body", "signature", "now", "expected"),
    [
        (SLACK_SECRET, SLACK_TS, SLACK_BODY, SLACK_SIG, 1531420618, True),
        (SLACK_SECRET, SLACK_TS, SLACK_BODY, SLACK_SIG, 1531420618 + 300, True),
        (SLACK_SECRET, SLACK_TS, SLACK_BODY, SLACK_SIG, 1531420618 + 301, False),
        (SLACK_SECRET, SLACK_TS, SLACK_BODY, SLACK_SIG, 1531420618 - 301, False),
        (SLACK_SECRET, SLACK_TS, SLACK_BODY + b"&x=1", SLACK_SIG, 1531420618, False),
        ("another-secret", SLACK_TS, SLACK_BODY, SLACK_SIG, 1531420618, False),
        (SLACK_SECRET, "1531420619", SLACK_BODY, SLACK_SIG, 1531420618, False),
        (SLACK_SECRET, SLACK_TS, SLACK_BODY, SLACK_SIG.upper(), 1531420618, False),
        (SLACK_SECRET, SLACK_TS, SLACK_BODY, SLACK_SIG[:-1], 1531420618, False),
        (SLACK_SECRET, SLACK_TS, SLACK_BODY, "v0=é", 1531420618, False),
        (SLACK_SECRET, "", SLACK_BODY, SLACK_SIG, 1531420618, False),
        (SLACK_SECRET, "-1", SLACK_BODY, SLACK_SIG, 1531420618, False),
        ("", SLACK_TS, SLACK_BODY, SLACK_SIG, 1531420618, False),
    ],
)
def test_verify_slack(
    secret: str, timestamp: str, body: bytes, signature: str, now: int, expected: bool
) -> None:
    assert verify_slack(secret, timestamp, body, signature, now) is expected


@pytest.mark.parametrize(
    ("incident_id", "action", "user"),
    [
        ("inc_01jdx4k3m0abcdefghjkmnpqrs", "acknowledge", "alice"),
        ("inc_1", "resolve", ""),
        ("inc_ü.€", "acknowledge", 'o\'brien "the" | <b>'),
    ],
)
def test_action_token_round_trip(incident_id: str, action: str, user: str) -> None:
    token = make_action_token(KEY, incident_id, action, user, T + timedelta(hours=1))
    assert token.replace(".", "").replace("-", "").replace("_", "").isalnum()  # URL-safe
    assert check_action_token(KEY, token, T) == (incident_id, action, user)


def _flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


GOOD = make_action_token(KEY, "inc_7", "acknowledge", "alice", T + timedelta(minutes=5))
OTHER = make_action_token(KEY, "inc_8", "resolve", "alice", T + timedelta(minutes=5))


@pytest.mark.parametrize(
    ("secret", "token", "now", "error"),
    [
        (KEY, GOOD, T + timedelta(minutes=5), ExpiredActionToken),
        (KEY, GOOD, T + timedelta(days=1), ExpiredActionToken),
        (b"another secret of 32 bytes......", GOOD, T, InvalidActionToken),
        (KEY, _flip(GOOD, 5), T, InvalidActionToken),  # payload altered
        (KEY, _flip(GOOD, len(GOOD) - 3), T, InvalidActionToken),  # signature altered
        (
            KEY,
            GOOD.split(".")[0] + "." + OTHER.split(".")[1] + "." + GOOD.split(".")[2],
            T,
            InvalidActionToken,
        ),
        (KEY, GOOD[:-4], T, InvalidActionToken),  # truncated
        (KEY, GOOD + "!", T, InvalidActionToken),
        (KEY, "a2" + GOOD[2:], T, InvalidActionToken),  # unknown version
        (KEY, "", T, InvalidActionToken),
        (KEY, "a1..", T, InvalidActionToken),
        (KEY, "not a token at all", T, InvalidActionToken),
    ],
)
def test_action_token_refused(
    secret: bytes, token: str, now: datetime, error: type[Exception]
) -> None:
    with pytest.raises(error) as caught:
        check_action_token(secret, token, now)
    assert "link" in str(caught.value)  # a sentence a person can read


def test_expired_names_when() -> None:
    with pytest.raises(ExpiredActionToken, match="expired at 2026-11-26 12:05 UTC"):
        check_action_token(KEY, GOOD, T + timedelta(hours=2))


@pytest.mark.parametrize(
    ("secret", "incident_id", "action", "expires_at"),
    [
        (b"short", "inc_1", "acknowledge", T),
        (KEY, "", "acknowledge", T),
        (KEY, "inc_1", "", T),
        (KEY, "inc_1", "acknowledge", T.replace(tzinfo=None)),
    ],
)
def test_action_token_bad_arguments(
    secret: bytes, incident_id: str, action: str, expires_at: datetime
) -> None:
    with pytest.raises(ValueError, match="must"):
        make_action_token(secret, incident_id, action, "alice", expires_at)


def _forged(payload: bytes) -> str:
    body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    return f"a1.{body}.{'A' * 43}"


@pytest.mark.parametrize(
    "token",
    [
        _forged(b"[" * 500 + b"]" * 500),  # deep nesting: never decoded
        _forged(b'["inc_7","acknowledge","alice",99999999999]'),  # well-formed, unsigned
        _forged(b"[" * 100_000),  # longer than any token
        "a1." + "A" * 3000 + ".AAAA",
        "a1.a+b/.AAAA",  # not URL-safe base64
    ],
)
def test_a_forged_token_is_refused_before_its_json_is_read(
    token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_: object, **__: object) -> object:
        raise AssertionError("json decoded before the MAC was checked")

    monkeypatch.setattr("ownit.adapters.notifiers.signing.json.loads", never)
    with pytest.raises(InvalidActionToken):
        check_action_token(KEY, token, T)
