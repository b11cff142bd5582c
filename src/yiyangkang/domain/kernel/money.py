"""Money (金额) in integer fen (分). Never a float anywhere near money."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from attrs import field, frozen

_YUAN = re.compile(r"^(-)?(\d+)(?:\.(\d{1,2}))?$")


def _int_only(_instance: object, _attribute: object, value: object) -> None:
    if type(value) is not int:
        raise TypeError("Money.fen must be an int (fen), never a float or Decimal")


@frozen(order=True)
class Money:
    """An amount of renminbi in fen. `Money(1234)` is ¥12.34."""

    fen: int = field(validator=_int_only)  # type: ignore[assignment]

    @classmethod
    def zero(cls) -> Money:
        return cls(0)

    @classmethod
    def from_yuan(cls, text: str) -> Money:
        """Parse "12", "12.3" or "12.34" yuan exactly (no binary floating point)."""
        m = _YUAN.match(text.strip())
        if not m:
            raise ValueError(f"not an amount of yuan: {text!r}")
        sign, whole, frac = m.groups()
        fen = int(whole) * 100 + int((frac or "0").ljust(2, "0"))
        return cls(-fen if sign else fen)

    def __add__(self, other: Money) -> Money:
        return Money(self.fen + other.fen)

    def __sub__(self, other: Money) -> Money:
        return Money(self.fen - other.fen)

    def __mul__(self, times: int) -> Money:
        if type(times) is not int:
            raise TypeError("multiply money by a whole number; use allocate() for shares")
        return Money(self.fen * times)

    def __neg__(self) -> Money:
        return Money(-self.fen)

    @property
    def is_negative(self) -> bool:
        return self.fen < 0

    def allocate(self, weights: Sequence[int]) -> list[Money]:
        """Split into parts proportional to `weights` (e.g. percent or basis points).

        Each share is rounded half-even; the fen left over (or missing) are handed out one by one
        starting from the largest weight, ties by position, so the parts always sum to the whole and
        the same input always yields the same split.
        """
        if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
            raise ValueError("weights must be non-negative and not all zero")
        total = sum(weights)
        parts = [
            int((Decimal(self.fen) * w / total).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
            for w in weights
        ]
        rest = self.fen - sum(parts)
        step = 1 if rest > 0 else -1
        order = sorted(range(len(weights)), key=lambda i: (-weights[i], i))
        i = 0
        while rest:
            idx = order[i % len(order)]
            if weights[idx] > 0:
                parts[idx] += step
                rest -= step
            i += 1
        return [Money(p) for p in parts]

    def __str__(self) -> str:
        sign = "-" if self.fen < 0 else ""
        return f"{sign}¥{abs(self.fen) // 100}.{abs(self.fen) % 100:02d}"
