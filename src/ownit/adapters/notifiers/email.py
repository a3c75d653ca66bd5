"""Email over SMTP: a readable text + HTML message per notification. Contact: ``{address}``.

The ``Message-ID`` is derived from the idempotency key (a retry of the same page has the same
id, so mail systems can drop the duplicate); ``X-Ownit-Idempotency-Key`` carries the key
itself. SMTP 4xx answers and connection problems are temporary; 5xx answers are permanent.
"""

from __future__ import annotations

import hashlib
import html
import smtplib
import ssl
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from ownit.adapters.notifiers import NotConfigured, NotifierContext, SmtpSecurity
from ownit.app.notify import (
    ANALYTICS_DIGEST,
    PAGE_EVENTS,
    Delivery,
    DigestMessage,
    Notification,
    alert_lines,
    cause_text,
    change_text,
    context_facts,
    drill_mark,
    facts,
    headline,
    is_web_url,
    label,
    one_line,
    past_text,
)

SmtpFactory = Callable[[str, int, float], smtplib.SMTP]
"""``(host, port, timeout) -> connected client``; for ``tls`` it must return ``SMTP_SSL``."""


def _links(n: Notification) -> list[tuple[str, str]]:
    found = []
    if n.ack_url and n.event_type in PAGE_EVENTS | {"test"}:
        found.append(("Acknowledge", n.ack_url))
    if n.resolve_url and n.event_type != "incident.resolved":
        found.append(("Resolve", n.resolve_url))
    found.append(("Open incident", n.incident_url))
    return found


def _footer(n: Notification) -> str:
    at = n.occurred_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    who = f" for {one_line(n.recipient, 100)}" if n.recipient else ""
    return f"Sent by ownit{who}: {n.event_type} at {at}."


def text_body(notification: Notification) -> str:
    """The plain-text part: what, where, how bad, what to do, and the links."""
    n = notification
    lines = [f"{drill_mark(n)}{label(n)} · #{n.incident_number} {one_line(n.title)}", ""]
    lines += [f"{name + ':':<12} {one_line(value)}" for name, value in facts(n)]
    lines.append("")
    lines += [f"{name + ':':<14} {url}" for name, url in _links(n)]
    lines += _text_context(n)
    if n.details:
        lines += ["", "Details:"]
        lines += [f"  {one_line(k, 100)}: {one_line(v, 1000)}" for k, v in n.details.items()]
    if alert_lines(n):
        lines += ["", "From the monitoring tool:"]
        lines += [f"  {one_line(k, 100)}: {one_line(v, 1000)}" for k, v in alert_lines(n)]
    if n.bundle:
        lines += ["", f"Also in this message ({len(n.bundle)} more):"]
        lines += [f"  #{b.number} {one_line(b.title, 200)}  {b.url}" for b in n.bundle]
    lines += ["", "-- ", _footer(n)]
    return "\n".join(lines) + "\n"


def _text_context(n: Notification) -> list[str]:
    """The first-responder context as text lines (nothing when there is none)."""
    c = n.context
    if c is None:
        return []
    lines = ["", "Context:"]
    for name, value in context_facts(n):
        if name == "Likely cause upstream":
            continue  # listed below, one per line, with links
        lines.append(f"  {name + ':':<12} {one_line(value)}")
    if c.likely_cause:
        lines.append("  Likely cause upstream:")
        lines += [f"    {cause_text(i)}  {i.url}".rstrip() for i in c.likely_cause]
    if c.recent_changes:
        lines.append("  Recent changes (24 h):")
        lines += [f"    {change_text(ch)}  {ch.link or ''}".rstrip() for ch in c.recent_changes]
    if c.similar:
        lines.append("  Similar past incidents:")
        lines += [f"    {past_text(p)}  {p.url}".rstrip() for p in c.similar]
    return lines if len(lines) > 2 else []


def _html_context(n: Notification) -> list[str]:
    c = n.context
    if c is None:
        return []
    esc = html.escape
    rows = [
        f'<tr><th align="left" style="padding-right:1em">{esc(name)}</th>'
        f"<td>{_a(value, value) if name == 'Runbook' else esc(value)}</td></tr>"
        for name, value in context_facts(n)
        if name != "Likely cause upstream"
    ]
    lists = []
    for title, items in (
        ("Likely cause upstream", [(cause_text(i), i.url or None) for i in c.likely_cause]),
        ("Recent changes (24 h)", [(change_text(ch), ch.link) for ch in c.recent_changes]),
        ("Similar past incidents", [(past_text(p), p.url or None) for p in c.similar]),
    ):
        if items:
            shown = "".join(
                f"<li>{_a(url, text) if is_web_url(url) else esc(text)}</li>" for text, url in items
            )
            lists.append(f"<p><strong>{esc(title)}</strong></p><ul>{shown}</ul>")
    if not rows and not lists:
        return []
    return ["<h3>Context</h3>", f"<table>{''.join(rows)}</table>", *lists]


