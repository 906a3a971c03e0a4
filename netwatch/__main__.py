"""`python -m netwatch`: the same as the `netwatch` command."""

from netwatch.cli import main

main()
