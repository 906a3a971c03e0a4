"""The web dashboard: a face like the command line, made for a phone on the home network while the internet is down.

Owns serving the pages (the line now, a day, the outages, this month, the forms to act), the JSON feeds, sign-in,
sessions, CSRF tokens and rate limits, its templates and static files (shipped in this package: nothing is fetched
from anywhere else). Every page calls the same operations as the command line (``netwatch.app``) and words through
``netwatch.report``. Must not import an adapter or the command line (it imports app, report, config and core), or
fetch anything from elsewhere.
Starlette and uvicorn (the ``web`` extra) are imported only by the modules that serve: ``server`` starts them.
"""
