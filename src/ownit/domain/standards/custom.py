"""An org's own standards (``kind: Standard``) and levels (``kind: Scorecard``).

The rule language is small on purpose (``docs/standards.md``, decision 0041)::

    kind: Standard
    metadata: {name: pci-contract, description: PCI services in tier 1-2 publish a contract}
    spec:
      when: {tier: [1, 2], tags: [pci]}       # every condition must hold; absent: all services
      require: [contract, runbook, "label:data-owner"]

``when`` keys: ``tier``, ``lifecycle``, ``owner`` (lists: one of), ``tags`` (all of them),
``labels`` (``key: value`` each equal). ``require`` items: a service field that must be set
(:data:`REQUIRABLE`), ``tag:NAME`` or ``label:KEY``. A service the ``when`` does not select
passes ("does not apply").

    kind: Scorecard
    metadata: {name: default}
    spec:
      levels:
        - {name: bronze, standards: [has-owner, has-description]}
        - {name: silver, standards: [has-runbook, pci-contract]}

Levels are cumulative in the order written; each names built-in ids or the org's own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ownit.domain.catalog.fields import Fields, Reader, quote, suggest
from ownit.domain.catalog.model import LIFECYCLES, Problem, RawDocument, Service
from ownit.domain.catalog.tags import label_key_problem, tag_problem
from ownit.domain.standards.model import BUILTIN_IDS, BUILTIN_LEVELS, NONE_LEVEL, Check, Level

RULE_KINDS = ("Standard", "Scorecard")

REQUIRABLE: dict[str, Callable[[Service], bool]] = {
    "contract": lambda s: s.contract is not None,
    "runbook": lambda s: bool(s.runbook or s.runbook_text),
    "docs": lambda s: bool(s.docs),
    "description": lambda s: bool(s.description.strip()),
    "dependsOn": lambda s: s.dependencies_stated or bool(s.depends_on),
    "escalationPolicy": lambda s: s.escalation_policy is not None,
    "tier": lambda s: s.tier is not None,
    "lifecycle": lambda s: s.lifecycle is not None,
    "ackTimeout": lambda s: s.ack_timeout is not None,
    "integrations": lambda s: bool(s.integrations),
    "tags": lambda s: bool(s.tags),
}


@dataclass(frozen=True, slots=True)
class When:
    tiers: tuple[int, ...] = ()
    lifecycles: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()

    def selects(self, s: Service) -> bool:
        return (
            (not self.tiers or s.tier in self.tiers)
            and (not self.lifecycles or s.lifecycle in self.lifecycles)
            and (not self.owners or s.owner in self.owners)
            and all(t in s.tags for t in self.tags)
            and all(s.label(k) == v for k, v in self.labels)
        )

    def words(self) -> str:
        parts = []
        if self.tiers:
            parts.append("tier " + " or ".join(str(t) for t in self.tiers))
        if self.lifecycles:
            parts.append(" or ".join(self.lifecycles))
        if self.owners:
            parts.append("owned by " + " or ".join(self.owners))
        if self.tags:
            parts.append("tagged " + ", ".join(self.tags))
        parts += [f"{k}={v}" for k, v in self.labels]
        return "; ".join(parts) or "every service"


@dataclass(frozen=True, slots=True)
class CustomStandard:
    id: str
    description: str
    when: When
    require: tuple[str, ...]

    def check(self, s: Service) -> Check:
        if not self.when.selects(s):
            return Check(self.id, True, f"does not apply (only {self.when.words()})")
        missing = [r for r in self.require if not _has(s, r)]
        if missing:
            return Check(self.id, False, f"{self.when.words()}: lacks {', '.join(missing)}")
        return Check(self.id, True, f"{self.when.words()}: has {', '.join(self.require)}")


def _has(s: Service, item: str) -> bool:
    if item.startswith("tag:"):
        return item[4:] in s.tags
    if item.startswith("label:"):
        return s.label(item[6:]) is not None
    return REQUIRABLE[item](s)


@dataclass(frozen=True, slots=True)
class Rules:
    """The org's levels (the built-ins when no Scorecard is given) and its own standards."""

    levels: tuple[Level, ...] = BUILTIN_LEVELS
    custom: tuple[CustomStandard, ...] = ()
    problems: tuple[Problem, ...] = ()


def _require_problem(item: str) -> str | None:
    if item.startswith("tag:"):
        trouble = tag_problem(item[4:])
        return None if trouble is None else f"names a tag that {trouble}"
    if item.startswith("label:"):
        trouble = label_key_problem(item[6:])
        return None if trouble is None else f"names a label key that {trouble}"
    if item in REQUIRABLE:
        return None
    return (
        "is not a field a standard can require (one of "
        + ", ".join(REQUIRABLE)
        + ", tag:NAME, label:KEY)"
        + suggest(item, REQUIRABLE)
    )


