"""The `netwatch` command and `python -m netwatch`: the command line with the web dashboard's server in it.

Owns composing the faces into one command: the command line's group (``netwatch.cli``) gets `netwatch web`, which
starts the dashboard's server (``netwatch.web.server.serve``), so that neither face imports the other. Must not grow
code beyond that wiring.
"""

from netwatch.cli import main
from netwatch.cli.web import web_command
from netwatch.web.server import serve

main.add_command(web_command(serve))

if __name__ == "__main__":
    main()
