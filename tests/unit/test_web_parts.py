"""The dashboard's parts on their own: the password file, the sign-in limit, the [web] table, refusing to start, the
form errors in the page's words, and what the Now page and /api/status say."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from netwatch import config
from netwatch.__main__ import main
from netwatch.app import access
from netwatch.cli import ExitCode
from netwatch.config import Config, loading
from netwatch.core.model import Cause, Incident, Kind, LineNow, LineState, Round, Sample, Ticket
from netwatch.core.schedule import BusinessHours
from netwatch.errors import (
    ConfigError,
    InputError,
    TicketClosed,
    TicketExists,
    TicketUnknown,
    TimeSkipped,
    TimeTwice,
    WebError,
)
from netwatch.report import now as words
from netwatch.web import forms, server
from netwatch.web.ratelimit import Limiter
from tests.support.instants import LONDON
from tests.support.instants import local_at as at
from tests.support.targets import A1 as ANCHOR
from tests.support.targets import GW, ISP


def parse(text: str, tmp_path: Path) -> Config:
    return config.parse(text, source=None, env={"NETWATCH_STATE_DIR": str(tmp_path)})


# --- the password --------------------------------------------------------------------------------------------


def test_the_hash_is_salted_pbkdf2_and_only_the_right_password_matches() -> None:
    stored = access.hash_password("correct horse", iterations=1000)
    algorithm, rounds, _salt, _digest = stored.split("$")
    assert (algorithm, rounds) == ("pbkdf2_sha256", "1000")
    assert access.matches("correct horse", stored)
    assert not access.matches("correct horsE", stored)
    assert access.hash_password("correct horse", iterations=1000) != stored  # a new salt each time
    assert not access.matches("x", "md5$1$a$b") and not access.matches("x", "garbage")
    assert access.ITERATIONS == 600_000


def test_a_new_password_is_checked() -> None:
    for typed, again, said in (
        ("short", None, "the password is 5 characters long; use at least 8"),
        ("long enough", "long enougH", "the two passwords differ; type the same password twice"),
        (" long enough", None, "the password starts or ends with a blank; leave them out (they are easily mistyped)"),
    ):
        with pytest.raises(InputError) as err:
            access.check_new(typed, again)
        assert str(err.value) == said


def test_passwd_writes_a_hash_the_dashboard_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "DEFAULT_PATH", tmp_path / "absent.toml")
    monkeypatch.setenv("NETWATCH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("NETWATCH_CONFIG", raising=False)
    done = CliRunner().invoke(main, ["web", "passwd", "--password-stdin"], input="a long password\n")
    path = tmp_path / "state" / "web-password"
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines() == [
        f"password set in {path}; browsers signed in before must sign in again",
        "the dashboard listens on 127.0.0.1:8480 (this machine only): to open it from your phone, set [web] listen = "
        '"0.0.0.0:8480" and restart it (sudo systemctl restart netwatch-web, or stop ./bootstrap run with Ctrl-C and '
        "run it again)",
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    cfg = parse("", tmp_path / "state")
    stored = access.stored_hash(cfg)
    assert stored is not None and access.matches("a long password", stored)
    assert "a long password" not in path.read_text()
    short = CliRunner().invoke(main, ["web", "passwd", "--password-stdin"], input="short\n")
    assert (short.exit_code, short.stderr) == (
        ExitCode.USAGE,
        "netwatch: the password is 5 characters long; use at least 8\n",
    )


def test_a_broken_password_file_is_said(tmp_path: Path) -> None:
    cfg = parse("", tmp_path)
    assert access.stored_hash(cfg) is None  # none set yet
    (tmp_path / "web-password").write_text("hunter2\n")
    with pytest.raises(WebError) as err:
        access.stored_hash(cfg)
    assert (
        str(err.value)
        == f"{tmp_path}/web-password holds no password hash; set the password again with `netwatch web passwd`"
    )


def test_the_session_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    cfg = parse("", tmp_path)
    key = access.session_key(cfg)
    assert len(key) == 32 and access.session_key(cfg) == key
    assert stat.S_IMODE((tmp_path / access.SESSION_KEY).stat().st_mode) == 0o600


# --- the limit ---------------------------------------------------------------------------------------------------


def test_wrong_passwords_lock_a_client_then_every_guesser_but_never_the_owner() -> None:
    now = [1000.0]
    limiter = Limiter(per_client=3, overall=5, window=100.0, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.wait("a") == 0
        limiter.failed("a")
        now[0] += 10
    assert limiter.wait("a") == 100 - 30  # the first failure leaves the window 100 s after it
    assert limiter.wait("b") == 0  # others still may
    limiter.failed("b")
    limiter.failed("c")
    # Five in the window: every client that guessed waits; one with no failure of its own (the owner) does not.
    assert (limiter.wait("b"), limiter.wait("c"), limiter.wait("owner")) == (70, 70, 0)
    now[0] += 71
    assert limiter.wait("a") == 0 and limiter.wait("b") == 0
    limiter.failed("a")  # the fifth in the window again (1010, 1020, 1030, 1030, 1101)
    assert limiter.wait("a") == 9
    limiter.succeeded("a")  # forgets a's own failures: it guessed nothing wrong since
    assert limiter.wait("a") == 0


# --- configuration and start ---------------------------------------------------------------------------------------


def test_the_web_table(tmp_path: Path) -> None:
    cfg = parse("", tmp_path)
    assert (cfg.web.listen, cfg.web.password_file, cfg.web.tls) == ("127.0.0.1:8480", tmp_path / "web-password", False)
    with pytest.raises(ConfigError) as err:
        parse('[web]\nlisten = "0.0.0.0"\ntls_cert = "cert.pem"\n', tmp_path)
    assert [str(p) for p in err.value.problems] == [
        'web.listen: must be ADDRESS:PORT, got "0.0.0.0"; write e.g. listen = "127.0.0.1:8480" or "[::1]:8480"',
        "web.tls_key: must be set with web.tls_cert: https needs the certificate and its private key; set "
        'web.tls_key to its PEM file, or web.tls_cert = "" for plain http',
    ]
    assert parse('[web]\npassword_file = ""\n', tmp_path).web.password_file is None


def test_a_network_address_needs_a_password_before_anything_listens(tmp_path: Path) -> None:
    cfg = parse('[web]\nlisten = "0.0.0.0:8480"\n', tmp_path)
    with pytest.raises(WebError) as err:
        server.check(cfg, "0.0.0.0", "0.0.0.0:8480")
    assert str(err.value) == (
        "0.0.0.0:8480 reaches beyond this machine, but no password is set: run `netwatch web passwd` (it writes "
        f"{tmp_path}/web-password), or listen on 127.0.0.1"
    )
    server.check(cfg, "127.0.0.1", "127.0.0.1:8480")  # loopback: read-only pages need none
    access.set_password(cfg, "a long password")
    server.check(cfg, "0.0.0.0", "0.0.0.0:8480")
    off = parse('[web]\npassword_file = ""\n', tmp_path)
    with pytest.raises(WebError, match=r"sign-in is switched off \(web.password_file = \"\"\)"):
        server.check(off, "::", "[::]:8480")


def test_netwatch_web_refuses_in_one_line_with_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "DEFAULT_PATH", tmp_path / "absent.toml")
    monkeypatch.setenv("NETWATCH_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("NETWATCH_CONFIG", raising=False)
    refused = CliRunner().invoke(main, ["web", "--listen", "0.0.0.0:8480"])
    assert refused.exit_code == ExitCode.WEB
    assert refused.stderr == (
        "netwatch: 0.0.0.0:8480 reaches beyond this machine, but no password is set: run `netwatch web passwd` (it "
        f"writes {tmp_path}/web-password), or listen on 127.0.0.1\n"
    )
    bad = CliRunner().invoke(main, ["web", "--listen", "localhost:80"])
    assert bad.exit_code == ExitCode.USAGE
    assert (
        "Invalid value for '--listen': the address must be an IP address, got \"localhost:80\"; write e.g. --listen "
        '"127.0.0.1:8480" or "[::1]:8480"' in bad.stderr
    )


def test_a_taken_port_is_said(tmp_path: Path) -> None:
    first = server.bind("127.0.0.1", 0, "127.0.0.1:0")
    try:
        port = first.getsockname()[1]
        first.listen()
        with pytest.raises(WebError) as err:
            server.bind("127.0.0.1", port, f"127.0.0.1:{port}")
        assert str(err.value) == (
            f"cannot listen on 127.0.0.1:{port} (Address already in use): is the dashboard running already? choose "
            "another port with --listen or [web] listen"
        )
    finally:
        first.close()


def test_unreadable_certificates_are_refused(tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_text("not a certificate")
    cfg = parse('[web]\ntls_cert = "cert.pem"\ntls_key = "key.pem"\n', tmp_path)
    with pytest.raises(WebError, match=r"^cannot use the certificate .*cert\.pem with the key .*key\.pem \("):
        server.check(cfg, "127.0.0.1", "127.0.0.1:8480")


# --- words ---------------------------------------------------------------------------------------------------------


def test_the_applications_errors_in_the_forms_words() -> None:
    assert forms.worded(InputError("2026 is in the future; give the time it happened", "reported")) == (
        "Reported at: 2026 is in the future; give the time it happened"
    )
    assert forms.worded(TicketExists('ticket "A" already exists', "A")) == (
        'ticket "A" already exists: close it with the Repaired form of that ticket below, or give the new fault its '
        "own reference"
    )
    assert forms.worded(TicketUnknown('no ticket "B": the tickets are A')) == (
        'no ticket "B": the tickets are A (listed below); open one with the form above'
    )
    assert forms.worded(TicketClosed('ticket "A" is already closed')) == (
        'ticket "A" is already closed: it cannot be closed twice'
    )
    # The date-time field cannot hold an offset: the page offers the two times, or says to give the clock's time.
    twice = TimeTwice('"x" happened twice', "add the offset", "fixed", (("+01:00", 1.0), ("+00:00", 2.0)))
    assert forms.worded(twice) == 'Repaired at: "x" happened twice: choose which time you mean below and send it again'
    skipped = TimeSkipped('"y" does not exist', "give the time with its offset", "at")
    assert (
        forms.worded(skipped)
        == 'Appointment the engineer missed: "y" does not exist; give the time as the clocks showed it'
    )
    assert forms.worded(InputError("kept as it is", "elsewhere")) == "kept as it is"


DOWN = Round(at(2026, 3, 24, 10, 20), (Sample(GW, 0.5), Sample(ISP, None), Sample(ANCHOR, None)))
OUTAGE = Incident(Kind.OUTAGE, Cause.ISP, at(2026, 3, 24, 10, 15))
HOURS = BusinessHours.from_config({"timezone": "Europe/London", "week": {"tue": "09:00-17:00"}})


def down_now() -> LineNow:
    return LineNow(at(2026, 3, 24, 10, 27), LineState.DOWN, True, True, DOWN, (OUTAGE,), since=OUTAGE.start)


def test_the_now_page_says_where_the_fault_is_and_what_it_costs() -> None:
    line = down_now()
    assert words.detail(line, 3, LONDON, "sudo systemctl start netwatch") == (
        "Down since 10:15:00 GMT (12m 00s). The fault is in your ISP's access network: your router answers, the ISP's "
        "first router does not."
    )
    toll = words.so_far(OUTAGE, line.at, HOURS, 60.0)
    assert (toll.seconds, toll.business_seconds, toll.cost) == (720.0, 720.0, 12.0)
    assert words.so_far(OUTAGE, line.at, HOURS, 0.0).cost is None


def test_what_to_tell_the_isp() -> None:
    ticket = Ticket("VM-1", at(2026, 3, 24, 10, 25))
    assert words.isp_facts(down_now(), OUTAGE, [ticket], 1.0, LONDON) == [
        "My line has been down since 10:15:00 GMT (12m 00s).",
        "The fault is in your access network: my router answers, your first router does not.",
        "My router (192.168.1.1) answers.",
        "Your first router (100.64.0.1) does not answer.",
        "0 of 1 public test addresses answer (1.1.1.1).",
        "I measure the line every 1 s with netwatch, which keeps sealed evidence of every outage.",
        "Fault reference: VM-1 (reported 10:25:00 GMT).",
    ]
    up = LineNow(at(2026, 3, 24, 12, 0), LineState.UP, True, True, DOWN)
    ended = Incident(Kind.OUTAGE, Cause.UPSTREAM, OUTAGE.start, OUTAGE.start + 60, detail="ISP hop 60/60")
    own = Incident(Kind.OUTAGE, Cause.LOCAL, OUTAGE.start + 600, OUTAGE.start + 660, detail="gateway 0/60")
    told = words.told_outage(up, [own, ended])  # the owner's own outage, though later, is not the ISP's to hear
    assert words.isp_facts(up, told, [], 1.0, LONDON)[:3] == [
        "My line was down from 10:15:00 GMT to 10:16:00 GMT (1m 00s).",
        "The fault was in your network beyond your first router: my router and your first router answered, nothing "
        "on the internet did.",
        "Measured: the provider's first router answered 60 of 60 probes.",
    ]
    assert words.isp_facts(up, own, [], 1.0, LONDON) == words.isp_facts(up, None, [], 1.0, LONDON) == []


def test_api_status_document() -> None:
    doc = words.status_json(down_now(), business=HOURS, hourly=60.0, currency="GBP", tickets=[], seal=(7, "ab" * 32))
    assert {k: doc[k] for k in ("state", "up", "running", "since", "since_seconds", "cause")} == {
        "state": "down",
        "up": False,
        "running": True,
        "since": "2026-03-24T10:15:00Z",
        "since_seconds": 720.0,
        "cause": "isp",
    }
    assert doc["open_incidents"] == [
        {
            "kind": "outage",
            "cause": "isp",
            "start": "2026-03-24T10:15:00Z",
            "duration_seconds": 720.0,
            "business_seconds": 720.0,
            "cost": 12.0,
        }
    ]
    assert doc["last_round"]["layers"]["isp"] == {"answered": 0, "probed": 1, "rtt_ms": None}
    assert doc["seal"] == {"seal": 7, "sha256": "ab" * 32}


def test_the_password_file_is_owned_like_its_directory_when_root_writes_it(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give a file away (CI runs as root)")
    state = tmp_path / "state"
    state.mkdir()
    os.chown(state, 65534, 65534)
    cfg = parse("", state)
    path = access.set_password(cfg, "a long password")
    assert (path.stat().st_uid, path.stat().st_gid) == (65534, 65534)


def test_the_dashboards_own_process_exits_as_the_command_line_would(tmp_path: Path) -> None:
    """`netwatch web` becomes `python -m netwatch.web` once its checks passed; that process says a failure the same
    way, with the command line's exit codes."""
    from netwatch.web import __main__ as lean

    assert (lean.CONFIG_EXIT, lean.WEB_EXIT) == (ExitCode.CONFIG, ExitCode.WEB)
    env = {**os.environ, "NETWATCH_STATE_DIR": str(tmp_path), "NETWATCH_CONFIG": ""}
    bad = tmp_path / "bad.toml"
    bad.write_text('[web]\nlisten = "0.0.0.0:1"\n')
    done = subprocess.run(
        [sys.executable, "-m", "netwatch.web", "--config", str(bad)], env=env, capture_output=True, text=True
    )
    assert (done.returncode, done.stderr) == (
        ExitCode.WEB,
        "netwatch: 0.0.0.0:1 reaches beyond this machine, but no password is set: run `netwatch web passwd` (it "
        f"writes {tmp_path}/web-password), or listen on 127.0.0.1\n",
    )


