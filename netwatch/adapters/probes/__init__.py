"""Probes: the only modules that send packets (ICMP echoes, DNS queries, traceroutes and speed tests).

Owns the probers behind the ``EchoProbe`` and ``NameProbe`` Protocols, finding the gateway and the ISP hop, and the
speed test backends. Must not decide what a result means (the core does) or store anything.
"""
