"""Configuration: defaults, the example file, where files and the state directory are found, frozen records,
every user-facing error message verbatim, and render() round trips (Hypothesis)."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netwatch import config
from netwatch.config import checks as configchecks
from netwatch.config import loading, masking, records, schema
from netwatch.config import toml as tomlout
from netwatch.core.schedule import DAYS, KEYS, BusinessHours
from netwatch.errors import ConfigError
from tests.support.configs import ENV, error, parse

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "netwatch.example.toml"
HOME = ENV["HOME"]
STATE = Path(HOME) / ".local/state/netwatch"


@pytest.fixture(autouse=True)
def no_system_file(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DEFAULT_PATH points at a file that does not exist, whatever this machine has in /etc."""
    absent = tmp_path_factory.mktemp("etc") / "netwatch.toml"
    monkeypatch.setattr(loading, "DEFAULT_PATH", absent)
    return absent


def one(problem: str) -> str:
    """The text of a ConfigError from netwatch.toml with exactly this one problem."""
    return f"1 configuration problem in netwatch.toml:\n  {problem}"


# --- defaults, the example file, frozen records -----------------------------------------------------------------


class TestDefaults:
    def test_no_file_anywhere_gives_the_built_in_defaults(self) -> None:
        cfg = config.load(None, ENV)
        assert cfg.source is None
        assert cfg.state_dir == STATE
        assert cfg.probe == records.ProbeConfig(name="", interval=1.0, timeout=0.8, mode="auto")
        assert cfg.targets == records.TargetsConfig("auto", "auto", ("1.1.1.1", "8.8.8.8", "9.9.9.9"), 3600.0)
        assert cfg.dns == records.DnsConfig(("one.one.one.one", "dns.google"), (), 0.8)
        assert cfg.detect == records.DetectConfig(confirm=3, window=60, loss_percent=5.0, latency_ms=250.0)
        assert cfg.store == records.StoreConfig(STATE / "netwatch.db", 90, 10.0)
        assert cfg.log == records.LogConfig("info")
        assert cfg.business_hours == BusinessHours()
        assert cfg == parse("")

    def test_dns_timeout_follows_probe_timeout_unless_given(self) -> None:
        assert parse("[probe]\ntimeout = 0.3\n").dns.timeout == 0.3
        assert parse("[probe]\ntimeout = 0.3\n[dns]\ntimeout = 0.5\n").dns.timeout == 0.5

    def test_integers_are_accepted_for_numbers(self) -> None:
        cfg = parse("[probe]\ninterval = 5\ntimeout = 2\n")
        assert (cfg.probe.interval, cfg.probe.timeout) == (5.0, 2.0)
        assert isinstance(cfg.probe.interval, float)

    def test_records_are_frozen(self) -> None:
        cfg = parse("")
        with pytest.raises(dataclasses.FrozenInstanceError):
            cfg.probe.interval = 2.0  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            cfg.probe = cfg.probe  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            cfg.business_hours.timezone_name = "UTC"  # type: ignore[misc]
        assert isinstance(cfg.targets.anchors, tuple)
        assert isinstance(cfg.dns.servers, tuple)
        assert len({cfg.probe, cfg.targets, cfg.dns}) == 3  # lists became tuples: the records are hashable


class TestExampleFile:
    def test_it_loads(self) -> None:
        cfg = config.load(EXAMPLE, ENV)
        assert cfg.source == EXAMPLE
        assert cfg.business_hours.timezone_name == "Europe/London"
        assert cfg.business_hours.holidays == "GB-ENG"

    def test_every_key_of_every_table_is_in_it(self) -> None:
        doc = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
        assert set(doc) == {*schema.TABLES, *schema.DELEGATED}
        for table, spec in schema.TABLES.items():
            assert set(doc[table]) == set(spec.keys), table
        assert set(doc["business_hours"]) == set(KEYS)
        assert set(doc["business_hours"]["week"]) <= set(DAYS)

    def test_its_values_are_the_defaults(self) -> None:
        # "Every key is optional: the values below are the defaults, except [business_hours]"
        example, defaults = config.load(EXAMPLE, ENV), parse("")
        for table in schema.TABLES:
            assert getattr(example, table) == getattr(defaults, table), table

    def test_every_key_is_commented(self) -> None:
        section, previous, uncommented = "", "", []
        for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
            if header := re.fullmatch(r"\[([\w.]+)\]", line):
                section = header[1]
            elif (
                (key := re.match(r"(\w+) = ", line))
                and section in {*schema.TABLES, "business_hours"}
                and not previous.startswith("#")
                and "  # " not in line
            ):
                uncommented.append(f"{section}.{key[1]}")
            previous = line
        assert uncommented == []


