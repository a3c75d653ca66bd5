"""``kind: Standard`` and ``kind: Scorecard`` as catalog kinds: what lint refuses (with file
and line), their normal form, and the Scorecard's bounds as the built-in standards use them."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ownit.adapters.catalog.yaml_source import load_text
from ownit.domain.catalog import (
    BUILTIN_STANDARDS,
    Member,
    Scorecard,
    ScorecardLevel,
    Service,
    Snapshot,
    Standard,
    When,
    from_spec,
    to_spec,
    validate,
)
from ownit.domain.standards import Check, History, Rules, World, build_report
from ownit.domain.standards.custom import rules_of
from tests.unit.test_standards import TEAM, world

HEAD = "apiVersion: ownit/v1\n"
TEAMS = HEAD + "kind: Team\nmetadata: {name: shop}\nspec: {}\n---\n"


def card(spec: str, name: str = "ours") -> str:
    return HEAD + f"kind: Scorecard\nmetadata: {{name: {name}}}\nspec:\n{spec}"


def standard(spec: str, name: str = "pci") -> str:
    return HEAD + f"kind: Standard\nmetadata: {{name: {name}}}\nspec:\n{spec}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            card("  levels:\n    - {name: b, standards: [has-ownr]}\n"),
            'c.yaml:6: levels[0].standards[0] "has-ownr" is not a standard (built-in or kind: '
            'Standard) (did you mean "has-owner"?)',
        ),
        (
            card("  levels:\n    - {name: b, standards: [pci]}\n"),
            'c.yaml:6: levels[0].standards[0] "pci" is not a standard (built-in or kind: Standard)',
        ),
        (
            card("  levels:\n    - {name: b, standards: [x]}\n    - {name: b, standards: []}\n"),
            'c.yaml:7: levels[1].name "b" is used twice',
        ),
        (
            card("  levels:\n    - {name: none, standards: [has-owner]}\n"),
            'c.yaml:6: levels[0].name "none" is the level below all levels',
        ),
        (card("  levels: []\n"), "c.yaml:5: levels is empty: name at least one level"),
        (
            card("  teamSize: {min: 4, max: 3}\n"),
            "c.yaml:5: teamSize.max 3 is below teamSize.min 4",
        ),
        (card("  teamSize: {min: 0}\n"), "c.yaml:5: teamSize.min must be a whole number of 1"),
        (card("  mttaTarget: 0s\n"), "c.yaml:5: mttaTarget must be longer than 0s"),
        (card("  mttaTarget: soon\n"), 'c.yaml:5: mttaTarget "soon" is not a duration'),
        (card("  mttaTargetByTier: {5: 1m}\n"), 'c.yaml:5: unknown field "5" in mttaTargetByTier'),
        (card("  {}\n"), "c.yaml:4: spec needs levels, teamSize, mttaTarget or mttaTargetByTier"),
        (
            card("  teamSize: {min: 2}\n") + "---\n" + card("  mttaTarget: 1m\n", "two"),
            'c.yaml:9: only one Scorecard may exist: "ours" is already defined (at c.yaml:8)',
        ),
        (
            standard("  require: [docs]\n", "has-owner"),
            'c.yaml:3: Standard "has-owner" is a built-in standard\'s id',
        ),
        (
            standard("  require: [contrat]\n"),
            'c.yaml:5: require[0] "contrat" is not a field a standard can require',
        ),
        (
            standard("  when: {owner: [shopp]}\n  require: [docs]\n"),
            'c.yaml:5: when.owner[0] "shopp" does not exist (did you mean "shop"?)',
        ),
        (
            standard("  when: {labels: {-x: y}}\n  require: [docs]\n"),
            'c.yaml:5: when.labels key "-x"',
        ),
        (
            standard("  when: {tags: [PCI]}\n  require: [docs]\n"),
            'c.yaml:5: when.tags[0] "PCI" is not a tag',
        ),
    ],
)
def test_lint_refuses_with_file_and_line(text: str, message: str) -> None:
    loaded = load_text(TEAMS + text, "c.yaml")
    problems = [str(p) for p in validate(loaded.documents).problems]
    shifted = _shift(message, TEAMS.count("\n"))
    assert any(p.startswith(shifted) for p in problems), problems


def _shift(message: str, lines: int) -> str:
    """The message's line numbers count from the rule document; the team comes first."""
    file, line, rest = message.split(":", 2)
    return f"{file}:{int(line) + lines}:{rest}"


def test_a_stored_scorecard_is_the_one_a_second_is_refused_against() -> None:
    stored = Snapshot(scorecards={"ours": Scorecard("ours", team_min=3)})
    loaded = load_text(card("  mttaTarget: 1m\n", "theirs"), "c.yaml")
    problems = [str(p) for p in validate(loaded.documents, stored).problems]
    assert problems == [
        'c.yaml:3: only one Scorecard may exist: "ours" is already defined (in the database)'
    ]
    # the same name again replaces the stored one; a prune that removes it frees the place
    assert (
        validate(load_text(card("  mttaTarget: 1m\n"), "c.yaml").documents, stored).problems == ()
    )


@pytest.mark.parametrize(
    ("scorecard", "members", "ok", "why"),
    [
        ("", 2, True, "2 members"),
        ("", 1, False, "at least 2"),
        ("  teamSize: {min: 1}\n", 1, True, "1 member"),
        ("  teamSize: {min: 3}\n", 2, False, "at least 3"),
        ("  teamSize: {max: 1}\n", 2, False, "1"),
        ("  teamSize: {min: 1, max: 2}\n", 2, True, "2 members"),
    ],
)
def test_team_size_takes_the_scorecards_bounds(
    scorecard: str, members: int, ok: bool, why: str
) -> None:
    rules = _rules(scorecard)
    team = dataclasses.replace(TEAM, members=tuple(Member(u) for u in ("ann", "bob")[:members]))
    w = dataclasses.replace(world(teams={"shop": team}), bounds=rules.bounds)
    check = _check(w, rules, "team-size")
    assert (check.ok, why in check.why) == (ok, True), check.why


