"""Money (金额) in integer fen (分). Never a float anywhere near money."""

from __future__ import annotations

import re
from collections.abc import Sequence

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

        Largest remainder: each part gets the floor of its exact share, and the fen left over go one
        each to the parts with the largest remainders (ties by position). So the parts always sum to
        the whole, each is within one fen of its exact share, and the same input gives the same split.
        """
        if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
            raise ValueError("weights must be non-negative and not all zero")
        total = sum(weights)
        sign, amount = (-1 if self.fen < 0 else 1), abs(self.fen)
        parts = [amount * w // total for w in weights]
        rest = amount - sum(parts)
        order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
        for idx in order[:rest]:
            parts[idx] += 1
        return [Money(sign * p) for p in parts]

    def __str__(self) -> str:
        sign = "-" if self.fen < 0 else ""
        return f"{sign}¥{abs(self.fen) // 100}.{abs(self.fen) % 100:02d}"
