"""Settings from environment variables; built by the entry points, never at import time."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from ownit.domain.durations import parse_duration
from ownit.domain.outbound import AllowList, AllowListError

SmtpSecurity = Literal["none", "starttls", "tls"]
_SMTP_SECURITY: dict[str, SmtpSecurity] = {"none": "none", "starttls": "starttls", "tls": "tls"}


class SettingsError(ValueError):
    """An environment variable holds something ownit cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = "sqlite:///./ownit.db"
    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str = "http://127.0.0.1:8080"
    events_rate_limit: int = 6000  # events per minute per routing key; 0 turns it off
    event_retention: timedelta = timedelta(days=7)
    event_retention_max: int = 1_000_000  # raw events kept at most
    batch_max: int = 256
    log_format: str = "text"  # text | json
    log_level: str = "INFO"
    engine_interval: float = 0.2  # seconds between engine cycles
    # While behind and new work keeps arriving, the share of the time the engine works.
    engine_busy_share: float = 0.4
    delivery_lease: timedelta = timedelta(minutes=2)  # a claimed notification's deadline
    contact_rate_limit: int = 5  # messages per contact per minute before bundling; 0: off
    slack_signing_secret: str | None = None
    # Reverse proxies whose X-Forwarded-For is believed (addresses or CIDRs); none by default.
    trusted_proxies: tuple[str, ...] = ()
    # 32 bytes, base64: seals webhook signing secrets at rest (none: they stay plain).
    secret_key: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: SmtpSecurity = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "ownit@localhost"
    # Security (docs/security.md): addresses outgoing calls may reach despite the SSRF rules.
    outbound_allow: AllowList = field(default_factory=AllowList)
    max_body: int = 1024 * 1024  # bytes of request body on any endpoint; events keep 512 KB
    alertmanager_max_body: int = 8 * 1024 * 1024  # one Alertmanager group's body (0054)
    unknown_key_rate_limit: int = 60  # events with unknown keys per client per minute; 0: off
    metrics_token: str | None = None  # when set, /metrics needs it as a bearer token
    session_idle: timedelta = timedelta(days=14)  # a web session ends unused this long
    session_max: timedelta = timedelta(days=30)  # and this long after the login at most

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        base = cls()

        def integer(name: str, default: int) -> int:
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            try:
                return int(raw)
            except ValueError:
                raise SettingsError(f"{name}={raw!r} is not a whole number") from None

        retention = base.event_retention
        if env.get("OWNIT_EVENT_RETENTION"):
            try:
                retention = parse_duration(env["OWNIT_EVENT_RETENTION"])
            except ValueError as exc:
                raise SettingsError(f"OWNIT_EVENT_RETENTION: {exc}") from None
        lease = base.delivery_lease
        if env.get("OWNIT_DELIVERY_LEASE"):
            try:
                lease = parse_duration(env["OWNIT_DELIVERY_LEASE"])
            except ValueError as exc:
                raise SettingsError(f"OWNIT_DELIVERY_LEASE: {exc}") from None
        host = env.get("OWNIT_HOST", base.host)
        port = integer("OWNIT_PORT", base.port)
        log_format = env.get("OWNIT_LOG_FORMAT", base.log_format)
        if log_format not in ("text", "json"):
            raise SettingsError(f"OWNIT_LOG_FORMAT={log_format!r} must be text or json")
        raw_security = env.get("OWNIT_SMTP_SECURITY", base.smtp_security)
        smtp_security = _SMTP_SECURITY.get(raw_security)
        if smtp_security is None:
            raise SettingsError(
                f"OWNIT_SMTP_SECURITY={raw_security!r} must be none, starttls or tls"
            )

        def duration(name: str, default: timedelta) -> timedelta:
            raw = env.get(name)
            if not raw:
                return default
            try:
                value = parse_duration(raw)
            except ValueError as exc:
                raise SettingsError(f"{name}: {exc}") from None
            if value <= timedelta(0):
                raise SettingsError(f"{name}={raw!r} must be longer than zero")
            return value

        busy_share = base.engine_busy_share
        if env.get("OWNIT_ENGINE_BUSY_SHARE"):
            raw = env["OWNIT_ENGINE_BUSY_SHARE"]
            try:
                busy_share = float(raw)
            except ValueError:
                busy_share = -1.0  # not a number: refused below
            if not 0 < busy_share <= 1:
                raise SettingsError(
                    f"OWNIT_ENGINE_BUSY_SHARE={raw!r} must be a number more than 0 and at most 1"
                )
        session_idle = duration("OWNIT_SESSION_IDLE", base.session_idle)
        session_max = duration("OWNIT_SESSION_MAX", base.session_max)
        if session_idle > session_max:
            raise SettingsError("OWNIT_SESSION_IDLE must not be longer than OWNIT_SESSION_MAX")
        try:
            outbound_allow = AllowList.parse(env.get("OWNIT_OUTBOUND_ALLOW", ""))
        except AllowListError as exc:
            raise SettingsError(str(exc)) from None
        proxies = _proxies(env.get("OWNIT_TRUSTED_PROXIES", ""))
        return cls(
            database_url=env.get("OWNIT_DATABASE_URL", base.database_url),
            host=host,
            port=port,
            base_url=env.get("OWNIT_BASE_URL", f"http://{host}:{port}").rstrip("/"),
            events_rate_limit=integer("OWNIT_EVENTS_RATE_LIMIT", base.events_rate_limit),
            event_retention=retention,
            event_retention_max=integer("OWNIT_EVENT_RETENTION_MAX", base.event_retention_max),
            batch_max=integer("OWNIT_BATCH_MAX", base.batch_max),
            log_format=log_format,
            log_level=env.get("OWNIT_LOG_LEVEL", base.log_level).upper(),
            delivery_lease=lease,
            engine_busy_share=busy_share,
            contact_rate_limit=integer("OWNIT_CONTACT_RATE_LIMIT", base.contact_rate_limit),
            slack_signing_secret=env.get("OWNIT_SLACK_SIGNING_SECRET") or None,
            smtp_host=env.get("OWNIT_SMTP_HOST") or None,
            smtp_port=integer("OWNIT_SMTP_PORT", base.smtp_port),
            smtp_security=smtp_security,
            smtp_username=env.get("OWNIT_SMTP_USERNAME") or None,
            smtp_password=env.get("OWNIT_SMTP_PASSWORD") or None,
            smtp_from=env.get("OWNIT_SMTP_FROM", base.smtp_from),
            outbound_allow=outbound_allow,
            max_body=integer("OWNIT_MAX_BODY", base.max_body),
            alertmanager_max_body=integer(
                "OWNIT_ALERTMANAGER_MAX_BODY", base.alertmanager_max_body
            ),
            unknown_key_rate_limit=integer(
                "OWNIT_UNKNOWN_KEY_RATE_LIMIT", base.unknown_key_rate_limit
            ),
            trusted_proxies=proxies,
            metrics_token=env.get("OWNIT_METRICS_TOKEN") or None,
            session_idle=session_idle,
            session_max=session_max,
            secret_key=env.get("OWNIT_SECRET_KEY") or None,
        )


def _proxies(raw: str) -> tuple[str, ...]:
    """``OWNIT_TRUSTED_PROXIES``: addresses or CIDRs, comma-separated, each checked."""
    out = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            out.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise SettingsError(
                f"OWNIT_TRUSTED_PROXIES: {part!r} is not an IP address or CIDR"
            ) from None
    return tuple(out)
