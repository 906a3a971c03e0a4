"""The probes: route and resolv.conf parsers, the DNS wire format, DnsProber against a real UDP responder on the
loopback, the ICMP mode decision, and IcmpProber for real inside a throwaway network namespace."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from icmplib.exceptions import ICMPSocketError, SocketPermissionError

from netwatch.adapters.probes import dns, icmp
from netwatch.adapters.probes.discover import Routes, parse_ipv6_route, parse_proc_route
from netwatch.adapters.probes.dns import Answer, DnsProber, decode_response, encode_query, parse_resolv_conf
from netwatch.core.model import Role, Sample, Target
from netwatch.errors import IcmpPermissionError, ProbeError
from tests.support.skipping import unavailable
from tests.support.unprivileged import as_user, environment, importable, python

# --- discover: /proc/net/route and /proc/net/ipv6_route -------------------------------------------------------

ROUTE_HEADER = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"


def route_line(iface: str, dest: str, gateway: str, flags: int, metric: int, mask: str) -> str:
    """One /proc/net/route line: addresses as the kernel prints them, little-endian hex."""

    def le(address: str) -> str:
        return f"{struct.unpack('<I', socket.inet_aton(address))[0]:08X}"

    return f"{iface}\t{le(dest)}\t{le(gateway)}\t{flags:04X}\t0\t0\t{metric}\t{le(mask)}\t0\t0\t0\n"


class TestProcRoute:
    def test_default_route_gateway_is_decoded_from_little_endian_hex(self) -> None:
        text = (
            ROUTE_HEADER
            + "eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
            + "eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n"
        )
        assert parse_proc_route(text) == "192.168.1.1"

    def test_high_octets_decode_without_sign_problems(self) -> None:
        text = ROUTE_HEADER + route_line("wlan0", "0.0.0.0", "203.0.113.254", 0x3, 600, "0.0.0.0")
        assert "FE7100CB" in text  # the kernel's byte order, checked once by hand
        assert parse_proc_route(text) == "203.0.113.254"

    def test_lowest_metric_wins_whatever_the_order(self) -> None:
        text = (
            ROUTE_HEADER
            + route_line("wlan0", "0.0.0.0", "10.0.0.1", 0x3, 600, "0.0.0.0")
            + route_line("eth0", "0.0.0.0", "192.168.1.1", 0x3, 100, "0.0.0.0")
            + route_line("wwan0", "0.0.0.0", "100.64.0.1", 0x3, 700, "0.0.0.0")
        )
        assert parse_proc_route(text) == "192.168.1.1"

    def test_no_default_route(self) -> None:
        text = ROUTE_HEADER + route_line("eth0", "192.168.1.0", "0.0.0.0", 0x1, 100, "255.255.255.0")
        assert parse_proc_route(text) is None
        assert parse_proc_route(ROUTE_HEADER) is None
        assert parse_proc_route("") is None

    def test_default_route_without_gateway_flag_is_ignored(self) -> None:
        # e.g. a point-to-point link (ppp0, wg0): no next hop to ping
        text = ROUTE_HEADER + route_line("ppp0", "0.0.0.0", "0.0.0.0", 0x1, 0, "0.0.0.0")
        assert parse_proc_route(text) is None

    def test_a_route_with_a_mask_is_not_a_default_route(self) -> None:
        # 0.0.0.0/1 (a VPN's half of the address space) has destination 0 but is not the default route
        text = ROUTE_HEADER + route_line("tun0", "0.0.0.0", "10.8.0.1", 0x3, 0, "128.0.0.0")
        assert parse_proc_route(text) is None


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_routes_are_read_again_at_every_call_through_descriptors_kept_open(tmp_path: Path) -> None:
    """The daemon asks for the gateway every round: the tables are read again each time (a new default route is
    seen at the next round) through one descriptor per table, opened once, not a file opened and closed per call."""
    ipv4, ipv6, gone = tmp_path / "route", tmp_path / "ipv6_route", tmp_path / "missing"
    ipv4.write_text(ROUTE_HEADER + route_line("eth0", "0.0.0.0", "192.168.1.1", 0x3, 100, "0.0.0.0"))
    ipv6.write_text(ipv6_line("::", 0, "fe80::1", 1024, 0x3, "eth0"))
    routes = Routes(((str(gone), parse_proc_route), (str(ipv4), parse_proc_route), (str(ipv6), parse_ipv6_route)))
    before = open_descriptors()
    assert routes.default_gateway() == "192.168.1.1"
    assert open_descriptors() == before + 1  # IPv4's table answered; the missing one is not asked again
    ipv4.write_text(ROUTE_HEADER + route_line("wlan0", "0.0.0.0", "10.0.0.1", 0x3, 600, "0.0.0.0"))  # same inode
    assert routes.default_gateway() == "10.0.0.1"
    ipv4.write_text(ROUTE_HEADER)
    assert routes.default_gateway() == "fe80::1%eth0"
    assert routes.default_gateway() == "fe80::1%eth0"
    assert open_descriptors() == before + 2
    routes.close()
    assert open_descriptors() == before


def ipv6_line(dest: str, plen: int, nexthop: str, metric: int, flags: int, iface: str) -> str:
    def hexa(address: str) -> str:
        return ipaddress.IPv6Address(address).packed.hex()

    zero = "0" * 32
    return f"{hexa(dest)} {plen:02x} {zero} 00 {hexa(nexthop)} {metric:08x} 00000001 00000000 {flags:08x} {iface:>8}\n"


class TestIpv6Route:
    def test_global_gateway(self) -> None:
        # as on this machine's container network: fd00::1 via eth0, plus connected and local routes
        text = (
            "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 "
            "00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n"
            "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
            "fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0\n"
            "00000000000000000000000000000001 80 00000000000000000000000000000000 00 "
            "00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo\n"
            "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
            "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n"
        )
        assert parse_ipv6_route(text) == "fd00::1"

    def test_link_local_gateway_carries_its_interface(self) -> None:
        # routers advertise fe80:: next hops; without the zone the address cannot be pinged
        text = ipv6_line("::", 0, "fe80::211:22ff:fe33:4455", 1024, 0x450003, "eth0")
        assert parse_ipv6_route(text) == "fe80::211:22ff:fe33:4455%eth0"
        assert ipaddress.ip_address(parse_ipv6_route(text) or "").version == 6

    def test_lowest_metric_wins(self) -> None:
        text = (
            ipv6_line("::", 0, "fe80::1", 600, 0x450003, "wlan0")
            + ipv6_line("::", 0, "2001:db8::1", 100, 0x3, "eth0")
            + ipv6_line("::", 0, "fe80::2", 1024, 0x450003, "eth1")
        )
        assert parse_ipv6_route(text) == "2001:db8::1"

    def test_absent(self) -> None:
        text = (
            ipv6_line("2001:db8::", 64, "::", 256, 0x1, "eth0")
            + ipv6_line("::", 0, "::", 0xFFFFFFFF, 0x200200, "lo")  # the kernel's "unreachable" default
            + ipv6_line("::", 1, "2001:db8::1", 1, 0x3, "tun0")  # ::/1 is not the default route
        )
        assert parse_ipv6_route(text) is None
        assert parse_ipv6_route("") is None


# --- dns: wire format -------------------------------------------------------------------------------------------


def rr_a(address: str, owner: bytes = b"\xc0\x0c") -> bytes:
    """An A record; the owner name defaults to a compression pointer to the question (offset 12)."""
    return owner + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(address)


def response(
    query: bytes,
    *,
    rcode: int = 0,
    records: tuple[bytes, ...] = (),
    qid: int | None = None,
    flags: int = 0x8180,
) -> bytes:
    """A response to ``query``: its question echoed, then ``records`` as the answer section."""
    (query_id,) = struct.unpack_from("!H", query)
    header = struct.pack("!HHHHHH", query_id if qid is None else qid, flags | rcode, 1, len(records), 0, 0)
    return header + query[12:] + b"".join(records)


class TestWireFormat:
    def test_encode_query_exact_bytes(self) -> None:
        expected = (
            b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"  # id, RD, one question
            b"\x07example\x03com\x00"
            b"\x00\x01\x00\x01"  # type A, class IN
        )
        assert encode_query("example.com", 0x1234) == expected
        assert encode_query("example.com.", 0x1234) == expected
        assert encode_query("example.com", 0x1234, qtype=28)[-4:] == b"\x00\x1c\x00\x01"

    def test_encode_query_idna(self) -> None:
        assert b"\x0dxn--bcher-kva\x07example\x00" in encode_query("bücher.example", 1)

    def test_answer_with_compression_pointer(self) -> None:
        query = encode_query("dns.google", 0xBEEF)
        data = response(query, records=(rr_a("8.8.8.8"), rr_a("8.8.4.4")))
        assert decode_response(data) == Answer(qid=0xBEEF, rcode=0, answers=2, name="dns.google")

    def test_cname_chain_with_pointers_into_earlier_records(self) -> None:
        query = encode_query("WWW.Example.COM", 7)
        cname_rdata = b"\x03cdn\xc0\x10"  # "cdn" + pointer to "example.com" inside the question
        cname = b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, 60, len(cname_rdata)) + cname_rdata
        cname_target = 12 + len(query[12:]) + 12  # offset of cname_rdata in the packet
        a_record = rr_a("192.0.2.7", owner=bytes([0xC0, cname_target]))
        data = response(query, records=(cname, a_record))
        assert decode_response(data) == Answer(qid=7, rcode=0, answers=2, name="www.example.com")

    def test_error_rcodes(self) -> None:
        query = encode_query("nothing.invalid", 42)
        assert decode_response(response(query, rcode=3)) == Answer(42, 3, 0, "nothing.invalid")
        assert decode_response(response(query, rcode=2)) == Answer(42, 2, 0, "nothing.invalid")

    def test_error_without_question(self) -> None:
        # some servers answer FORMERR/REFUSED without echoing the question
        assert decode_response(struct.pack("!HHHHHH", 9, 0x8185, 0, 0, 0, 0)) == Answer(9, 5, 0, None)
        # ... but a NOERROR response must say what it answers
        assert decode_response(struct.pack("!HHHHHH", 9, 0x8180, 0, 0, 0, 0)) is None

    def test_a_query_is_not_a_response(self) -> None:
        assert decode_response(encode_query("example.com", 1)) is None

    @pytest.mark.parametrize("cut", [0, 1, 11, 12, 20, 28, 40, 44])
    def test_truncated_packets(self, cut: int) -> None:
        data = response(encode_query("example.com", 1), records=(rr_a("192.0.2.1"),))
        assert len(data) == 45
        assert decode_response(data[:cut]) is None

    def test_truncation_flag_keeps_the_complete_records(self) -> None:
        query = encode_query("example.com", 1)
        data = response(query, records=(rr_a("192.0.2.1"), rr_a("192.0.2.2")), flags=0x8380)  # TC set
        assert decode_response(data[:-3]) == Answer(1, 0, 1, "example.com")

    @pytest.mark.parametrize(
        "data",
        [
            b"\xff" * 12,  # a header claiming 65535 questions
            b"\x00\x01\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01",  # pointer to itself
            b"\x00\x01\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00\x40abc\x00\x00\x01\x00\x01",  # reserved label type
            b"\x00\x01\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00\x01\x00\x01\xc0",  # pointer cut in half
            bytes(range(256)),
        ],
    )
    def test_garbage(self, data: bytes) -> None:
        assert decode_response(data) is None


class TestResolvConf:
    def test_typical_file(self) -> None:
        text = (
            "# Generated by NetworkManager\n"
            "search home.arpa example.com\n"
            "nameserver 192.168.1.1\n"
            "nameserver 2001:db8::53  # the ISP's\n"
            "; nameserver 10.9.9.9\n"
            "#nameserver 10.8.8.8\n"
            "nameserver fe80::1%eth0\n"
            "options edns0 trust-ad timeout:1\n"
            "  nameserver   9.9.9.9\n"
            "nameserver not-an-address\n"
            "nameserver\n"
            "nameserver 0:0::1\n"
        )
        assert parse_resolv_conf(text) == ("192.168.1.1", "2001:db8::53", "9.9.9.9", "::1")

    def test_no_nameserver(self) -> None:
        assert parse_resolv_conf("options rotate\nsearch example.com\n") == ()
        assert parse_resolv_conf("") == ()


# --- dns: DnsProber against a real UDP responder on the loopback ------------------------------------------------

Behaviour = Callable[[bytes], list[bytes]]  # query → datagrams to send back


def answer_ok(query: bytes) -> list[bytes]:
    return [response(query, records=(rr_a("192.0.2.1"),))]


def answer_rcode(rcode: int) -> Behaviour:
    return lambda query: [response(query, rcode=rcode)]


class Responder(asyncio.DatagramProtocol):
    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.queries: list[bytes] = []
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # not a subclass in 3.11, but has its methods

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.queries.append(data)
        assert self.transport is not None
        for datagram in self.behaviour(data):
            self.transport.sendto(datagram, addr)


@contextlib.asynccontextmanager
async def responders(*behaviours: tuple[str, Behaviour]) -> AsyncIterator[tuple[int, list[Responder]]]:
    """UDP DNS responders on the same port of several loopback addresses, e.g. 127.0.0.1 and 127.0.0.2."""
    loop = asyncio.get_running_loop()
    transports: list[asyncio.DatagramTransport] = []
    protocols: list[Responder] = []
    port = 0
    try:
        for host, behaviour in behaviours:
            transport, protocol = await loop.create_datagram_endpoint(
                lambda b=behaviour: Responder(b),  # type: ignore[misc]
                local_addr=(host, port),
            )
            port = transport.get_extra_info("sockname")[1]
            transports.append(transport)
            protocols.append(protocol)
        yield port, protocols
    finally:
        for transport in transports:
            transport.close()
        await asyncio.sleep(0)  # let the transports close their sockets


def probe(prober: DnsProber) -> tuple[Sample, ...]:
    return asyncio.run(prober.probe())


class TestDnsProber:
    def test_answers(self) -> None:
        async def run() -> tuple[tuple[Sample, ...], list[Responder]]:
            async with responders(("127.0.0.1", answer_ok)) as (port, found):
                return await DnsProber(["one.example", "two.example."], ["127.0.0.1"], 1.0, port=port).probe(), found

        samples, (server,) = asyncio.run(run())
        assert [s.target for s in samples] == [Target(Role.DNS, "one.example"), Target(Role.DNS, "two.example.")]
        assert all(s.ok and s.error == "" and 0 <= (s.rtt_ms or 0) < 1000 for s in samples)
        # the queries as the responder saw them: one per name, the final dot dropped
        assert sorted(q[12:-4] for q in server.queries) == [b"\x03one\x07example\x00", b"\x03two\x07example\x00"]

    @pytest.mark.parametrize(("rcode", "error"), [(2, "SERVFAIL"), (3, "NXDOMAIN"), (5, "REFUSED"), (9, "rcode 9")])
    def test_error_rcodes(self, rcode: int, error: str) -> None:
        async def run() -> tuple[Sample, ...]:
            async with responders(("127.0.0.1", answer_rcode(rcode))) as (port, _):
                return await DnsProber(["example.test"], ["127.0.0.1"], 0.2, port=port).probe()

        assert asyncio.run(run()) == (Sample(Target(Role.DNS, "example.test"), None, error),)

    def test_noerror_without_records(self) -> None:
        async def run() -> tuple[Sample, ...]:
            async with responders(("127.0.0.1", lambda q: [response(q)])) as (port, _):
                return await DnsProber(["example.test"], ["127.0.0.1"], 0.2, port=port).probe()

        assert asyncio.run(run()) == (Sample(Target(Role.DNS, "example.test"), None, "no answer"),)

    def test_silence_is_a_lost_sample_after_the_timeout(self) -> None:
        async def run() -> tuple[tuple[Sample, ...], float, list[Responder]]:
            async with responders(("127.0.0.1", lambda q: [])) as (port, found):
                start = time.monotonic()
                samples = await DnsProber(["example.test"], ["127.0.0.1"], 0.2, port=port).probe()
                return samples, time.monotonic() - start, found

        samples, elapsed, (server,) = asyncio.run(run())
        assert samples == (Sample(Target(Role.DNS, "example.test"), None, "timeout"),)
        assert 0.18 <= elapsed < 1.0
        # Asked twice, the same question with the same id: once, and again halfway through the timeout.
        assert len(server.queries) == 2 and server.queries[0] == server.queries[1]

    def test_a_round_of_names_starts_no_task(self) -> None:
        """Replies are read by a callback per socket and the second query is a timer: the round is the caller's task
        alone (a task per socket, one for the second query, a wait and a gather every round cost more than the
        queries). Seen from a task watching while the round waits for its silent resolvers of both families."""

        async def run() -> tuple[int, tuple[Sample, ...]]:
            async with responders(("127.0.0.1", lambda q: []), ("::1", lambda q: [])) as (port, _):
                prober = DnsProber(["example.test"], ["127.0.0.1", "::1"], 0.2, port=port)
                round_ = asyncio.ensure_future(prober.probe())
                await asyncio.sleep(0.05)
                tasks = len(asyncio.all_tasks())
                return tasks, await round_

        tasks, samples = asyncio.run(run())
        assert tasks == 2  # this test's and the round's
        assert samples == (Sample(Target(Role.DNS, "example.test"), None, "timeout"),)

    def test_a_lost_query_is_asked_again_within_the_timeout(self) -> None:
        asked: list[bytes] = []

        def drop_the_first(query: bytes) -> list[bytes]:
            asked.append(query)
            return [] if len(asked) == 1 else answer_ok(query)

        async def run() -> tuple[Sample, ...]:
            async with responders(("127.0.0.1", drop_the_first)) as (port, _):
                return await DnsProber(["example.test"], ["127.0.0.1"], 0.4, port=port).probe()

        (sample,) = asyncio.run(run())
        assert sample.ok and sample.rtt_ms is not None and sample.rtt_ms >= 190, sample

    def test_junk_before_the_answer_is_ignored(self) -> None:
        def junk_then_answer(query: bytes) -> list[bytes]:
            (qid,) = struct.unpack_from("!H", query)
            other = encode_query("other.example", qid)
            return [
                b"\x00garbage",
                response(query, records=(rr_a("192.0.2.1"),))[:-2],  # cut short
                response(query, records=(rr_a("192.0.2.1"),), qid=qid ^ 0xFFFF),  # another id
                response(other, records=(rr_a("192.0.2.1"),)),  # our id, another question
                query,  # our own query reflected: not a response
                *answer_ok(query),
            ]

        async def run() -> tuple[Sample, ...]:
            async with responders(("127.0.0.1", junk_then_answer)) as (port, _):
                return await DnsProber(["example.test"], ["127.0.0.1"], 1.0, port=port).probe()

        (sample,) = asyncio.run(run())
        assert sample.ok and sample.error == ""

    def test_junk_alone_is_a_timeout(self) -> None:
        def wrong_id(query: bytes) -> list[bytes]:
            (qid,) = struct.unpack_from("!H", query)
            return [response(query, records=(rr_a("192.0.2.1"),), qid=qid ^ 1)]

        async def run() -> tuple[Sample, ...]:
            async with responders(("127.0.0.1", wrong_id)) as (port, _):
                return await DnsProber(["example.test"], ["127.0.0.1"], 0.2, port=port).probe()

        assert asyncio.run(run()) == (Sample(Target(Role.DNS, "example.test"), None, "timeout"),)

    def test_a_failing_resolver_does_not_hide_a_working_one(self) -> None:
        async def run() -> tuple[Sample, ...]:
            async with responders(("127.0.0.1", answer_rcode(2)), ("127.0.0.2", answer_ok)) as (port, _):
                return await DnsProber(["example.test"], ["127.0.0.1", "127.0.0.2"], 1.0, port=port).probe()

        (sample,) = asyncio.run(run())
        assert sample.ok

    def test_mixed_families_end_the_round_when_every_name_is_answered(self) -> None:
        # ::1 has no listener on the port (its port unreachable is ignored by an unconnected socket): the round
        # must still end as soon as 127.0.0.1 has answered everything, not at the timeout.
        async def run() -> tuple[tuple[Sample, ...], float]:
            async with responders(("127.0.0.1", answer_ok)) as (port, _):
                start = time.monotonic()
                samples = await DnsProber(["a.example", "b.example"], ["::1", "127.0.0.1"], 3.0, port=port).probe()
                return samples, time.monotonic() - start

        samples, elapsed = asyncio.run(run())
        assert all(s.ok for s in samples)
        assert elapsed < 1.0

    def test_no_names(self) -> None:
        assert probe(DnsProber([], ["127.0.0.1"], 0.2)) == ()


class TestSystemResolvers:
    """``servers`` empty: the resolvers of resolv.conf, re-read when its mtime changes. The path is the module
    constant ``dns.RESOLV_CONF``, read at each call, so the tests point it at a file of their own."""

    @pytest.fixture
    def resolv(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
        path = tmp_path / "resolv.conf"
        monkeypatch.setattr(dns, "RESOLV_CONF", str(path))
        yield path

    def test_reread_on_mtime_change(self, resolv: Path) -> None:
        resolv.write_text("nameserver 127.0.0.1\n")
        os.utime(resolv, (1_000_000, 1_000_000))
        prober = DnsProber(["example.test"], [], 0.2)
        assert prober.servers() == ("127.0.0.1",)
        resolv.write_text("nameserver 127.0.0.2\nnameserver ::1\n")
        os.utime(resolv, (1_000_000, 1_000_000))
        assert prober.servers() == ("127.0.0.1",), "same mtime: the cached list is kept"
        os.utime(resolv, (2_000_000, 2_000_000))
        assert prober.servers() == ("127.0.0.2", "::1")

    def test_a_vanished_file_keeps_the_last_resolvers(self, resolv: Path) -> None:
        resolv.write_text("nameserver 127.0.0.1\n")
        prober = DnsProber(["example.test"], [], 0.2)
        assert prober.servers() == ("127.0.0.1",)
        resolv.unlink()
        assert prober.servers() == ("127.0.0.1",)

    def test_fixed_servers_ignore_the_file(self, resolv: Path) -> None:
        resolv.write_text("nameserver 127.0.0.1\n")
        assert DnsProber(["example.test"], ["192.0.2.53"], 0.2).servers() == ("192.0.2.53",)

    def test_no_resolver_means_not_probed_rather_than_a_dns_outage(self, resolv: Path) -> None:
        assert probe(DnsProber(["example.test"], [], 0.2)) == ()  # no file at all
        resolv.write_text("# nothing here\noptions edns0\n")
        assert probe(DnsProber(["example.test"], [], 0.2)) == ()

    def test_probe_uses_the_file(self, resolv: Path) -> None:
        async def run() -> tuple[Sample, ...]:
            async with responders(("127.0.0.1", answer_ok)) as (port, _):
                resolv.write_text("nameserver 127.0.0.1\n")
                return await DnsProber(["example.test"], [], 1.0, port=port).probe()

        (sample,) = asyncio.run(run())
        assert sample.ok


# --- icmp: socket mode -----------------------------------------------------------------------------------------


class FakeIcmpSocket:
    def close(self) -> None:
        pass


def sockets(works: set[bool]) -> Callable[[int, bool], FakeIcmpSocket]:
    """A fake of icmplib's socket constructor: only the modes in ``works`` open (privileged True/False)."""

    def open_socket(family: int, privileged: bool) -> FakeIcmpSocket:
        if privileged not in works:
            raise SocketPermissionError(privileged)  # what icmplib raises for EPERM/EACCES
        return FakeIcmpSocket()

    return open_socket


