"""The ``Standard`` and ``Scorecard`` kinds: reading their specs, their normal form, and the
checks across documents (decisions 0041, 0058).

``Standard``: ``when`` (``tier``, ``lifecycle``, ``owner`` — one of a list; ``tags`` — all
of them; ``labels`` — each equal) and ``require`` (service fields that must be set,
``tag:NAME`` or ``label:KEY``). ``Scorecard`` (at most one in a catalog): ``levels``
(cumulative, lowest first; absent: the built-in levels), ``teamSize: {min, max}``,
``mttaTarget`` and ``mttaTargetByTier`` (the bounds of ``team-size`` and ``mtta-target``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import timedelta

from ownit.domain.catalog.fields import Fields, quote, suggest
from ownit.domain.catalog.model import (
    LIFECYCLES,
    Document,
    JsonObject,
    JsonValue,
    Problem,
    Service,
    Snapshot,
)
from ownit.domain.catalog.rule_model import (
    BUILTIN_STANDARDS,
    Scorecard,
    ScorecardLevel,
    Standard,
    When,
)
from ownit.domain.catalog.tags import label_key_problem, tag_problem
from ownit.domain.durations import format_duration

STANDARD_FIELDS = ("when", "require")
SCORECARD_FIELDS = ("levels", "teamSize", "mttaTarget", "mttaTargetByTier")
NONE_LEVEL = "none"
TIERS = (1, 2, 3, 4)

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


def has(s: Service, item: str) -> bool:
    """Whether ``s`` has the ``require`` item (a field, ``tag:NAME`` or ``label:KEY``)."""
    if item.startswith("tag:"):
        return item[4:] in s.tags
    if item.startswith("label:"):
        return s.label(item[6:]) is not None
    return REQUIRABLE[item](s)


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


def _when(spec: Fields) -> When:
    w = spec.sub("when", ("tier", "lifecycle", "owner", "tags", "labels"))
    if w is None or not w.ok:
        return When()
    tiers: list[int] = []
    for path, node in w.seq("tier"):
        value = node.scalar
        if not isinstance(value, int) or isinstance(value, bool) or value not in TIERS:
            w.r.problem(node.line, f"{path} must be a tier from 1 to 4, not {quote(value)}")
            continue
        tiers.append(value)
    lifecycles = w.strings(
        "lifecycle",
        check=lambda v: None if v in LIFECYCLES else f"is not one of {', '.join(LIFECYCLES)}",
    )
    owners: list[str] = []
    for path, value in w.strings("owner"):
        w.r.alias(path, f"when.owner[{len(owners)}]")
        owners.append(value)
    tags = w.strings("tags", check=tag_problem)
    labels: list[tuple[str, str]] = []
    lab = w.node("labels")
    if lab is not None and lab.entries is None:
        w.r.problem(lab.line, "when.labels must be a mapping of key: value")
    for entry in (lab.entries if lab is not None else None) or ():
        if not isinstance(entry.value.scalar, str) or not entry.value.is_scalar:
            w.r.problem(entry.line, f"when.labels.{entry.key} must be a string")
            continue
        trouble = label_key_problem(entry.key)
        if trouble is not None:
            w.r.problem(entry.line, f"when.labels key {quote(entry.key)} {trouble}")
            continue
        labels.append((entry.key, entry.value.scalar))
    return When(
        tuple(tiers),
        tuple(v for _, v in lifecycles),
        tuple(owners),
        tuple(v for _, v in tags),
        tuple(sorted(labels)),
    )


def parse_standard(name: str, spec: Fields, description: str = "") -> Standard:
    when = _when(spec)
    spec.node("require", required=spec.ok)
    require = tuple(dict.fromkeys(v for _, v in spec.strings("require", check=_require_problem)))
    return Standard(name, description, when, require)


def _levels(spec: Fields) -> tuple[ScorecardLevel, ...]:
    levels: list[ScorecardLevel] = []
    seen: set[str] = set()
    if spec.has("levels") and not spec.seq("levels"):
        spec.r.problem(spec.line_of("levels"), "levels is empty: name at least one level")
    for path, node in spec.seq("levels"):
        f = spec.item(path, node, ("name", "standards"))
        name = f.slug("name", required=True)
        if name == NONE_LEVEL:
            spec.r.problem(f.line_of("name"), f'{path}.name "none" is the level below all levels')
            name = None
        elif name is not None and name in seen:
            spec.r.problem(f.line_of("name"), f"{path}.name {quote(name)} is used twice")
            name = None
        f.node("standards", required=True)
        ids: list[str] = []
        for spath, sid in f.strings("standards"):
            spec.r.alias(spath, f"levels[{len(levels)}].standards[{len(ids)}]")
            ids.append(sid)
        if name is not None:
            seen.add(name)
            spec.r.alias(path, f"levels[{len(levels)}]")
            levels.append(ScorecardLevel(name, tuple(ids)))
    return tuple(levels)


def _by_tier(spec: Fields) -> tuple[tuple[int, timedelta], ...]:
    sub = spec.sub("mttaTargetByTier", tuple(str(t) for t in TIERS))
    if sub is None:
        return ()
    out = []
    for key in sub.entries:
        value = sub.duration(key)
        if value is not None:
            out.append((int(key), value))
    return tuple(sorted(out))


def parse_scorecard(name: str, spec: Fields) -> Scorecard:
    levels = _levels(spec)
    team_min = team_max = None
    size = spec.sub("teamSize", ("min", "max"))
    if size is not None:
        team_min = size.number("min", low=1)
        team_max = size.number("max", low=1)
        if team_min is not None and team_max is not None and team_max < team_min:
            spec.r.problem(
                size.line_of("max"),
                f"teamSize.max {team_max} is below teamSize.min {team_min}: no team could pass",
            )
    if spec.ok and not spec.entries:
        spec.r.problem(spec.line, "spec needs levels, teamSize, mttaTarget or mttaTargetByTier")
    return Scorecard(
        name,
        levels,
        team_min,
        team_max,
        spec.duration("mttaTarget"),
        _by_tier(spec),
    )


def standard_spec(standard: Standard) -> JsonObject:
    w = standard.when
    when: JsonObject = {}
    if w.tiers:
        when["tier"] = list(w.tiers)
    if w.lifecycles:
        when["lifecycle"] = list(w.lifecycles)
    if w.owners:
        when["owner"] = list(w.owners)
    if w.tags:
        when["tags"] = list(w.tags)
    if w.labels:
        when["labels"] = dict(w.labels)
    out: JsonObject = {"when": when} if when else {}
    out["require"] = list(standard.require)
    return out


def scorecard_spec(card: Scorecard) -> JsonObject:
    out: JsonObject = {}
    if card.levels:
        levels: list[JsonValue] = [
            {"name": lv.name, "standards": list(lv.standards)} for lv in card.levels
        ]
        out["levels"] = levels
    size: JsonObject = {}
    if card.team_min is not None:
        size["min"] = card.team_min
    if card.team_max is not None:
        size["max"] = card.team_max
    if size:
        out["teamSize"] = size
    if card.mtta_target is not None:
        out["mttaTarget"] = format_duration(card.mtta_target)
    if card.mtta_by_tier:
        out["mttaTargetByTier"] = {str(t): format_duration(d) for t, d in card.mtta_by_tier}
    return out


def rule_refs(obj: Standard | Scorecard) -> list[tuple[str, str, str]]:
    """``(path, kind, name)``: a standard's owner teams, a scorecard's own standards."""
    if isinstance(obj, Standard):
        return [(f"when.owner[{i}]", "Team", t) for i, t in enumerate(obj.when.owners)]
    return [
        (f"levels[{i}].standards[{j}]", "Standard", sid)
        for i, level in enumerate(obj.levels)
        for j, sid in enumerate(level.standards)
        if sid not in BUILTIN_STANDARDS
    ]


def check_rules(
    documents: Sequence[Document], existing: Snapshot, removed: Collection[tuple[str, str]] = ()
) -> list[Problem]:
    """A Standard does not take a built-in's id; a Scorecard names only standards that exist
    (built-in, in the files or stored); a catalog has at most one Scorecard."""
    known = set(BUILTIN_STANDARDS) | set(existing.names("Standard"))
    known |= {d.name for d in documents if isinstance(d.obj, Standard)}
    problems: list[Problem] = []
    cards = {
        n: "in the database" for n in existing.names("Scorecard") if ("Scorecard", n) not in removed
    }
    for doc in documents:
        if isinstance(doc.obj, Standard) and doc.name in BUILTIN_STANDARDS:
            problems.append(
                doc.problem(
                    "metadata.name", f"Standard {quote(doc.name)} is a built-in standard's id"
                )
            )
        if not isinstance(doc.obj, Scorecard):
            continue
        for path, _, sid in rule_refs(doc.obj):
            if sid not in known:
                problems.append(
                    doc.problem(
                        path,
                        f"{doc.where(path)} {quote(sid)} is not a standard "
                        "(built-in or kind: Standard)" + suggest(sid, known),
                    )
                )
        cards.pop(doc.name, None)
    for doc in documents:
        if not isinstance(doc.obj, Scorecard) or doc.name in cards:
            continue
        if cards:
            other, where = next(iter(cards.items()))
            problems.append(
                doc.problem(
                    "metadata.name",
                    f"only one Scorecard may exist: {quote(other)} is already defined ({where})",
                )
            )
            continue
        cards[doc.name] = f"at {doc.file}:{doc.line_of('metadata.name')}"
    return problems
