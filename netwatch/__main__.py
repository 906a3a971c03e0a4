"""The `netwatch` command and `python -m netwatch`: the command line with the web dashboard's server in it.

Owns composing the faces into one command: the command line's group (``netwatch.cli``) gets `netwatch web`, which
starts the dashboard's server (``netwatch.web.server.serve``), so that neither face imports the other; like every
command's, its code is imported only when it runs. Must not grow code beyond that wiring.
"""

import click

from netwatch.cli import main


def _web() -> click.Command:
    from netwatch.cli.web import web_command
    from netwatch.web.server import serve

    return web_command(serve)


main.lazy("web", _web)

if __name__ == "__main__":
    main()