@pytest.mark.parametrize(
    ("scorecard", "p50", "ok", "target"),
    [
        ("", 240.0, True, "5m"),
        ("", 360.0, False, "5m"),
        ("  mttaTarget: 10m\n", 360.0, True, "10m"),
        ("  mttaTarget: 10m\n  mttaTargetByTier: {1: 2m}\n", 180.0, False, "2m"),  # cart: tier 1
        ("  mttaTargetByTier: {2: 1m}\n", 240.0, True, "5m"),  # another tier's target
        ("  mttaTargetByTier: {1: 30m}\n", 1200.0, True, "30m"),
    ],
)
def test_mtta_target_takes_the_scorecards_targets(
    scorecard: str, p50: float, ok: bool, target: str
) -> None:
    rules = _rules(scorecard)
    w = dataclasses.replace(world(history=History(mtta_p50={"cart": p50})), bounds=rules.bounds)
    check = _check(w, rules, "mtta-target")
    assert (check.ok, target in check.why) == (ok, True), check.why


def _rules(scorecard: str) -> Rules:
    if not scorecard:
        return rules_of((), None)
    loaded = load_text(card(scorecard), "c.yaml")
    validated = validate(loaded.documents)
    assert validated.problems == ()
    obj = validated.documents[0].obj
    assert isinstance(obj, Scorecard)
    return rules_of((), obj)


def _check(w: World, rules: Rules, sid: str) -> Check:
    report = build_report(w, levels=rules.levels, custom=rules.custom, service="cart")
    return next(c for c in report.services[0].checks if c.id == sid)


durations = st.integers(min_value=1, max_value=10_000).map(lambda m: timedelta(minutes=m))
scorecards = st.builds(
    Scorecard,
    name=st.just("ours"),
    levels=st.lists(
        st.builds(
            ScorecardLevel,
            name=st.sampled_from(["a", "b", "c", "d"]),
            standards=st.lists(st.sampled_from(BUILTIN_STANDARDS), max_size=4).map(tuple),
        ),
        max_size=3,
        unique_by=lambda lv: lv.name,
    ).map(tuple),
    team_min=st.none() | st.integers(min_value=1, max_value=20),
    team_max=st.none() | st.integers(min_value=21, max_value=40),
    mtta_target=st.none() | durations,
    mtta_by_tier=st.dictionaries(st.sampled_from([1, 2, 3, 4]), durations).map(
        lambda d: tuple(sorted(d.items()))
    ),
)


@given(scorecards)
def test_a_scorecard_survives_its_normal_form(card_obj: Scorecard) -> None:
    assert from_spec("Scorecard", "ours", to_spec(card_obj)) == card_obj


@pytest.mark.parametrize(
    ("when", "service", "selected"),
    [
        ("{}", {}, True),
        ("{tier: [1]}", {"tier": 1}, True),
        ("{tier: [1]}", {"tier": 2}, False),
        ("{tier: [1]}", {"tier": None}, False),
        ("{lifecycle: [production]}", {"lifecycle": "production"}, True),
        ("{lifecycle: [production]}", {"lifecycle": "experimental"}, False),
        ("{owner: [shop]}", {"owner": "shop"}, True),
        ("{owner: [shop]}", {"owner": "other"}, False),
        ("{tags: [pci, java]}", {"tags": ("java", "pci", "go")}, True),
        ("{tags: [pci, java]}", {"tags": ("pci",)}, False),
        ("{labels: {region: eu}}", {"labels": (("region", "eu"),)}, True),
        ("{labels: {region: eu}}", {"labels": (("region", "us"),)}, False),
        ("{labels: {region: eu}}", {}, False),
        ("{tier: [1], tags: [pci]}", {"tier": 1, "tags": ("pci",)}, True),
        ("{tier: [1], tags: [pci]}", {"tier": 1}, False),
    ],
)
def test_each_when_key_selects_services(
    when: str, service: dict[str, object], selected: bool
) -> None:
    text = TEAMS + standard(f"  when: {when}\n  require: [docs]\n")
    validated = validate(load_text(text, "c.yaml").documents)
    assert validated.problems == ()
    obj = validated.documents[1].obj
    assert isinstance(obj, Standard)
    base = Service("cart", owner="shop")
    assert obj.when.selects(dataclasses.replace(base, **service)) is selected  # type: ignore[arg-type]


standards = st.builds(
    Standard,
    name=st.just("pci"),
    description=st.sampled_from(["", "PCI services publish a contract"]),
    when=st.builds(
        When,
        tiers=st.lists(st.sampled_from([1, 2, 3, 4]), unique=True, max_size=2).map(tuple),
        lifecycles=st.lists(st.sampled_from(["production", "deprecated"]), unique=True).map(tuple),
        owners=st.lists(st.sampled_from(["shop", "pay"]), unique=True).map(tuple),
        tags=st.lists(st.sampled_from(["pci", "java"]), unique=True).map(tuple),
        labels=st.dictionaries(
            st.sampled_from(["region", "env"]), st.sampled_from(["eu", "x"])
        ).map(lambda d: tuple(sorted(d.items()))),
    ),
    require=st.lists(
        st.sampled_from(["contract", "runbook", "tag:pci", "label:owner"]), unique=True, min_size=1
    ).map(tuple),
)


@given(standards)
def test_a_standard_survives_its_normal_form(obj: Standard) -> None:
    assert from_spec("Standard", "pci", to_spec(obj), obj.description) == obj
