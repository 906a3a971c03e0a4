"""Business hours default to the system's time zone: /etc/localtime's link into the zone database names it (else
Debian's /etc/timezone); a system that names none leaves UTC, and the daemon says how to set it."""

from __future__ import annotations

from pathlib import Path

import pytest

from netwatch.adapters import localzone
from tests.support.cli import invoke


def test_the_link_names_the_zone(tmp_path: Path) -> None:
    link = tmp_path / "localtime"
    link.symlink_to("../usr/share/zoneinfo/Europe/London")  # relative, as some images make it
    assert localzone.system_zone(link, tmp_path / "none") == "Europe/London"
    link.unlink()
    link.symlink_to("/usr/share/zoneinfo/Etc/UTC")
    assert localzone.system_zone(link, tmp_path / "none") == "UTC"


def test_without_a_link_debians_file_names_it_and_an_unknown_name_is_none(tmp_path: Path) -> None:
    copy = tmp_path / "localtime"
    copy.write_bytes(b"TZif")  # a copy of a zone file names no zone
    named = tmp_path / "timezone"
    named.write_text("America/New_York\n", encoding="utf-8")
    assert localzone.system_zone(copy, named) == "America/New_York"
    named.write_text("Mars/Olympus_Mons\n", encoding="utf-8")
    assert localzone.system_zone(copy, named) is None
    assert localzone.system_zone(tmp_path / "none", tmp_path / "none") is None


def test_commands_count_business_hours_in_the_systems_zone_unless_the_file_names_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = tmp_path / "localtime"
    link.symlink_to("/usr/share/zoneinfo/Europe/London")
    monkeypatch.setattr(localzone, "LOCALTIME", link)
    empty = tmp_path / "empty.toml"
    empty.touch()
    code, out, err = invoke("check-config", "--config", str(empty))
    assert (code, err) == (0, "")
    assert 'timezone = "Europe/London"' in out.splitlines()
    named = tmp_path / "named.toml"
    named.write_text('[business_hours]\ntimezone = "Europe/Paris"\n', encoding="utf-8")
    code, out, _ = invoke("check-config", "--config", str(named))
    assert code == 0 and 'timezone = "Europe/Paris"' in out.splitlines()


def test_a_system_without_a_zone_is_told_how_to_set_one() -> None:
    assert localzone.NO_ZONE == (
        "this system names no time zone (/etc/localtime), so a configuration without [business_hours] timezone "
        'counts business hours in UTC: set timezone = "Europe/London" (yours) there, or the system\'s: sudo '
        "timedatectl set-timezone Europe/London"
    )