# --- where the file and the state directory come from ------------------------------------------------------------


class TestPrecedence:
    @pytest.fixture
    def files(self, tmp_path: Path, no_system_file: Path) -> dict[str, Path]:
        paths = {"cli": tmp_path / "cli.toml", "env": tmp_path / "env.toml", "default": no_system_file}
        for name, path in paths.items():
            path.write_text(f'[probe]\nname = "{name}"\n', encoding="utf-8")
        return paths

    def test_config_option_first(self, files: dict[str, Path]) -> None:
        cfg = config.load(files["cli"], {**ENV, "NETWATCH_CONFIG": str(files["env"])})
        assert (cfg.probe.name, cfg.source) == ("cli", files["cli"])

    def test_then_the_environment(self, files: dict[str, Path]) -> None:
        cfg = config.load(None, {**ENV, "NETWATCH_CONFIG": str(files["env"])})
        assert (cfg.probe.name, cfg.source) == ("env", files["env"])

    def test_then_the_system_file(self, files: dict[str, Path]) -> None:
        cfg = config.load(None, ENV)
        assert (cfg.probe.name, cfg.source) == ("default", files["default"])
        assert config.load(None, {**ENV, "NETWATCH_CONFIG": ""}).probe.name == "default"  # empty = unset

    def test_then_the_defaults(self, files: dict[str, Path]) -> None:
        files["default"].unlink()
        cfg = config.load(None, ENV)
        assert (cfg.probe.name, cfg.source) == ("", None)


class TestStateDirectory:
    @pytest.mark.parametrize(
        ("env", "expected"),
        [
            ({"NETWATCH_STATE_DIR": "/srv/nw", "STATE_DIRECTORY": "/var/lib/netwatch", "HOME": HOME}, "/srv/nw"),
            ({"STATE_DIRECTORY": "/var/lib/netwatch:/var/lib/other", "XDG_STATE_HOME": "/x"}, "/var/lib/netwatch"),
            ({"NETWATCH_STATE_DIR": "", "STATE_DIRECTORY": "/var/lib/netwatch"}, "/var/lib/netwatch"),
            ({"XDG_STATE_HOME": "/home/user/.state", "HOME": HOME}, "/home/user/.state/netwatch"),
            ({"STATE_DIRECTORY": "", "XDG_STATE_HOME": "relative", "HOME": HOME}, f"{HOME}/.local/state/netwatch"),
            ({"HOME": HOME}, f"{HOME}/.local/state/netwatch"),
        ],
    )
    def test_precedence(self, env: dict[str, str], expected: str) -> None:
        assert config.state_directory(env) == Path(expected)
        assert parse("", env=env).state_dir == Path(expected)

    def test_relative_store_path_is_resolved_against_it(self) -> None:
        env = {"NETWATCH_STATE_DIR": "/srv/nw"}
        assert parse("", env=env).store.path == Path("/srv/nw/netwatch.db")
        assert parse('[store]\npath = "db/rounds.db"\n', env=env).store.path == Path("/srv/nw/db/rounds.db")
        assert parse('[store]\npath = "/data/nw.db"\n', env=env).store.path == Path("/data/nw.db")

    def test_no_home(self) -> None:
        with pytest.raises(ConfigError) as caught:
            parse("", env={})
        assert str(caught.value) == (
            "1 configuration problem:\n"
            "  HOME: is not set, so there is no state directory; set NETWATCH_STATE_DIR to a directory"
        )

    @pytest.mark.parametrize("variable", ["NETWATCH_STATE_DIR", "STATE_DIRECTORY", "HOME"])
    def test_relative_directories_are_refused(self, variable: str) -> None:
        with pytest.raises(ConfigError) as caught:
            parse("", env={variable: "state"})
        assert str(caught.value) == (
            "1 configuration problem:\n"
            f'  {variable}: must be an absolute path, got "state"; '
            "set NETWATCH_STATE_DIR to an absolute path such as /var/lib/netwatch"
        )

    def test_reported_with_the_file_problems(self) -> None:
        with pytest.raises(ConfigError) as caught:
            config.parse("[log]\nlevel = 1\n", source="nw.toml", env={})
        assert [p.key for p in caught.value.problems] == ["log.level", "HOME"]


# --- files that cannot be read ---------------------------------------------------------------------------------


