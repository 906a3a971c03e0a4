"""What the tests share, so that no test module defines it again or imports it from another test module.

Records: instants (T0, wall-clock readings in a zone), targets, rounds (a probe's line, by RTT or by the layers a
cause takes down), incidents, speeds. Built from them: stores (a recorded session with its rounds, incidents,
traceroutes and tickets, and its verification), forgery (a store edited behind netwatch's back, and the breaks
verify finds), configs (TOML for a command or a daemon, parse errors), detector (rounds fed through the real
detector), streams (the detector tests' rounds and Hypothesis strategies), lines (line protocol through netwatch's
exporter), reports (the sample week, rendered), ofcom (uk-ofcom claims), dashboard_store (the day and a half the
dashboard tests read). Around the real things: cli (commands in process, isolated), dashboard (the web dashboard in
process: its environment, signing in, what a page said), daemons (the daemon built in process, not run), fakeline
(the daemon run in process on a line that answers without a packet), clocks (a clock the test moves), processes
(waiting for and stopping child processes), sockets, live (the running daemon's live file), browser (Chromium and
its layout check), sdnotify (systemd's notification socket), journald (journald's stream socket), units (the shipped
systemd files), skipping (skip, or fail under CI), pdf (whether a PDF can be made and read here), disk (a full
tmpfs), doctor (a finding of `netwatch doctor`'s screen), html (a parsed page), metrics (a Prometheus scrape), and
the harness: netns_isp (the simulated ISP), netns_daemon (the daemon inside it), servers (real InfluxDB and
VictoriaMetrics), nspawn (a real systemd as PID 1 of a container, its cached root file system, the wheelhouse an
offline install uses), speed (the speed test servers' addresses), scripts/ (programs run as child processes) and
grafana/ (the dashboards as the tests read them, and their type checker). Each module says what it owns and what it
must not do.

Must not hold fixtures (they stay in the conftest.py files, which build them from these modules) or tests, and must
not change netwatch's behaviour: support code only builds inputs, starts processes and reads results.
"""
