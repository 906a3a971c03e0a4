"""The neighbourhood pool without a network: what is published (core/pool), the area figures (report/area), the pool
outbox in the store (queued once, chained, sent once), and the configuration's words.

Hand-computed cases at the rules' edges and Hypothesis properties: published stretches never cover a time the
household was not monitoring or was down for its own reasons; a household is never counted as up for time it did not
publish.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from netwatch.adapters.influx.pool import publication_line
from netwatch.adapters.store.sqlite import Store
from netwatch.app.daemon.pool import LINE_POLL, PoolTask
from netwatch.app.daemon.writer import Writer
from netwatch.core import pool as rules
from netwatch.core.model import Cause, Coverage, Kind, Member, Period, PooledIncident, PooledSpan, Round
from netwatch.report.area import area_figures, control_sentence, sentence, union
from netwatch.report.areajson import to_json
from tests.support.configs import error, parse
from tests.support.incidents import degraded, outage
from tests.support.instants import ts
from tests.support.rounds import Line
from tests.support.targets import A1, GW

T0 = ts("2026-03-02T09:00")
UTC = ZoneInfo("UTC")
ME = Member("aaaaaaaaaaaa", "Example Broadband", 5089, "AB1 2", "")
ISP, AREA = "Example Broadband", "AB1 2"


# --- what leaves the machine ---------------------------------------------------------------------------------


def test_only_closed_outages_of_the_providers_causes_are_published() -> None:
    assert rules.publishable(outage(T0, T0 + 60, Cause.ISP), ["outage"])
    assert rules.publishable(outage(T0, T0 + 60, Cause.ISP_OR_UPSTREAM), ["outage"])
    assert not rules.publishable(outage(T0, T0 + 60, Cause.LOCAL), ["outage"])  # the owner's own equipment
    assert not rules.publishable(outage(T0, T0 + 60, Cause.UNKNOWN), ["outage"])
    # Names failing while the line works: usually the household's own router's resolver, never the area's line.
    assert not rules.publishable(outage(T0, T0 + 60, Cause.DNS), ["outage"])
    assert not rules.publishable(outage(T0, None, Cause.ISP), ["outage"])  # still open
    assert not rules.publishable(degraded(T0, T0 + 60), ["outage"])
    assert rules.publishable(degraded(T0, T0 + 60), ["outage", "degraded"])


def test_an_incident_publication_holds_nothing_but_the_listed_facts() -> None:
    p = rules.incident_publication(ME, outage(T0, T0 + 90.5, Cause.UPSTREAM), "ab" * 32, 12, (40, "cd" * 32), 3600.0)
    assert p.key == f"incident outage {round(T0 * 1000)}"
    assert dict(p.tags) == {
        "household": "aaaaaaaaaaaa",
        "isp": "Example Broadband",
        "area": "AB1 2",
        "kind": "outage",
        "cause": "upstream",
    }
    assert set(p.fields) == {
        "start",
        "end",
        "duration_s",
        "hour_monitored_s",
        "asn",
        "digest",
        "seal",
        "head_seal",
        "head_digest",
    }
    assert publication_line(p) == (
        "netwatch_pool_incident,area=AB1\\ 2,cause=upstream,household=aaaaaaaaaaaa,isp=Example\\ Broadband,kind=outage"
        f' start={T0!r},end={T0 + 90.5!r},duration_s=90.5,hour_monitored_s=3600.0,asn=5089i,digest="{"ab" * 32}",'
        f'seal=12i,head_seal=40i,head_digest="{"cd" * 32}" {round(T0 * 1000)}'
    )


def test_published_stretches_leave_out_unpublished_outages_and_cut_at_midnight() -> None:
    day = ts("2026-03-02T00:00")
    sessions = [Coverage(day - 3600, day + 7200), Coverage(day + 9000, day + 10000)]
    incidents = [
        outage(day + 600, day + 660, Cause.LOCAL),  # not published: not monitoring the provider then
        outage(day + 3000, day + 3030, Cause.DNS),  # not published either: the household's resolver
        outage(day + 1000, day + 1060, Cause.ISP),  # published: monitored
        outage(day + 9500, None, Cause.ISP),  # open: its cause may still turn out to be local
    ]
    assert rules.spans(sessions, incidents, ["outage"], day - 7200, day + 9800) == [
        (day - 3600, day),
        (day, day + 600),
        (day + 660, day + 3000),
        (day + 3030, day + 7200),
        (day + 9000, day + 9500),
    ]


sorted_pairs = st.lists(st.tuples(st.integers(0, 500), st.integers(1, 200)), max_size=6)


@given(sorted_pairs, sorted_pairs)
def test_stretches_never_cover_unmonitored_or_blind_time(
    sessions: list[tuple[int, int]], holes: list[tuple[int, int]]
) -> None:
    base = ts("2026-03-02T23:50")  # midnight falls inside
    covered = [Coverage(base + a, base + a + n) for a, n in sessions]
    blind = [outage(base + a, base + a + n, Cause.LOCAL) for a, n in holes]
    out = rules.spans(covered, blind, ["outage"], base, base + 1000)
    for a, b in out:
        assert a < b and a // rules.DAY == (b - 0.001) // rules.DAY
        assert any(lo <= a and b <= hi for lo, hi in union([(c.start, c.end) for c in covered]))
        assert not any(h.start < b and a < (h.end or 0) for h in blind)
    assert out == sorted(out)


def test_seconds_monitored_in_the_hour_of_an_outage() -> None:
    hour = ts("2026-03-02T09:00")
    sessions = [Coverage(hour - 100, hour + 600), Coverage(hour + 500, hour + 900), Coverage(hour + 3000, hour + 4000)]
    assert rules.monitored_in_hour(sessions, hour + 1800) == 900 + 600


# --- the area figures --------------------------------------------------------------------------------------------


def incident(h: str, start: float, end: float, isp: str = ISP, cause: Cause = Cause.ISP) -> PooledIncident:
    return PooledIncident(h, isp, AREA, Kind.OUTAGE, cause, start, end, "0" * 64, 1, (2, "1" * 64))


def span(h: str, start: float, end: float, isp: str = ISP) -> PooledSpan:
    return PooledSpan(h, isp, AREA, start, end)


def test_five_of_six_down_with_their_overlap_and_a_control() -> None:
    mine = outage(T0, T0 + 3600, Cause.ISP)
    neighbours = {"b" * 12: (T0 - 120, T0 + 3000), "c" * 12: (T0 + 300, T0 + 3700), "d" * 12: (T0, T0 + 3600)}
    incidents = [incident(ME.household, T0, T0 + 3600)] + [incident(h, a, b) for h, (a, b) in neighbours.items()]
    incidents.append(incident("e" * 12, T0 + 600, T0 + 3300, isp="example  broadband"))  # as a neighbour typed it
    spans = [span(h, T0 - 7200, T0 + 7200) for h in ("b" * 12, "c" * 12, "d" * 12, "e" * 12, "f" * 12)]
    spans += [span("1" * 12, T0 - 7200, T0 + 7200, "Other Net"), span("2" * 12, T0 - 7200, T0 + 7200, "Other Net")]
    spans.append(span("3" * 12, T0 + 60, T0 + 7200))  # partly monitored, up: counted neither way
    area = area_figures(Period(T0 - 86400, T0 + 86400), "UTC", ME.household, ISP, AREA, [mine], incidents, spans, [])
    (shared,) = area.shared
    assert (shared.same.down, shared.same.monitoring, shared.same.partly) == (5, 6, 1)
    assert shared.overlap_seconds == 2400.0  # from e's start to b's end: 09:10 to 09:50
    assert sentence(shared, ISP, AREA, UTC) == (
        "5 of 6 monitored households on Example Broadband in AB1 2 were down 08:58\u201310:01:40 (overlap 40 min);"
        " 1 household monitored only part of it"
    )
    assert control_sentence(shared, AREA) == "0 of 2 on other providers in AB1 2 were down"
    doc = to_json(area)
    assert doc["outages"][0]["down"] == 5 and doc["outages"][0]["overlap_seconds"] == 2400.0


def test_a_household_that_published_nothing_is_never_counted_as_up() -> None:
    mine = outage(T0, T0 + 600, Cause.ISP)
    incidents = [incident(ME.household, T0, T0 + 600), incident("b" * 12, T0 - 86400, T0 - 86300)]
    area = area_figures(Period(T0 - 86400, T0 + 86400), "UTC", ME.household, ISP, AREA, [mine], incidents, [], [])
    (shared,) = area.shared
    assert [n.state for n in shared.neighbours] == ["down", "not monitoring"]
    assert sentence(shared, ISP, AREA, UTC) == ("no other household on Example Broadband in AB1 2 was monitoring then")
    assert control_sentence(shared, AREA) == "no household on another provider in AB1 2 was monitoring then"


def test_unchecked_and_withdrawn_households_are_not_counted() -> None:
    mine = outage(T0, T0 + 600, Cause.ISP)
    spans = [span("b" * 12, T0 - 60, T0 + 700), span("c" * 12, T0 - 60, T0 + 700)]
    left = Member("d" * 12, ISP, 0, AREA, "", T0 + 10)
    area = area_figures(
        Period(T0 - 3600, T0 + 3600),
        "UTC",
        ME.household,
        ISP,
        AREA,
        [mine],
        [],
        spans,
        [left],
        [("c" * 12, "an incident without the seal digest and chain head that make it checkable")],
    )
    (shared,) = area.shared
    assert [n.household.household for n in shared.neighbours] == [ME.household, "b" * 12]
    assert area.withdrawn == (left,)
    assert area.unchecked == (("c" * 12, "an incident without the seal digest and chain head that make it checkable"),)


def test_this_household_is_not_counted_for_another_provider_or_area() -> None:
    mine = outage(T0, T0 + 600, Cause.ISP)
    incidents = [incident(ME.household, T0, T0 + 600)]
    spans = [span("b" * 12, T0 - 60, T0 + 700, "Other Net")]
    area = area_figures(
        Period(T0 - 3600, T0 + 3600),
        "UTC",
        ME.household,
        "Other Net",
        AREA,
        [mine],
        incidents,
        spans,
        [],
        home=(ISP, AREA),
    )
    (shared,) = area.shared
    assert [n.household.household for n in shared.neighbours] == ["b" * 12]
    assert (shared.same.down, shared.same.monitoring, area.control) == (0, 1, ())
    assert sentence(shared, "Other Net", AREA, UTC) == "0 of 1 monitored household on Other Net in AB1 2 was down"


def test_union_merges_touching_stretches() -> None:
    assert union([(5.0, 6.0), (1.0, 2.0), (2.0, 3.0)]) == [(1.0, 3.0), (5.0, 6.0)]


# --- the store's pool outbox ---------------------------------------------------------------------------------


def line_at(at: float) -> Round:
    """A round of the line these tests record: the ISP outage (100-160 s) loses the anchor, the local one
    (200-260 s) the gateway too."""
    offset = at - T0
    local = 200 <= offset < 260
    return Line.of(GW, A1).answers(at, None if local else 0.4, None if local or 100 <= offset < 160 else 9.0)


def test_queued_once_sent_once_and_chained(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        store.begin_session(T0)
        assert store.queue_pool(ME, ["outage"], T0 + 1) == 0  # not joined: nothing
        joined = store.pool_join(ME.household, T0)
        assert store.pool_join("bbbbbbbbbbbb", T0 + 5) == joined  # made once
        for at in range(0, 291, 10):  # a round every 10 s, down where the outages are: verification holds them to it
            store.add_round(line_at(T0 + at))
        store.save_incident(outage(T0 + 100, T0 + 160, Cause.ISP))
        store.save_incident(outage(T0 + 200, T0 + 260, Cause.LOCAL))
        store.commit()
        assert store.queue_pool(ME, ["outage"], T0 + 300) == 4  # member, the ISP outage, monitored time around
        assert store.queue_pool(ME, ["outage"], T0 + 300) == 0  # unchanged: idempotent
        entries = store.pool_due(T0 + 301)
        assert sorted(e.publication.key for e in entries) == [
            f"coverage {round(T0 * 1000)}",  # up to the local outage: the household could not see the provider then
            f"coverage {round((T0 + 260) * 1000)}",
            f"incident outage {round((T0 + 100) * 1000)}",
            "member",
        ]
        incident_entry = next(e for e in entries if e.publication.measurement == rules.INCIDENT)
        found = store.sealed_incident("outage", T0 + 100)
        assert found is not None and incident_entry.publication.fields["digest"] == found[1]
        for e in entries:
            store.pool_attempted(e, T0 + 302)
        assert store.pool_due(T0 + 303) == []
        sent = {p.key: at for p, at, _ in store.pool_sent()}
        assert sent[f"incident outage {round((T0 + 100) * 1000)}"] == T0 + 302
        assert store.verify().ok
        store.pool_withdraw(T0 + 400)
        assert store.queue_pool(ME, ["outage"], T0 + 500) == 0
        store.end_session(T0 + 290)  # at its last round, as the daemon ends a session
        assert store.verify().ok


def test_an_edited_publication_breaks_the_chain(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        store.begin_session(T0)
        store.pool_join(ME.household, T0)
        for at in range(0, 291, 10):
            store.add_round(line_at(T0 + at))
        store.save_incident(outage(T0 + 100, T0 + 160, Cause.ISP))
        store.queue_pool(ME, ["outage"], T0 + 300)
        row = store.conn.execute("SELECT id, record FROM pool_outbox WHERE key LIKE 'incident%'").fetchone()
        doc = json.loads(row[1])
        doc["fields"]["end"] += 10
        store.conn.execute("UPDATE pool_outbox SET record = ? WHERE id = ?", (json.dumps(doc), row[0]))
        (brk,) = store.verify().breaks
        assert brk.where == f"pool_publication {row[0]}"
        assert brk.what.startswith("differs from its sealed version")


def test_the_pool_table_is_checked() -> None:
    assert error('[pool]\nurl = "http://pool.lan:8086"\ntoken = "t"\n') == (
        "3 configuration problems in netwatch.toml:\n"
        "  pool.isp: must be set when pool.url is; set pool.isp to your provider's name,"
        ' e.g. isp = "Example Broadband"\n'
        "  pool.area: must be set when pool.url is; set pool.area to your area\n"
        '  pool.token: is not used with api = "v1"; remove it, or set pool.api = "v2"'
    )
    assert error('[pool]\nkinds = ["slow"]\n') == (
        "1 configuration problem in netwatch.toml:\n"
        '  pool.kinds[0]: must be one of outage, degraded, got "slow"; use one of: outage, degraded'
    )


# --- the daemon's task -------------------------------------------------------------------------------------------


def test_the_task_waits_for_a_trusted_clock_without_spinning(tmp_path: Path) -> None:
    """Until the clock is trusted nothing is queued or sent, and the task looks again once per LINE_POLL at most:
    in half a second it reads the clock a handful of times, never in a loop."""
    cfg = parse(
        f'[store]\npath = "{tmp_path / "s.db"}"\n[pool]\nurl = "http://127.0.0.1:9"\nisp = "Ex"\narea = "AB1 2"\n'
    )
    reads: list[float] = []

    def clock() -> float:
        reads.append(time.time())
        return reads[-1]

    async def half_a_second(task: PoolTask, stop: asyncio.Event) -> None:
        running = asyncio.create_task(task.run())
        await asyncio.sleep(0.5)
        stop.set()
        await running

    with Store.open(cfg.store.path) as store:
        writer = Writer(store)
        stop = asyncio.Event()
        task = PoolTask(cfg, writer, lambda: True, stop, threading.Event(), clock=clock)
        asyncio.run(half_a_second(task, stop))
        writer.close()
        assert store.pool_household() is not None  # joined at start
        assert store.pool_entries() == []  # nothing queued with an untrusted clock
    assert len(reads) <= 3 + 2 * math.ceil(0.5 / LINE_POLL)


def test_the_pools_secrets_are_masked_when_the_configuration_is_shown() -> None:
    from netwatch.config.rendering import render

    text = render(
        parse(
            '[pool]\nurl = "http://u:p@pool.lan:8086"\nisp = "Ex"\narea = "AB1 2"\nusername = "netwatch_pool_x"\n'
            'password = "s3cret"\n'
        )
    )
    pool_table = text.split("[pool]\n", 1)[1].split("\n\n", 1)[0]
    assert 'url = "http://***@pool.lan:8086"' in pool_table
    assert 'password = "***"' in pool_table
    assert "s3cret" not in text and "u:p@" not in text
