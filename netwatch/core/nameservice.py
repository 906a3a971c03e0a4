"""Whose name service a DNS outage failed on: the provider's, or one on the owner's own side of the line.

Owns the rule that decides whether a ``dns`` outage may be claimed from the provider: only when every resolver the
session recorded is a public address that is not the gateway (the provider's resolvers, set in ``[dns] servers``,
or the public resolvers the system resolver used). A resolver on a private, LAN, link-local or loopback address, or
the gateway itself, is the owner's router (or this machine): its failure is not the provider's. A well-known public
resolver run by another company (Cloudflare, Google, Quad9, OpenDNS: ``PUBLIC_RESOLVERS``) is not the provider's
either: its failure is that company's, or unknown. Where the session recorded no resolvers, nothing is known and
nothing is claimed. Must not read resolv.conf, the store or the
configuration: the resolvers and the gateway addresses are given.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable, Sequence
from enum import Enum

from netwatch.core.model import ProbeMethod, Role


class Resolver(Enum):
    """Whose resolver a session's names were resolved through."""

    PROVIDER = "provider"  # public resolvers, none of them the gateway: a failure is claimed from the provider
    OWN = "own"  # the router or another resolver on the owner's network (or this machine): never claimed
    PUBLIC = "public"  # a public resolver of another company (1.1.1.1, 8.8.8.8, ...): never claimed
    UNRECORDED = "unrecorded"  # the session recorded no resolvers: nothing is claimed


# The anycast addresses of the public resolvers most often set by hand: their failure is not the access provider's.
_PUBLIC = (
    "1.1.1.1 1.0.0.1 1.1.1.2 1.0.0.2 1.1.1.3 1.0.0.3 2606:4700:4700::1111 2606:4700:4700::1001",  # Cloudflare
    "8.8.8.8 8.8.4.4 2001:4860:4860::8888 2001:4860:4860::8844",  # Google
    "9.9.9.9 149.112.112.112 9.9.9.10 149.112.112.10 2620:fe::fe 2620:fe::9",  # Quad9
    "208.67.222.222 208.67.220.220 2620:119:35::35 2620:119:53::53",  # OpenDNS
    "94.140.14.14 94.140.15.15",  # AdGuard
)
PUBLIC_RESOLVERS = frozenset(str(ipaddress.ip_address(a)) for company in _PUBLIC for a in company.split())


def resolver_side(resolvers: Sequence[str] | None, gateways: Collection[str]) -> Resolver:
    """Whose ``resolvers`` are (None: not recorded). PROVIDER only when there is at least one and every one is a
    global address that is not one of ``gateways`` nor a well-known public resolver; a resolver that is not an IP
    address counts as the owner's. The owner's side wins over another company's."""
    if resolvers is None:
        return Resolver.UNRECORDED
    if not resolvers:
        return Resolver.OWN
    side = Resolver.PROVIDER
    for text in resolvers:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            return Resolver.OWN
        if not address.is_global or str(address) in gateways or text in gateways:
            return Resolver.OWN
        if str(address) in PUBLIC_RESOLVERS:
            side = Resolver.PUBLIC
    return side


def gateways_of(methods: Iterable[ProbeMethod | None]) -> frozenset[str]:
    """The gateway addresses ``methods`` name ("auto" left out: the rounds name the address found)."""
    return frozenset(
        t.address for m in methods if m is not None for t in m.targets if t.role is Role.GATEWAY and t.address != "auto"
    )


def resolver_lookup(
    spans: Sequence[tuple[float, float, ProbeMethod | None]], gateways: Collection[str] = ()
) -> Callable[[float], Resolver]:
    """Whose resolvers were in use at an instant, from ``spans`` (start, end, the method recorded then; in order of
    their starts), the last span holding it winning; UNRECORDED when none holds it or its method recorded none.
    Each span is judged once, and an instant found by bisection: a year's outages cost no more than their count."""
    known = set(gateways) | gateways_of(m for _, _, m in spans)
    starts = [start for start, _, _ in spans]
    sides = [resolver_side(None if m is None else m.resolvers, known) for _, _, m in spans]

    def at(instant: float) -> Resolver:
        i = bisect_right(starts, instant) - 1
        while i >= 0 and spans[i][1] < instant:  # an earlier span may reach further than a later, shorter one
            i -= 1
        return sides[i] if i >= 0 else Resolver.UNRECORDED

    return at


def resolver_at(
    at: float, spans: Sequence[tuple[float, float, ProbeMethod | None]], gateways: Collection[str] = ()
) -> Resolver:
    """Whose resolvers were in use at ``at`` (``resolver_lookup`` for one instant)."""
    return resolver_lookup(spans, gateways)(at)
