"""From one positioned document to one catalog object, reporting every shape problem."""

from __future__ import annotations

import re
from datetime import timedelta

from ownit.domain.catalog.drill_kind import DRILL_FIELDS, parse_drill
from ownit.domain.catalog.fields import Fields, Reader, quote, suggest
from ownit.domain.catalog.gameday_kind import GAMEDAY_FIELDS, parse_gameday
from ownit.domain.catalog.model import (
    API_VERSION,
    CONTACT_TYPES,
    INTEGRATION_TYPES,
    KINDS,
    LIFECYCLES,
    ROLES,
    URGENCIES,
    CatalogObject,
    Contact,
    Contract,
    DocLink,
    Document,
    EscalationPolicy,
    Grouping,
    Integration,
    Member,
    Node,
    NotificationRule,
    PolicyLevel,
    PolicyTarget,
    Problem,
    RawDocument,
    Service,
    Team,
    User,
)
from ownit.domain.catalog.operations import (
    HEARTBEAT_FIELDS,
    MAINTENANCE_FIELDS,
    parse_heartbeat,
    parse_window,
)
from ownit.domain.catalog.postmortem_field import parse_postmortem
from ownit.domain.catalog.routers import ROUTER_FIELDS, parse_components, parse_router
from ownit.domain.catalog.schedules import parse_schedule
from ownit.domain.catalog.standard_kinds import (
    SCORECARD_FIELDS,
    STANDARD_FIELDS,
    parse_scorecard,
    parse_standard,
)
from ownit.domain.catalog.tags import parse_labels, parse_tags
from ownit.domain.durations import format_duration
from ownit.domain.webhook_secrets import secret_problem

_KEY = re.compile(r"^[0-9a-zA-Z]{32}$")

SPEC_FIELDS: dict[str, tuple[str, ...]] = {
    "User": ("displayName", "email", "timezone", "contacts", "notificationRules", "statusUpdates"),
    "Team": ("displayName", "members", "chat", "parent"),
    "EscalationPolicy": ("team", "repeat", "levels"),
    "Service": (
        "owner",
        "escalationPolicy",
        "tier",
        "lifecycle",
        "runbook",
        "runbookText",
        "docs",
        "contract",
        "dependsOn",
        "urgency",
        "ackTimeout",
        "autoResolve",
        "grouping",
        "components",
        "integrations",
        "postmortem",
        "tags",
        "labels",
    ),
    "Schedule": ("team", "timezone", "layers", "overrides"),
    "Router": ROUTER_FIELDS,
    "MaintenanceWindow": MAINTENANCE_FIELDS,
    "Heartbeat": HEARTBEAT_FIELDS,
    "Drill": DRILL_FIELDS,
    "GameDay": GAMEDAY_FIELDS,
    "Standard": STANDARD_FIELDS,
    "Scorecard": SCORECARD_FIELDS,
}
DESCRIBED_KINDS = ("Service", "Team", "Standard")  # those with a metadata.description
# Each contact type's own field (required), besides name and type; webhook may add a secret.
_CONTACT_FIELD = {"email": "address", "webhook": "url", "slack": "webhookUrl", "push": "url"}
_CONTACT_OPTIONAL = {"webhook": ("secret",), "slack": ("userId",)}
_CONTACT_FIELDS = ("name", "type", "address", "url", "secret", "webhookUrl", "userId")
_SLACK_ID = re.compile(r"[UW][A-Z0-9]{2,20}")


def _slack_id_problem(value: str) -> str | None:
    if _SLACK_ID.fullmatch(value):
        return None
    return "is not a Slack member id (U or W, then capital letters and digits: U012AB3CD)"


