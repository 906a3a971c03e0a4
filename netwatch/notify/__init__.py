"""Notifications after recovery: through apprise URLs and a local command, with a persistent outbox.

Owns what a notification says (``message``, pure), when a digest is due (``digest``, pure), how failed
deliveries are retried (``outbox``, pure), the channels that deliver (``channels``: apprise and a local
command) and the daemon's task that queues and delivers (``task``). Nothing is sent while the line is down:
messages wait in the store's outbox (``netwatch.store.outbox``) until it is up. Importing this package imports
none of its modules (apprise is optional and loaded only when URLs are configured).
"""
