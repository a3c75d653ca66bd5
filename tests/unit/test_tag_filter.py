"""The tag and label filter of ``GET /api/v1/services`` and ``/incidents``: what it accepts,
and its invariants."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ownit.domain.catalog.tags import BadTagFilter, TagFilter, tag_filter

words = st.sampled_from(["pci", "java", "go", "tier-1", "eu"])
labels = st.dictionaries(st.sampled_from(["region", "team", "env"]), words, max_size=3)


@pytest.mark.parametrize(
    ("tags", "pairs", "expected"),
    [
        ((), (), TagFilter()),
        (("pci", "pci"), (), TagFilter(("pci",))),
        ((), ("region:eu",), TagFilter((), (("region", "eu"),))),
        ((), ("url:https://x",), TagFilter((), (("url", "https://x"),))),  # first : splits
        ((), ("note:",), TagFilter((), (("note", ""),))),
    ],
)
def test_good_filters(tags: tuple[str, ...], pairs: tuple[str, ...], expected: TagFilter) -> None:
    assert tag_filter(tags, pairs) == expected


@pytest.mark.parametrize(
    ("tags", "pairs", "field"),
    [
        (("PCI",), (), "tag"),
        (("a b",), (), "tag"),
        (("x" * 64,), (), "tag"),
        ((), ("region",), "label"),
        ((), (":eu",), "label"),
        ((), ("-x:y",), "label"),
    ],
)
def test_bad_filters_name_the_field(
    tags: tuple[str, ...], pairs: tuple[str, ...], field: str
) -> None:
    with pytest.raises(BadTagFilter) as caught:
        tag_filter(tags, pairs)
    assert caught.value.field == field


@given(st.lists(words), labels, st.lists(words, max_size=2), labels)
def test_invariants(
    have: list[str], own: dict[str, str], want: list[str], want_labels: dict[str, str]
) -> None:
    assert TagFilter().selects(have, own)  # the empty filter selects everything
    assert TagFilter(tuple(have), tuple(own.items())).selects(have, own)  # its own tags
    flt = TagFilter(tuple(want), tuple(want_labels.items()))
    narrower = TagFilter((*want, "zz-extra"), flt.labels)
    assert not (narrower.selects(have, own) and not flt.selects(have, own))  # never wider
    assert flt.selects(have, own) == (
        set(want) <= set(have) and all(own.get(k) == v for k, v in want_labels.items())
    )