def parse_document(raw: RawDocument, problems: list[Problem]) -> Document | None:
    """The document's object, or ``None`` when it has no usable kind and name."""
    r = Reader(raw.file, problems)
    root = Fields(
        r, raw.root, "", ("apiVersion", "kind", "metadata", "spec"), line=raw.line, label="document"
    )
    if not root.ok:
        return None
    api = root.text("apiVersion", required=True)
    if api is not None and api != API_VERSION:
        r.problem(
            root.line_of("apiVersion"), f"apiVersion must be {quote(API_VERSION)}, not {quote(api)}"
        )
    kind = root.text("kind", required=True)
    if kind is not None and kind not in KINDS:
        r.problem(root.line_of("kind"), f"unknown kind {quote(kind)}{suggest(kind, KINDS)}")
        return None
    known_meta = ("name", "description") if kind in DESCRIBED_KINDS else ("name",)
    meta = Fields(
        r,
        root.node("metadata", required=True),
        "metadata",
        known_meta,
        line=root.line_of("metadata"),
    )
    name = meta.slug("name", required=meta.ok)
    spec_node = root.node("spec", required=not root.has("spec"))
    if spec_node is None and root.has("spec"):  # `spec:` with nothing under it
        spec_node = Node(root.line_of("spec"), entries=())
    if kind is None:
        return None
    spec = Fields(r, spec_node, "", SPEC_FIELDS[kind], line=root.line_of("spec"), label="spec")
    description = meta.text("description") or ""
    obj = parse_spec(kind, name or "", spec, description)
    if name is None:
        return None
    return Document(raw.file, raw.line, obj, dict(r.lines), dict(r.renames))


def parse_spec(kind: str, name: str, spec: Fields, description: str = "") -> CatalogObject:
    if kind == "User":
        return _user(name, spec)
    if kind == "Team":
        return _team(name, spec, description)
    if kind == "EscalationPolicy":
        return _policy(name, spec)
    if kind == "Service":
        return _service(name, spec, description)
    if kind == "Router":
        return parse_router(name, spec)
    if kind == "MaintenanceWindow":
        return parse_window(name, spec)
    if kind == "Heartbeat":
        return parse_heartbeat(name, spec)
    if kind == "Drill":
        return parse_drill(name, spec)
    if kind == "GameDay":
        return parse_gameday(name, spec)
    if kind == "Standard":
        return parse_standard(name, spec, description)
    if kind == "Scorecard":
        return parse_scorecard(name, spec)
    return parse_schedule(name, spec)


def _user(name: str, spec: Fields) -> User:
    contacts: list[Contact] = []
    seen: dict[str, str] = {}
    for path, node in spec.seq("contacts"):
        f = spec.item(path, node, _CONTACT_FIELDS)
        cname = f.slug("name", required=True)
        ctype = f.choice("type", CONTACT_TYPES, required=True)
        if cname is not None:
            if cname in seen:
                spec.r.problem(
                    f.line_of("name"),
                    f"{path}.name {quote(cname)} is already used by {seen[cname]}",
                )
            seen.setdefault(cname, path)
        if ctype is None:
            continue
        own = _CONTACT_FIELD[ctype]
        allowed = ("name", "type", own, *_CONTACT_OPTIONAL.get(ctype, ()))
        for key in f.entries:
            if key not in allowed:
                spec.r.problem(
                    f.line_of(key), f"{path}.{key} is not a field of {_article(ctype)} contact"
                )
        value = f.email(own, required=True) if ctype == "email" else f.url(own, required=True)
        secret = _webhook_secret(f, path) if ctype == "webhook" else None
        slack_id = f.text("userId", check=_slack_id_problem) if ctype == "slack" else None
        if cname is not None and value is not None:
            contacts.append(
                Contact(
                    cname,
                    ctype,
                    address=value if own == "address" else None,
                    url=value if own == "url" else None,
                    secret=secret,
                    webhook_url=value if own == "webhookUrl" else None,
                    slack_user_id=slack_id,
                )
            )
    rules: list[NotificationRule] = []
    paths: list[str] = []
    for path, node in spec.seq("notificationRules"):
        f = spec.item(path, node, ("contact", "after"))
        contact = f.text("contact", required=True)
        after = f.duration("after", positive=False)
        if contact is not None and contact not in seen:
            spec.r.problem(
                f.line_of("contact"),
                f"{path}.contact {quote(contact)} is not one of this user's contacts"
                + suggest(contact, seen),
            )
        elif contact is not None:
            rule = NotificationRule(contact, after or timedelta(0))
            if rule in rules:
                # Several rules on one contact are reminders; the same one twice is a slip.
                spec.r.problem(
                    f.line_of("after") if "after" in f.entries else f.line_of("contact"),
                    f"{path}: {quote(contact)} after {format_duration(rule.after)} is "
                    f"already {paths[rules.index(rule)]}; a reminder on the same contact "
                    "needs another delay",
                )
                continue
            rules.append(rule)
            paths.append(path)
    updates: list[str] = []
    for path, contact in spec.strings("statusUpdates"):
        if contact not in seen:
            spec.r.problem(
                spec.r.lines.get(path, spec.line_of("statusUpdates")),
                f"{path} {quote(contact)} is not one of this user's contacts"
                + suggest(contact, seen),
            )
        elif contact not in updates:
            updates.append(contact)
    return User(
        name,
        display_name=spec.text("displayName", max_len=200),
        email=spec.email("email", required=spec.ok),
        timezone=spec.timezone("timezone") or "UTC",
        contacts=tuple(contacts),
        notification_rules=tuple(rules),
        status_updates=tuple(updates),
    )


