"""Opening the database: migrations, the engine, and the stores typed to the app's ports."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from ownit.adapters.db.account_store import SqlAccountStore
from ownit.adapters.db.analytics_store import SqlAnalyticsStore
from ownit.adapters.db.audit_log import SqlAuditLog
from ownit.adapters.db.baseline_store import SqlBaselineStore
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.digest_store import SqlDigestOutbox
from ownit.adapters.db.directory import SqlDirectory
from ownit.adapters.db.drill_store import SqlDrillStore
from ownit.adapters.db.engine import is_sqlite, make_engine, read_only
from ownit.adapters.db.event_log import SqlEventLog
from ownit.adapters.db.gameday_store import SqlGameDayStore
from ownit.adapters.db.heartbeat_store import SqlHeartbeatStore
from ownit.adapters.db.history_store import SqlHistory
from ownit.adapters.db.incident_store import SqlIncidentStore
from ownit.adapters.db.maintenance_store import SqlMaintenanceStore
from ownit.adapters.db.migrate import current_revision, head_revision, upgrade
from ownit.adapters.db.oncall_store import SqlScheduleStore
from ownit.adapters.db.org_settings_store import SqlOrgSettings
from ownit.adapters.db.people_store import SqlPeopleStore
from ownit.adapters.db.postmortem_store import SqlPostmortemStore
from ownit.adapters.db.router_store import SqlRouterStore
from ownit.adapters.db.secret_box import SecretBox, parse_key, seal_stored, sealed_problem
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.adapters.db.wakeup import WorkBell
from ownit.adapters.db.work_store import SqlWorkStore
from ownit.adapters.passwords import Argon2Hasher
from ownit.app import oncall
from ownit.app.accounts import AccountStore, PasswordHasher
from ownit.app.analytics import AnalyticsStore
from ownit.app.audit import AuditLog
from ownit.app.baselines import BaselineStore
from ownit.app.calendar_feed import ScheduleFeedStore
from ownit.app.catalog import CatalogStore
from ownit.app.clock import SystemClock
from ownit.app.dependencies import History
from ownit.app.digests import DigestOutbox
from ownit.app.directory import Directory
from ownit.app.drills import DrillStore
from ownit.app.escalations import ManualEscalations, OnCallLookup
from ownit.app.event_log import EventLog
from ownit.app.gamedays import GameDayStore
from ownit.app.heartbeats import HeartbeatStore
from ownit.app.incidents import IncidentStore
from ownit.app.invitations import PeopleStore
from ownit.app.maintenance import MaintenanceStore
from ownit.app.org_settings import OrgSettingsStore
from ownit.app.postmortems import PostmortemStore
from ownit.app.routing import RouterDirectory
from ownit.app.standards import Sources as StandardsSources
from ownit.app.standards_records import LearningRecords
from ownit.app.tokens import TokenStore
from ownit.settings import Settings

ACTION_SECRET = "action-links"  # noqa: S105 - the name of a secret, not a secret
log = logging.getLogger("ownit")


class BootstrapError(Exception):
    """ownit cannot start: the message says why, in a line."""

    exit_code = 1


def open_database(settings: Settings, *, migrate: bool = True) -> Engine:
    """An engine on the configured database, migrated to the newest schema unless told not to."""
    engine = make_engine(settings.database_url)
    try:
        if migrate:
            upgrade(engine)
        else:
            with engine.connect():
                pass
    except OperationalError as exc:
        engine.dispose()
        raise BootstrapError(
            f"cannot open the database {settings.database_url!r}: {exc.orig}"
        ) from None
    try:
        problem = sealed_problem(engine, secret_box(settings))
    except SQLAlchemyError:
        problem = None  # no schema yet: nothing sealed
    except BootstrapError:
        engine.dispose()
        raise
    if problem is not None:
        engine.dispose()
        raise BootstrapError(problem)
    return engine


@contextmanager
def database(settings: Settings, *, migrate: bool = True) -> Iterator[Database]:
    """The configured database for one command: opened (and migrated unless told not to) at
    the start, closed at the end."""
    engine = open_database(settings, migrate=migrate)
    try:
        yield Database(engine, box=secret_box(settings))
    finally:
        engine.dispose()


@contextmanager
def existing_database(settings: Settings) -> Iterator[Database | None]:
    """The configured database if it exists and has a schema, else ``None``; never creates
    one, never migrates it; closed at the end."""
    engine = _existing_engine(settings)
    if engine is None:
        yield None
        return
    try:
        yield Database(engine, box=secret_box(settings))
    finally:
        engine.dispose()


def _existing_engine(settings: Settings) -> Engine | None:
    """The configured database if it exists and has a schema; never creates one."""
    url = settings.database_url
    try:
        if is_sqlite(url):
            path = make_url(url).database
            if not path or path == ":memory:" or not Path(path).exists():
                return None
        engine = open_database(settings, migrate=False)
    except (BootstrapError, SQLAlchemyError):
        return None
    try:
        if current_revision(engine) is not None:
            return engine
    except SQLAlchemyError:
        pass
    engine.dispose()
    return None


def newest_revision() -> str | None:
    """The schema revision the newest migration makes."""
    return head_revision()


def secret_box(settings: Settings) -> SecretBox | None:
    """What seals webhook signing secrets at rest (``OWNIT_SECRET_KEY``; none: plain text)."""
    if not settings.secret_key:
        return None
    try:
        return SecretBox(parse_key(settings.secret_key))
    except ValueError as exc:
        raise BootstrapError(f"OWNIT_SECRET_KEY {exc}") from None


def password_hasher() -> PasswordHasher:
    """How web login passwords are hashed and checked (Argon2)."""
    return Argon2Hasher()


class Database:
    """One open database as a command uses it: its stores, typed to the app's ports (each
    made on first use), who is on call, and its schema revision."""

    def __init__(self, engine: Engine, *, box: SecretBox | None = None) -> None:
        self.engine = engine
        self.box = box

    def upgrade(self) -> None:
        """Apply every migration not yet applied."""
        upgrade(self.engine)

    def revision(self) -> str | None:
        """The schema revision of the database (``None``: no schema yet)."""
        return current_revision(self.engine)

    def seal_secrets(self) -> int:
        """Encrypt the webhook secrets still stored in plain text (``OWNIT_SECRET_KEY`` must
        be set); returns how many users' contacts changed."""
        if self.box is None:
            raise BootstrapError("set OWNIT_SECRET_KEY first (openssl rand -base64 32)")
        return seal_stored(self.engine, self.box)

    @cached_property
    def accounts(self) -> AccountStore:
        return SqlAccountStore(self.engine)

    @cached_property
    def audit(self) -> AuditLog:
        return SqlAuditLog(self.engine)

    @cached_property
    def analytics(self) -> AnalyticsStore:
        return SqlAnalyticsStore(self.engine)

    @cached_property
    def baselines(self) -> BaselineStore:
        return SqlBaselineStore(self.engine)

    @cached_property
    def digests(self) -> DigestOutbox:
        return SqlDigestOutbox(self.engine)

    @cached_property
    def standards(self) -> StandardsSources:
        """What the standards report reads: catalog, schedules, analytics, postmortems."""
        return StandardsSources(
            self.catalog,
            self.schedules,
            self.analytics,
            LearningRecords(self.postmortems, self.drills, SystemClock()),
        )

    @cached_property
    def catalog(self) -> CatalogStore:
        return SqlCatalogStore(self.engine, box=self.box)

    @cached_property
    def directory(self) -> Directory:
        return SqlDirectory(self.engine)

    @cached_property
    def escalations(self) -> ManualEscalations:
        return SqlWorkStore(self.engine, box=self.box)

    @cached_property
    def events(self) -> EventLog:
        return SqlEventLog(self.engine)

    @cached_property
    def drills(self) -> DrillStore:
        return SqlDrillStore(self.engine, bell=WorkBell(self.engine))

    @cached_property
    def gamedays(self) -> GameDayStore:
        return SqlGameDayStore(self.engine)

    @cached_property
    def heartbeats(self) -> HeartbeatStore:
        return SqlHeartbeatStore(self.engine)

    @cached_property
    def history(self) -> History:
        return SqlHistory(self.engine)

    @cached_property
    def incidents(self) -> IncidentStore:
        return SqlIncidentStore(self.engine)

    @cached_property
    def maintenance(self) -> MaintenanceStore:
        return SqlMaintenanceStore(self.engine)

    @cached_property
    def org_settings(self) -> OrgSettingsStore:
        return SqlOrgSettings(self.engine)

    @cached_property
    def postmortems(self) -> PostmortemStore:
        return SqlPostmortemStore(self.engine)

    @cached_property
    def people(self) -> PeopleStore:
        return SqlPeopleStore(self.engine)

    @cached_property
    def routers(self) -> RouterDirectory:
        return SqlRouterStore(self.engine)

    @cached_property
    def schedules(self) -> ScheduleFeedStore:
        return SqlScheduleStore(self.engine)

    @cached_property
    def tokens(self) -> TokenStore:
        return SqlTokenStore(self.engine)

    @cached_property
    def on_call(self) -> OnCallLookup:
        return on_call_lookup(self.engine)


def on_call_lookup(engine: Engine) -> OnCallLookup:
    """Who is on call in a schedule at an instant, read from the database (nobody for a
    schedule that does not exist)."""
    store = SqlScheduleStore(read_only(engine))

    def lookup(name: str, at: datetime) -> tuple[str, ...]:
        return oncall.on_call_names(store=store, name=name, at=at)

    return lookup
