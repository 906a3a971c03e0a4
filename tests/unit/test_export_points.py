"""InfluxDB line protocol: escaping, the schema of each measurement, and replay idempotence (pure, Hypothesis)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netwatch.adapters.influx import points as lp
from netwatch.adapters.influx.points import Points
from netwatch.core.model import Cause, ExportIncident, Incident, Kind, Role, Round, Sample, Target
from netwatch.core.schedule import BusinessHours
from tests.support.instants import T0
from tests.support.targets import A1, A6, DNS, GW, ISP

HOURS = BusinessHours.from_config({"timezone": "UTC", "week": {d: "09:00-17:00" for d in ("mon", "fri")}})
P = Points("home office", HOURS)


class TestEscaping:
    def test_tags_and_field_keys(self) -> None:
        assert lp.escape_key("a b,c=d") == r"a\ b\,c\=d"
        assert lp.escape_key("plain-name_1.x") == "plain-name_1.x"

    def test_what_no_influxdb_can_hold_in_a_tag_is_replaced(self) -> None:
        # A trailing backslash breaks InfluxDB 1.x's parser; 1.x and 2.x disagree on "\\"; no line break escape.
        assert lp.escape_key("a\\b\\") == "a/b/"
        assert lp.escape_key("line\nbreak\ttab") == r"line\ break\ tab"

    def test_measurement(self) -> None:
        assert lp.escape_measurement("m a,b=c") == r"m\ a\,b=c"

    def test_field_values(self) -> None:
        assert lp.format_field(True) == "true"
        assert lp.format_field(False) == "false"
        assert lp.format_field(3) == "3i"
        assert lp.format_field(12.5) == "12.5"
        assert lp.format_field(1e-7) == "1e-07"
        assert lp.format_field('say "hi"\\ now\n') == r'"say \"hi\"\\ now "'
        with pytest.raises(ValueError, match="line protocol has no inf"):
            lp.format_field(float("inf"))

    def test_line_sorts_tags_and_drops_empty_ones(self) -> None:
        text = lp.line("m", {"z": "1", "a": "", "b": "x y"}, {"v": 1.5, "bad": float("nan"), "ok": True}, 1000)
        assert text == r"m,b=x\ y,z=1 v=1.5,ok=true 1000"

    def test_a_point_needs_a_field(self) -> None:
        with pytest.raises(ValueError, match="a m point needs at least one field"):
            lp.line("m", {"a": "b"}, {"x": float("inf")}, 1)


class TestSchema:
    def test_a_round(self) -> None:
        rnd = Round(T0 + 0.25, (Sample(GW, 0.4), Sample(ISP, None, "timeout"), Sample(A6, 12.3), Sample(DNS, 8.0)))
        assert P.round_lines(rnd) == [
            r"netwatch_ping,probe=home\ office,role=gateway,target=192.168.1.1 up=true,rtt_ms=0.4 1767225600250",
            r"netwatch_ping,probe=home\ office,role=isp,target=100.64.0.1 up=false 1767225600250",
            r"netwatch_ping,probe=home\ office,role=anchor,target=2606:4700:4700::1111 up=true,rtt_ms=12.3"
            " 1767225600250",
            r"netwatch_ping,probe=home\ office,role=dns,target=dns.google up=true,rtt_ms=8.0 1767225600250",
            r'netwatch_status,probe=home\ office up=true,cause="none" 1767225600250',
        ]

    def test_a_down_round_names_its_cause(self) -> None:
        rnd = Round(T0, (Sample(GW, 0.4), Sample(ISP, None), Sample(A1, None)))
        assert P.round_lines(rnd)[-1] == r'netwatch_status,probe=home\ office up=false,cause="isp" 1767225600000'

    def test_an_open_then_closed_incident_is_one_point(self) -> None:
        opened = Incident(Kind.OUTAGE, Cause.ISP, start=T0 + 86400 + 9 * 3600 - 60.5)  # Fri 08:59:00.5
        closed = opened.closed_at(opened.start + 120.0)
        [open_line] = P.incident_lines(ExportIncident(1, opened, (Cause.ISP,)))
        [close_line] = P.incident_lines(ExportIncident(2, closed, (Cause.ISP,)))
        assert open_line == (
            r"netwatch_incident,cause=isp,kind=outage,probe=home\ office "
            "start=1767344339.5,duration_s=0.0,business_s=0.0,open=true,superseded=false 1767344339500"
        )
        assert close_line == (
            r"netwatch_incident,cause=isp,kind=outage,probe=home\ office "
            "start=1767344339.5,end=1767344459.5,duration_s=120.0,business_s=59.5,open=false,superseded=false "
            "1767344339500"
        )
        assert series_and_time(open_line) == series_and_time(close_line)  # the close overwrites the open

    def test_a_former_cause_is_superseded(self) -> None:
        inc = Incident(Kind.OUTAGE, Cause.LOCAL, start=T0, end=T0 + 30.0)
        lines = P.incident_lines(ExportIncident(5, inc, (Cause.ISP, Cause.LOCAL)))
        assert lines[1] == (
            r"netwatch_incident,cause=isp,kind=outage,probe=home\ office "
            "start=1767225600.0,duration_s=0.0,business_s=0.0,open=false,superseded=true 1767225600000"
        )
        assert lines[0].startswith(r"netwatch_incident,cause=local,kind=outage,probe=home\ office start=")

    def test_speed_and_check(self) -> None:
        speed = lp.speed_line(
            "p", "http", "speed.example", T0, download_mbps=95.5, upload_mbps=None, latency_ms=12.0, jitter_ms=1.5
        )
        assert speed == (
            "netwatch_speed,backend=http,probe=p,server=speed.example download_mbps=95.5,latency_ms=12.0,"
            "jitter_ms=1.5 1767225600000"
        )
        assert lp.check_line("p", T0) == "netwatch_check,probe=p ok=true 1767225600000"


def series_and_time(text: str) -> tuple[str, str]:
    """(measurement and tags, timestamp) of a line without string fields: the identity of its point."""
    series, _, rest = text.partition(" ")
    return series, rest.rpartition(" ")[2]


# --- Hypothesis: whatever the input, lines parse back to it, and replays are byte-identical --------------------

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=16)
targets = st.builds(Target, st.sampled_from(list(Role)), names)
rtts = st.none() | st.floats(0, 7000, allow_nan=False)
rounds = st.builds(
    Round,
    st.floats(0, 4e9, allow_nan=False).map(lambda t: round(t, 3)),
    st.lists(st.builds(Sample, targets, rtts), max_size=8).map(tuple),
)
incidents = st.builds(
    lambda kind, cause, start, length, former: ExportIncident(
        1, Incident(kind, cause, start, None if length is None else start + length), tuple({cause, *former})
    ),
    st.sampled_from(list(Kind)),
    st.sampled_from(list(Cause)),
    st.floats(1e9, 2e9, allow_nan=False).map(lambda t: round(t, 3)),
    st.none() | st.floats(0, 86400 * 40, allow_nan=False).map(lambda t: round(t, 3)),
    st.lists(st.sampled_from(list(Cause)), max_size=3),
)
_UNESCAPE = re.compile(r"\\([, =])")


@given(rounds, names)
def test_round_lines_are_deterministic_and_parse_back(rnd: Round, probe: str) -> None:
    first = Points(probe, HOURS).round_lines(rnd)
    assert Points(probe, HOURS).round_lines(rnd) == first  # a replay writes byte-identical points
    assert len(first) == len(rnd.samples) + 1
    for text, sample in zip(first, rnd.samples, strict=False):
        assert "\n" not in text
        head, fields, at = re.split(r"(?<!\\) ", text)
        parts = re.split(r"(?<!\\),", head)
        tags = dict(_kv(p) for p in parts[1:])
        assert parts[0] == "netwatch_ping"
        assert tags["target"] == clean(sample.target.address)
        assert tags["probe"] == clean(probe)
        assert int(at) == round(rnd.at * 1000)
        assert ("rtt_ms=" in fields) == sample.ok


@given(rounds, names)
def test_the_fast_ping_lines_are_what_line_writes(rnd: Round, probe: str) -> None:
    expected = []
    for sample in rnd.samples:
        fields: dict[str, lp.FieldValue] = {"up": sample.ok}
        if sample.rtt_ms is not None:
            fields["rtt_ms"] = sample.rtt_ms
        tags = {"probe": probe, "target": sample.target.address, "role": sample.target.role.value}
        expected.append(lp.line(lp.PING, tags, fields, round(rnd.at * 1000)))
    assert Points(probe, HOURS).round_lines(rnd)[:-1] == expected


@given(incidents, names)
def test_incident_lines_are_deterministic(item: ExportIncident, probe: str) -> None:
    lines = Points(probe, HOURS).incident_lines(item)
    assert Points(probe, HOURS).incident_lines(item) == lines
    assert len(lines) == len(item.causes)
    assert len({series_and_time(text) for text in lines}) == len(lines)  # one point per cause, none repeated
    assert sum("superseded=false" in text for text in lines) == 1


def clean(text: str) -> str:
    """What a tag value becomes in the database (see escape_key)."""
    return re.sub(r"[\x00-\x1f\x7f]", " ", text).replace("\\", "/")


def _kv(part: str) -> tuple[str, str]:
    key, _, value = re.split(r"(?<!\\)(=)", part, maxsplit=1)
    return _UNESCAPE.sub(r"\1", key), _UNESCAPE.sub(r"\1", value)
