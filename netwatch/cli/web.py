"""`netwatch web` and `netwatch web passwd`: the web dashboard's server and its password, from the command line.

Owns the commands' options and what they print; the password's rules and file are ``netwatch.app.access``'s, the
server is the web face's (``netwatch.web.server.serve``), handed in by the entry point (``netwatch.__main__``) so
that the command line never imports the web face. Must not know HTTP or hash anything itself.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from netwatch.app import access, settings
from netwatch.cli.command import configured, debugging
from netwatch.config import Config
from netwatch.config.checks import is_loopback, listen_on

Serve = Callable[[Config, str | None], None]


def _listen(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        for _suffix, message, fix in listen_on(8480)("--listen", value):
            raise click.BadParameter(f"{message}; {fix.replace('listen = ', '--listen ')}")
    return value


def web_command(serve: Serve) -> click.Group:
    """The `netwatch web` group, starting the dashboard with ``serve(config, listen)``."""

    @click.group("web", invoke_without_command=True)
    @configured
    @click.option(
        "--listen",
        metavar="ADDRESS:PORT",
        callback=_listen,
        help="Listen here instead of [web] listen (e.g. 0.0.0.0:8480: any address but loopback needs a password).",
    )
    @click.pass_context
    def web(ctx: click.Context, cfg: Config, listen: str | None) -> None:
        """Serve the web dashboard (the line now, each day, the outages, this month, and forms to record fault
        tickets) until SIGTERM or Ctrl-C. Needs the web extra (./bootstrap installs it).

        Exits 12 when it cannot start as configured (a network address without a password, unreadable TLS files, the
        port taken), with the fix."""
        if ctx.invoked_subcommand is not None:
            return
        settings.log_to_stderr("debug" if debugging() else cfg.log.level)
        serve(cfg, listen)

    @web.command("passwd")
    @configured
    @click.option(
        "--password-stdin",
        is_flag=True,
        help="Read the password from the first line of standard input instead of asking twice (for scripts).",
    )
    def passwd(cfg: Config, password_stdin: bool) -> None:
        """Set the dashboard's password: its hash (never the password) goes into [web] password_file. Signed-in
        browsers are signed out; the running dashboard uses the new password at once."""
        if password_stdin:
            password = access.check_new(sys.stdin.readline().rstrip("\n"))
        else:
            first = click.prompt("New dashboard password", hide_input=True)
            password = access.check_new(first, click.prompt("The same again", hide_input=True))
        path = access.set_password(cfg, password)
        click.echo(f"password set in {path}; browsers signed in before must sign in again")
        host, port = cfg.web.address
        if is_loopback(host):
            click.echo(
                f"the dashboard listens on {cfg.web.listen} (this machine only): to open it from your phone, set [web] "
                f'listen = "0.0.0.0:{port}" and restart it ({settings.restart_web_command()})'
            )

    return web
