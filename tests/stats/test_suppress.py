"""Small numbers are withheld, and so is what would let them be recovered."""

from __future__ import annotations

import pytest

from bot.stats.suppress import Cell, complement, count, median, share

HIDDEN = Cell(None, suppressed=True)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0, HIDDEN), (4, HIDDEN), (5, Cell(5)), (120, Cell(120))],
)
def test_counts_under_five_are_withheld(value: int, shown: Cell) -> None:
    assert count(value) == shown
    assert count(value, threshold=0) == Cell(value)  # staff see everything


def test_a_median_needs_five_cases_and_a_share_five_on_each_side() -> None:
    assert median([10.0, 20.0, 30.0, 40.0]) == HIDDEN
    assert median([10.0, 20.0, 30.0, 40.0, 50.0]) == Cell(30.0)
    assert share(4, 100) == HIDDEN
    assert share(5, 4) == HIDDEN
    assert share(48, 60) == Cell(80.0)


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        # one withheld count beside a known total: the smallest shown one goes too
        ([HIDDEN, Cell(7), Cell(40)], [HIDDEN, HIDDEN, Cell(40)]),
        ([HIDDEN, HIDDEN, Cell(40)], [HIDDEN, HIDDEN, Cell(40)]),
        ([Cell(6), Cell(7)], [Cell(6), Cell(7)]),
        ([HIDDEN], [HIDDEN]),
    ],
)
def test_a_lone_withheld_count_cannot_be_recovered_by_subtraction(
    cells: list[Cell], expected: list[Cell]
) -> None:
    assert complement(cells) == expected