class TestFileErrors:
    def test_missing_file_given_with_the_option(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError) as caught:
            config.load(tmp_path / "nope.toml", ENV)
        assert str(caught.value) == (
            "1 configuration problem:\n"
            f"  --config: {tmp_path}/nope.toml does not exist; pass the path of an existing file to --config"
        )

    def test_missing_file_named_by_the_environment(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError) as caught:
            config.load(None, {**ENV, "NETWATCH_CONFIG": f"{tmp_path}/nope.toml"})
        assert str(caught.value) == (
            "1 configuration problem:\n"
            f"  NETWATCH_CONFIG: {tmp_path}/nope.toml does not exist; point NETWATCH_CONFIG at an existing file"
        )

    def test_a_directory(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError) as caught:
            config.load(tmp_path, ENV)
        assert str(caught.value) == (
            "1 configuration problem:\n"
            f"  --config: {tmp_path} is a directory, not a file; pass the path of an existing file to --config"
        )

    def test_a_directory_at_the_system_path(self, no_system_file: Path) -> None:
        no_system_file.mkdir()
        with pytest.raises(ConfigError) as caught:
            config.load(None, ENV)
        assert str(caught.value) == (
            "1 configuration problem:\n"
            f"  (file): {no_system_file} is a directory, not a file; "
            "make the file readable, or remove it to use the defaults"
        )

    def test_not_utf8(self, tmp_path: Path) -> None:
        path = tmp_path / "latin1.toml"
        path.write_bytes(b'# caf\xc3\xa9\n[probe]\nname = "caf\xe9"\n')
        with pytest.raises(ConfigError) as caught:
            config.load(path, ENV)
        assert str(caught.value) == (
            f"1 configuration problem in {path}:\n"
            "  line 3, column 12: the file is not UTF-8 text (byte 0xe9: invalid continuation byte); "
            "save the file as UTF-8"
        )

    def test_utf8_with_byte_order_mark(self, tmp_path: Path) -> None:
        path = tmp_path / "bom.toml"
        path.write_bytes(b'\xef\xbb\xbf[probe]\nname = "caf\xc3\xa9"\n')
        assert config.load(path, ENV).probe.name == "café"
        path.write_bytes(b'\xef\xbb\xbf[probe]\nname = "\xff"\n')
        with pytest.raises(ConfigError) as caught:
            config.load(path, ENV)
        assert caught.value.problems[0].key == "line 2, column 9"  # the mark does not shift the column


# --- exact messages for bad content -------------------------------------------------------------------------------


class TestSyntax:
    def test_position(self) -> None:
        assert error("[probe]\ninterval = = 1\n") == one(
            "line 2, column 12: invalid TOML: Invalid value; fix the syntax at that position"
        )

    def test_table_declared_twice(self) -> None:
        assert error("[probe]\nname = 'a'\n[probe]\n") == one(
            "line 3, column 7: invalid TOML: Cannot declare [probe] twice; "
            "a table can be declared only once: merge the two [probe] sections"
        )

    def test_key_set_twice(self) -> None:
        assert error("[probe]\ninterval = 1\ninterval = 2\n") == one(
            "line 3, column 13: invalid TOML: Cannot overwrite a value; "
            "a key can be set only once in a table: remove the repeated one"
        )

    def test_unterminated_at_the_end(self) -> None:
        assert error('[targets]\nanchors = ["1.1.1.1",\n') == one(
            "end of file: invalid TOML: Invalid value; complete the last line (is a bracket or quote open?)"
        )

    def test_without_source(self) -> None:
        assert error("x = \n", source=None) == (
            "1 configuration problem:\n  line 1, column 5: invalid TOML: Invalid value; fix the syntax at that position"
        )


class TestUnknownNames:
    def test_unknown_key_with_suggestion(self) -> None:
        assert error("[probe]\nintervall = 2.0\n") == one('probe.intervall: unknown key; did you mean "interval"?')

    def test_unknown_key_without_close_match(self) -> None:
        assert error("[probe]\nxyzzy = 2.0\n") == one(
            "probe.xyzzy: unknown key; valid keys are: interval, mode, name, timeout"
        )

    def test_key_in_the_wrong_table(self) -> None:
        assert error("[probe]\nconfirm = 3\n") == one("probe.confirm: unknown key; move it into the [detect] table")
        assert error("[targets]\ntimeout = 0.5\n") == one(
            "targets.timeout: unknown key; move it into the [probe] or [dns] or [influxdb] or [traceroute] or [notify]"
            " or [timestamp] or [pool] table"
        )

    def test_unknown_table(self) -> None:
        assert error("[prob]\ninterval = 1\n") == one('prob: unknown table; did you mean "probe"?')
        assert error("[zzz]\n") == one(
            "zzz: unknown table; valid tables are: business_hours, claims, clock, cost, detect, dns, influxdb, log, "
            "metrics, notify, owner, plan, pool, probe, report, speedtest, store, targets, timestamp, traceroute, web"
        )

    def test_keys_outside_any_table(self) -> None:
        assert error("interval = 2.0\n") == one("interval: unknown key; move it into the [probe] or [speedtest] table")
        assert error('timezone = "UTC"\n') == one("timezone: unknown key; move it into the [business_hours] table")
        assert error('mon = "09:00-17:00"\n') == one("mon: unknown key; move it into the [business_hours.week] table")
        assert error("foo = 1\n") == one(
            "foo: unknown key; write keys inside a table: "
            "[probe], [targets], [dns], [detect], [store], [log], [clock], [cost], [plan], [owner], [report], "
            "[influxdb], [speedtest], [traceroute], [metrics], [notify], [timestamp], [claims], [web], [pool], "
            "[business_hours]"
        )

    def test_a_table_written_as_a_value(self) -> None:
        assert error("probe = 3\n") == one("probe: must be a table, not an integer (3); write it as a [probe] table")

    def test_business_hours_problems_come_from_the_schedule(self) -> None:
        assert error('[business_hours]\ntimezone = "Europe/Londn"\n') == one(
            'business_hours.timezone: "Europe/Londn" is not an IANA time zone; use a name like "Europe/London"; '
            'did you mean "Europe/London"?'
        )


