"""The rules of outgoing calls (no SSRF): which addresses are refused, the allow list, and the
guarded transport that connects only to the address it checked."""

from __future__ import annotations

import ipaddress

import httpcore
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ownit.adapters.notifiers.outbound import GuardedBackend, OutboundRefused, resolve
from ownit.domain.outbound import AllowList, AllowListError, IPAddress, kind, refusal

ip = ipaddress.ip_address
NOBODY = AllowList()


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.255.0.9", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("172.31.255.255", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fd12:3456::1", "a private address"),
        ("fc00::1", "a private address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("169.254.1.1", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("100.64.0.1", "a carrier-grade NAT address"),
        ("100.127.255.254", "a carrier-grade NAT address"),
        ("224.0.0.1", "a multicast address"),
        ("239.255.255.250", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),
        ("0.1.2.3", "an unspecified address"),
        ("::", "an unspecified address"),
        ("255.255.255.255", "a reserved address"),
        ("240.0.0.1", "a reserved address"),
        ("192.0.2.10", "not a public address"),  # documentation range
        ("198.18.0.1", "not a public address"),  # benchmarking range
        # IPv6 forms that carry an IPv4 address are judged by it
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:10.0.0.1", "a private address"),
        ("::ffff:169.254.169.254", "a cloud metadata address"),
        ("::127.0.0.1", "a loopback address"),  # v4-compatible
        ("64:ff9b::7f00:1", "a loopback address"),  # NAT64
        ("2002:7f00:1::", "a loopback address"),  # 6to4
        ("2002:a00:1::", "a private address"),
        # public
        ("93.184.215.14", None),
        ("8.8.8.8", None),
        ("172.32.0.1", None),
        ("100.128.0.1", None),
        ("2606:4700::1111", None),
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::808:808", None),
    ],
)
def test_address_kinds(address: str, why: str | None) -> None:
    assert kind(ip(address)) == why


@pytest.mark.parametrize(
    ("allow", "host", "address", "refused"),
    [
        ("", "127.0.0.1", "127.0.0.1", True),
        ("127.0.0.0/8", "127.0.0.1", "127.0.0.1", False),
        ("127.0.0.1", "127.0.0.1", "127.0.0.1", False),  # an address alone is a /32
        ("127.0.0.1/32", "127.0.0.2", "127.0.0.2", True),
        ("127.0.0.0/8", "x", "::ffff:127.0.0.1", False),  # v4-mapped form of an allowed one
        ("10.0.0.0/8", "x", "127.0.0.1", True),
        ("::1", "localhost", "::1", False),
        ("hooks.internal", "hooks.internal", "10.1.1.1", False),
        ("hooks.internal", "HOOKS.internal.", "10.1.1.1", False),
        ("hooks.internal", "evil.hooks.internal", "10.1.1.1", True),
        (" 10.0.0.0/8 , hooks.internal ", "a", "10.9.9.9", False),
        ("", "example.com", "93.184.215.14", False),
    ],
)
def test_allow_list(allow: str, host: str, address: str, refused: bool) -> None:
    assert (refusal(host, ip(address), AllowList.parse(allow)) is not None) is refused


def test_refusal_says_why_and_how_to_allow() -> None:
    assert refusal("localhost", ip("127.0.0.1"), NOBODY) == (
        "refused: 127.0.0.1 is a loopback address; allow it with OWNIT_OUTBOUND_ALLOW"
    )


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "not a host", "http://x/", "1.2.3"])
def test_bad_allow_entries_are_named(entry: str) -> None:
    with pytest.raises(AllowListError, match="OWNIT_OUTBOUND_ALLOW"):
        AllowList.parse(entry)


@given(st.ip_addresses(v=4))
def test_v4_mapped_is_judged_like_its_ipv4(address: ipaddress.IPv4Address) -> None:
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    assert kind(mapped) == kind(address)


@given(st.ip_addresses())
def test_allowing_an_address_always_lets_it_through(address: IPAddress) -> None:
    assert refusal("h", address, AllowList.parse(str(address))) is None


@given(st.ip_addresses())
def test_refused_exactly_when_not_public(address: IPAddress) -> None:
    assert (refusal("h", address, NOBODY) is None) is (kind(address) is None)


# --- the guarded backend ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "2130706433", "0x7f000001", "0x7f.1", "127.1", "017700000001", "localhost"],
)
def test_loopback_in_any_spelling_resolves_to_loopback(host: str) -> None:
    addresses = resolve(host, 80)
    assert addresses
    assert all(kind(a) == "a loopback address" for a in addresses)


class Connected(Exception):
    """Raised by the fake connect in place of opening a socket."""


def backend(answers: dict[str, list[str]], allow: str = "") -> tuple[GuardedBackend, list[str]]:
    lookups: list[str] = []

    def resolver(host: str, port: int) -> list[IPAddress]:
        lookups.append(host)
        return [ip(a) for a in answers[host]]

    return GuardedBackend(AllowList.parse(allow), resolver), lookups


@pytest.mark.parametrize(
    ("answers", "allow", "connects_to", "refused"),
    [
        (["10.0.0.5"], "", None, "10.0.0.5 is a private address"),
        (["169.254.169.254"], "", None, "a cloud metadata address"),
        (["::ffff:127.0.0.1"], "", None, "a loopback address"),
        (["10.0.0.5", "127.0.0.1"], "", None, "10.0.0.5 is a private address"),
        (["127.0.0.1", "93.184.215.14"], "", "93.184.215.14", None),  # only the public one
        (["10.0.0.5"], "10.0.0.0/8", "10.0.0.5", None),
        (["10.0.0.5"], "hooks.example", "10.0.0.5", None),
        ([], "", None, "has no address"),
    ],
)
def test_backend_connects_only_to_a_checked_address(
    monkeypatch: pytest.MonkeyPatch,
    answers: list[str],
    allow: str,
    connects_to: str | None,
    refused: str | None,
) -> None:
    guarded, lookups = backend({"hooks.example": answers}, allow)
    seen: list[str] = []

    def fake_connect(self: object, host: str, *args: object) -> httpcore.NetworkStream:
        seen.append(host)
        raise Connected

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", fake_connect)
    if refused is not None:
        with pytest.raises(OutboundRefused, match=refused):
            guarded.connect_tcp("hooks.example", 443)
        assert seen == []
    else:
        with pytest.raises(Connected):
            guarded.connect_tcp("hooks.example", 443)
        assert seen == [connects_to]  # an address literal: no second lookup of the name
    assert lookups == ["hooks.example"]


def test_unknown_name_is_a_connect_error() -> None:
    def resolver(host: str, port: int) -> list[IPAddress]:
        raise OSError("Name or service not known")

    with pytest.raises(httpcore.ConnectError):
        GuardedBackend(NOBODY, resolver).connect_tcp("nowhere.invalid", 80)