def _standard(name: str, description: str, spec: Fields) -> CustomStandard:
    when = When()
    w = spec.sub("when", ("tier", "lifecycle", "owner", "tags", "labels"))
    if w is not None and w.ok:
        tiers: list[int] = []
        for path, node in w.seq("tier"):
            value = node.scalar
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 4:
                w.r.problem(node.line, f"{path} must be a tier from 1 to 4, not {quote(value)}")
                continue
            tiers.append(value)
        lifecycles = [
            v
            for _, v in w.strings(
                "lifecycle",
                check=lambda v: (
                    None if v in LIFECYCLES else f"is not one of {', '.join(LIFECYCLES)}"
                ),
            )
        ]
        owners = [v for _, v in w.strings("owner")]
        tags = [v for _, v in w.strings("tags", check=tag_problem)]
        labels: list[tuple[str, str]] = []
        lab = w.node("labels")
        if lab is not None and lab.entries is None:
            w.r.problem(lab.line, "when.labels must be a mapping of key: value")
        for entry in (lab.entries if lab is not None else None) or ():
            if not isinstance(entry.value.scalar, str) or not entry.value.is_scalar:
                w.r.problem(entry.line, f"when.labels.{entry.key} must be a string")
                continue
            labels.append((entry.key, entry.value.scalar))
        when = When(tuple(tiers), tuple(lifecycles), tuple(owners), tuple(tags), tuple(labels))
    spec.node("require", required=True)
    require = tuple(v for _, v in spec.strings("require", check=_require_problem))
    return CustomStandard(name, description, when, require)


def _scorecard(spec: Fields, known: set[str]) -> tuple[Level, ...]:
    levels: list[Level] = []
    seen: set[str] = set()
    for path, node in spec.seq("levels", required=True):
        f = spec.item(path, node, ("name", "standards"))
        name = f.slug("name", required=True)
        if name == NONE_LEVEL:
            spec.r.problem(f.line_of("name"), f'{path}.name "none" is the level below all levels')
            name = None
        elif name is not None and name in seen:
            spec.r.problem(f.line_of("name"), f"{path}.name {quote(name)} is used twice")
            name = None

        def check(sid: str) -> str | None:
            if sid in known:
                return None
            return "is not a standard (built-in or kind: Standard)" + suggest(sid, known)

        f.node("standards", required=True)
        ids = tuple(v for _, v in f.strings("standards", check=check))
        if name is not None:
            seen.add(name)
            levels.append(Level(name, ids))
    return tuple(levels)


def parse_rules(documents: Sequence[RawDocument]) -> Rules:
    """The Scorecard and Standard documents among ``documents`` (others are skipped), every
    problem with its file and line."""
    problems: list[Problem] = []
    custom: list[CustomStandard] = []
    cards: list[tuple[Fields, RawDocument]] = []
    for raw in documents:
        r = Reader(raw.file, problems)
        root = Fields(r, raw.root, "", ("apiVersion", "kind", "metadata", "spec"), line=raw.line)
        kind = root.text("kind")
        if kind not in RULE_KINDS:
            continue
        meta = Fields(
            r,
            root.node("metadata", required=True),
            "metadata",
            ("name", "description"),
            line=root.line_of("metadata"),
        )
        name = meta.slug("name", required=True)
        known = ("when", "require") if kind == "Standard" else ("levels",)
        spec = Fields(
            r, root.node("spec", required=True), "", known, line=root.line_of("spec"), label="spec"
        )
        if kind == "Scorecard":
            cards.append((spec, raw))
            continue
        if name is not None and name in BUILTIN_IDS:
            r.problem(meta.line_of("name"), f"Standard {quote(name)} is a built-in standard's id")
            continue
        if name is not None and any(c.id == name for c in custom):
            r.problem(meta.line_of("name"), f"Standard {quote(name)} is defined twice")
            continue
        standard = _standard(name or "", meta.text("description") or "", spec)
        if name is not None:
            custom.append(standard)
    known_ids = {*BUILTIN_IDS, *(c.id for c in custom)}
    levels: tuple[Level, ...] = BUILTIN_LEVELS
    for i, (spec, raw) in enumerate(cards):
        if i > 0:
            problems.append(Problem(raw.file, raw.line, "only one Scorecard may be given"))
            continue
        levels = _scorecard(spec, known_ids)
    return Rules(levels, tuple(custom), tuple(problems))