class TestTypes:
    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            (
                '[probe]\ninterval = "1s"\n',
                'probe.interval: must be a number, not a string ("1s"); write a number of seconds, e.g. interval = 1.0',
            ),
            (
                "[probe]\ninterval = true\n",
                "probe.interval: must be a number, not a boolean (true); "
                "write a number of seconds, e.g. interval = 1.0",
            ),
            (
                "[detect]\nconfirm = true\n",
                "detect.confirm: must be an integer, not a boolean (true); "
                "write a whole number of rounds, e.g. confirm = 3",
            ),
            (
                "[detect]\nconfirm = 3.0\n",
                "detect.confirm: must be an integer, not a float (3.0); "
                "write a whole number of rounds, e.g. confirm = 3",
            ),
            (
                "[probe]\ninterval = nan\n",
                "probe.interval: must be a finite number, got nan; write a number of seconds, e.g. interval = 1.0",
            ),
            (
                "[probe]\ntimeout = inf\n",
                "probe.timeout: must be a finite number, got inf; write a number of seconds, e.g. timeout = 0.8",
            ),
            (
                "[probe]\nname = 2024-01-01\n",
                'probe.name: must be a string, not a date (2024-01-01); write a name in quotes, e.g. name = ""',
            ),
            (
                '[targets]\nanchors = "1.1.1.1"\n',
                'targets.anchors: must be a list, not a string ("1.1.1.1"); '
                'write a list of IP addresses, e.g. anchors = ["1.1.1.1", "8.8.8.8", "9.9.9.9"]',
            ),
            (
                '[targets]\nanchors = ["1.1.1.1", 8]\n',
                "targets.anchors[1]: must be a string, not an integer (8); "
                'write a list of IP addresses, e.g. anchors = ["1.1.1.1", "8.8.8.8", "9.9.9.9"]',
            ),
            (
                "[store]\npath = 1\n",
                "store.path: must be a string, not an integer (1); "
                'write a file path in quotes, e.g. path = "netwatch.db"',
            ),
        ],
    )
    def test_wrong_type(self, text: str, problem: str) -> None:
        assert error(text) == one(problem)


