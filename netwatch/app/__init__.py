"""The application layer: every operation a face (the command line, the web dashboard) offers, in one place.

Owns the daemon and its tasks (``daemon``), reports assembled from the store, InfluxDB and a witness
(``reports``) and turned into documents (``documents``), fault tickets (``tickets``), the status snapshot
(``status``), the evidence bundle and verification (``evidence``), the speed campaign (``campaign``), InfluxDB
and notifications by hand (``influx``, ``notify``), the rule pack's amounts (``claims``), monitoring now
(``monitor``), the configuration a face loads (``settings``) and the one atomic file writer (``files``). Must not
parse a face's input or print: faces do, and call one operation per request.
"""
