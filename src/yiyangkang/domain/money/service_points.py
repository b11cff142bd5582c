"""Service points of staff (服务积分, S-10): by the average of the ratings a worker received in a settlement
period. The average is exact (a fraction, never rounded up): only an all-five-star period averages 5 and
earns 3 points (4.96 is not 5); an average of at least 4 earns 1 point; anything lower, or no rating, 0."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

FIVE_STARS_POINTS = 3
FOUR_STARS_POINTS = 1


def average(stars: Sequence[int]) -> Fraction | None:
    return Fraction(sum(stars), len(stars)) if stars else None


def service_points(stars: Sequence[int]) -> int:
    mean = average(stars)
    if mean is None:
        return 0
    if mean == 5:
        return FIVE_STARS_POINTS
    return FOUR_STARS_POINTS if mean >= 4 else 0
