"""The pure core: what netwatch knows, and its rules.

Owns every record type (``model``), how values read for people (``text``), local days (``calendar``), money
arithmetic (``money``), the owner's words for an instant (``when``), and the rules: a round's cause
(``classify``), outages and degradations (``detect``), business hours (``schedule``), honest clocks (``clock``),
slow speeds (``speedcheck``), the outbox's retries (``outbox``), a second witness's verdict (``witness``), the
countries' compensation rules (``claims``) and the regulator's speed campaign (``campaign``). Must not do I/O,
read a clock or import anything of netwatch outside ``core`` (but ``netwatch.errors``): every instant, reading and
record is given.
"""
