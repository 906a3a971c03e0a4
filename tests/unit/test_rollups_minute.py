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
rounds = st.lists(
    st.sampled_from(sorted(SETS)).flatmap(
        lambda set_id: st.tuples(
            st.just(set_id), st.lists(value, min_size=len(SETS[set_id]), max_size=len(SETS[set_id]))
        )
    ),
    max_size=60,
)


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


def test_a_round_of_the_wrong_width_fails_as_the_writers_sum_does() -> None:
    with pytest.raises(ValueError):
        rollups.minute(7, {1: [pack([1, 2, 3]), pack([1, 2])]}, SETS)


def test_a_set_that_vanished_is_left_out() -> None:
    assert rollups.minute(7, {9: [pack([1])]}, SETS) == {}
