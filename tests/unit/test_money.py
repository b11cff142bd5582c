"""Money in integer fen: construction, arithmetic, parsing, formatting and allocation."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from yiyangkang.domain.kernel.money import Money

# Realistic amounts: up to ten trillion yuan either way (allocate relies on Decimal's 28 digits).
FEN = st.integers(min_value=-(10**15), max_value=10**15)
NON_NEGATIVE_FEN = st.integers(min_value=0, max_value=10**15)
WEIGHTS = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=12).filter(
    lambda ws: sum(ws) > 0
)


# --- construction ---------------------------------------------------------------------------------


def test_money_holds_integer_fen() -> None:
    assert Money(1234).fen == 1234
    assert Money.zero() == Money(0)


@pytest.mark.parametrize("value", [12.34, 1.0, Decimal("12.34"), Decimal(1), "1234", None, True])
def test_money_rejects_anything_but_int(value: object) -> None:
    with pytest.raises(TypeError):
        Money(value)  # type: ignore[arg-type]


def test_money_is_immutable_and_ordered() -> None:
    m = Money(5)
    with pytest.raises(AttributeError):
        m.fen = 6  # type: ignore[misc]
    assert Money(1) < Money(2) <= Money(2)
    assert sorted([Money(3), Money(-1), Money(2)]) == [Money(-1), Money(2), Money(3)]


# --- arithmetic -----------------------------------------------------------------------------------


def test_add_sub_neg() -> None:
    assert Money(150) + Money(75) == Money(225)
    assert Money(150) - Money(175) == Money(-25)
    assert -Money(30) == Money(-30)
    assert -Money(0) == Money(0)


def test_is_negative() -> None:
    assert Money(-1).is_negative
    assert not Money(0).is_negative
    assert not Money(1).is_negative


def test_multiply_by_whole_number() -> None:
    assert Money(125) * 3 == Money(375)
    assert Money(125) * 0 == Money(0)
    assert Money(125) * -2 == Money(-250)


@pytest.mark.parametrize("factor", [1.5, Decimal("1.5"), 2.0])
def test_multiply_by_non_int_is_refused(factor: object) -> None:
    with pytest.raises(TypeError):
        Money(100) * factor  # type: ignore[operator]


@given(FEN, FEN, FEN)
def test_addition_is_associative_and_sub_inverts_add(a: int, b: int, c: int) -> None:
    x, y, z = Money(a), Money(b), Money(c)
    assert (x + y) + z == x + (y + z)
    assert (x + y) - y == x
    assert x + (-x) == Money.zero()


# --- parsing and formatting -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("12", 1200),
        ("12.3", 1230),
        ("12.34", 1234),
        ("-0.05", -5),
        ("0", 0),
        ("0.5", 50),
        ("  7.08 ", 708),
        ("-12", -1200),
        ("1000000", 100_000_000),
    ],
)
def test_from_yuan_parses_exactly(text: str, fen: int) -> None:
    assert Money.from_yuan(text) == Money(fen)


@pytest.mark.parametrize(
    "text",
    ["1.234", "abc", "1e3", "", " ", "12.", ".5", "+12", "1,000", "¥12", "12.3.4", "--1", "- 1", "NaN"],
)
def test_from_yuan_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError):
        Money.from_yuan(text)


@pytest.mark.parametrize(
    ("fen", "text"),
    [(1234, "¥12.34"), (-5, "-¥0.05"), (0, "¥0.00"), (100, "¥1.00"), (7, "¥0.07"), (-123456, "-¥1234.56")],
)
def test_str_format(fen: int, text: str) -> None:
    assert str(Money(fen)) == text


@given(st.integers(min_value=-(10**18), max_value=10**18))
def test_str_round_trips_through_from_yuan(fen: int) -> None:
    m = Money(fen)
    text = str(m)
    assert text.startswith("-¥" if fen < 0 else "¥")
    assert Money.from_yuan(text.replace("¥", "")) == m


# --- allocation -----------------------------------------------------------------------------------


def test_allocate_simple_cases() -> None:
    assert Money(100).allocate([1, 1]) == [Money(50), Money(50)]
    assert Money(100).allocate([70, 30]) == [Money(70), Money(30)]
    assert sum(p.fen for p in Money(100).allocate([1, 1, 1])) == 100
    assert Money(0).allocate([3, 1]) == [Money(0), Money(0)]
    assert Money(-100).allocate([1, 1]) == [Money(-50), Money(-50)]


@pytest.mark.parametrize("weights", [[], [-1, 2], [0], [0, 0, 0], [5, -5]])
def test_allocate_rejects_bad_weights(weights: list[int]) -> None:
    with pytest.raises(ValueError):
        Money(100).allocate(weights)


@given(FEN, WEIGHTS)
def test_allocate_parts_sum_to_the_whole(fen: int, weights: list[int]) -> None:
    parts = Money(fen).allocate(weights)
    assert len(parts) == len(weights)
    assert all(type(p.fen) is int for p in parts)
    assert sum(p.fen for p in parts) == fen


@given(FEN, WEIGHTS)
def test_allocate_is_deterministic(fen: int, weights: list[int]) -> None:
    assert Money(fen).allocate(weights) == Money(fen).allocate(list(weights))


@given(NON_NEGATIVE_FEN, WEIGHTS)
def test_allocate_zero_weight_gets_nothing(fen: int, weights: list[int]) -> None:
    parts = Money(fen).allocate(weights)
    for part, weight in zip(parts, weights, strict=True):
        if weight == 0:
            assert part == Money(0)
        else:
            assert part.fen >= 0


@given(st.integers(min_value=-(10**15), max_value=-1), WEIGHTS)
def test_allocate_negative_amounts_sum_exactly(fen: int, weights: list[int]) -> None:
    parts = Money(fen).allocate(weights)
    assert sum(p.fen for p in parts) == fen
    assert all(p.fen <= 0 for p in parts)


def _within_one_fen_of_exact_share(fen: int, weights: list[int]) -> None:
    total = sum(weights)
    parts = Money(fen).allocate(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(fen * weight, total)
        assert abs(part.fen - exact) <= 1, (fen, weights, [p.fen for p in parts])


@given(NON_NEGATIVE_FEN, WEIGHTS)
def test_allocate_each_part_within_one_fen_of_exact_share(fen: int, weights: list[int]) -> None:
    _within_one_fen_of_exact_share(fen, weights)


def test_allocate_known_counterexample_within_one_fen() -> None:
    _within_one_fen_of_exact_share(3, [1, 1, 1, 3])


@given(NON_NEGATIVE_FEN, st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=2))
def test_allocate_one_or_two_parts_stay_within_one_fen(fen: int, weights: list[int]) -> None:
    """The shapes the bug above cannot reach (one or two parts) do stay within a fen."""
    assume(sum(weights) > 0)
    _within_one_fen_of_exact_share(fen, weights)