def test_the_dashboards_process_loads_neither_the_command_line_nor_the_probes() -> None:
    code = (
        "import sys, netwatch.web.__main__, netwatch.web.routes; "
        "print(sorted(m for m in sys.modules if m.startswith(('netwatch.cli', 'netwatch.app.daemon.loop', 'icmplib', "
        "'netwatch.adapters.probes.speed.'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two "#rrggbb" colours."""

    def luminance(colour: str) -> float:
        r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_colours_are_readable_in_light_and_dark() -> None:
    """WCAG AA (4.5:1 for text): white on each state's colour, and text, muted text and links on the panels."""
    css = (Path(__file__).parents[2] / "netwatch/web/static/app.css").read_text()
    light, dark = (
        dict(re.findall(r"--([\w-]+): (#[0-9a-f]{6})", block)) for block in css.split("prefers-color-scheme: dark")[:2]
    )
    for scheme in (light, {**light, **dark}):
        for state in ("up", "down", "warn", "idle"):
            assert contrast(scheme[state], "#ffffff") >= 4.5, (state, scheme[state])
        for text in ("ink", "muted", "link"):
            assert contrast(scheme[text], scheme["panel"]) >= 4.5, (text, scheme[text])
        assert contrast(scheme["error-ink"], scheme["error-bg"]) >= 4.5
        assert contrast(scheme["notice-ink"], scheme["notice-bg"]) >= 4.5
