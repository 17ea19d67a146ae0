"""Small-number suppression for the public figures, so that no one can be singled out.

A count under :data:`THRESHOLD` is withheld; so is a median over fewer cases and a share
whose numerator or denominator is under it. The staff dashboard uses ``threshold=0``.

    count(3)                 # Cell(None, suppressed=True)
    median([4.0, 6.5], 5)    # Cell(None, suppressed=True): two cases
    share(48, 60)            # Cell(80.0)
    complement([Cell(None, True), Cell(7), Cell(40)])   # 7 withheld too: no subtraction
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

THRESHOLD = 5


@dataclass(frozen=True, slots=True)
class Cell:
    """One value of a table: a label, a number, or nothing because it is withheld."""

    value: str | int | float | None
    suppressed: bool = False

    @property
    def number(self) -> float | None:
        """The value as a number (for charts); ``None`` for labels and withheld values."""
        if isinstance(self.value, bool) or not isinstance(self.value, int | float):
            return None
        return float(self.value)


def label(text: str) -> Cell:
    return Cell(text)


def count(value: int, threshold: int = THRESHOLD) -> Cell:
    """A count, withheld under ``threshold`` (zero included: "none" is a small number too)."""
    if threshold and value < threshold:
        return Cell(None, suppressed=True)
    return Cell(value)


def median(values: Sequence[float], threshold: int = THRESHOLD) -> Cell:
    """The median in one decimal, withheld when there are fewer than ``threshold`` cases."""
    if not values or (threshold and len(values) < threshold):
        return Cell(None, suppressed=bool(threshold))
    return Cell(round(statistics.median(values), 1))


def share(numerator: int, denominator: int, threshold: int = THRESHOLD) -> Cell:
    """A percentage in one decimal, withheld when either part is under ``threshold``."""
    if threshold and (numerator < threshold or denominator < threshold):
        return Cell(None, suppressed=True)
    if denominator == 0:
        return Cell(None)
    return Cell(round(100 * numerator / denominator, 1))


def complement(cells: list[Cell]) -> list[Cell]:
    """Withhold a second count in a column when only one is withheld.

    The cells of a column add up to a total that can be read elsewhere (the months' sum, the
    whole base), so a lone withheld count could be recovered by subtraction; withholding the
    smallest shown count as well leaves only the sum of the two.
    """
    withheld = [cell for cell in cells if cell.suppressed]
    shown = [(cell.number, i) for i, cell in enumerate(cells) if cell.number is not None]
    if len(withheld) != 1 or not shown:
        return cells
    _, smallest = min(shown)
    return [Cell(None, True) if i == smallest else cell for i, cell in enumerate(cells)]
