"""Probes: the only modules that send packets (ICMP, DNS, and later HTTP and speed tests)."""
