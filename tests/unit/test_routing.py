"""Matchers and routing trees: tables of cases, and properties against the definition."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ownit.domain.matchers import Matcher, parse_matcher
from ownit.domain.routing import (
    Decision,
    Route,
    Step,
    compile_route,
    route,
    route_naive,
)

# --- matchers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "op", "value"),
    [
        ('team="payments"', "team", "=", "payments"),
        ("team=payments", "team", "=", "payments"),
        ('team!="payments"', "team", "!=", "payments"),
        ('team=~"pay.*"', "team", "=~", "pay.*"),
        ('team!~"pay.*"', "team", "!~", "pay.*"),
        ('  team  =~  "a|b"  ', "team", "=~", "a|b"),
        ('x=""', "x", "=", ""),
        ("x=", "x", "=", ""),
        (r'x="say \"hi\""', "x", "=", 'say "hi"'),
        (r'x="back\\slash"', "x", "=", "back\\slash"),
        (r'x="two\nlines"', "x", "=", "two\nlines"),
        (r'x=~"\d+"', "x", "=~", r"\d+"),  # an unknown escape keeps its backslash
        ("x=a b", "x", "=", "a b"),
        ("__name__=up", "__name__", "=", "up"),
        ("a:b=c", "a:b", "=", "c"),
        ('x="a=b"', "x", "=", "a=b"),
        ("x=a\\", "x", "=", "a\\"),  # a trailing backslash is literal
    ],
)
def test_parse_matcher(text: str, name: str, op: str, value: str) -> None:
    m = parse_matcher(text)
    assert (m.name, m.op, m.value) == (name, op, value)
    assert parse_matcher(str(m)) == m  # the canonical form reads back the same


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ('="x"', "does not start with a label name"),
        ('1team="x"', "does not start with a label name"),
        ("team", "needs =, !=, =~ or !~ after the label name 'team', not nothing"),
        ("team<3", "needs =, !=, =~ or !~ after the label name 'team', not '<3'"),
        ('team="x', "opening double quote is never closed"),
        ('team="', "opening double quote is never closed"),
        ('team="a"b"', "double quote in its value that is not escaped"),
        ('team=a"b', "double quote in its value that is not escaped"),
        ('team=~"("', 'bad regular expression: "(": missing ), unterminated subpattern'),
        ('team=~"[a-"', "bad regular expression"),
        ('team=~"(?=x)x"', "have no lookaheads"),
        ('team=~"(?<!x)y"', "have no negative lookbehinds"),
        (r'team=~"(a)\1"', "have no backreferences"),
        ('team=~"a++"', "have no possessive quantifiers"),
    ],
)
def test_parse_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=r"^matcher ") as info:
        parse_matcher(text)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("matcher", "labels", "expected"),
    [
        ('x="a"', {"x": "a"}, True),
        ('x="a"', {"x": "ab"}, False),
        ('x="a"', {}, False),
        ('x=""', {}, True),  # a missing label is the empty string
        ('x=""', {"x": ""}, True),
        ('x!="a"', {}, True),
        ('x!="a"', {"x": "a"}, False),
        ('x!=""', {}, False),
        ('x=~".*"', {}, True),
        ('x=~".+"', {}, False),
        ('x!~".*q"', {}, True),
        ('x!~".*q"', {"x": "aq"}, False),
        ('x=~"a|b"', {"x": "a"}, True),
        ('x=~"a|b"', {"x": "ab"}, False),  # anchored around the whole alternation
        ('x=~"b"', {"x": "abc"}, False),  # fully anchored, not a search
        ('x=~"a.*"', {"x": "abc"}, True),
        ('x=~"a"', {"x": "a\n"}, False),  # the end is the very end (no newline before it)
        ('x=~"(?i)PROD"', {"x": "prod"}, True),
        ('x!~"a|b"', {"x": "c"}, True),
    ],
)
def test_matching(matcher: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_matcher(matcher).matches(labels) is expected


def test_matchers_compare_by_meaning() -> None:
    assert parse_matcher("x=a") == parse_matcher('x = "a"')
    assert parse_matcher('x=~"a"') != parse_matcher('x="a"')
    assert len({parse_matcher("x=a"), parse_matcher('x="a"')}) == 1


# --- trees -------------------------------------------------------------------------------

R = Route.of


def where(decision: Decision) -> list[str]:
    return [r.describe() for r in decision.results]


TREE = R(
    service="root",
    routes=[
        R(
            'team="payments"',
            service="checkout",
            routes=[
                R('module=~"refund.*"', component="refunds"),
                R('severity="info"', action="suppress"),
                R('env="staging"', routes=[R('severity="critical"', service="staging-pager")]),
            ],
        ),
        R('team="search"', service="search", continue_=True),
        R('env="dev"', action="drop"),
        R('team=~"search|ads"', service="discovery"),
    ],
)


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        pytest.param({}, ["page root"], id="nothing-matches-the-root-is-the-result"),
        pytest.param({"team": "payments"}, ["page checkout"], id="child-without-children"),
        pytest.param(
            {"team": "payments", "module": "refunds"},
            ["page checkout/refunds"],
            id="component-of-the-parents-service",
        ),
        pytest.param(
            {"team": "payments", "severity": "info"},
            ["suppress checkout"],
            id="action-keeps-the-service",
        ),
        pytest.param(
            {"team": "payments", "module": "refunds", "severity": "info"},
            ["page checkout/refunds"],
            id="first-match-wins",
        ),
        pytest.param(
            {"team": "payments", "env": "staging"},
            ["page checkout"],
            id="inherits-target-when-no-grandchild-matches",
        ),
        pytest.param(
            {"team": "payments", "env": "staging", "severity": "critical"},
            ["page staging-pager"],
            id="grandchild",
        ),
        pytest.param(
            {"team": "search"}, ["page search", "page discovery"], id="continue-collects-the-next"
        ),
        pytest.param(
            {"team": "search", "env": "dev"},
            ["page search", "drop root"],
            id="continue-then-stop-at-the-first-non-continue",
        ),
        pytest.param({"team": "ads"}, ["page discovery"], id="regex-child"),
        pytest.param({"env": "dev", "team": "ads"}, ["drop root"], id="earlier-child-wins"),
    ],
)
def test_tree_semantics(labels: dict[str, str], expected: list[str]) -> None:
    assert where(route(TREE, labels)) == expected
    assert where(compile_route(TREE).route(labels)) == expected


def test_the_decision_path_says_why() -> None:
    decision = route(TREE, {"team": "payments", "module": "refunds"})
    assert decision.paths == (
        (
            Step("route"),
            Step("routes[0]", ('team="payments"',)),
            Step("routes[0].routes[0]", ('module=~"refund.*"',)),
        ),
    )
    assert [str(s) for s in decision.results[0].path] == [
        "route (matches every event)",
        'routes[0] {team="payments"}',
        'routes[0].routes[0] {module=~"refund.*"}',
    ]
    assert decision.results[0].node == "routes[0].routes[0]"


def test_the_root_matches_whatever_its_matchers() -> None:
    tree = Route((parse_matcher('x="never"'),), None, False, (R(service="a"),))
    assert where(route(tree, {})) == ["page a"]


def test_matchers_and_continue_are_not_inherited() -> None:
    tree = R(
        service="root",
        routes=[
            R('a="1"', continue_=True, routes=[R('b="1"', service="inner")]),
            R(service="next"),
        ],
    )
    # The grandchild does not need a="1" again, and does not continue on its own...
    assert where(route(tree, {"a": "1", "b": "1"})) == ["page inner", "page next"]
    # ...its parent's continue is what lets the walk go on.
    assert where(route(tree, {"a": "1"})) == ["page root", "page next"]


def test_inheritance_of_targets() -> None:
    tree = R(
        service="root",
        routes=[
            R(
                'a="1"',
                service="svc",
                routes=[
                    R(
                        'b="1"',
                        component="comp",
                        routes=[
                            R('c="1"'),
                            R('c="2"', action="drop"),
                            R('c="3"', service="other"),
                        ],
                    ),
                    R('b="2"', action="suppress", routes=[R('c="1"', component="late")]),
                ],
            ),
        ],
    )
    cases = {
        ("1", "1", "1"): "page svc/comp",
        ("1", "1", "2"): "drop svc/comp",
        ("1", "1", "3"): "page other",
        ("1", "2", "1"): "page svc/late",
        ("1", "2", "0"): "suppress svc",
    }
    for (a, b, c), expected in cases.items():
        assert where(route(tree, {"a": a, "b": b, "c": c})) == [expected]


def test_no_service_anywhere() -> None:
    result = route(R(routes=[R('x="1"', action="drop")]), {}).results[0]
    assert (result.service, result.component, result.action) == (None, None, "page")
    assert route(R(routes=[R('x="1"', action="drop")]), {"x": "1"}).results[0].describe() == "drop"


def test_a_target_is_one_thing() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        R(service="a", action="drop")
    with pytest.raises(ValueError, match="not one of suppress, drop"):
        R(action="page")


def test_an_indexed_node_keeps_the_order_of_its_children() -> None:
    children = [R(f'team="t{i}"', service=f"s{i}", continue_=True) for i in range(20)]
    children.insert(5, R('env=~"prod|dev"', service="regex", continue_=True))
    children.insert(12, R('team="t3"', 'env="prod"', service="again", continue_=True))
    children.append(R(service="last"))
    tree = R(service="root", routes=children)
    got = where(route(tree, {"team": "t3", "env": "prod"}))
    assert got == ["page s3", "page regex", "page again", "page last"]


# --- properties --------------------------------------------------------------------------

NAMES = ("team", "env", "sev")
VALUES = ("", "a", "b", "ab")

matcher_text = st.builds(
    lambda n, op, v: f'{n}{op}"{v}"',
    st.sampled_from(NAMES),
    st.sampled_from(("=", "!=", "=~", "!~")),
    st.sampled_from((*VALUES, "a.*", ".*", "a|b", ".+")),
)
targets = st.sampled_from(
    [{}, {"service": "s1"}, {"service": "s2"}, {"component": "c"}, {"action": "drop"}]
)


def trees(depth: int) -> st.SearchStrategy[Route]:
    children = st.just([]) if depth == 0 else st.lists(trees(depth - 1), max_size=10)
    return st.builds(
        lambda ms, t, cont, kids: Route.of(*ms, **t, continue_=cont, routes=kids),
        st.lists(matcher_text, max_size=2),
        targets,
        st.booleans(),
        children,
    )


labelsets = st.dictionaries(st.sampled_from(NAMES), st.sampled_from(VALUES), max_size=3)


@settings(max_examples=300, deadline=None)
@given(trees(3), labelsets)
def test_compiled_routing_is_the_definition(tree: Route, labels: dict[str, str]) -> None:
    """Index or not, the compiled router reaches the nodes the plain definition reaches."""
    decision = route(tree, labels)
    assert len(decision.results) == len(route_naive(tree, labels)) >= 1


@settings(max_examples=200, deadline=None)
@given(trees(2), labelsets)
def test_a_catch_all_child_always_yields_a_result_below_the_root(
    tree: Route, labels: dict[str, str]
) -> None:
    catch_all = R(service="catch-all")
    with_catch_all = Route(tree.matchers, tree.target, False, (*tree.routes, catch_all))
    decision = route(with_catch_all, labels)
    assert decision.results
    assert all(r.path[0].id == "route" and len(r.path) >= 2 for r in decision.results)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30), st.dictionaries(st.text(max_size=5), st.text(max_size=5)))
def test_parsing_and_routing_never_raise_anything_else(text: str, labels: dict[str, str]) -> None:
    try:
        m = parse_matcher(text)
    except ValueError:
        return
    assert isinstance(m, Matcher)
    route(Route((), None, False, (Route((m,), None, False, ()),)), labels)


def test_a_regex_cannot_escape_its_anchors() -> None:
    with pytest.raises(ValueError, match="unbalanced parenthesis"):
        parse_matcher('x=~"a)|(b"')