class TestValues:
    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            (
                "[probe]\ninterval = 1.0\ntimeout = 1.0\n",
                "probe.timeout: must be less than probe.interval (1.0), got 1.0; "
                "set probe.timeout below 1.0, or raise probe.interval above 1.0",
            ),
            (
                "[probe]\ninterval = 0.5\n",
                "probe.timeout: must be less than probe.interval (0.5), got its default 0.8; "
                "set probe.timeout below 0.5, or raise probe.interval above 0.8",
            ),
            (
                "[dns]\ntimeout = 2.0\n",
                "dns.timeout: must be less than probe.interval (1.0), got 2.0; "
                "set dns.timeout below 1.0, or raise probe.interval above 2.0",
            ),
            (
                "[probe]\ninterval = 0.01\n",
                "probe.interval: must be between 0.05 and 3600, got 0.01; set probe.interval to a value between 0.05 "
                "and 3600",
            ),
            (
                "[probe]\ntimeout = 0\n",
                "probe.timeout: must be greater than 0, got 0.0; set probe.timeout to a value greater than 0",
            ),
            (
                "[targets]\nisp_refresh = 10\n",
                "targets.isp_refresh: must be at least 60, got 10.0; set targets.isp_refresh to 60 or more",
            ),
            (
                "[detect]\nloss_percent = 100.5\n",
                "detect.loss_percent: must be greater than 0 and at most 100, got 100.5; "
                "set detect.loss_percent to a value greater than 0 and at most 100",
            ),
            (
                '[targets]\ngateway = "router.lan"\n',
                'targets.gateway: "router.lan" is not an IP address; use "auto", an IP address, or "" to disable '
                "this probe",
            ),
            (
                "[targets]\nanchors = []\n",
                "targets.anchors: must list 1 to 32 addresses, got 0; list 1 to 32 addresses in targets.anchors",
            ),
            (
                '[probe]\nmode = "Privileged"\n',
                'probe.mode: must be one of auto, privileged, unprivileged, got "Privileged"; '
                'did you mean "privileged"?',
            ),
            (
                '[probe]\nmode = "raw"\n',
                'probe.mode: must be one of auto, privileged, unprivileged, got "raw"; '
                "use one of: auto, privileged, unprivileged",
            ),
            (
                '[log]\nlevel = "warn"\n',
                'log.level: must be one of debug, info, warning, error, got "warn"; did you mean "warning"?',
            ),
            (
                '[store]\npath = ""\n',
                'store.path: must not be empty; set store.path to a file name such as "netwatch.db"',
            ),
            (
                '[dns]\nnames = ["bad_name"]\n',
                'dns.names[0]: "bad_name" is not a valid host name; '
                "use dot-separated labels of letters, digits and hyphens, e.g. dns.google",
            ),
            (
                '[dns]\nservers = ["dns.google"]\n',
                'dns.servers[0]: "dns.google" is not an IP address; '
                'use the IP address of a DNS resolver, e.g. "1.1.1.1"',
            ),
        ],
    )
    def test_impossible_value(self, text: str, problem: str) -> None:
        assert error(text) == one(problem)

    def test_a_derived_dns_timeout_is_not_reported_twice(self) -> None:
        with pytest.raises(ConfigError) as caught:
            parse("[probe]\ninterval = 0.5\ntimeout = 0.6\n")
        assert [p.key for p in caught.value.problems] == ["probe.timeout"]

    def test_bad_anchor_addresses(self) -> None:
        assert error('[targets]\nanchors = ["1.1.1.1", "one.one.one.one", "300.1.1.1"]\n') == (
            "2 configuration problems in netwatch.toml:\n"
            '  targets.anchors[1]: "one.one.one.one" is not an IP address; '
            "use an IP address; host names cannot be resolved during an outage\n"
            '  targets.anchors[2]: "300.1.1.1" is not an IP address; '
            "use an IP address; host names cannot be resolved during an outage"
        )

    def test_duplicate_anchors_compare_by_value(self) -> None:
        assert error('[targets]\nanchors = ["1.1.1.1", "::1", "1.1.1.1", "0:0::1"]\n') == (
            "2 configuration problems in netwatch.toml:\n"
            '  targets.anchors[2]: duplicates targets.anchors[0] ("1.1.1.1"); remove the duplicate\n'
            '  targets.anchors[3]: duplicates targets.anchors[1] ("::1"); remove the duplicate'
        )

    def test_valid_edge_values(self) -> None:
        cfg = parse(
            "[probe]\ninterval = 0.05\ntimeout = 0.01\n"
            '[targets]\ngateway = ""\nisp = "2001:db8::1"\nanchors = ["2606:4700:4700::1111"]\n'
            '[dns]\nnames = []\nservers = ["::1"]\n'
            "[detect]\nconfirm = 1\nwindow = 100000\nloss_percent = 100\n"
        )
        assert (cfg.targets.gateway, cfg.targets.isp, cfg.dns.names) == ("", "2001:db8::1", ())
        assert cfg.detect.loss_percent == 100.0


def test_all_problems_at_once_in_schema_order() -> None:
    text = (
        "[zzz]\n"
        "[detect]\nconfirm = 0\n"
        '[targets]\nanchors = ["a"]\n'
        '[probe]\nintervall = 3\ntimeout = "x"\n'
        "[business_hours]\ntimezone = 1\n"
        '[log]\nlevel = "loud"\n'
    )
    assert error(text) == (
        "7 configuration problems in netwatch.toml:\n"
        '  probe.timeout: must be a number, not a string ("x"); write a number of seconds, e.g. timeout = 0.8\n'
        '  probe.intervall: unknown key; did you mean "interval"?\n'
        '  targets.anchors[0]: "a" is not an IP address; use an IP address; host names cannot be resolved during an '
        "outage\n"
        "  detect.confirm: must be between 1 and 1000, got 0; set detect.confirm to a value between 1 and 1000\n"
        '  log.level: must be one of debug, info, warning, error, got "loud"; use one of: debug, info, warning, error\n'
        '  business_hours.timezone: must be a string, not an integer (1); write e.g. "Europe/London"\n'
        "  zzz: unknown table; valid tables are: business_hours, claims, clock, cost, detect, dns, influxdb, log, "
        "metrics, notify, owner, plan, pool, probe, report, speedtest, store, targets, timestamp, traceroute, web"
    )


