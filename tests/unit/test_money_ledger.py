"""The ledger and money arithmetic (PAY, A-09, A-12, P-06, P-07, S-10): Hypothesis properties.

- after any sequence of postings (refused ones included), each balance equals the sum of its legs and no
  purse of a person or institution is negative;
- splits and proportional refunds sum exactly to the fen;
- S-10 service points follow the rule on the exact average."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiyangkang.domain.kernel.errors import ValidationFailed
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.money.allocation import BASIS, refund_by_source, split
from yiyangkang.domain.money.ledger import (
    Account,
    InsufficientBalance,
    Leg,
    Owner,
    Posting,
    Purse,
    apply,
    differences,
    replay,
)
from yiyangkang.domain.money.service_points import service_points

T0 = datetime(2026, 11, 25, tzinfo=UTC)
ACCOUNTS = [
    Account(Owner.GOVERNMENT, "gz", Purse.VOUCHER), Account(Owner.ELDER, "e1", Purse.VOUCHER),
    Account(Owner.ELDER, "e2", Purse.VOUCHER), Account(Owner.INSTITUTION, "i1", Purse.VOUCHER),
    Account(Owner.PROVIDER, "wechat", Purse.CASH), Account(Owner.INSTITUTION, "i1", Purse.CASH),
    Account(Owner.PLATFORM, "p", Purse.CASH), Account(Owner.ELDER, "e1", Purse.POINTS),
    Account(Owner.PLATFORM, "p", Purse.POINTS),
]


@st.composite
def postings(draw: st.DrawFn, n: int) -> Posting:
    unit = draw(st.sampled_from(["fen", "points"]))
    pool = [a for a in ACCOUNTS if a.purse.unit == unit]
    debit, credit = draw(st.lists(st.sampled_from(pool), min_size=2, max_size=2, unique=True))
    amount = draw(st.integers(1, 50_000))
    return Posting(reference=f"ref-{n}", kind="test", legs=(Leg(debit, -amount), Leg(credit, amount)), at=T0)


@given(st.data())
def test_balances_are_the_sum_of_their_legs(data: st.DataObject) -> None:
    """PAY/A-12: whatever is posted or refused, balances equal the sum of the applied legs and people's and
    institutions' purses never go negative."""
    balances: dict[Account, int] = {}
    applied: list[Posting] = []
    for n in range(data.draw(st.integers(1, 40))):
        posting = data.draw(postings(n))
        try:
            balances = apply(balances, posting)
        except InsufficientBalance:
            continue
        applied.append(posting)
    assert differences(balances, applied) == {}
    assert all(v >= 0 for a, v in balances.items() if not a.may_go_negative)
    assert sum(v for a, v in replay(applied).items() if a.purse.unit == "fen") == 0


def test_a_corrupted_balance_shows_as_a_difference() -> None:
    grant = Posting(reference="grant:1", kind="voucher_grant", at=T0,
                    legs=(Leg(ACCOUNTS[0], -10_000), Leg(ACCOUNTS[1], 10_000)))
    balances = apply({}, grant)
    balances[ACCOUNTS[1]] += 1
    assert differences(balances, [grant]) == {ACCOUNTS[1]: (10_001, 10_000)}


def test_unbalanced_or_mixed_postings_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        apply({}, Posting(reference="x", kind="t", at=T0, legs=(Leg(ACCOUNTS[0], -5), Leg(ACCOUNTS[1], 4))))
    with pytest.raises(ValidationFailed):  # fen and points never balance each other
        apply({}, Posting(reference="x", kind="t", at=T0, legs=(Leg(ACCOUNTS[4], -5), Leg(ACCOUNTS[7], 5))))
    with pytest.raises(InsufficientBalance):  # an elder spends only what the elder holds
        apply({}, Posting(reference="x", kind="t", at=T0, legs=(Leg(ACCOUNTS[1], -1), Leg(ACCOUNTS[3], 1))))


@given(st.integers(0, 10**9), st.lists(st.integers(0, 3000), max_size=4).filter(lambda s: sum(s) <= BASIS))
def test_split_parts_sum_to_the_whole(fen: int, shares: list[int]) -> None:
    """A-09: the seller, suppliers and the platform fee always sum to the order amount."""
    parts = split(Money(fen), shares)
    assert sum(p.fen for p in parts) == fen and len(parts) == len(shares) + 1
    for part, bp in zip(parts, shares, strict=False):
        assert abs(part.fen * BASIS - fen * bp) < BASIS


@given(st.dictionaries(st.sampled_from(["voucher", "wechat", "alipay"]), st.integers(0, 10**7), min_size=1),
       st.data())
def test_refunds_go_back_to_each_source_exactly(paid_fen: dict[str, int], data: st.DataObject) -> None:
    """PAY: refunds in any number of steps return exactly what each source paid, never more."""
    paid = {s: Money(v) for s, v in paid_fen.items()}
    refunded: dict[str, Money] = {s: Money.zero() for s in paid}
    left = sum(paid_fen.values())
    while left:
        step = Money(data.draw(st.integers(1, left)))
        parts = refund_by_source(paid, refunded, step)
        assert sum(p.fen for p in parts.values()) == step.fen
        refunded = {s: refunded[s] + parts[s] for s in paid}
        assert all(refunded[s] <= paid[s] for s in paid)
        left -= step.fen
    assert refunded == paid
    with pytest.raises(ValueError):
        refund_by_source(paid, refunded, Money(1))


@given(st.lists(st.integers(1, 5), max_size=30))
def test_service_points_follow_the_exact_average(stars: list[int]) -> None:
    """S-10: 3 points only when every rating is 5, 1 point at an average of at least 4, else 0."""
    expected = 0 if not stars else 3 if all(s == 5 for s in stars) else 1 if Fraction(sum(stars), len(stars)) >= 4 else 0
    assert service_points(stars) == expected


def test_almost_five_is_not_five() -> None:
    assert service_points([5] * 24 + [4]) == 1  # 4.96
    assert service_points([4, 4, 4]) == 1 and service_points([4, 3]) == 0 and service_points([]) == 0
