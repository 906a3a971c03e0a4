"""Whose resolver a dns outage failed on (newcomer review 2, S5): only public resolvers that are not the router are
the provider's; the router, a LAN, link-local or loopback address, or resolvers never recorded are not."""

from __future__ import annotations

import pytest

from netwatch.adapters.store.codec import method_from_json, method_json
from netwatch.config.method import probe_method
from netwatch.core.model import ProbeMethod, Role, Target
from netwatch.core.nameservice import Resolver, resolver_at, resolver_side
from tests.support.configs import parse, toml

METHOD = ProbeMethod(1.0, 0.8, 3, 60, 5.0, 250.0, (Target(Role.GATEWAY, "81.2.69.1"), Target(Role.ANCHOR, "1.1.1.1")))


@pytest.mark.parametrize(
    ("resolvers", "side"),
    [
        (("81.2.69.160", "81.2.69.161"), Resolver.PROVIDER),  # the ISP's resolvers set in [dns] servers
        (("2a00:1098::1",), Resolver.PROVIDER),
        (("192.168.1.1",), Resolver.OWN),  # the router, the usual system resolver of a home line
        (("10.0.0.1",), Resolver.OWN),
        (("127.0.0.53",), Resolver.OWN),  # systemd-resolved's stub on this machine
        (("fe80::1",), Resolver.OWN),
        (("fd00::1",), Resolver.OWN),
        (("100.64.0.1",), Resolver.OWN),  # shared address space: not shown to be the provider's resolver
        (("81.2.69.160", "192.168.1.1"), Resolver.OWN),  # one of them the router: the failure may be its own
        (("81.2.69.1",), Resolver.OWN),  # a public address, but the gateway's
        ((), Resolver.OWN),
        (None, Resolver.UNRECORDED),
        (("1.1.1.1", "8.8.8.8"), Resolver.PUBLIC),  # another company's public resolvers: not the provider's
        (("2606:4700:4700::1111",), Resolver.PUBLIC),
        (("81.2.69.160", "9.9.9.9"), Resolver.PUBLIC),  # one of them another company's: the failure may be its
        (("9.9.9.9", "192.168.1.1"), Resolver.OWN),  # the router too: the owner's side wins
    ],
)
def test_whose_resolvers(resolvers: tuple[str, ...] | None, side: Resolver) -> None:
    assert resolver_side(resolvers, {"81.2.69.1"}) is side


def test_the_session_holding_the_instant_decides_and_its_gateway_counts() -> None:
    isp = ProbeMethod(**{**METHOD.__dict__, "resolvers": ("81.2.69.160",)})
    router = ProbeMethod(**{**METHOD.__dict__, "resolvers": ("81.2.69.1",)})  # the gateway, though public
    spans = [(0.0, 100.0, isp), (200.0, 300.0, router), (400.0, 500.0, None)]
    assert resolver_at(50.0, spans) is Resolver.PROVIDER
    assert resolver_at(250.0, spans) is Resolver.OWN
    assert resolver_at(450.0, spans) is Resolver.UNRECORDED  # a session from before resolvers were recorded
    assert resolver_at(150.0, spans) is Resolver.UNRECORDED  # in no session
    assert resolver_at(50.0, spans, ["81.2.69.160"]) is Resolver.OWN  # the router found by the rounds


def test_a_session_records_the_resolvers_its_names_go_to() -> None:
    servers = parse(toml({"dns": {"names": ["dns.google"], "servers": ["81.2.69.160"]}}))
    assert probe_method(servers, ("192.168.1.1",)).resolvers == ("81.2.69.160",)
    system = parse(toml({"dns": {"names": ["dns.google"]}}))
    assert probe_method(system, ["192.168.1.1"]).resolvers == ("192.168.1.1",)
    assert probe_method(system).resolvers is None  # today's configuration: the system's are not known
    assert probe_method(parse(toml({"dns": {"names": []}}))).resolvers == ()


def test_the_recorded_resolvers_survive_the_store_and_older_methods_keep_their_text() -> None:
    recorded = ProbeMethod(**{**METHOD.__dict__, "resolvers": ("81.2.69.160",)})
    assert method_from_json(method_json(recorded)) == recorded
    assert '"resolvers"' not in method_json(METHOD)  # the chained text of a method recorded before them
    assert method_from_json(method_json(METHOD)) == METHOD
