"""Never silent, the pure rules: each reason's state, and what a failed page's words mean."""

from __future__ import annotations

import pytest

from ownit.domain.paging import REASONS, Paging, delivery_failure_reason, fallback_key, reason


@pytest.mark.parametrize(
    ("details", "code"),
    [
        (["could not notify alice by email (mail): no notifier for it"], "no-notifier"),
        (
            [
                "could not notify alice by email (mail): no notifier for it",
                "could not notify bob by push (phone): no notifier for it",
            ],
            "no-notifier",
        ),
        (
            [
                "could not notify alice by email (mail): no notifier for it",
                "could not notify alice by webhook (hook): webhook http://x answered 400",
            ],
            "all-contacts-failed",
        ),
        (
            [
                "could not notify alice by webhook (hook): refused: 10.0.0.1 is a private "
                "address; allow it with OWNIT_OUTBOUND_ALLOW; not retried"
            ],
            "refused-address",
        ),
        (
            ["could not notify alice by webhook (hook): answered 410; not retried"],
            "all-contacts-failed",
        ),
        ([], "all-contacts-failed"),
    ],
)
def test_why_a_page_did_not_go_out(details: list[str], code: str) -> None:
    assert delivery_failure_reason(details) == code


@pytest.mark.parametrize("code", sorted(REASONS))
def test_every_reason_is_a_not_ok_state_with_words_and_a_fix(code: str) -> None:
    found = reason(code)
    assert found.code == code
    assert found.paging in (Paging.FAILED, Paging.NOBODY)
    assert found.words
    assert found.fix


def test_the_reasons_are_those_the_docs_explain() -> None:
    assert sorted(REASONS) == [
        "all-contacts-failed",
        "invalid-policy",
        "no-contact",
        "no-notifier",
        "no-policy",
        "nobody-on-call",
        "refused-address",
    ]


def test_fallback_keys_differ_per_tier_user_and_contact() -> None:
    keys = {
        fallback_key("inc_1", tier, user, contact)
        for tier in ("managers", "admins")
        for user in ("a", "b")
        for contact in ("hook", "mail")
    }
    assert len(keys) == 8
    assert all(k.startswith("inc_1:fallback:") for k in keys)
