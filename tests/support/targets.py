"""The targets tests probe, named once: a home office's line as users configure it, and the documentation-range
line of the simulated ISP (tests/support/netns_isp.py) for tests that must never look like a real network.

Owns those ``Target`` values. Must not resolve, probe or reach any of them: they are names for records.
"""

from __future__ import annotations

from netwatch.core.model import Role, Target

# A home office behind a consumer router, with public anchors (the addresses users write in netwatch.toml).
GW = Target(Role.GATEWAY, "192.168.1.1")
ISP = Target(Role.ISP, "100.64.0.1")
A1 = Target(Role.ANCHOR, "1.1.1.1")
A2 = Target(Role.ANCHOR, "8.8.8.8")
A3 = Target(Role.ANCHOR, "9.9.9.9")
A6 = Target(Role.ANCHOR, "2606:4700:4700::1111")
DNS = Target(Role.DNS, "dns.google")

# The documentation ranges (RFC 2544, 5737, 3849) and the reserved .test domain, as the simulated ISP uses them.
DOC_GW = Target(Role.GATEWAY, "198.18.1.1")
DOC_ISP = Target(Role.ISP, "198.18.2.1")
DOC_A1 = Target(Role.ANCHOR, "192.0.2.1")
DOC_A2 = Target(Role.ANCHOR, "198.51.100.1")
DOC_A6 = Target(Role.ANCHOR, "2001:db8:ff::1")
DOC_DNS = Target(Role.DNS, "example.test")