# --- render -------------------------------------------------------------------------------------------------------


class TestRender:
    def test_defaults_round_trip(self) -> None:
        cfg = parse("")
        assert parse(config.render(cfg)) == cfg

    def test_example_round_trips(self) -> None:
        cfg = config.load(EXAMPLE, ENV)
        text = config.render(cfg)
        assert text.startswith(
            f'# netwatch effective configuration from "{EXAMPLE}"\n# state directory "{STATE}" (from $HOME)\n\n'
        )
        assert config.parse(text, source=str(EXAMPLE), env=ENV) == cfg

    def test_every_key_is_written_with_its_help(self) -> None:
        doc = tomllib.loads(config.render(parse("")))
        for table, spec in schema.TABLES.items():
            assert set(doc[table]) == set(spec.keys)
        assert "interval = 1.0  # seconds between rounds; 0.05 to 3600\n" in config.render(parse(""))
        assert doc["store"]["path"] == str(STATE / "netwatch.db")  # resolved, so it reads the same anywhere

    def test_secrets_are_redacted(self, monkeypatch: pytest.MonkeyPatch) -> None:
        cfg = parse('[probe]\nname = "hunter2"\n[targets]\ngateway = ""\n')
        monkeypatch.setattr(masking, "SECRET_KEYS", frozenset({"probe.name", "gateway"}))  # a path and a leaf name
        doc = tomllib.loads(config.render(cfg))
        assert doc["probe"]["name"] == "***"
        assert doc["targets"]["gateway"] == ""  # empty values stay empty: nothing to hide
        assert "hunter2" not in config.render(cfg)
        monkeypatch.setattr(masking, "SECRET_KEYS", frozenset({"name"}))
        assert tomllib.loads(config.render(cfg))["probe"]["name"] == "***"

    def test_credentials_in_the_influxdb_url_are_redacted(self) -> None:
        for url, shown in (
            ("http://netwatch:s3cret@influx.lan:8086", "http://***@influx.lan:8086"),
            ("https://influx.lan:8086/?u=netwatch&p=s3cret", "https://influx.lan:8086/?***"),
            ("http://influx.lan:8086", "http://influx.lan:8086"),  # nothing to hide: it round-trips
        ):
            text = f'[influxdb]\nurl = "{url}"\napi = "v1"\ndatabase = "nw"\n'
            rendered = config.render(parse(text))
            assert tomllib.loads(rendered)["influxdb"]["url"] == shown
            assert "s3cret" not in rendered


def reals(lo: float, hi: float, *, exclude_min: bool = False, exclude_max: bool = False) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, exclude_min=exclude_min, exclude_max=exclude_max, allow_nan=False, allow_infinity=False)


ips = st.ip_addresses().map(str)
label = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
hostnames = st.lists(label, min_size=1, max_size=3).map(".".join).filter(lambda n: not configchecks._is_ip(n))
SCHEDULES = [
    {},
    {"timezone": "America/New_York", "holidays": "US-CA", "week": {"sat": "22:00-06:00", "sun": ""}},
    {"timezone": "Europe/London", "closed": ["2026-12-24"], "week": {"tue": "09:00-12:30, 13:30-17:30"}},
]


def shown_text(size: int) -> st.SearchStrategy[str]:
    """Text a configuration may hold: anything but control and bidirectional formatting characters (refused)."""
    bidi = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    return st.text(st.characters(blacklist_categories=("Cc",), blacklist_characters=bidi), max_size=size)


