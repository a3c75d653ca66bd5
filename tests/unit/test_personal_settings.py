"""Decision 0014: the catalog owns the contacts and rules it states; the person owns the rest."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from ownit.adapters.catalog.yaml_source import load_text
from ownit.adapters.db.catalog_tables import personal_of
from ownit.app import personal
from ownit.domain.catalog import (
    Contact,
    NotificationRule,
    Snapshot,
    User,
    plan,
    to_document,
    validate,
)

BARE = """\
apiVersion: ownit/v1
kind: User
metadata: {name: alice}
spec: {email: alice@example.com}
"""
CONTACTS = """\
apiVersion: ownit/v1
kind: User
metadata: {name: alice}
spec:
  email: alice@example.com
  contacts: [{name: pager, type: email, address: pager@example.com}]
"""

MINE = User(
    "alice",
    email="alice@example.com",
    contacts=(
        Contact("pager", "email", address="alice@home.example"),
        Contact("phone", "push", url="https://ntfy.sh/alice"),
    ),
    notification_rules=(
        NotificationRule("phone", timedelta(0)),
        NotificationRule("pager", timedelta(minutes=5)),
    ),
    personal=frozenset({"contacts", "notificationRules", "statusUpdates"}),
)


def planned(text: str, stored: User | None) -> User:
    existing = Snapshot(users={"alice": stored} if stored else {})
    result = validate(load_text(text, "people.yaml").documents, existing)
    assert result.problems == ()
    [change] = plan(result.documents, existing, source="catalog").changes
    assert isinstance(change.obj, User)
    return change.obj


def test_a_document_that_leaves_them_unsaid_keeps_the_persons_own() -> None:
    user = planned(BARE, MINE)
    assert user.contacts == MINE.contacts
    assert user.notification_rules == MINE.notification_rules
    assert user.personal == {"contacts", "notificationRules", "statusUpdates"}
    exported = to_document(user)["spec"]
    assert isinstance(exported, dict)
    assert "contacts" not in exported  # not the catalog's to export
    new = planned(BARE, None)
    assert new.contacts == ()
    assert new.personal == {"contacts", "notificationRules", "statusUpdates"}


def test_what_the_document_states_wins_and_rules_on_dropped_contacts_go() -> None:
    user = planned(CONTACTS, MINE)
    assert [c.address for c in user.contacts] == ["pager@example.com"]
    assert user.notification_rules == (NotificationRule("pager", timedelta(minutes=5)),)
    assert user.personal == {"notificationRules", "statusUpdates"}
    spec = to_document(user)["spec"]
    assert isinstance(spec, dict)
    assert "contacts" in spec
    assert "notificationRules" not in spec


def test_a_change_of_owner_shows_in_the_plan() -> None:
    stored = dataclasses.replace(MINE, contacts=(Contact("pager", "email", "pager@example.com"),))
    stored = dataclasses.replace(stored, notification_rules=())
    existing = Snapshot(users={"alice": stored}, sources={("User", "alice"): "catalog"})
    result = validate(load_text(CONTACTS, "people.yaml").documents, existing)
    [change] = plan(result.documents, existing, source="catalog").changes
    assert change.action == "update"
    assert [(f.path, f.old, f.new) for f in change.fields] == [
        (
            "personal",
            "contacts, notificationRules, statusUpdates",
            "notificationRules, statusUpdates",
        )
    ]


# --- the use cases behind the Me page ----------------------------------------------------------


class Store:
    """The person's row in memory, written only where it is theirs (as the SQL store does)."""

    def __init__(self, user: User, source: str | None = "catalog") -> None:
        self.user = user
        self.source = source
        self.writes = 0

    def user_settings(self, name: str) -> personal.Settings | None:
        return personal.Settings(self.user, self.source) if name == self.user.name else None

    def save_personal(self, user: User, *, at: datetime) -> bool:
        self.writes += 1
        self.user = user
        return True


NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_contacts_are_checked_whole_and_nothing_is_written_on_a_problem() -> None:
    store = Store(MINE)
    with pytest.raises(personal.SettingsError) as caught:
        personal.add_contact(
            store=store, user="alice", name="pager", type="slack", value="nope", at=NOW
        )
    assert caught.value.problems == {
        "name": "you already have a contact named 'pager'",
        "value": "is not an http(s) URL",
    }
    assert store.writes == 0
    made = personal.add_contact(
        store=store, user="alice", name="hook", type="webhook", value="https://h.example/x", at=NOW
    )
    assert made.secret is not None
    assert made.secret.startswith("whsec_")
    assert [c.name for c in store.user.contacts] == ["pager", "phone", "hook"]


def test_rules_name_a_contact_with_a_delay_up_to_a_day() -> None:
    store = Store(dataclasses.replace(MINE, notification_rules=()))
    personal.add_rule(store=store, user="alice", contact="phone", after="", at=NOW)
    for contact, after, field in (
        ("phone", "0m", "after"),  # the same rule twice
        ("fax", "5m", "contact"),
        ("pager", "2d", "after"),
        ("pager", "5 minutes", "after"),
    ):
        with pytest.raises(personal.SettingsError) as caught:
            personal.add_rule(store=store, user="alice", contact=contact, after=after, at=NOW)
        assert caught.value.field == field
    personal.add_rule(store=store, user="alice", contact="pager", after="1h", at=NOW)
    personal.move_rule(store=store, user="alice", index=1, by=-1, at=NOW)
    assert list(store.user.notification_rules) == [
        NotificationRule("pager", timedelta(hours=1)),
        NotificationRule("phone", timedelta(0)),
    ]
    personal.remove_contact(store=store, user="alice", name="pager", at=NOW)
    assert list(store.user.notification_rules) == [NotificationRule("phone", timedelta(0))]
    with pytest.raises(personal.SettingsError, match="that rule is gone"):
        personal.remove_rule(store=store, user="alice", index=3, at=NOW)


