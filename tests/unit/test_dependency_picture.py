"""The dependency picture's geometry: dependants left, the service in the middle,
dependencies right, arrows from dependant to dependency, long sides cut short."""

from __future__ import annotations

from ownit.adapters.web.dependency_picture import MAX_PER_SIDE, NODE_WIDTH, layout, shorten


def test_three_columns_with_the_service_in_the_middle() -> None:
    pic = layout("api", upstream=["db", "cache"], downstream=["web"], open_incidents={"db": 2})
    roles = {n.name: n.role for n in pic.nodes}
    assert roles == {"web": "downstream", "api": "service", "cache": "upstream", "db": "upstream"}
    web, api, cache, db = pic.nodes
    assert web.x < api.x < cache.x == db.x
    assert cache.y < db.y  # by name, top to bottom
    assert api.cy == (cache.cy + db.cy) / 2  # centred on its neighbours
    assert web.cy == api.cy
    assert db.open_incidents == 2
    assert cache.open_incidents == 0
    assert pic.width == db.x + NODE_WIDTH + 8
    assert all(n.y + n.height <= pic.height for n in pic.nodes)
    assert [h for h, _ in pic.columns] == ["Depend on it", "This service", "It depends on"]


def test_arrows_run_from_dependant_to_dependency() -> None:
    pic = layout("api", upstream=["db"], downstream=["web"])
    web, api, db = pic.nodes
    into, out = pic.edges
    assert (into.x1, into.y1, into.x2, into.y2) == (web.x + web.width, web.cy, api.x, api.cy)
    assert (out.x1, out.y1, out.x2, out.y2) == (api.x + api.width, api.cy, db.x, db.cy)


def test_a_lonely_service_is_one_box_and_says_so() -> None:
    pic = layout("alone", upstream=[], downstream=[])
    assert [n.role for n in pic.nodes] == ["service"]
    assert pic.edges == ()
    assert pic.description == ("alone depends on no other service. No service depends on alone.")


def test_the_description_lists_both_sides() -> None:
    one = layout("api", upstream=["db", "cache"], downstream=["web"])
    assert one.description == "api depends on cache, db. web depends on api."
    two = layout("api", upstream=[], downstream=["web", "app"])
    assert two.description == "api depends on no other service. app, web depend on api."


def test_duplicates_and_self_references_are_drawn_once() -> None:
    pic = layout("api", upstream=["db", "db", "api"], downstream=["api"])
    assert [n.name for n in pic.nodes] == ["api", "db"]


def test_a_long_side_ends_in_a_more_box() -> None:
    names = [f"svc-{i:02d}" for i in range(MAX_PER_SIDE + 5)]
    pic = layout("core", upstream=[], downstream=names)
    left = [n for n in pic.nodes if n.role in ("downstream", "more")]
    assert len(left) == MAX_PER_SIDE + 1
    assert left[-1].role == "more"
    assert left[-1].label == "+5 more"
    assert left[-1].name == ""
    assert len(pic.edges) == MAX_PER_SIDE + 1
    assert max(n.y + n.height for n in pic.nodes) <= pic.height


def test_long_names_are_shortened_but_kept_whole_in_the_name() -> None:
    long = "a-very-long-service-name-that-goes-on-and-on"
    pic = layout(long, upstream=[], downstream=[])
    assert pic.nodes[0].name == long
    assert pic.nodes[0].label == shorten(long)
    assert pic.nodes[0].label.endswith("…")
    assert len(pic.nodes[0].label) == 24
    assert shorten("short") == "short"