def opt(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A key's value, or None: left out of the file (tomlout skips None), so the default applies."""
    return st.none() | strategy


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """A valid configuration document; any key may be left out."""
    interval = draw(opt(reals(0.05, 3600)))
    below = reals(0, interval or 1.0, exclude_min=True, exclude_max=True)  # 1.0: the default
    timeout = draw(below if interval is not None and interval <= 0.8 else opt(below))  # 0.8: the default
    return {
        "probe": {
            "name": draw(
                opt(st.text(st.characters(blacklist_categories=("Cc",), blacklist_characters="\\"), max_size=12))
            ),
            "interval": interval,
            "timeout": timeout,
            "mode": draw(opt(st.sampled_from(["auto", "privileged", "unprivileged"]))),
        },
        "targets": {
            "gateway": draw(opt(st.sampled_from(["auto", ""]) | ips)),
            "isp": draw(opt(st.sampled_from(["auto", ""]) | ips)),
            "anchors": draw(opt(st.lists(ips, min_size=1, max_size=32, unique_by=ipaddress.ip_address))),
            "isp_refresh": draw(opt(reals(60, 1e9))),
        },
        "dns": {
            "names": draw(opt(st.lists(hostnames, max_size=4, unique_by=str.lower))),
            "servers": draw(opt(st.lists(ips, max_size=3, unique_by=ipaddress.ip_address))),
            "timeout": draw(opt(below)),
        },
        "detect": {
            "confirm": draw(opt(st.integers(1, 1000))),
            "window": draw(opt(st.integers(5, 100000))),
            "loss_percent": draw(opt(reals(0, 100, exclude_min=True))),
            "latency_ms": draw(opt(reals(0, 1e6, exclude_min=True) | st.integers(1, 10**6))),
        },
        "store": {
            "path": draw(opt(st.sampled_from(["netwatch.db", "sub/dir/n.db", "/var/lib/netwatch/x.db", "é 1.db"]))),
            "retention_days": draw(opt(st.integers(1, 10**6))),
            "commit_interval": draw(opt(reals(0.1, 60))),
        },
        "log": {"level": draw(opt(st.sampled_from(["debug", "info", "warning", "error"])))},
        "cost": {"hourly": draw(opt(reals(0, 1e6))), "currency": draw(opt(st.from_regex(r"[A-Z]{3}", fullmatch=True)))},
        "plan": {
            "provider": draw(opt(shown_text(12))),
            "account": draw(opt(shown_text(12))),
            "monthly_fee": draw(opt(reals(0, 1e6))),
            "contracted_availability": draw(opt(reals(0, 100))),
            "download_mbps": draw(opt(reals(0, 1e5))),
            "upload_mbps": draw(opt(reals(0, 1e5))),
        },
        "owner": {name: draw(opt(shown_text(30))) for name in ("business", "name", "address", "email", "phone")},
        "report": {
            "templates": draw(opt(st.sampled_from(["", "templates", "/srv/netwatch/templates", "../t é"]))),
            "title": draw(opt(shown_text(20))),
        },
        "business_hours": draw(st.sampled_from(SCHEDULES)),
    }


@settings(max_examples=80, deadline=None)
@given(documents(), st.sampled_from([None, "/etc/netwatch/netwatch.toml"]))
def test_render_round_trips(doc: dict[str, Any], source: str | None) -> None:
    cfg = config.parse(tomlout.dumps(doc), source=source, env=ENV)
    for table, keys in doc.items():
        for name, value in keys.items():
            if table in schema.TABLES and value is not None and name not in ("path", "templates"):
                got = getattr(getattr(cfg, table), name)
                assert got == (tuple(value) if isinstance(value, list) else value), (table, name)
    assert config.parse(config.render(cfg), source=source, env=ENV) == cfg


@settings(max_examples=200, deadline=None)
@given(st.text() | st.floats() | st.integers(-(2**63), 2**63 - 1) | st.booleans() | st.dates() | st.lists(st.text()))
def test_tomlout_values_read_back(value: Any) -> None:
    got = tomllib.loads(f"k = {tomlout.value(value)}\n")["k"]
    assert got == value or (value != value and got != got)  # nan


# --- report tables: cost, plan, owner, report --------------------------------------------------------------------


class TestReportTables:
    def test_defaults(self) -> None:
        cfg = parse("")
        assert cfg.cost == records.CostConfig(hourly=0.0, currency="GBP")
        assert cfg.plan == records.PlanConfig("", "", 0.0, 0.0, 0.0, 0.0)
        assert cfg.owner == records.OwnerConfig("", "", "", "", "")
        assert cfg.report == records.ReportConfig(templates=None, title="Internet outage report")

    def test_values(self) -> None:
        cfg = parse(
            '[cost]\nhourly = 85\ncurrency = "EUR"\n'
            '[plan]\nprovider = "Example Broadband"\naccount = "AC-1"\nmonthly_fee = 45.5\n'
            "contracted_availability = 100\ndownload_mbps = 80\nupload_mbps = 20\n"
            '[owner]\nbusiness = "Acme"\nname = "A. Owner"\naddress = """\n1 High Street\nAnytown"""\n'
            'email = "a@example.com"\nphone = "+44 1632 960000"\n'
            '[report]\ntitle = "Line report"\n'
        )
        assert cfg.cost == records.CostConfig(85.0, "EUR")
        assert cfg.plan == records.PlanConfig("Example Broadband", "AC-1", 45.5, 100.0, 80.0, 20.0)
        assert cfg.owner.address == "1 High Street\nAnytown"
        assert cfg.report.title == "Line report"
        assert parse(config.render(cfg)) == cfg  # the multi-line address survives rendering

    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            (
                '[cost]\ncurrency = "gbp"\n',
                'cost.currency: must be an ISO 4217 currency code of three capital letters, got "gbp"; '
                'did you mean "GBP"?',
            ),
            (
                '[cost]\ncurrency = "pounds"\n',
                'cost.currency: must be an ISO 4217 currency code of three capital letters, got "pounds"; '
                'e.g. "GBP" or "EUR"',
            ),
            ("[cost]\nhourly = -1\n", "cost.hourly: must be at least 0, got -1.0; set cost.hourly to 0 or more"),
            (
                "[plan]\ncontracted_availability = 100.5\n",
                "plan.contracted_availability: must be between 0 and 100, got 100.5; "
                "set plan.contracted_availability to a value between 0 and 100",
            ),
            (
                '[plan]\nmonthly_fee = "45"\n',
                'plan.monthly_fee: must be a number, not a string ("45"); write it without quotes: monthly_fee = 45.0',
            ),
            (
                '[detect]\nconfirm = " 5 "\n',
                'detect.confirm: must be an integer, not a string (" 5 "); write it without quotes: confirm = 5',
            ),
            (
                '[probe]\ninterval = "2"\n',
                'probe.interval: must be a number, not a string ("2"); write it without quotes: interval = 2.0',
            ),
            (  # not a whole number: the key's own example
                '[detect]\nwindow = "5.5"\n',
                'detect.window: must be an integer, not a string ("5.5"); '
                "write a whole number of rounds, e.g. window = 60",
            ),
            (
                '[plan]\nmonthly_fee = "£45"\n',
                'plan.monthly_fee: must be a number, not a string ("£45"); write an amount, e.g. monthly_fee = 0.0',
            ),
            (
                "[report]\ntemplates = 1\n",
                "report.templates: must be a string, not an integer (1); "
                'write a directory path in quotes, e.g. templates = ""',
            ),
        ],
    )
    def test_impossible_value(self, text: str, problem: str) -> None:
        assert error(text) == one(problem)

    def test_templates_are_relative_to_the_configuration_file(self, tmp_path: Path) -> None:
        path = tmp_path / "etc" / "netwatch.toml"
        path.parent.mkdir()
        path.write_text('[report]\ntemplates = "my-templates"\n', encoding="utf-8")
        cfg = config.load(path, ENV)
        assert cfg.report.templates == tmp_path / "etc" / "my-templates"
        assert config.load(path, ENV) == config.parse(config.render(cfg), source=str(path), env=ENV)
        assert parse('[report]\ntemplates = "/srv/t"\n').report.templates == Path("/srv/t")
        assert parse('[report]\ntemplates = ""\n').report.templates is None
        # Without a file (text parsed directly) a relative directory is relative to the state directory.
        assert parse('[report]\ntemplates = "t"\n').report.templates == STATE / "t"
        assert 'templates = ""' in config.render(parse(""))


