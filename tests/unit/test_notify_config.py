"""The [notify] table: defaults, every user-facing error verbatim, the command's two spellings, URLs masked by
render(), and what check-config adds (apprise's verdict on each URL, the URLs file, the command's program)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from netwatch import config
from netwatch.adapters import notify as channels
from netwatch.config import records
from netwatch.errors import ConfigError
from tests.support.configs import error, parse


def problems(text: str) -> list[str]:
    return error(text).splitlines()[1:]


def test_defaults_notify_nothing() -> None:
    n = parse("").notify
    assert n == records.NotifyConfig(
        urls=(),
        urls_file=None,
        command=(),
        timeout=10.0,
        kinds=("outage",),
        min_duration=60.0,
        digest="off",
        digest_at="08:00",
        digest_day="mon",
        title_prefix="[netwatch] ",
    )
    assert not n.enabled


def test_any_channel_enables_it(tmp_path: Path) -> None:
    assert parse('[notify]\nurls = ["ntfy://ntfy.sh/topic"]\n').notify.enabled
    assert parse('[notify]\ncommand = "/bin/true"\n').notify.enabled
    n = parse('[notify]\nurls_file = "urls.txt"\n', source=str(tmp_path / "netwatch.toml")).notify
    assert n.enabled and n.urls_file == tmp_path / "urls.txt"  # relative to the configuration file


def test_command_is_a_list_or_a_string_split_like_a_shell() -> None:
    assert parse('[notify]\ncommand = ["/usr/bin/alert", "two words"]\n').notify.command == (
        "/usr/bin/alert",
        "two words",
    )
    assert parse("[notify]\ncommand = \"/usr/bin/alert --to 'two words'\"\n").notify.command == (
        "/usr/bin/alert",
        "--to",
        "two words",
    )
    assert parse('[notify]\ncommand = ""\n').notify.command == ()


def test_errors_verbatim() -> None:
    text = (
        "[notify]\n"
        'urls = ["mailto//user:hunter2@example.com", "ntfy://ntfy.sh/ok"]\n'
        "command = 5\n"
        "timeout = 0.1\n"
        'kinds = ["outage", "slo", "outage"]\n'
        "min_duration = -1\n"
        'digest = "hourly"\n'
        'digest_at = "8am"\n'
        'digest_day = "monday"\n'
    )
    assert problems(text) == [
        '  notify.urls[0]: is not an apprise URL (no "scheme://" at its start, or blanks inside); write it like '
        '"mailtos://user:password@example.com" or "ntfy://ntfy.sh/your-topic"',
        "  notify.command: must be a string or a list of strings, not an integer (5); write a list such as "
        '["/usr/local/bin/alert", "--quiet"], e.g. command = []',
        "  notify.timeout: must be between 0.5 and 300, got 0.1; set notify.timeout to a value between 0.5 and 300",
        '  notify.kinds[1]: must be one of outage, degraded, slow, got "slo"; did you mean "slow"?',
        '  notify.kinds[2]: duplicates notify.kinds[0] ("outage"); remove the duplicate',
        "  notify.min_duration: must be at least 0, got -1.0; set notify.min_duration to 0 or more",
        '  notify.digest: must be one of off, daily, weekly, got "hourly"; use one of: off, daily, weekly',
        '  notify.digest_at: must be a time of day as HH:MM, got "8am"; set notify.digest_at to e.g. "08:00"',
        '  notify.digest_day: must be one of mon, tue, wed, thu, fri, sat, sun, got "monday"; did you mean "mon"?',
    ]
    assert "hunter2" not in error(text)  # a malformed URL is never echoed: it may hold a password


def test_command_errors_verbatim() -> None:
    assert problems('[notify]\ncommand = "/bin/alert \'unclosed"\n') == [
        "  notify.command: cannot be split into words: No closing quotation; close the quote, or write a list such "
        'as ["/usr/local/bin/alert", "--quiet"], e.g. command = []'
    ]
    assert problems('[notify]\ncommand = ["/bin/alert", ""]\n') == [
        '  notify.command[1]: must not be empty; write the program and its arguments, e.g. ["/usr/local/bin/alert"]'
    ]
    assert problems('[notify]\ndigest_at = "24:00"\n') == [
        '  notify.digest_at: must be a time of day as HH:MM, got "24:00"; set notify.digest_at to e.g. "08:00"'
    ]


def test_a_digest_needs_a_channel() -> None:
    assert problems('[notify]\ndigest = "daily"\n') == [
        '  notify.digest: is "daily" but no channel is configured; set notify.urls, notify.urls_file or '
        'notify.command, or digest = "off"'
    ]


def test_render_masks_every_url_and_round_trips_the_rest() -> None:
    text = '[notify]\nurls = ["mailtos://me:hunter2@example.com", "tgram://123:bot-token/456"]\ncommand = "a b"\n'
    cfg = parse(text)
    rendered = config.render(cfg)
    assert "hunter2" not in rendered and "bot-token" not in rendered
    doc = tomllib.loads(rendered)["notify"]
    assert doc["urls"] == ["mailtos://***", "tgram://***"]
    assert doc["command"] == ["a", "***"]  # arguments may be tokens too: only the program is shown
    masked = dataclasses.replace(cfg.notify, urls=("mailtos://***", "tgram://***"), command=("a", "***"))
    assert parse(rendered).notify == masked  # everything but the secrets round-trips


# --- check-config: what apprise and the file system say ------------------------------------------------------


def built(text: str, source: str | None = None) -> list[str]:
    """The problems ``channels.check`` reports, one line each."""
    with pytest.raises(ConfigError) as caught:
        channels.check(parse(text, source=source).notify)
    return str(caught.value).splitlines()[1:]


def test_apprise_is_asked_about_every_url() -> None:
    text = '[notify]\nurls = ["json://127.0.0.1:9/hook", "nosuchservice://x/y", "tgram://not-a-bot-token"]\n'
    assert built(text) == [
        "  notify.urls[1]: apprise cannot use this nosuchservice:// URL (an unknown service, or a part missing or "
        'malformed); check it against apprise\'s page for that service (README "Notifications" has examples)',
        "  notify.urls[2]: apprise cannot use this tgram:// URL (an unknown service, or a part missing or "
        'malformed); check it against apprise\'s page for that service (README "Notifications" has examples)',
    ]


def test_the_urls_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cfg_path = str(tmp_path / "netwatch.toml")
    urls = tmp_path / "urls.txt"
    urls.write_text("# e-mail to the office\n\njson://127.0.0.1:9/hook\nbroken url\nnosuchservice://x\n")
    urls.chmod(0o644)
    assert built('[notify]\nurls_file = "urls.txt"\n', cfg_path) == [
        '  notify.urls_file line 4: is not an apprise URL (no "scheme://" at its start, or blanks inside); write it '
        'like "mailtos://user:password@example.com" or "ntfy://ntfy.sh/your-topic"',
        "  notify.urls_file line 5: apprise cannot use this nosuchservice:// URL (an unknown service, or a part "
        'missing or malformed); check it against apprise\'s page for that service (README "Notifications" has '
        "examples)",
    ]
    assert f"notify.urls_file {urls} can be read by other users (mode 644): chmod 600 it" in caplog.text
    urls.write_text("# nothing yet\n")
    assert built('[notify]\nurls_file = "urls.txt"\n', cfg_path) == [
        f"  notify.urls_file: {urls} holds no URL; write one apprise URL a line, or remove urls_file"
    ]
    urls.unlink()
    assert built('[notify]\nurls_file = "urls.txt"\n', cfg_path) == [
        f"  notify.urls_file: {urls} does not exist; create it with one apprise URL a line, or point"
        " notify.urls_file at another file"
    ]


def test_the_command_must_exist(tmp_path: Path) -> None:
    assert built(f'[notify]\ncommand = "{tmp_path}/missing --flag"\n') == [
        f'  notify.command: the program "{tmp_path}/missing" is not an executable file; give the absolute path of '
        "an executable program"
    ]
    assert built('[notify]\ncommand = "no-such-program-here"\n') == [
        '  notify.command: the program "no-such-program-here" is not found on PATH; give the absolute path of an '
        "executable program"
    ]


def test_channels_are_labelled_without_secrets_and_deduplicated(tmp_path: Path) -> None:
    script = tmp_path / "alert"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o755)
    text = (
        '[notify]\nurls = ["ntfys://me:hunter2@ntfy.example.test/topic", "ntfys://me:hunter2@ntfy.example.test/topic",'
        f' "json://127.0.0.1:9/hook"]\ncommand = ["{script}", "--quiet"]\n'
    )
    found = channels.check(parse(text).notify)
    assert [c.label for c in found] == [
        "ntfys://me:****@ntfy.example.test/topic",
        "json://127.0.0.1:9/hook",
        f"command {script}",
    ]
    assert len({c.id for c in found}) == 3 and all("hunter2" not in c.id for c in found)
    assert os.access(script, os.X_OK)


def test_without_apprise_the_error_names_the_extra(tmp_path: Path) -> None:
    # A Python where `import apprise` fails, as on an install without the notify extra.
    cfg = tmp_path / "netwatch.toml"
    cfg.write_text('[notify]\nurls = ["ntfy://ntfy.example.test/topic"]\n')
    code = "import sys; sys.modules['apprise'] = None; from netwatch.cli import main; main()"
    env = {**os.environ, "NETWATCH_STATE_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", code, "check-config", "--config", str(cfg)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 3
    assert proc.stderr == (
        f"netwatch: 1 configuration problem in {cfg}:\n"
        "  notify.urls: needs apprise, which is not installed; install the notify extra: in the netwatch checkout: "
        ".venv/bin/pip install '.[notify]'; for the service: sudo ./bootstrap install --extras "
        "speedtest,web,notify\n"
    )