def _a(url: str | None, text: str) -> str:
    """A link for http(s) URLs only (never ``javascript:``); everything escaped."""
    if url is None:
        return html.escape(text)
    if not is_web_url(url):
        return html.escape(url)
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(text)}</a>'


def html_body(notification: Notification) -> str:
    """The HTML part: the same content, every value escaped, only http(s) links clickable."""
    n = notification
    esc = html.escape
    rows = [
        f'<tr><th align="left" style="padding-right:1em">{esc(name)}</th>'
        f"<td>{_a(value, value) if name == 'Runbook' else esc(value)}</td></tr>"
        for name, value in facts(n)
    ]
    rows += [
        f'<tr><th align="left" style="padding-right:1em">{esc(k)}</th><td>{esc(v)}</td></tr>'
        for k, v in [*n.details.items(), *alert_lines(n)]
    ]
    buttons = " &nbsp; ".join(f"<strong>{_a(url, name)}</strong>" for name, url in _links(n))
    parts = [
        '<!DOCTYPE html><html><body style="font-family:sans-serif">',
        f"<h2>{esc(drill_mark(n) + label(n))} · #{n.incident_number} {esc(one_line(n.title))}</h2>",
        f"<table>{''.join(rows)}</table>",
        f"<p>{buttons}</p>",
        *_html_context(n),
    ]
    if n.bundle:
        items = "".join(f"<li>{_a(b.url, f'#{b.number} {b.title}')}</li>" for b in n.bundle)
        parts.append(f"<p>Also in this message ({len(n.bundle)} more):</p><ul>{items}</ul>")
    parts.append(f'<p style="color:#666">{esc(_footer(n))}</p></body></html>')
    return "\n".join(parts) + "\n"


def _domain(sender: str) -> str:
    domain = sender.rpartition("@")[2].strip(" >")
    return domain if domain and domain.isascii() and "@" in sender else "ownit.invalid"


