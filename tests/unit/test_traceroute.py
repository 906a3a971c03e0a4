"""The traceroute probe's pure parts — assembling a Trace from answers, parsing raw ICMP and error-queue entries,
the records' JSON form, the wording — and real traces to the loopback in both socket modes. The paths through
routers are tested in the simulated ISP (tests/integration/test_traceroute_netns.py)."""

from __future__ import annotations

import json
import os
import socket
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netwatch.adapters.probes.traceroute import (
    Answer,
    Hop,
    Trace,
    build,
    echo_request,
    note,
    parse_error,
    parse_raw,
    trace,
)
from netwatch.report.traces import summary, trace_table

DST = "192.0.2.1"
DST6 = "2001:db8:ff::1"
ID = 0x4242


def answers(*items: tuple[int, str, str, int]) -> dict[int, tuple[Answer, float]]:
    return {ttl: (Answer(address, kind, code), 1.0 + ttl / 10) for ttl, address, kind, code in items}


# --- assembling a Trace ------------------------------------------------------------------------------------------


def test_a_full_path_ends_at_the_destination() -> None:
    got = build(
        DST,
        100.0,
        answers(
            (1, "198.18.1.1", "exceeded", 0),
            (2, "198.18.2.1", "exceeded", 0),
            (3, DST, "reply", 0),
            (4, DST, "reply", 0),
            (5, DST, "reply", 0),  # the TTLs beyond the destination answer too
        ),
        30,
    )
    assert got == Trace(DST, 100.0, (Hop(1, "198.18.1.1", 1.1), Hop(2, "198.18.2.1", 1.2), Hop(3, DST, 1.3)), True)


def test_silence_beyond_the_last_answer_is_one_silent_hop() -> None:
    got = build(DST, 0.0, answers((1, "198.18.1.1", "exceeded", 0), (2, "198.18.2.1", "exceeded", 0)), 30)
    assert got.hops == (Hop(1, "198.18.1.1", 1.1), Hop(2, "198.18.2.1", 1.2), Hop(3, None, None))
    assert not got.reached and got.last_answer == Hop(2, "198.18.2.1", 1.2)


def test_silent_routers_on_the_way_are_kept() -> None:
    got = build(DST, 0.0, answers((2, "198.18.2.1", "exceeded", 0), (4, DST, "reply", 0)), 30)
    assert got.hops == (Hop(1, None, None), Hop(2, "198.18.2.1", 1.2), Hop(3, None, None), Hop(4, DST, 1.4))
    assert got.reached


def test_nothing_answering_is_one_silent_hop() -> None:
    assert build(DST, 0.0, {}, 30) == Trace(DST, 0.0, (Hop(1, None, None),), False)


def test_a_refusal_ends_the_path_with_its_code() -> None:
    edge = "2001:db8:3::2"
    got = build(
        DST6,
        0.0,
        answers((1, "2001:db8:1::1", "exceeded", 0), (3, edge, "unreachable", 0), (4, edge, "unreachable", 0)),
        30,
    )
    assert got.hops[-1] == Hop(3, "2001:db8:3::2", 1.3, "network unreachable (ICMPv6 code 0)")
    assert len(got.hops) == 3 and not got.reached


def test_every_hop_answering_up_to_max_hops_adds_no_silent_hop() -> None:
    got = build(DST, 0.0, answers((1, "198.18.1.1", "exceeded", 0), (2, "198.18.2.1", "exceeded", 0)), 2)
    assert [h.ttl for h in got.hops] == [1, 2]


@pytest.mark.parametrize(
    ("family", "code", "text"),
    [
        (4, 0, "network unreachable (ICMP code 0)"),
        (4, 1, "host unreachable (ICMP code 1)"),
        (4, 13, "communication administratively prohibited (ICMP code 13)"),
        (4, 8, "destination unreachable (ICMP code 8)"),
        (6, 0, "network unreachable (ICMPv6 code 0)"),
        (6, 3, "host unreachable (ICMPv6 code 3)"),
        (6, 1, "administratively prohibited (ICMPv6 code 1)"),
    ],
)
def test_unreachable_codes(family: int, code: int, text: str) -> None:
    assert note(family, code) == text


