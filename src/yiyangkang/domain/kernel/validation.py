"""Collecting field errors (字段校验) so a form gets every problem at once, not one per try."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TypeVar

from yiyangkang.domain.kernel.errors import FieldError, ValidationFailed
from yiyangkang.domain.kernel.money import Money

T = TypeVar("T")
MAX_PRICE_FEN = 10_000_000  # ¥100,000: a price above is a typo
V = TypeVar("V")
E = TypeVar("E", bound=Enum)


def choice(enum: type[E], message: str) -> Callable[[str], E]:
    """A parser for one of an enum's values, failing with `message` (for `Checks.parse`)."""

    def parse(raw: str) -> E:
        try:
            return enum(raw)
        except ValueError:
            raise ValueError(message) from None

    return parse


class Checks:
    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.errors: list[FieldError] = []

    def parse(self, name: str, parser: Callable[[V], T], value: V) -> T | None:
        """`parser(value)`, or None with a field error when it raises ValueError."""
        try:
            return parser(value)
        except ValueError as exc:
            self.fail(name, str(exc))
            return None

    def text(self, name: str, value: str | None, *, label: str, max_len: int, required: bool = True) -> str | None:
        """Trimmed text within `max_len` characters; empty counts as missing."""
        cleaned = (value or "").strip()
        if not cleaned:
            if required:
                self.fail(name, f"请填写{label}", code="REQUIRED")
            return None
        if any(ord(c) < 32 or ord(c) == 127 for c in cleaned):
            self.fail(name, f"{label}含有不可见的控制字符", code="CONTROL_CHARACTER")
            return None
        if len(cleaned) > max_len:
            self.fail(name, f"{label}不能超过{max_len}个字", code="TOO_LONG")
            return None
        return cleaned

    def money(self, name: str, value: int | None, *, label: str, required: bool = True,
              maximum: int = MAX_PRICE_FEN) -> Money | None:
        """An amount in fen within [0, maximum]."""
        if value is None:
            if required:
                self.fail(name, f"请填写{label}", code="REQUIRED")
            return None
        if self.require(name, 0 <= value <= maximum, f"{label}应在0～{maximum // 100}元之间", "OUT_OF_RANGE"):
            return Money(value)
        return None

    def require(self, name: str, ok: bool, message: str, code: str = "INVALID") -> bool:
        if not ok:
            self.fail(name, message, code)
        return ok

    def fail(self, name: str, message: str, code: str = "INVALID") -> None:
        self.errors.append(FieldError(field=f"{self.prefix}{name}", message=message, code=code))

    def done(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)