def test_what_the_catalog_owns_cannot_be_edited_here() -> None:
    store = Store(dataclasses.replace(MINE, personal=frozenset({"contacts"})))
    with pytest.raises(personal.SettingsError, match="rules are managed in the catalog"):
        personal.add_rule(store=store, user="alice", contact="phone", after="0", at=NOW)
    with pytest.raises(personal.SettingsError, match="used by a notification rule managed"):
        personal.remove_contact(store=store, user="alice", name="phone", at=NOW)
    catalog_owned = Store(dataclasses.replace(MINE, personal=frozenset()))
    with pytest.raises(personal.SettingsError, match="contacts are managed in the catalog"):
        personal.add_contact(
            store=catalog_owned, user="alice", name="x", type="email", value="x@y.example", at=NOW
        )
    assert store.writes == catalog_owned.writes == 0


def test_a_reminder_on_the_same_contact_is_a_rule_of_its_own() -> None:
    """The catalog and the Me page agree: another delay on one contact is welcome, the same
    contact and delay twice is refused, each naming the field."""
    store = Store(dataclasses.replace(MINE, notification_rules=()))
    personal.add_rule(store=store, user="alice", contact="phone", after="0m", at=NOW)
    personal.add_rule(store=store, user="alice", contact="phone", after="20s", at=NOW)
    assert list(store.user.notification_rules) == [
        NotificationRule("phone", timedelta(0)),
        NotificationRule("phone", timedelta(seconds=20)),
    ]
    with pytest.raises(personal.SettingsError) as caught:
        personal.add_rule(store=store, user="alice", contact="phone", after="20s", at=NOW)
    assert caught.value.problems == {
        "after": "your rule 2 already notifies 'phone' after 20s; "
        "a reminder on the same contact needs another delay"
    }
    assert store.writes == 2

    def lint(rules: str) -> tuple[str, ...]:
        text = CONTACTS.replace("  contacts:", f"  notificationRules: {rules}\n  contacts:")
        return tuple(str(p) for p in validate(load_text(text, "people.yaml").documents).problems)

    assert lint("[{contact: pager}, {contact: pager, after: 20s}]") == ()
    assert lint("[{contact: pager, after: 20s}, {contact: pager, after: 20s}]") == (
        'people.yaml:6: notificationRules[1]: "pager" after 20s is already '
        "notificationRules[0]; a reminder on the same contact needs another delay",
    )


def test_status_updates_name_contacts_in_the_catalog_and_on_the_me_page() -> None:
    store = Store(MINE)
    personal.set_status_updates(store=store, user="alice", contacts=["phone", "phone"], at=NOW)
    assert list(store.user.status_updates) == ["phone"]
    with pytest.raises(personal.SettingsError) as caught:
        personal.set_status_updates(store=store, user="alice", contacts=["fax"], at=NOW)
    assert caught.value.problems == {"updates": "you have no contact named 'fax'"}
    personal.remove_contact(store=store, user="alice", name="phone", at=NOW)
    assert list(store.user.status_updates) == []
    owned = Store(dataclasses.replace(MINE, personal=frozenset({"contacts"})))
    with pytest.raises(personal.SettingsError, match="managed in the catalog"):
        personal.set_status_updates(store=owned, user="alice", contacts=[], at=NOW)

    text = CONTACTS + "  statusUpdates: [pager, fax]\n"
    problems = [str(p) for p in validate(load_text(text, "people.yaml").documents).problems]
    assert problems == ['people.yaml:7: statusUpdates[1] "fax" is not one of this user\'s contacts']
    [doc] = validate(
        load_text(CONTACTS + "  statusUpdates: [pager]\n", "p.yaml").documents
    ).documents
    assert isinstance(doc.obj, User)
    assert doc.obj.status_updates == ("pager",)
    spec = to_document(doc.obj)["spec"]
    assert isinstance(spec, dict)
    assert spec["statusUpdates"] == ["pager"]


@pytest.mark.parametrize(
    ("stored", "personal_fields"),
    [
        # marked before statusUpdates existed: it is the person's, unless the catalog wrote it
        ({"x-personal": ["contacts"]}, {"contacts", "statusUpdates"}),
        ({"x-personal": ["contacts"], "statusUpdates": ["hook"]}, {"contacts"}),
        (
            {"x-personal": ["contacts", "statusUpdates"], "statusUpdates": ["hook"]},
            {"contacts", "statusUpdates"},
        ),
        # never marked: every field the spec leaves out
        ({"contacts": []}, {"notificationRules", "statusUpdates"}),
    ],
)
def test_which_stored_fields_are_the_persons(
    stored: dict[str, object], personal_fields: set[str]
) -> None:
    assert personal_of(stored) == personal_fields