def test_json_round_trip() -> None:
    original = Trace(DST, 1.5, (Hop(1, "198.18.1.1", 0.25), Hop(2, None, None), Hop(3, "198.18.3.2", 1.0, "x")), False)
    doc = json.loads(json.dumps(original.to_dict()))
    assert doc["hops"][1] == {"ttl": 2, "address": None, "rtt_ms": None, "note": ""}
    assert Trace.from_dict(doc) == original
    failed = Trace(DST, 2.0, (), False, "cannot send: Network is unreachable")
    assert Trace.from_dict(json.loads(json.dumps(failed.to_dict()))) == failed


def test_summaries_and_the_table() -> None:
    reached = Trace(DST, 0.0, (Hop(1, "198.18.1.1", 0.61), Hop(2, None, None), Hop(3, DST, 12.34)), True)
    assert trace_table(reached) == [
        "TTL  ADDRESS         RTT  NOTE",
        "  1  198.18.1.1   0.6 ms",
        "  2  *                 -  no reply",
        "  3  192.0.2.1   12.3 ms  destination",
        "",
        "Reached 192.0.2.1 in 3 hops",
    ]
    refused = Trace(DST, 0.0, (Hop(1, "198.18.1.1", 0.5), Hop(2, "198.18.3.2", 0.7, note(4, 0))), False)
    assert trace_table(refused)[-1] == (
        "The path to 192.0.2.1 ends at hop 2 (198.18.3.2): network unreachable (ICMP code 0)"
    )
    cut = Trace(DST, 0.0, (Hop(1, "198.18.1.1", 0.5), Hop(2, None, None)), False)
    assert summary(cut) == "the path to 192.0.2.1 ends after hop 1 (198.18.1.1): nothing answered beyond"
    assert summary(Trace(DST, 0.0, (Hop(1, None, None),), False)) == "no hop answered on the way to 192.0.2.1"
    one = Trace(DST, 0.0, (Hop(1, DST, 0.1),), True)
    assert summary(one) == "reached 192.0.2.1 in 1 hop"
    failed = Trace(DST, 0.0, (), False, "cannot send: Network is unreachable (this machine has no route to it)")
    assert summary(failed) == (
        "traceroute to 192.0.2.1 failed: cannot send: Network is unreachable (this machine has no route to it)"
    )


# --- parsing ---------------------------------------------------------------------------------------------------


def ipv4_header(src: str, dst: str, proto: int = 1) -> bytes:
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 0, 0, 0, 64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))


def ipv6_header(src: str, dst: str, next_header: int = 58) -> bytes:
    return struct.pack(
        "!IHBB16s16s",
        6 << 28,
        0,
        next_header,
        64,
        socket.inet_pton(socket.AF_INET6, src),
        socket.inet_pton(socket.AF_INET6, dst),
    )


def test_echo_request_checksum() -> None:
    packet = echo_request(4, ID, 7)
    words = struct.unpack(f"!{len(packet) // 2}H", packet)
    total = sum(words)
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    assert total == 0xFFFF, "a valid internet checksum sums to all ones"
    assert struct.unpack_from("!BBxxHH", packet) == (8, 0, ID, 7)
    assert struct.unpack_from("!BBHHH", echo_request(6, ID, 7)) == (128, 0, 0, ID, 7), "the kernel sums ICMPv6"


def test_raw_ipv4_answers() -> None:
    request = echo_request(4, ID, 1001)
    reply = ipv4_header(DST, "198.18.1.2") + bytes([0, 0]) + request[2:]
    assert parse_raw(4, reply, ID, DST) == (1001, "reply", 0)
    assert parse_raw(4, reply, ID + 1, DST) is None, "another process's echo"
    quoted = ipv4_header("198.18.1.2", DST) + request
    exceeded = ipv4_header("198.18.2.1", "198.18.1.2") + struct.pack("!BBHI", 11, 0, 0, 0) + quoted
    assert parse_raw(4, exceeded, ID, DST) == (1001, "exceeded", 0)
    assert parse_raw(4, exceeded, ID, "198.51.100.1") is None, "an answer about another destination"
    refused = ipv4_header("198.18.3.2", "198.18.1.2") + struct.pack("!BBHI", 3, 0, 0, 0) + quoted
    assert parse_raw(4, refused, ID, DST) == (1001, "unreachable", 0)
    assert parse_raw(4, refused[:40], ID, DST) is None, "too short to quote our echo"
    redirect = ipv4_header("198.18.1.1", "198.18.1.2") + struct.pack("!BBHI", 5, 1, 0, 0) + quoted
    assert parse_raw(4, redirect, ID, DST) is None