# --- [claims]: the rule pack's currency and amounts ----------------------------------------------------------


class TestClaimsCrossChecks:
    def test_pack_currency_must_match_cost_currency(self) -> None:
        assert error('[claims]\nrules = "de-tkg"\n') == one(
            'claims.rules: "de-tkg" pays in EUR but cost.currency is "GBP"; set cost.currency = "EUR" '
            "(plan.monthly_fee and cost.hourly are read in it), or choose the rules of the country of your contract"
        )
        cfg = parse('[cost]\ncurrency = "EUR"\n[claims]\nrules = "de-tkg"\n[claims.amounts]\nmissed_appointment = 15\n')
        assert cfg.claims.rules == "de-tkg"
        assert cfg.claims.amounts == {"missed_appointment": 15}
        assert parse('[cost]\ncurrency = "USD"\n[claims]\nrules = "us-fcc"\n').claims.rules == "us-fcc"
        assert parse('[claims]\nrules = "uk-ofcom"\nregion = "SCT"\n').claims.region == "SCT"

    def test_amounts_are_checked_against_the_pack(self) -> None:
        text = '[claims]\nrules = "uk-ofcom"\n[claims.amounts]\ndelayed_repair = 10.0\nmissed_appointment = "30"\n'
        assert error(text) == (
            "2 configuration problems in netwatch.toml:\n"
            '  claims.amounts.delayed_repair: is not an amount of the "uk-ofcom" rules; did you mean '
            '"delayed_repair_per_day"?\n'
            '  claims.amounts.missed_appointment: must be a number, not a string ("30"); write the amount in GBP, '
            "e.g. missed_appointment = 32.31"
        )

    def test_amounts_without_rules(self) -> None:
        assert error("[claims.amounts]\nmissed_appointment = 30.0\n") == one(
            'claims.amounts: is set but claims.rules is "none"; set claims.rules to "uk-ofcom", "de-tkg", '
            '"nl-telecomwet" or "be-ecl", or remove [claims.amounts]'
        )