def _webhook_secret(f: Fields, path: str) -> str | None:
    """A webhook's signing secret, checked by the notifier's own rule
    (:func:`~ownit.domain.webhook_secrets.secret_problem`); the message never shows it."""
    before = len(f.r.problems)
    secret = f.text("secret")
    if len(f.r.problems) > before:
        return None  # not a string: the reader has said so
    trouble = secret_problem(secret)
    if trouble is not None:
        line = f.line_of("secret") if f.has("secret") else f.line
        f.r.problem(
            line,
            f"{path}.secret: {trouble} (write whsec_ and the base64 of 16 bytes "
            "or more, e.g. from `openssl rand -base64 24`)",
        )
        return None
    return secret


def _article(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _team(name: str, spec: Fields, description: str = "") -> Team:
    members: list[Member] = []
    seen: set[str] = set()
    for path, node in spec.seq("members"):
        f = spec.item(path, node, ("user", "role"))
        user = f.slug("user", required=True)
        role = f.choice("role", ROLES) or "responder"
        if user is not None and user in seen:
            spec.r.problem(f.line_of("user"), f"{path}.user {quote(user)} is listed twice")
        elif user is not None:
            seen.add(user)
            spec.r.alias(path, f"members[{len(members)}]")
            members.append(Member(user, role))
    chat = spec.sub("chat", ("slackWebhookUrl",))
    return Team(
        name,
        display_name=spec.text("displayName", max_len=200),
        members=tuple(members),
        slack_webhook_url=chat.url("slackWebhookUrl") if chat is not None else None,
        description=description,
        parent=spec.slug("parent"),
    )


def _policy(name: str, spec: Fields) -> EscalationPolicy:
    levels: list[PolicyLevel] = []
    items = spec.seq("levels", required=spec.ok)
    if _empty(spec, "levels"):
        spec.r.problem(spec.line_of("levels"), "levels is empty: a policy needs at least one level")
    for path, node in items:
        f = spec.item(path, node, ("after", "targets"))
        after = f.duration("after", required=True)
        targets: list[PolicyTarget] = []
        entries = f.seq("targets", required=True)
        if _empty(f, "targets"):
            spec.r.problem(f.line_of("targets"), f"{path}.targets is empty: a level needs a target")
        for tpath, tnode in entries:
            t = f.item(tpath, tnode, ("user", "schedule"))
            given = [k for k in ("user", "schedule") if t.has(k)]
            if t.ok and len(given) != 1:
                spec.r.problem(
                    t.line,
                    f"{tpath} must name one user or one schedule: "
                    "{user: NAME} or {schedule: NAME}",
                )
                continue
            if given:
                target = t.slug(given[0], required=True)
                if target is not None:
                    spec.r.alias(tpath, f"{path}.targets[{len(targets)}]")
                    targets.append(PolicyTarget(given[0], target))
        levels.append(PolicyLevel(after, tuple(targets)))
    return EscalationPolicy(
        name,
        team=spec.slug("team"),
        repeat=spec.number("repeat", low=0) or 0,
        levels=tuple(levels),
    )


def _empty(fields: Fields, key: str) -> bool:
    node = fields.node(key)
    return node is not None and node.items == ()


def _service(name: str, spec: Fields, description: str) -> Service:
    runbook = spec.url("runbook")
    runbook_text = spec.text("runbookText")
    if spec.has("runbook") and spec.has("runbookText"):
        spec.r.problem(spec.line_of("runbookText"), "give runbook (a URL) or runbookText, not both")
    docs: list[DocLink] = []
    for path, node in spec.seq("docs"):
        f = spec.item(path, node, ("title", "url"))
        url, title = f.url("url", required=True), f.text("title")
        if url is not None:
            docs.append(DocLink(url, title))
    contract = None
    c = spec.sub("contract", ("type", "url"))
    if c is not None:
        curl, ctype = c.url("url", required=True), c.text("type")
        contract = Contract(curl, ctype) if curl is not None else None
    grouping = _grouping(spec)
    return Service(
        name,
        description=description,
        owner=spec.slug("owner", required=spec.ok),
        escalation_policy=spec.slug("escalationPolicy"),
        tier=spec.number("tier", low=1, high=4),
        lifecycle=spec.choice("lifecycle", LIFECYCLES),
        runbook=runbook,
        runbook_text=runbook_text,
        docs=tuple(docs),
        contract=contract,
        depends_on=_depends_on(spec),
        urgency=spec.choice("urgency", URGENCIES) or "severity",
        ack_timeout=spec.duration("ackTimeout"),
        auto_resolve=spec.duration("autoResolve"),
        grouping=grouping,
        components=parse_components(spec),
        integrations=_integrations(spec),
        postmortem=parse_postmortem(spec),
        dependencies_stated=spec.has("dependsOn"),
        tags=parse_tags(spec),
        labels=parse_labels(spec),
    )


def _grouping(spec: Fields) -> Grouping | None:
    """``grouping: {by: [labels…], window: 10m}``: ``by`` names at least one label, each
    once; without a window, alerts join the group's incident for as long as it is open."""
    g = spec.sub("grouping", ("by", "window"))
    if g is None or not g.ok:
        return None
    seen: set[str] = set()

    def check(name: str) -> str | None:
        if not name.strip():
            return "is not a label name"
        if name in seen:
            return "is named twice"
        seen.add(name)
        return None

    g.node("by", required=True)  # reports a missing ``by``
    by = tuple(v for _, v in g.strings("by", check=check))
    if _empty(g, "by"):
        g.r.problem(g.line_of("by"), f"{g.where('by')} must name at least one label")
    window = g.duration("window")
    return Grouping(by, window) if by else None


def _depends_on(spec: Fields) -> tuple[str, ...]:
    out: list[str] = []
    for path, value in spec.strings("dependsOn"):
        spec.r.alias(path, f"dependsOn[{len(out)}]")
        out.append(value)
    return tuple(out)


def _key_problem(value: str) -> str | None:
    return None if _KEY.match(value) else "must be exactly 32 letters and digits"


def _integrations(spec: Fields) -> tuple[Integration, ...]:
    out: list[Integration] = []
    seen: dict[str, str] = {}
    for path, node in spec.seq("integrations"):
        f = spec.item(path, node, ("name", "type", "key"))
        iname = f.slug("name", required=True)
        itype = f.choice("type", INTEGRATION_TYPES, required=True)
        key = f.text("key", check=_key_problem)
        if iname is not None and iname in seen:
            spec.r.problem(
                f.line_of("name"), f"{path}.name {quote(iname)} is already used by {seen[iname]}"
            )
            continue
        if iname is not None:
            seen[iname] = path
        if iname is not None and itype is not None:
            spec.r.alias(path, f"integrations[{len(out)}]")
            out.append(Integration(iname, itype, key))
    return tuple(out)