class TestChooseMode:
    @pytest.fixture(autouse=True)
    def _range(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(icmp, "ping_group_range", lambda: "1 0")

    @pytest.mark.parametrize(
        ("mode", "works", "privileged"),
        [
            ("auto", {False, True}, False),  # unprivileged preferred
            ("auto", {True}, True),
            ("unprivileged", {False}, False),
            ("privileged", {True}, True),
        ],
    )
    def test_working_mode(self, monkeypatch: pytest.MonkeyPatch, mode: str, works: set[bool], privileged: bool) -> None:
        monkeypatch.setattr(icmp, "_socket", sockets(works))
        assert icmp.choose_mode(mode) is privileged

    @pytest.mark.parametrize("mode", ["auto", "unprivileged"])
    def test_neither_works_names_both_fixes(self, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
        monkeypatch.setattr(icmp, "_socket", sockets(set() if mode == "auto" else {True}))
        with pytest.raises(IcmpPermissionError) as caught:
            icmp.choose_mode(mode)
        assert str(caught.value) == (
            'cannot open ICMP sockets: unprivileged ICMP is not allowed for this group (net.ipv4.ping_group_range is "1'
            ' 0") and this process has no CAP_NET_RAW. Fix one of: allow unprivileged ping with `sudo sysctl -w '
            'net.ipv4.ping_group_range="0 2147483647"` (make it permanent with systemd/99-netwatch-ping.conf in '
            "/etc/sysctl.d/), or grant CAP_NET_RAW (run as root, AmbientCapabilities=CAP_NET_RAW in the service, or "
            "`sudo setcap cap_net_raw+ep` on the Python binary)"
        )

    def test_privileged_without_capability(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(icmp, "_socket", sockets({False}))
        with pytest.raises(IcmpPermissionError) as caught:
            icmp.choose_mode("privileged")
        assert str(caught.value) == (
            'probe.mode is "privileged" but this process has no CAP_NET_RAW: run as root, add '
            'AmbientCapabilities=CAP_NET_RAW to the service, or set probe.mode = "auto"'
        )

    def test_other_socket_errors_are_probe_errors(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def broken(family: int, privileged: bool) -> FakeIcmpSocket:
            raise ICMPSocketError("Address family not supported by protocol")

        monkeypatch.setattr(icmp, "_socket", broken)
        with pytest.raises(ProbeError, match=r"^cannot open an ICMP socket: Address family not supported by protocol$"):
            icmp.choose_mode("auto")


# --- icmp: IcmpProber for real, in a throwaway network namespace ------------------------------------------------

NETNS_SCRIPT = """
import asyncio, json, sys
from netwatch.errors import IcmpPermissionError
from netwatch.core.model import Role, Target
from netwatch.adapters.probes.icmp import IcmpProber, choose_mode

async def probe(privileged):
    prober = IcmpProber(privileged, 0.5)
    try:
        samples = await prober.probe([Target(Role.ANCHOR, a) for a in ("127.0.0.1", "::1", "10.255.255.1")])
    finally:
        prober.close()
    return {s.target.address: {"rtt_ms": s.rtt_ms, "error": s.error} for s in samples}

out = {}
for mode in ("auto", "privileged"):
    try:
        out[mode] = choose_mode(mode)
    except IcmpPermissionError as err:
        out[mode] = str(err)
for mode in sys.argv[1:]:
    out[mode + " probe"] = asyncio.run(probe(mode == "privileged"))
print(json.dumps(out))
"""


def _netns_unavailable() -> str | None:
    if not sys.platform.startswith("linux"):
        return "network namespaces are Linux only"
    if os.geteuid() != 0:
        return "needs root to create a network namespace (run the suite as root)"
    for tool in ("ip", "setpriv"):
        if shutil.which(tool) is None:
            return f"needs the {tool!r} command (iproute2, util-linux)"
    return None


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10, check=False)


@pytest.fixture
def netns() -> Iterator[str]:
    """A network namespace with only ``lo`` up; skipped (failed under CI) where one cannot be made."""
    reason = _netns_unavailable()
    name = f"nwunit{os.getpid()}"
    if reason is None:
        made = _ip("netns", "add", name)
        if made.returncode != 0:
            reason = f"`ip netns add` failed: {made.stderr.strip()}"
    if reason is not None:
        unavailable(reason)
    try:
        up = _ip("-n", name, "link", "set", "lo", "up")
        assert up.returncode == 0, up.stderr
        yield name
    finally:
        _ip("netns", "delete", name)


@pytest.fixture(scope="module")
def importable_icmp() -> Iterator[Path]:
    """The modules the child imports, where an unprivileged user can read them: the checkout may be one other
    users cannot enter (a clone in /root, mode 0700)."""
    with importable("netwatch.adapters.probes.icmp") as place:
        yield place


def run_in(ns: str, *command: str, code: Path, user: str | None = None, script: str = NETNS_SCRIPT) -> dict[str, Any]:
    drop = list(as_user(user)) if user else []
    done = subprocess.run(
        ["ip", "netns", "exec", ns, *drop, python(), "-c", script, *command],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env=environment(code),
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.netns
def test_icmp_prober_in_a_network_namespace(netns: str, importable_icmp: Path) -> None:
    # A new namespace starts with net.ipv4.ping_group_range = "1 0": nobody may open ping sockets, and a
    # process without CAP_NET_RAW cannot open raw ones either.
    nobody = run_in(netns, code=importable_icmp, user="65534")
    assert nobody["auto"].startswith("cannot open ICMP sockets: unprivileged ICMP is not allowed for this group")
    assert 'net.ipv4.ping_group_range is "1 0"' in nobody["auto"]
    assert nobody["privileged"].startswith('probe.mode is "privileged" but this process has no CAP_NET_RAW')

    sysctl = _ip("netns", "exec", netns, "sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647")
    assert sysctl.returncode == 0, sysctl.stderr
    root = run_in(netns, "privileged", "unprivileged", code=importable_icmp)
    assert root["auto"] is False, "unprivileged ping sockets are preferred once allowed"
    assert root["privileged"] is True
    for mode in ("privileged", "unprivileged"):
        samples = root[f"{mode} probe"]
        for address in ("127.0.0.1", "::1"):
            assert samples[address]["error"] == "", (mode, samples)
            assert 0 <= samples[address]["rtt_ms"] < 500, (mode, samples)
        # no route to 10/8 in the namespace: lost at once, with the kernel's reason
        assert samples["10.255.255.1"]["rtt_ms"] is None
        assert "Network is unreachable" in samples["10.255.255.1"]["error"], (mode, samples)

    # With ping sockets allowed, an unprivileged user needs no capability at all.
    assert run_in(netns, "unprivileged", code=importable_icmp, user="65534")["unprivileged probe"]["::1"]["error"] == ""


READERS_SCRIPT = """
import asyncio, json
from netwatch.core.model import Role, Target
from netwatch.adapters.probes.icmp import IcmpProber

async def main():
    selector = asyncio.get_running_loop()._selector
    prober = IcmpProber(True, 0.5)
    targets = [Target(Role.ANCHOR, a) for a in ("127.0.0.1", "::1")]
    rounds = [await prober.probe(targets)]
    fds = [s.sock.fileno() for s in prober._sockets.values()]
    between = [fd in selector.get_map() for fd in fds]
    rounds.append(await prober.probe(targets))
    prober.close()
    closed = [fd in selector.get_map() for fd in fds]
    errors = [[s.error for s in r] for r in rounds]
    return {"sockets": len(fds), "between": between, "closed": closed, "errors": errors}

print(json.dumps(asyncio.run(main())))
"""


@pytest.mark.netns
def test_icmp_replies_are_watched_from_one_reader_per_socket_kept_between_rounds(
    netns: str, importable_icmp: Path
) -> None:
    """Each socket's reader is registered with the event loop once, not added and removed every round (two
    epoll_ctl calls per socket and round on a Pi); ``close`` lets go of it."""
    found = run_in(netns, code=importable_icmp, script=READERS_SCRIPT)
    assert found["sockets"] == 2
    assert found["between"] == [True, True]
    assert found["closed"] == [False, False]
    assert found["errors"] == [["", ""], ["", ""]]  # both rounds answered, the second through the kept readers


def test_rtt_is_icmplibs_unless_the_wall_clock_stepped_in_between() -> None:
    from netwatch.adapters.probes.icmp import rtt_ms

    # icmplib's stamps (wall clock, next to the packets) inside our monotonic readings around them: its figure.
    assert rtt_ms(1000.000, 1000.012, 50.0000, 50.0130) == pytest.approx(12.0)
    # The wall clock stepped back an hour while the echo was out: never negative, the monotonic bound instead.
    assert rtt_ms(1000.000, -2600.0, 50.0000, 50.0130) == pytest.approx(13.0)
    # ... or forward: never an hour-long round trip.
    assert rtt_ms(1000.000, 4600.0, 50.0000, 50.0130) == pytest.approx(13.0)


def test_an_unchanged_routing_table_is_not_parsed_again(tmp_path: Path) -> None:
    table = tmp_path / "route"
    table.write_text(ROUTE_HEADER + route_line("eth0", "0.0.0.0", "192.168.1.1", 0x3, 100, "0.0.0.0"))
    parsed: list[str] = []

    def parse(text: str) -> str | None:
        parsed.append(text)
        return parse_proc_route(text)

    with Routes(((str(table), parse),)) as routes:
        assert [routes.default_gateway() for _ in range(3)] == ["192.168.1.1"] * 3
        assert len(parsed) == 1
        table.write_text(ROUTE_HEADER + route_line("eth0", "0.0.0.0", "192.168.1.254", 0x3, 100, "0.0.0.0"))
        assert routes.default_gateway() == "192.168.1.254"
        assert len(parsed) == 2
