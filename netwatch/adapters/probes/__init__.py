"""Probes: the only modules that send packets (ICMP, DNS, traceroutes and speed tests)."""
