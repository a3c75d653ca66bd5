"""What the pages need, and the request-level pieces: the signed-in session, forms, CSRF."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from fastapi import Request

from ownit.app import accounts, audit
from ownit.app.accounts import (
    AccountStore,
    LoginLimits,
    LoginThrottleStore,
    PasswordHasher,
    SessionPolicy,
    WebSession,
)
from ownit.app.analytics import AnalyticsStore
from ownit.app.audit import AuditLog
from ownit.app.baselines import BaselineStore
from ownit.app.calendar_feed import ScheduleFeedStore
from ownit.app.catalog_view import CatalogView
from ownit.app.clock import Clock
from ownit.app.dependencies import History
from ownit.app.directory import Directory
from ownit.app.drills import DrillStore
from ownit.app.escalations import EscalationView, ManualEscalations, OnCallLookup
from ownit.app.event_log import EventLog
from ownit.app.incidents import IncidentStore
from ownit.app.invitations import PeopleStore
from ownit.app.notify import Notifier
from ownit.app.oncall import ScheduleStore
from ownit.app.org_settings import OrgSettingsStore
from ownit.app.paging_health import Report
from ownit.app.personal import PersonalSettingsStore
from ownit.app.postmortems import PostmortemStore
from ownit.app.rate_limits import MemoryRateLimits, RateLimitStore
from ownit.app.standards import Sources as StandardsSources
from ownit.app.tokens import TokenStore

MAX_FORM = 64 * 1024


@dataclass
class WebDeps:
    accounts: AccountStore
    hasher: PasswordHasher
    incidents: IncidentStore
    directory: Directory
    schedules: ScheduleFeedStore
    clock: Clock
    throttle: LoginThrottleStore  # login attempts, counted in the database
    secure_cookies: bool = False  # the base URL is https
    limits: LoginLimits = field(default_factory=LoginLimits)
    policy: SessionPolicy = field(default_factory=SessionPolicy)
    poll_seconds: int = 5
    # Pages computed at once (page_gate.py); 0: no gate, every page in its own thread.
    page_concurrency: int = 1
    # Schedules, the Me page and the incident page's reassign/escalate (issue 5):
    escalations: ManualEscalations | None = None
    escalation_view: EscalationView | None = None
    on_call: OnCallLookup | None = None
    personal: PersonalSettingsStore | None = None
    # The notifiers that deliver pages, and why the others are off (for test notifications).
    notifiers: Callable[[], tuple[dict[str, Notifier], dict[str, str]]] | None = None
    base_url: str = "http://127.0.0.1:8080"
    # The catalog pages: services, teams, escalation policies (catalog_pages.py).
    catalog: CatalogView | None = None
    history: History | None = None
    # The incidents and schedules again, for pages that only read them (the service page):
    # wired on the read-only engine, so on SQLite they do not queue for the write lock.
    incident_reads: IncidentStore | None = None
    schedule_reads: ScheduleStore | None = None
    # API tokens and people (token_pages.py, people_pages.py).
    tokens: TokenStore | None = None
    people: PeopleStore | None = None
    # Raw events: why an incident's events came where they did (incident page).
    events: EventLog | None = None
    # Never silent: what would stop a page (health_pages.py), a fresh report each call.
    paging_report: Callable[[], Report] | None = None
    # Security (docs/security.md): the warning for a contact URL that outgoing calls would
    # refuse, and test notifications allowed per person per minute.
    outbound_warning: Callable[[str], str | None] | None = None
    # Counted in the database by a server (decision 0055), shared by its processes.
    rate_limits: RateLimitStore = field(default_factory=MemoryRateLimits)
    # The audit log, for admins (audit_pages.py).
    audit: AuditLog | None = None
    # The analytics page (analytics_pages.py).
    analytics: AnalyticsStore | None = None
    baselines: BaselineStore | None = None  # flags on service and team pages
    # Postmortems (postmortem_pages.py).
    postmortems: PostmortemStore | None = None
    # Ownership standards: the /standards page and the badge on service pages.
    standards: StandardsSources | None = None
    # The drills pages (drill_pages.py).
    drills: DrillStore | None = None
    # The organisation's settings, for admins (settings_pages.py).
    org_settings: OrgSettingsStore | None = None

    @property
    def session_cookie(self) -> str:
        # __Host-: only ever sent to this host, over https, for every path.
        return "__Host-ownit_session" if self.secure_cookies else "ownit_session"

    @property
    def login_cookie(self) -> str:
        return "__Host-ownit_login" if self.secure_cookies else "ownit_login"


class LoginRequired(Exception):
    """No live session: pages redirect to the login page, htmx requests are told to."""


class CsrfRefused(Exception):
    """A POST without the session's CSRF token."""


class FormTooLarge(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Form:
    fields: dict[str, list[str]]

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0] if values else default

    def all(self, name: str) -> list[str]:
        return list(self.fields.get(name, ()))


async def read_form(request: Request) -> Form:
    """An ``application/x-www-form-urlencoded`` body (the only kind the pages send)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            raise FormTooLarge
    if kind != "application/x-www-form-urlencoded":
        return Form({})
    text = body.decode("utf-8", errors="replace")
    return Form(parse_qs(text, keep_blank_values=True, max_num_fields=1000))


def client_of(request: Request) -> str:
    """The client's address: as the app's middleware found it (trusted proxies believed),
    else the peer's."""
    found = request.scope.get("state", {}).get("client_address")
    if isinstance(found, str):
        return found
    return request.client.host if request.client else "unknown"


def session_of(deps: WebDeps, request: Request) -> WebSession | None:
    session_id = request.cookies.get(deps.session_cookie, "")
    return accounts.current_session(
        store=deps.accounts, clock=deps.clock, session_id=session_id, policy=deps.policy
    )


def signed_in(deps: WebDeps) -> Callable[[Request], WebSession]:
    """A FastAPI dependency: the request's live session, or :class:`LoginRequired`."""

    def current(request: Request) -> WebSession:
        found = session_of(deps, request)
        if found is None:
            raise LoginRequired
        audit.acting_as(found.account.actor)
        return found

    return current


def check_csrf(session: WebSession, request: Request, form: Form) -> None:
    """The form's ``csrf`` field or the ``X-CSRF-Token`` header (htmx) must be the session's."""
    sent = form.get("csrf") or request.headers.get("x-csrf-token", "")
    if not sent or not secrets.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise CsrfRefused