def test_raw_ipv6_answers() -> None:
    request = echo_request(6, ID, 9)
    assert parse_raw(6, bytes([129, 0]) + request[2:], ID, DST6) == (9, "reply", 0)
    quoted = ipv6_header("2001:db8:1::2", DST6) + request
    assert parse_raw(6, struct.pack("!BBHI", 3, 0, 0, 0) + quoted, ID, DST6) == (9, "exceeded", 0)
    assert parse_raw(6, struct.pack("!BBHI", 1, 4, 0, 0) + quoted, ID, DST6) == (9, "unreachable", 4)
    assert parse_raw(6, struct.pack("!BBHI", 3, 0, 0, 0) + quoted, ID, "2001:db8:ff::2") is None
    udp = ipv6_header("2001:db8:1::2", DST6, next_header=17) + request
    assert parse_raw(6, struct.pack("!BBHI", 1, 4, 0, 0) + udp, ID, DST6) is None, "not our ICMPv6"


@given(st.binary(max_size=120), st.sampled_from([4, 6]))
def test_raw_parsing_never_raises(data: bytes, family: int) -> None:
    parse_raw(family, data, ID, DST if family == 4 else DST6)


def extended_err(origin: int, icmp_type: int, code: int) -> bytes:
    return struct.pack("=IBBBBII", 113, origin, icmp_type, code, 0, 0, 0)


def test_error_queue_entries() -> None:
    offender = struct.pack("=HH4s8x", socket.AF_INET, 0, socket.inet_aton("198.18.2.1"))
    entry = [(socket.IPPROTO_IP, 11, extended_err(2, 11, 0) + offender)]
    assert parse_error(4, entry) == Answer("198.18.2.1", "exceeded")
    refused = [(socket.IPPROTO_IP, 11, extended_err(2, 3, 0) + offender)]
    assert parse_error(4, refused) == Answer("198.18.2.1", "unreachable", 0)
    assert parse_error(4, [(socket.IPPROTO_IP, 11, extended_err(1, 0, 0) + offender)]) is None, "a local error"
    offender6 = struct.pack("=HHI16sI", socket.AF_INET6, 0, 0, socket.inet_pton(socket.AF_INET6, "2001:db8:3::2"), 0)
    entry6 = [(socket.IPPROTO_IPV6, 25, extended_err(3, 1, 0) + offender6)]
    assert parse_error(6, entry6) == Answer("2001:db8:3::2", "unreachable", 0)
    assert parse_error(6, [(socket.IPPROTO_IPV6, 25, extended_err(3, 3, 0) + offender6)]) == Answer(
        "2001:db8:3::2", "exceeded"
    )
    assert parse_error(6, entry) is None and parse_error(4, []) is None


# --- real traces to the loopback --------------------------------------------------------------------------------


def _ping_allowed() -> bool:
    with open("/proc/sys/net/ipv4/ping_group_range") as f:
        low, high = (int(x) for x in f.read().split())
    return low <= os.getgid() <= high


@pytest.mark.parametrize("destination", ["127.0.0.1", "::1"])
@pytest.mark.parametrize("privileged", [False, True])
def test_the_loopback_is_reached_at_ttl_1(destination: str, privileged: bool) -> None:
    if privileged and os.geteuid() != 0:
        pytest.skip("raw sockets need root or CAP_NET_RAW")
    if not privileged and not _ping_allowed():
        pytest.skip("net.ipv4.ping_group_range excludes this group (./bootstrap installs the sysctl drop-in)")
    got = trace(destination, privileged=privileged, timeout=2.0, started_at=12.5)
    assert got.error == "" and got.reached and got.started_at == 12.5
    assert [(h.ttl, h.address, h.note) for h in got.hops] == [(1, destination, "")]
    assert got.hops[0].rtt_ms is not None and 0 <= got.hops[0].rtt_ms < 2000


def test_bad_arguments_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        trace("example.test", privileged=False, timeout=1.0, started_at=0.0)
    with pytest.raises(ValueError, match="max_hops must be 1 to 255, got 0"):
        trace(DST, privileged=False, max_hops=0, timeout=1.0, started_at=0.0)
    with pytest.raises(ValueError, match="timeout must be positive, got 0"):
        trace(DST, privileged=False, timeout=0, started_at=0.0)
