"""The dashboard during an outage, as the owner opens it on the phone: every page answers whatever the cause
(review 1, B1), the live stream outlives any failure, and what the pages tell the owner to say or do depends on
whose fault it is (B2): the provider's outage gets the facts to read out, with its fault reference; the owner's own
router gets "Before calling your ISP" and nothing about the provider's network, no earlier ticket, no ticket form
button.

A London office's store (tests/support): a session since 12:00, an ISP outage 12:30-12:45 with fault ticket
BT-4711, and at 14:50 an outage of the cause under test, still open at "now" (15:00) in the daemon's live file."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest
from starlette.testclient import TestClient

from netwatch.config import Config
from netwatch.core.model import Cause, Channel, Incident, LineNow, LineState, Role, Round, Ticket
from netwatch.core.nameservice import Resolver
from netwatch.report import now as words
from netwatch.web import events
from tests.support.dashboard import dashboard_config, serve
from tests.support.html import parse
from tests.support.incidents import outage
from tests.support.instants import LONDON, at
from tests.support.live import write_live
from tests.support.rounds import Line
from tests.support.stores import record
from tests.support.targets import A1, A2, GW, ISP

NOW = at(2026, 3, 24, 15, 0, zone=LONDON)  # a Tuesday, in business hours
START = at(2026, 3, 24, 12, 0, zone=LONDON)
EARLIER = outage(at(2026, 3, 24, 12, 30, zone=LONDON), at(2026, 3, 24, 12, 45, zone=LONDON), Cause.ISP, rounds=900)
TICKET = Ticket("BT-4711", at(2026, 3, 24, 12, 35, zone=LONDON), Channel.PHONE, "spoke to Sam")
OPENED = at(2026, 3, 24, 14, 50, zone=LONDON)
LINE = Line.of(GW, ISP, A1, A2)
UNKNOWN_HOP = Line.of(GW, A1, A2)  # started while the access link was down: no ISP hop known yet


def round_of(t: float, cause: Cause | None) -> Round:
    """What the line answered at ``t`` during an outage of ``cause`` (None: up)."""
    if cause is Cause.ISP_OR_UPSTREAM:
        return UNKNOWN_HOP.round(t, silent={Role.ANCHOR})
    if cause is Cause.UNKNOWN:
        return LINE.round(t, silent={Role.ISP, Role.ANCHOR})
    return LINE.round(t, cause)


def recorded(state: Path, cause: Cause, own: Sequence[Incident] = ()) -> tuple[Config, Incident]:
    """The office's store with an open outage of ``cause`` since 14:50 (after ``own``, more incidents), and the
    daemon's live file at 15:00."""
    cfg = dashboard_config(state)
    current = outage(OPENED, None, cause, rounds=600)

    def cause_at(t: float) -> Cause | None:
        if EARLIER.start <= t < (EARLIER.end or NOW):
            return Cause.ISP
        return cause if t >= OPENED else None

    rounds = [round_of(START + 60.0 * k, cause_at(START + 60.0 * k)) for k in range(int((NOW - START) // 60))]
    record(cfg.store.path, START, None, rounds, [EARLIER, *own, current], [(TICKET, TICKET.reported + 1)])
    write_live(cfg.store.path, round_of(NOW - 0.5, cause), session_start=START, open_incidents=[current])
    return cfg, current


@pytest.fixture
def opened(tmp_path: Path) -> Callable[[Cause], tuple[TestClient, Incident]]:
    """A client of the dashboard of the office's store with an open outage of the cause it is given."""
    clients: list[Any] = []

    def make(cause: Cause) -> tuple[TestClient, Incident]:
        cfg, current = recorded(tmp_path / cause.value, cause)
        serving = serve(cfg, NOW)
        clients.append(serving)
        return serving.__enter__(), current

    yield make  # type: ignore[misc]
    for serving in clients:
        serving.__exit__(None, None, None)


@pytest.mark.parametrize("cause", list(Cause))
def test_every_page_answers_during_an_open_outage_of_any_cause(
    opened: Callable[[Cause], tuple[TestClient, Incident]], cause: Cause
) -> None:
    client, current = opened(cause)
    home = client.get("/")
    assert home.status_code == 200, home.text
    state = parse(home.text).one("section", class_="state")
    assert (state.attrs["data-state"], state.attrs["data-cause"]) == ("down", cause.value)
    assert parse(home.text).one("p", class_="state-detail").all_text == (
        f"Down since 14:50:00 GMT (10m 00s). The fault is in {words.cause_text(cause)}."
    )
    for path in (
        "/act",
        "/day",
        "/day/2026-03-24",
        "/history",
        f"/history?month=2026-03&cause={cause.value}",
        "/month",
        f"/incident/outage/{round(current.start * 1000)}",
        "/api/incidents?since=2026-03-24",
    ):
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.text[-400:])
    listed = parse(client.get(f"/history?month=2026-03&cause={cause.value}").text)
    assert [li.attrs["data-start"] for li in listed.find("li", class_="incident")] == ["2026-03-24T14:50:00Z"] + (
        ["2026-03-24T12:30:00Z"] if cause is Cause.ISP else []
    )
    status = client.get("/api/status").json()
    assert (status["state"], status["cause"], status["cause_text"]) == ("down", cause.value, words.cause_text(cause))


def test_the_isp_or_upstream_outage_in_the_owners_words(opened: Callable[[Cause], tuple[TestClient, Incident]]) -> None:
    client, _ = opened(Cause.ISP_OR_UPSTREAM)
    page = parse(client.get("/").text)
    assert page.one("p", class_="state-detail").all_text == (
        "Down since 14:50:00 GMT (10m 00s). The fault is in your ISP's network: your router answers, nothing on the "
        "internet does (the ISP's first router is not known yet, so which part of its network failed is not known)."
    )
    assert [li.all_text for li in page.one("section", id="tell").find("li")] == [
        "My line has been down since 14:50:00 GMT (10m 00s).",
        "The fault is in your network: my router answers, nothing on the internet does.",
        "My router (192.168.1.1) answers.",
        "0 of 2 public test addresses answer (1.1.1.1, 8.8.8.8).",
        "I measure the line every 1 s with netwatch, which keeps sealed evidence of every outage.",
        "Fault reference: BT-4711 (reported 12:35:00 GMT).",
    ]
    chips = parse(client.get("/history?month=2026-03").text).one("nav", class_="chips")
    assert "ISP access or upstream" in [a.all_text for a in chips.find("a")]


def test_during_the_owners_own_router_outage_nothing_is_told_to_the_isp(
    opened: Callable[[Cause], tuple[TestClient, Incident]],
) -> None:
    client, _ = opened(Cause.LOCAL)
    text = client.get("/").text
    page = parse(text)
    assert page.find("section", id="tell") == []
    assert "Record the fault ticket" not in text and "BT-4711" not in text.split('id="tickets"')[0]
    assert "Your first router" not in text
    card = page.one("section", id="before-calling")
    assert card.one("h2").all_text == "Before calling your ISP"
    assert [li.all_text for li in card.find("li")] == [
        "Your router (192.168.1.1) has not answered since 14:50:00 GMT (10m 00s). That is all netwatch can see: the "
        "ISP's network lies behind the router.",
        "Check that the router is switched on and its lights look as usual; if they do not, switch it off, wait ten "
        "seconds and switch it on again.",
        "Check the cables: from the router to the wall socket, and from the device netwatch runs on to the router.",
        "If the router answers again and the line is still down, this page tells you what to say to the ISP.",
    ]
    # What lies behind the silent router was not seen: not "no answer" in red.
    tiles = {
        li.attrs["data-role"]: (li.classes, " ".join(li.one("span", class_="value").all_text.split()))
        for li in page.find("li")
        if "data-role" in li.attrs
    }
    assert tiles["gateway"] == (["layer", "bad"], "no answer")
    assert tiles["isp"] == (["layer", "hidden"], "not seen (behind your router)")
    assert tiles["anchor"] == (["layer", "hidden"], "not seen (behind your router)")
    # Act: the same card, and "what to tell the ISP" about the last outage that was the provider's, with its ticket.
    act = parse(client.get("/act").text)
    assert act.one("section", id="before-calling")
    assert act.one("section", id="tell").one("h2").all_text == "What to tell the ISP about its last outage"
    assert [li.all_text for li in act.one("section", id="tell").find("li")] == [
        "My line was down from 12:30:00 GMT to 12:45:00 GMT (15m 00s).",
        "The fault was in your access network: my router answered, your first router did not.",
        "I measure the line every 1 s with netwatch, which keeps sealed evidence of every outage.",
        "Fault reference: BT-4711 (reported 12:35:00 GMT).",
    ]


def test_a_run_of_the_owners_own_outages_does_not_hide_the_providers_last_one(tmp_path: Path) -> None:
    """Eight short outages of the owner's router between the provider's outage and now: the Act page still tells
    the ISP about its own last outage."""
    flaky = [outage(EARLIER.end + 600.0 * k, EARLIER.end + 600.0 * k + 60, Cause.LOCAL) for k in range(1, 9)]
    cfg, _ = recorded(tmp_path / "flaky", Cause.LOCAL, flaky)
    with serve(cfg, NOW) as client:
        act = parse(client.get("/act").text)
    assert [li.all_text for li in act.one("section", id="tell").find("li")] == [
        "My line was down from 12:30:00 GMT to 12:45:00 GMT (15m 00s).",
        "The fault was in your access network: my router answered, your first router did not.",
        "I measure the line every 1 s with netwatch, which keeps sealed evidence of every outage.",
        "Fault reference: BT-4711 (reported 12:35:00 GMT).",
    ]


def test_during_the_providers_outage_the_facts_the_ticket_and_the_form(
    opened: Callable[[Cause], tuple[TestClient, Incident]],
) -> None:
    client, _ = opened(Cause.ISP)
    text = client.get("/").text
    page = parse(text)
    assert page.find("section", id="before-calling") == []
    tell = page.one("section", id="tell")
    assert [li.all_text for li in tell.find("li")] == [
        "My line has been down since 14:50:00 GMT (10m 00s).",
        "The fault is in your access network: my router answers, your first router does not.",
        "My router (192.168.1.1) answers.",
        "Your first router (100.64.0.1) does not answer.",
        "0 of 2 public test addresses answer (1.1.1.1, 8.8.8.8).",
        "I measure the line every 1 s with netwatch, which keeps sealed evidence of every outage.",
        "Fault reference: BT-4711 (reported 12:35:00 GMT).",
    ]
    assert tell.one("a", class_="button").all_text == "Record the fault ticket"


def test_a_ticket_is_cited_only_for_an_outage_of_the_providers() -> None:
    line_at = NOW
    ticket = [TICKET]
    for cause in Cause:
        current = outage(OPENED, None, cause)
        line = LineNow(line_at, LineState.DOWN, True, True, round_of(NOW - 0.5, cause), (current,), since=OPENED)
        told = words.told_outage(line, [EARLIER], lambda _: Resolver.PROVIDER)  # a dns outage: the ISP's resolver
        facts = words.isp_facts(line, told, ticket, 1.0, LONDON, Resolver.PROVIDER)
        if cause is Cause.DNS:  # through any other resolver, nothing is told to the ISP of this outage
            assert [words.isp_facts(line, told, ticket, 1.0, LONDON, r) for r in Resolver if r is not r.PROVIDER] == [
                [],
                [],
                [],
            ]
        cited = [fact for fact in facts if fact.startswith("Fault reference")]
        if cause is Cause.LOCAL:  # the earlier ISP outage is described instead, with its own ticket
            assert facts[0] == "My line was down from 12:30:00 GMT to 12:45:00 GMT (15m 00s)."
            assert cited == ["Fault reference: BT-4711 (reported 12:35:00 GMT)."]
        elif cause is Cause.UNKNOWN:
            assert facts[0] == "My line has been down since 14:50:00 GMT (10m 00s)." and cited == []
        else:
            assert cited == ["Fault reference: BT-4711 (reported 12:35:00 GMT)."], cause
    # With no outage of the provider's before it, the owner's own outage has nothing to tell.
    own = outage(OPENED, None, Cause.LOCAL)
    line = LineNow(line_at, LineState.DOWN, True, True, round_of(NOW - 0.5, Cause.LOCAL), (own,), since=OPENED)
    assert words.told_outage(line, [outage(START, START + 60, Cause.LOCAL)]) is None
    assert words.told_outage(line, [], lambda _: Resolver.PROVIDER) is None
    assert words.isp_facts(line, None, ticket, 1.0, LONDON) == []


@pytest.mark.parametrize("resolver", [r for r in Resolver if r is not Resolver.PROVIDER])
def test_a_dns_outage_through_the_owners_resolver_gives_way_to_the_providers_last_outage(resolver: Resolver) -> None:
    """Open or ended, a dns outage through another resolver than the provider's is the owner's own: the provider
    is told of its own last outage instead, and when there is none, of nothing."""
    own_dns = outage(OPENED, None, Cause.DNS)
    line = LineNow(NOW, LineState.DOWN, True, True, round_of(NOW - 0.5, Cause.DNS), (own_dns,), since=OPENED)
    ended_dns = outage(EARLIER.end + 60, EARLIER.end + 600, Cause.DNS)
    whose = {own_dns.start: resolver, ended_dns.start: resolver, EARLIER.start: None}
    assert words.told_outage(line, [EARLIER, ended_dns], lambda i: whose[i.start]) is EARLIER
    facts = words.isp_facts(line, EARLIER, [TICKET], 1.0, LONDON)
    assert facts[0] == "My line was down from 12:30:00 GMT to 12:45:00 GMT (15m 00s)."
    assert words.told_outage(line, [ended_dns], lambda i: whose[i.start]) is None
    assert words.told_outage(line, [EARLIER, ended_dns]) is EARLIER  # nobody's resolvers by default
    through_provider = {**whose, ended_dns.start: Resolver.PROVIDER}
    assert words.told_outage(line, [EARLIER, ended_dns], lambda i: through_provider[i.start]) is ended_dns


# --- the live stream -------------------------------------------------------------------------------------------


class Leaving:
    """A request whose client leaves after ``ticks`` rounds of the stream."""

    def __init__(self, ticks: int) -> None:
        self.ticks = ticks

    async def is_disconnected(self) -> bool:
        self.ticks -= 1
        return self.ticks < 0


def test_the_live_stream_outlives_any_failure_and_logs_it_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(events, "TICK_S", 0.0)
    outcomes: Iterator[object] = iter([KeyError("boom"), KeyError("boom"), {"html": "up"}, KeyError("boom"), None])

    def render() -> tuple[dict[str, Any], bool]:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return {"html": "up"}, False

    async def collect() -> list[str]:
        return [chunk async for chunk in events._stream(Leaving(4), "now", render)]  # type: ignore[arg-type]

    with caplog.at_level(logging.ERROR, logger="netwatch"):
        sent = anyio.run(collect)
    error = "internal error: KeyError('boom') (the log has the details; please report it)"
    failed = f'event: now\ndata: {{"html":"","error":"{error}"}}\n\n'
    assert sent == [failed, 'event: now\ndata: {"html":"up"}\n\n', failed]
    # Logged when each failure began: not at every tick it lasted.
    assert [r.getMessage() for r in caplog.records] == ["dashboard: the now stream failed"] * 2


def test_names_failing_through_a_resolver_not_the_providers_are_checked_not_told_to_the_isp(
    opened: Callable[[Cause], tuple[TestClient, Incident]],
) -> None:
    # The session recorded no resolvers (as before netwatch kept them): the router's, as far as anyone knows.
    client, _ = opened(Cause.DNS)
    for path in ("/", "/act"):
        page = parse(client.get(path).text)
        assert [s for s in page.find("section", id="tell") if "last outage" not in s.one("h2").all_text] == []
        card = page.one("section", id="before-calling")
        assert [li.all_text for li in card.find("li")] == [
            "Names cannot be looked up since 14:50:00 GMT (10m 00s), though the internet answers. The resolver asked "
            "is your own router's (or one netwatch did not record), so the fault is most likely there, not in the "
            "ISP's network.",
            "Switch the router off, wait ten seconds and switch it on again.",
            "If it happens again, ask your ISP for its resolvers' addresses and set them in [dns] servers: netwatch "
            "then shows whether their name service fails.",
        ]
        assert card.one("p", class_="muted").all_text == (
            "netwatch keeps this outage out of the letter to the ISP: the resolver that fails is not the ISP's."
        )