def _valid_address(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(at and local and domain) and address == one_line(address) and " " not in address


def _address_of(contact: Mapping[str, str]) -> str | Delivery:
    """The contact's address, or the rejection a contact without a valid one gets."""
    to = contact.get("address", "")
    if _valid_address(to):
        return to
    return Delivery.rejected(f"email contact {contact.get('name', 'email')!r} has no valid address")


def build_message(
    notification: Notification, *, sender: str, to: str, now: datetime
) -> EmailMessage:
    """The message: subject ``[ownit] #42 HIGH checkout-api: Disk full on db-1``, a text part
    and an HTML alternative, threaded per incident by ``References``."""
    n = notification
    domain = _domain(sender)
    digest = hashlib.sha256(n.idempotency_key.encode()).hexdigest()[:40]
    incident_ref = hashlib.sha256(n.incident_id.encode()).hexdigest()[:24]
    msg = EmailMessage()
    msg["Subject"] = drill_mark(n) + "[ownit] " + headline(n)
    msg["From"] = sender
    msg["To"] = to
    msg["Date"] = format_datetime(now.astimezone(UTC))
    msg["Message-ID"] = f"<ownit.{digest}@{domain}>"
    msg["References"] = f"<incident.{incident_ref}@{domain}>"
    msg["X-Ownit-Idempotency-Key"] = one_line(n.idempotency_key, 500)
    msg["X-Ownit-Incident"] = one_line(f"{n.incident_id} #{n.incident_number}", 200)
    msg["X-Ownit-Event"] = one_line(n.event_type, 100)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to pages
    if n.urgency == "high" and n.event_type in PAGE_EVENTS:
        msg["Importance"] = "high"
        msg["X-Priority"] = "1"
    msg.set_content(text_body(n))
    msg.add_alternative(html_body(n), subtype="html")
    return msg


def build_digest(digest: DigestMessage, *, sender: str, to: str, now: datetime) -> EmailMessage:
    """A digest: its subject and text as queued, one text part; the ``Message-ID`` from the
    idempotency key (a retry has the same one)."""
    domain = _domain(sender)
    key = hashlib.sha256(digest.idempotency_key.encode()).hexdigest()[:40]
    msg = EmailMessage()
    msg["Subject"] = "[ownit] " + one_line(digest.subject or "weekly digest", 200)
    msg["From"] = sender
    msg["To"] = to
    msg["Date"] = format_datetime(now.astimezone(UTC))
    msg["Message-ID"] = f"<ownit.{key}@{domain}>"
    msg["X-Ownit-Idempotency-Key"] = one_line(digest.idempotency_key, 500)
    msg["X-Ownit-Event"] = ANALYTICS_DIGEST
    msg["Auto-Submitted"] = "auto-generated"
    at = digest.occurred_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    footer = (
        f"-- \nSent by ownit for {one_line(digest.recipient, 100)}: {ANALYTICS_DIGEST} at {at}.\n"
    )
    msg.set_content(digest.text.rstrip("\n") + "\n\n" + footer)
    return msg


def _smtp_failure(what: str, server: str, exc: Exception) -> Delivery:
    """4xx answers and connection problems are temporary; 5xx answers are permanent."""
    raw: bytes | str
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, raw = next(iter(exc.recipients.values()), (0, b""))
    elif isinstance(exc, smtplib.SMTPResponseException):
        code, raw = exc.smtp_code, exc.smtp_error
    elif isinstance(exc, smtplib.SMTPNotSupportedError):
        return Delivery.rejected(f"{what}: {server} does not support it: {one_line(str(exc))}")
    else:
        reason = one_line(str(exc), 200) or type(exc).__name__
        if isinstance(exc, ssl.SSLError):
            return Delivery.temporary(f"{what}: TLS with {server} failed: {reason}")
        return Delivery.temporary(f"{what}: {server} could not be reached: {reason}")
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    detail = f"{what} refused by {server}: {code} {one_line(text, 200)}".rstrip()
    if 500 <= code < 600:
        return Delivery.rejected(detail)
    return Delivery.temporary(detail)


class EmailNotifier:
    """Sends one message per notification through an SMTP relay (a new connection each time:
    pages are rare and a stale pooled connection is the usual reason mail is lost)."""

    channel: str = "email"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: SmtpSecurity,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        smtp_factory: SmtpFactory | None = None,
        ssl_context: ssl.SSLContext | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        if security not in ("none", "starttls", "tls"):
            raise ValueError(f"SMTP security must be none, starttls or tls, not {security!r}")
        if not _valid_address(sender.rpartition("<")[2].rstrip(">")):
            raise ValueError(f"SMTP sender {sender!r} is not an email address")
        self._host = host
        self._port = port
        self._security = security
        self._sender = sender
        self._username = username
        self._password = password
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._factory = smtp_factory
        self._ssl = ssl_context if ssl_context is not None else ssl.create_default_context()
        self._now = now if now is not None else lambda: datetime.now(UTC)

    @property
    def server(self) -> str:
        return f"{self._host}:{self._port}"

    def _connect(self) -> smtplib.SMTP:
        """A connected client: ``connect_timeout`` for the connection (and, for ``tls``, the
        handshake), then ``timeout`` for every answer."""
        if self._factory is not None:
            return self._factory(self._host, self._port, self._timeout)
        # The constructors connect and read the greeting (refusing anything but 220).
        smtp = (
            smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._connect_timeout, context=self._ssl
            )
            if self._security == "tls"
            else smtplib.SMTP(self._host, self._port, timeout=self._connect_timeout)
        )
        smtp.timeout = self._timeout
        if smtp.sock is not None:
            smtp.sock.settimeout(self._timeout)
        return smtp

    def send(self, notification: Notification, contact: Mapping[str, str]) -> Delivery:
        to = _address_of(contact)
        if isinstance(to, Delivery):
            return to
        msg = build_message(notification, sender=self._sender, to=to, now=self._now())
        return self._transmit(msg, to)

    def send_digest(self, digest: DigestMessage, contact: Mapping[str, str]) -> Delivery:
        """The weekly analytics digest (``ANALYTICS_DIGEST``): its text as queued."""
        to = _address_of(contact)
        if isinstance(to, Delivery):
            return to
        msg = build_digest(digest, sender=self._sender, to=to, now=self._now())
        return self._transmit(msg, to)

    def _transmit(self, msg: EmailMessage, to: str) -> Delivery:
        what = f"email to {to}"
        try:
            smtp = self._connect()
        except (smtplib.SMTPException, OSError) as exc:
            return _smtp_failure(what, self.server, exc)
        try:
            if self._security == "starttls":
                smtp.starttls(context=self._ssl)
            if self._username is not None:
                smtp.login(self._username, self._password or "")
            smtp.send_message(msg, to_addrs=[to])
        except (smtplib.SMTPException, OSError) as exc:
            return _smtp_failure(what, self.server, exc)
        finally:
            _close(smtp)
        return Delivery.sent(f"{what} accepted by {self.server}")


def _close(smtp: smtplib.SMTP) -> None:
    """Say goodbye politely if the server still listens; close the socket either way. (A
    failing QUIT after an accepted message changes nothing: the message was accepted.)"""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def create(context: NotifierContext) -> EmailNotifier:
    """The registry's factory (entry point ``email``); needs SMTP settings."""
    smtp = context.smtp
    if smtp is None:
        raise NotConfigured("email needs SMTP settings (host, port, sender)")
    return EmailNotifier(
        smtp.host,
        smtp.port,
        security=smtp.security,
        sender=smtp.sender,
        username=smtp.username,
        password=smtp.password,
        timeout=smtp.timeout,
        connect_timeout=smtp.connect_timeout,
        now=context.now,
    )
