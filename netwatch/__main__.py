"""`python -m netwatch`: the same as the `netwatch` command.

Owns nothing but the entry point; must not grow code.
"""

from netwatch.cli import main

main()
