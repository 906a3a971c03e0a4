"""A minute's rollups summed target by target (verification's hot loop) equal the writer's round-by-round sums,
whatever the answers, losses, saturated replies and target sets that changed within the minute."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netwatch.adapters.store import codec, rollups

SETS = {1: [10, 11, 12], 2: [10, 13], 3: [11]}  # target ids of each set, in sample order; targets shared
value = st.one_of(st.integers(0, codec.MAX_TENTHS), st.just(codec.LOST), st.just(codec.SATURATED))
short = st.one_of(st.integers(0, 239), st.just(codec.LOST), st.just(codec.SATURATED))  # one compact byte each


def rounds_of(values: st.SearchStrategy[int]) -> st.SearchStrategy[list[tuple[int, list[int]]]]:
    return st.lists(
        st.sampled_from(sorted(SETS)).flatmap(
            lambda set_id: st.tuples(
                st.just(set_id), st.lists(values, min_size=len(SETS[set_id]), max_size=len(SETS[set_id]))
            )
        ),
        max_size=60,
    )


rounds = rounds_of(value)


def pack(values: list[int]) -> bytes:
    return struct.pack(f"<{len(values)}H", *values)


@given(rounds)
def test_a_minute_summed_by_target_equals_the_round_by_round_sum(found: list[tuple[int, list[int]]]) -> None:
    expected: dict[rollups.Key, rollups.Rollup] = {}
    grouped: dict[int, list[bytes]] = {}
    for set_id, values in found:
        rollups.accumulate(expected, 7, SETS[set_id], pack(values))
        grouped.setdefault(set_id, []).append(pack(values))
    assert rollups.minute(7, grouped, SETS) == expected


@given(st.sampled_from([value, short]).flatmap(rounds_of), st.lists(st.booleans(), max_size=60))
def test_compact_rounds_summed_by_target_equal_the_round_by_round_sum(
    found: list[tuple[int, list[int]]], wide: list[bool]
) -> None:
    """Rounds as the store writes them since schema 14 (compact codes, one byte for most RTTs), mixed with rounds
    of the older two-byte layout, as a minute that spans the upgrade holds them."""
    expected: dict[rollups.Key, rollups.Rollup] = {}
    grouped: dict[int, list[bytes]] = {}
    for (set_id, values), old in zip(found, [*wide, *[False] * len(found)], strict=False):
        blob = pack(values) if old else codec.pack_compact([codec.tenths_rtt(v) for v in values])
        assert codec.unpack_tenths(blob) == tuple(values)
        rollups.accumulate(expected, 7, SETS[set_id], blob)
        grouped.setdefault(set_id, []).append(blob)
    assert rollups.minute(7, grouped, SETS) == expected


def test_a_round_of_the_wrong_width_fails_as_the_writers_sum_does() -> None:
    with pytest.raises(ValueError):
        rollups.minute(7, {1: [pack([1, 2, 3]), pack([1, 2])]}, SETS)


def test_a_set_that_vanished_is_left_out() -> None:
    assert rollups.minute(7, {9: [pack([1])]}, SETS) == {}


def test_a_compact_round_padded_before_its_end_fails_as_the_writers_sum_does() -> None:
    blob = bytes((5, 0xFD, 7))  # a one-byte code, the pad, another code: no writer spells a round so
    with pytest.raises(ValueError, match="padding before its end"):
        rollups.accumulate({}, 7, SETS[3], blob)
    with pytest.raises(ValueError, match="padding before its end"):
        rollups.minute(7, {3: [codec.pack_compact([1.0]), blob]}, SETS)
