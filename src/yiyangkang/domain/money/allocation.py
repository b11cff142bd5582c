"""Splitting money exactly (分账与按比例退款): shares of an order between the seller, its suppliers and the
platform; refunds spread back over the sources that paid (vouchers first spent, then cash)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from yiyangkang.domain.kernel.money import Money

BASIS = 10_000  # shares in basis points


def split(amount: Money, shares_bp: Sequence[int]) -> list[Money]:
    """Parts for shares in basis points (the last part takes what the shares leave: the seller's), summing
    exactly to `amount` (largest remainder for the named shares)."""
    if any(s < 0 for s in shares_bp) or sum(shares_bp) > BASIS:
        raise ValueError("shares must be non-negative and at most 100%")
    weights = [*shares_bp, BASIS - sum(shares_bp)]
    if amount.fen == 0:
        return [Money.zero() for _ in weights]
    return amount.allocate(weights)


def refund_by_source(paid: Mapping[str, Money], refunded: Mapping[str, Money], refund: Money) -> dict[str, Money]:
    """How a refund of `refund` goes back to the sources that paid (`paid` by source, `refunded` so far), in
    proportion to what each has left, exact to the fen; never more than a source has left."""
    left = {s: paid[s] - refunded.get(s, Money.zero()) for s in sorted(paid)}
    available = sum((v for v in left.values()), Money.zero())
    if refund.is_negative or refund > available:
        raise ValueError("refund exceeds what is left to refund")
    if refund.fen == 0:
        return {s: Money.zero() for s in left}
    parts = refund.allocate([v.fen for v in left.values()])
    return dict(zip(left, parts, strict=True))
