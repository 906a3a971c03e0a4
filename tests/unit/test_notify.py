"""Notifications' pure core: exact texts of incident summaries (a lunch break, a DST day) and digests, which
incidents notify, the digest calendar across DST changes, and the retry backoff."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from zoneinfo import ZoneInfo

import pytest

from netwatch import config
from netwatch.app.daemon import digest
from netwatch.config import toml as tomlout
from netwatch.config.records import CostConfig, NotifyConfig
from netwatch.core.model import Cause, Coverage, Incident, Kind, Message, Period
from netwatch.core.outbox import Backoff
from netwatch.core.schedule import BusinessHours
from netwatch.report.compute import compute
from netwatch.report.jsonout import to_json
from netwatch.report.message import digest_message, incident_message, message_for_test, wanted
from tests.support import instants
from tests.support.incidents import outage
from tests.support.instants import LONDON

OFFICE = BusinessHours.from_config(
    {"timezone": "Europe/London", "week": {"tue": "09:00-12:30, 13:30-17:30", "sun": "00:30-03:00"}}
)
COST = CostConfig(hourly=85.0, currency="GBP")
NO_COST = CostConfig(hourly=0.0, currency="GBP")


at = partial(instants.at, zone=LONDON)


def notify_cfg(**keys: object) -> NotifyConfig:
    body = "".join(f"{k} = {tomlout.value(v)}\n" for k, v in keys.items())
    return config.parse(f'[notify]\ncommand = "/bin/true"\n{body}', source=None, env={"HOME": "/h"}).notify


LUNCH = outage(
    at(2026, 3, 24, 12, 10),
    at(2026, 3, 24, 13, 45, 30),
    rounds=5730,
    detail="gateway answered 5730/5730 rounds, ISP hop 0/5730",
)


class TestIncidentMessage:
    def test_an_outage_across_the_lunch_break(self) -> None:
        m = incident_message(LUNCH, business=OFFICE, cost=COST, probe="office-pi", prefix="[netwatch] ")
        assert m.key == "outage 2026-03-24T12:10:00.000Z"
        assert m.event == "outage"
        assert m.title == "[netwatch] Outage of 1h 35m 30s ended on office-pi (ISP)"
        # 12:10-12:30 and 13:30-13:45:30 are business hours: 35m 30s, at 85 GBP an hour 50.29 GBP.
        assert m.text == (
            "The internet line is back: it was down for 1h 35m 30s.\n"
            "\n"
            "Cause: ISP (your router answered, the ISP's first hop did not)\n"
            "Start: Tue 24 Mar 2026 12:10:00 GMT (2026-03-24 12:10:00 UTC)\n"
            "End: Tue 24 Mar 2026 13:45:30 GMT (2026-03-24 13:45:30 UTC)\n"
            "Duration: 1h 35m 30s\n"
            "Business hours: 35m 30s of it inside business hours (Europe/London)\n"
            "Cost: £50.29 at £85.00 an hour of business downtime\n"
            "Evidence: gateway answered 5730/5730 rounds, ISP hop 0/5730\n"
            "Probe: office-pi"
        )
        assert m.markdown == (
            "The internet line is back: it was down for 1h 35m 30s.\n"
            "\n"
            "- **Cause:** ISP (your router answered, the ISP's first hop did not)\n"
            "- **Start:** Tue 24 Mar 2026 12:10:00 GMT (2026-03-24 12:10:00 UTC)\n"
            "- **End:** Tue 24 Mar 2026 13:45:30 GMT (2026-03-24 13:45:30 UTC)\n"
            "- **Duration:** 1h 35m 30s\n"
            "- **Business hours:** 35m 30s of it inside business hours (Europe/London)\n"
            "- **Cost:** £50.29 at £85.00 an hour of business downtime\n"
            "- **Evidence:** gateway answered 5730/5730 rounds, ISP hop 0/5730\n"
            "- **Probe:** office-pi"
        )
        assert m.data["incident"] == {
            "kind": "outage",
            "cause": "isp",
            "cause_text": "ISP (your router answered, the ISP's first hop did not)",
            "start": "2026-03-24T12:10:00Z",
            "end": "2026-03-24T13:45:30Z",
            "start_local": "2026-03-24T12:10:00+00:00",
            "end_local": "2026-03-24T13:45:30+00:00",
            "duration_seconds": 5730.0,
            "business_seconds": 2130.0,
            "cost": 50.29,
            "currency": "GBP",
            "rounds": 5730,
            "detail": "gateway answered 5730/5730 rounds, ISP hop 0/5730",
        }
        assert m.data["probe"] == "office-pi"

    def test_an_outage_across_the_spring_forward_night(self) -> None:
        # Sunday 29 March 2026: 01:00 GMT becomes 02:00 BST. Open "00:30-03:00" local is 1.5 h that night.
        inc = Incident(Kind.OUTAGE, Cause.LOCAL, at(2026, 3, 29, 0, 0), at(2026, 3, 29, 3, 0, zone=ZoneInfo("UTC")))
        m = incident_message(inc, business=OFFICE, cost=NO_COST, probe="pi", prefix="")
        assert m.title == "Outage of 3h 00m 00s ended on pi (local network)"
        assert m.text == (
            "The internet line is back: it was down for 3h 00m 00s.\n"
            "\n"
            "Cause: local network (your router did not answer either)\n"
            "Start: Sun 29 Mar 2026 00:00:00 GMT (2026-03-29 00:00:00 UTC)\n"
            "End: Sun 29 Mar 2026 04:00:00 BST (2026-03-29 03:00:00 UTC)\n"
            "Duration: 3h 00m 00s\n"
            "Business hours: 1h 30m 00s of it inside business hours (Europe/London)\n"
            "Probe: pi"
        )  # no cost line without [cost] hourly, no evidence line without detail
        assert m.data["incident"]["cost"] is None and m.data["incident"]["currency"] is None

    def test_degraded_and_slow_have_no_cost(self) -> None:
        degraded = Incident(Kind.DEGRADED, Cause.UPSTREAM, LUNCH.start, LUNCH.end, detail="loss 12.0% over 60 rounds")
        m = incident_message(degraded, business=OFFICE, cost=COST, probe="pi", prefix="")
        assert m.title == "Degraded line for 1h 35m 30s on pi (ISP upstream)"
        assert m.text.splitlines()[0] == "The internet line is no longer degraded: it was degraded for 1h 35m 30s."
        assert "Cost" not in m.text and m.data["incident"]["cost"] is None
        slow = Incident(Kind.SLOW, Cause.ISP, LUNCH.start, LUNCH.end)
        m = incident_message(slow, business=OFFICE, cost=COST, probe="pi", prefix="")
        assert m.title == "Slow speed for 1h 35m 30s on pi (ISP)"
        assert m.text.splitlines()[0] == "Speed tests are back to normal: they were slow for 1h 35m 30s."

    def test_markdown_escapes_what_the_user_and_the_evidence_wrote(self) -> None:
        inc = Incident(Kind.OUTAGE, Cause.DNS, LUNCH.start, LUNCH.end, detail="SERVFAIL for *.example_test")
        m = incident_message(inc, business=OFFICE, cost=NO_COST, probe="pi_<office>", prefix="")
        assert "- **Evidence:** SERVFAIL for \\*.example\\_test" in m.markdown
        assert m.markdown.endswith("- **Probe:** pi\\_\\<office\\>")
        assert m.text.endswith("Probe: pi_<office>")

    def test_json_round_trip_and_the_command_payload(self) -> None:
        m = incident_message(LUNCH, business=OFFICE, cost=COST, probe="office-pi", prefix="[netwatch] ")
        assert Message.from_json(m.to_json()) == m
        payload = m.payload()
        assert set(payload) == {"key", "event", "title", "text", "markdown", "probe", "incident"}
        assert payload["title"] == m.title and payload["incident"]["cause"] == "isp"

    def test_the_test_message(self) -> None:
        m = message_for_test(at=at(2026, 7, 1, 9, 0), probe="pi", prefix="[netwatch] ", zone=LONDON)
        assert (m.key, m.event) == ("test 2026-07-01T08:00:00Z", "test")
        assert m.title == "[netwatch] Test notification from pi"
        assert m.text == (
            "This is a test notification from netwatch on pi.\n\nSent: Wed 01 Jul 2026 09:00:00 BST "
            "(2026-07-01 08:00:00 UTC)\nProbe: pi"
        )


class TestWanted:
    def test_kind_and_duration(self) -> None:
        cfg = notify_cfg(kinds=["outage", "slow"], min_duration=60)
        start = at(2026, 3, 24, 12, 0)
        assert wanted(Incident(Kind.OUTAGE, Cause.ISP, start, start + 60), cfg)
        assert not wanted(Incident(Kind.OUTAGE, Cause.ISP, start, start + 59.9), cfg)  # too short
        assert not wanted(Incident(Kind.OUTAGE, Cause.ISP, start), cfg)  # still open
        assert not wanted(Incident(Kind.DEGRADED, Cause.ISP, start, start + 600), cfg)  # not a kind asked for
        assert wanted(Incident(Kind.SLOW, Cause.ISP, start, start + 600), cfg)
        assert wanted(Incident(Kind.OUTAGE, Cause.ISP, start, start), notify_cfg(min_duration=0))


class TestDigestMessage:
    def test_a_day_with_two_outages_and_a_degradation(self) -> None:
        day = Period(at(2026, 3, 24), at(2026, 3, 25))
        incidents = [
            Incident(Kind.DEGRADED, Cause.UPSTREAM, at(2026, 3, 24, 10, 0), at(2026, 3, 24, 10, 3)),
            LUNCH,
            Incident(Kind.OUTAGE, Cause.LOCAL, at(2026, 3, 24, 16, 0), at(2026, 3, 24, 16, 1)),
        ]
        report = compute(day, incidents, [Coverage(day.since - 3600, day.until + 3600)], OFFICE, cost=COST)
        m = digest_message(report, digest="daily", business=OFFICE, probe="office-pi", prefix="[netwatch] ")
        assert m.key == "digest daily 2026-03-24"
        assert m.event == "digest"
        assert m.title == "[netwatch] Daily digest for office-pi: 2 outages, 1h 36m 30s down"
        assert m.text == (
            "Daily digest for office-pi: 24 March 2026 (Europe/London).\n"
            "\n"
            "Outages: 2 outages, down 1h 36m 30s in total (36m 30s inside business hours)\n"
            "Longest outage: 1h 35m 30s\n"
            "Availability: 93.298% of the monitored time\n"
            "Monitored: 1d 00h 00m 00s (0s not monitored)\n"
            "Cost: £51.71 of business downtime\n"
            "Degraded: 1 period, 3m 00s\n"
            "\n"
            "Incidents:\n"
            "- degraded, ISP upstream: Tue 24 Mar 10:00:00 to 10:03:00 GMT (3m 00s; 3m 00s in business hours)\n"
            "- outage, ISP: Tue 24 Mar 12:10:00 to 13:45:30 GMT (1h 35m 30s; 35m 30s in business hours)\n"
            "- outage, local network: Tue 24 Mar 16:00:00 to 16:01:00 GMT (1m 00s; 1m 00s in business hours)"
        )
        assert m.markdown.startswith("Daily digest for office-pi: 24 March 2026 (Europe/London).\n\n- **Outages:** ")
        assert m.markdown.split("\n\n")[-2:] == [
            "**Incidents:**",
            "- degraded, ISP upstream: Tue 24 Mar 10:00:00 to 10:03:00 GMT (3m 00s; 3m 00s in business hours)\n"
            "- outage, ISP: Tue 24 Mar 12:10:00 to 13:45:30 GMT (1h 35m 30s; 35m 30s in business hours)\n"
            "- outage, local network: Tue 24 Mar 16:00:00 to 16:01:00 GMT (1m 00s; 1m 00s in business hours)",
        ]
        doc = to_json(report)
        assert m.data["digest"] == {
            "kind": "daily",
            "period": doc["period"],
            "coverage": doc["coverage"],
            "summary": doc["summary"],
            "incidents": doc["incidents"],
            "money": doc["money"],
        }

    def test_a_quiet_week(self) -> None:
        week = Period(at(2026, 3, 16), at(2026, 3, 23))
        report = compute(week, [], [Coverage(week.since, week.until - 86400)], OFFICE, cost=NO_COST)
        m = digest_message(report, digest="weekly", business=OFFICE, probe="pi", prefix="")
        assert m.key == "digest weekly 2026-03-16"
        assert m.title == "Weekly digest for pi: 0 outages, 0s down"
        assert m.text == (
            "Weekly digest for pi: 16 March 2026 to 22 March 2026 (Europe/London).\n"
            "\n"
            "Outages: 0 outages, down 0s in total (0s inside business hours)\n"
            "Longest outage: —\n"
            "Availability: 100.000% of the monitored time\n"
            "Monitored: 6d 00h 00m 00s (1d 00h 00m 00s not monitored)"
        )


class TestDigestCalendar:
    def test_off(self) -> None:
        cfg = notify_cfg()
        assert digest.next_due(0.0, cfg, LONDON) is None and digest.last_due(0.0, cfg, LONDON) is None

    def test_daily_at_eight_across_both_dst_changes(self) -> None:
        cfg = notify_cfg(digest="daily", digest_at="08:00")
        due, seen = at(2026, 3, 27, 12, 0), []
        for _ in range(3):
            due = digest.next_due(due, cfg, LONDON)  # type: ignore[assignment]
            seen.append(datetime.fromtimestamp(due, UTC).isoformat())
        assert seen == ["2026-03-28T08:00:00+00:00", "2026-03-29T07:00:00+00:00", "2026-03-30T07:00:00+00:00"]
        due = at(2026, 10, 24, 9, 0)
        autumn = [digest.next_due(due, cfg, LONDON), digest.next_due(due + 86400, cfg, LONDON)]
        assert [datetime.fromtimestamp(d, LONDON).isoformat() for d in autumn if d] == [
            "2026-10-25T08:00:00+00:00",  # 25 hours after the 24th's 08:00 BST
            "2026-10-26T08:00:00+00:00",
        ]

    def test_a_time_in_the_spring_gap_and_an_ambiguous_one(self) -> None:
        cfg = notify_cfg(digest="daily", digest_at="01:30")
        spring = digest.next_due(at(2026, 3, 28, 12, 0), cfg, LONDON)
        assert spring == at(2026, 3, 29, 1, 30, zone=ZoneInfo("UTC"))  # 01:30 does not exist: 02:30 BST
        autumn = digest.next_due(at(2026, 10, 24, 12, 0), cfg, LONDON)
        assert autumn == at(2026, 10, 25, 0, 30, zone=ZoneInfo("UTC"))  # the first 01:30 (BST)

    def test_strictly_after_and_at_or_before(self) -> None:
        cfg = notify_cfg(digest="daily", digest_at="08:00")
        eight = at(2026, 3, 24, 8, 0)
        assert digest.next_due(eight, cfg, LONDON) == at(2026, 3, 25, 8, 0)
        assert digest.next_due(eight - 1, cfg, LONDON) == eight
        assert digest.last_due(eight, cfg, LONDON) == eight
        assert digest.last_due(eight - 1, cfg, LONDON) == at(2026, 3, 23, 8, 0)

    def test_weekly_on_its_day(self) -> None:
        cfg = notify_cfg(digest="weekly", digest_at="07:15", digest_day="wed")
        assert digest.next_due(at(2026, 3, 25, 7, 15), cfg, LONDON) == at(2026, 4, 1, 7, 15)  # BST by then
        assert digest.last_due(at(2026, 3, 30, 12, 0), cfg, LONDON) == at(2026, 3, 25, 7, 15)
        assert digest.catch_up(at(2026, 3, 30, 12, 0), cfg, LONDON) == at(2026, 3, 25, 7, 15)

    def test_periods_are_the_previous_local_day_or_iso_week(self) -> None:
        daily = notify_cfg(digest="daily")
        spring_day = digest.period_of(at(2026, 3, 30, 8, 0), daily, LONDON)
        assert spring_day == Period(at(2026, 3, 29), at(2026, 3, 30))
        assert spring_day.seconds == 23 * 3600
        weekly = notify_cfg(digest="weekly", digest_day="wed")
        assert digest.period_of(at(2026, 4, 1, 8, 0), weekly, LONDON) == Period(at(2026, 3, 23), at(2026, 3, 30))


class TestBackoff:
    def test_doubling_and_capped(self) -> None:
        b = Backoff(first=30.0, factor=2.0, cap=3600.0)
        assert [b.delay(n) for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]

    def test_given_up_after_a_week(self) -> None:
        b = Backoff()
        assert b.next_attempt(created=0.0, attempts=1, at=100.0) == 130.0
        assert b.next_attempt(created=0.0, attempts=20, at=7 * 86400 - 3600.0) == 7 * 86400
        assert b.next_attempt(created=0.0, attempts=20, at=7 * 86400 - 3599.0) is None


@pytest.mark.parametrize(
    ("cause", "title", "words"),
    [
        (Cause.ISP, "ISP", "ISP (your router answered, the ISP's first hop did not)"),
        (
            Cause.UPSTREAM,
            "ISP upstream",
            "ISP upstream (your router and the ISP's first hop answered, no public host did)",
        ),
        (Cause.DNS, "DNS", "DNS (public hosts answered pings, names could not be resolved)"),
        (Cause.LOCAL, "local network", "local network (your router did not answer either)"),
        (Cause.UNKNOWN, "cause undetermined", "undetermined (the evidence does not place the fault)"),
    ],
)
def test_every_cause_in_plain_words(cause: Cause, title: str, words: str) -> None:
    m = incident_message(
        Incident(Kind.OUTAGE, cause, LUNCH.start, LUNCH.end), business=OFFICE, cost=NO_COST, probe="pi", prefix=""
    )
    assert m.title == f"Outage of 1h 35m 30s ended on pi ({title})"
    assert m.text.splitlines()[2] == f"Cause: {words}"
