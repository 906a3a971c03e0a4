"""`python -m netwatch.web`: the dashboard's own process, which `netwatch web` becomes once its checks passed.

Owns reading its two options (``--config``, ``--listen``, as `netwatch web` hands them on), the logging, and
turning a failure to start into one line and the command line's exit codes (3 configuration, 12 the dashboard
cannot start as configured). Must not load the command line (its memory is the point) nor grow options of its own:
people run `netwatch web`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from netwatch.app import settings
from netwatch.errors import ConfigError, NetwatchError
from netwatch.web.server import run

CONFIG_EXIT, WEB_EXIT = 3, 12  # netwatch.cli.command.ExitCode.CONFIG and .WEB


def main() -> int:
    parser = argparse.ArgumentParser(prog="netwatch web", description="The netwatch web dashboard: run `netwatch web`.")
    parser.add_argument("--config", type=Path)
    parser.add_argument("--listen")
    args = parser.parse_args()
    try:
        cfg = settings.load(args.config)
        settings.log_to_stderr(cfg.log.level)
        settings.small_footprint()
        run(cfg, args.listen)
    except NetwatchError as err:
        print(f"netwatch: {err}", file=sys.stderr)
        return CONFIG_EXIT if isinstance(err, ConfigError) else WEB_EXIT
    return 0


if __name__ == "__main__":
    sys.exit(main())
