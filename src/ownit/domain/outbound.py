"""Which addresses ownit may send to (outgoing calls are safe: no SSRF).

Users set their own webhook, Slack and push URLs, so an outgoing request must never reach
the machine's own services, the private network or the cloud's metadata service unless the
operator said so (``OWNIT_OUTBOUND_ALLOW``: CIDRs or host names). The rules are checked on
the *resolved* address (the adapter connects to the address it checked), so a name that
resolves inward is caught too. IPv6 forms that carry an IPv4 address (v4-mapped,
v4-compatible, NAT64, 6to4) are judged by the IPv4 address inside them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOW_SETTING = "OWNIT_OUTBOUND_ALLOW"

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# Most specific first: the first range that holds the address names why it is refused.
_REFUSED: tuple[tuple[IPNetwork, str], ...] = (
    (_V4("169.254.169.254/32"), "a cloud metadata address"),
    (_V6("fd00:ec2::254/128"), "a cloud metadata address"),
    (_V4("0.0.0.0/8"), "an unspecified address"),
    (_V6("::/128"), "an unspecified address"),
    (_V4("127.0.0.0/8"), "a loopback address"),
    (_V6("::1/128"), "a loopback address"),
    (_V4("10.0.0.0/8"), "a private address"),
    (_V4("172.16.0.0/12"), "a private address"),
    (_V4("192.168.0.0/16"), "a private address"),
    (_V6("fc00::/7"), "a private address"),
    (_V4("100.64.0.0/10"), "a carrier-grade NAT address"),
    (_V4("169.254.0.0/16"), "a link-local address"),
    (_V6("fe80::/10"), "a link-local address"),
    (_V4("224.0.0.0/4"), "a multicast address"),
    (_V6("ff00::/8"), "a multicast address"),
    (_V4("240.0.0.0/4"), "a reserved address"),
)
_NAT64 = _V6("64:ff9b::/96")
_V4_COMPATIBLE = _V6("::/96")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (v4-mapped, v4-compatible, NAT64, 6to4)."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _V4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def kind(address: IPAddress) -> str | None:
    """Why ``address`` is not a public address (``"a loopback address"``…), else ``None``."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return kind(inner)
    for network, why in _REFUSED:
        if address.version == network.version and address in network:
            return why
    if not address.is_global:
        return "not a public address"
    return None


class AllowListError(ValueError):
    """``OWNIT_OUTBOUND_ALLOW`` holds an entry that is neither a CIDR nor a host name."""


def _host_name(entry: str) -> bool:
    labels = entry.rstrip(".").split(".")
    return (
        all(
            0 < len(label) <= 63 and label.replace("-", "").replace("_", "").isalnum()
            for label in labels
        )
        and not entry.replace(".", "").isdigit()
    )


@dataclass(frozen=True, slots=True)
class AllowList:
    """The networks and host names an operator allows despite the rules above."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str | Iterable[str]) -> AllowList:
        """``"127.0.0.0/8, ::1, hooks.internal"`` → an allow list. An address alone is a
        one-address network. Raises :class:`AllowListError` naming the bad entry."""
        entries = text.split(",") if isinstance(text, str) else list(text)
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            if not _host_name(entry):
                raise AllowListError(
                    f"{ALLOW_SETTING}: {entry!r} is neither a CIDR (10.0.0.0/8) nor a host name"
                )
            hosts.add(entry.rstrip(".").lower())
        return cls(tuple(networks), frozenset(hosts))

    def allows_host(self, host: str) -> bool:
        return host.rstrip(".").lower() in self.hosts

    def allows(self, address: IPAddress) -> bool:
        candidates: list[IPAddress] = [address]
        inner = embedded_ipv4(address)
        if inner is not None:
            candidates.append(inner)
        return any(a.version == n.version and a in n for a in candidates for n in self.networks)


def refusal(host: str, address: IPAddress, allow: AllowList) -> str | None:
    """Why a request to ``host`` (resolved to ``address``) is refused, else ``None``."""
    if allow.allows_host(host) or allow.allows(address):
        return None
    why = kind(address)
    if why is None:
        return None
    return f"refused: {address} is {why}; allow it with {ALLOW_SETTING}"
