"""Pricing a cart (结算价格) exactly in fen: plain lines, service packages and buy-gift gifts.

- a plain line costs unit price × quantity;
- a package bought k times costs its package price × k, spread over its products in proportion to their
  list value (largest remainder), so the package's lines always sum to exactly what it costs;
- a buy-gift rule in force adds gift lines at ¥0 for what the plain lines of its product earn;
- the order total is the sum of its lines; refunds of a line never exceed what the line was paid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from attrs import frozen

from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.mall.catalogue import Fulfilment
from yiyangkang.domain.mall.offers import BuyGiftRule, ServicePackage


@frozen(kw_only=True)
class Priced:
    """A product as checkout prices it (its approved content)."""

    id: str
    institution_id: str
    fulfilment: Fulfilment
    name: str
    unit: str
    unit_price: Money
    standard_minutes: int | None = None


@frozen(kw_only=True)
class PricedLine:
    product_id: str
    institution_id: str
    fulfilment: Fulfilment
    name: str
    unit: str
    unit_price: Money  # list price per unit
    quantity: int
    amount: Money  # what the buyer pays for the line
    standard_minutes: int | None = None
    package_id: str | None = None
    package_name: str = ""
    gift_rule_id: str | None = None  # a gift line: amount 0
    gift_for: str | None = None  # the product whose purchase earned the gift
    gift_terms: tuple[int, int, int | None] | None = None  # buy N, get M, at most (per order)

    @property
    def list_amount(self) -> Money:
        return self.unit_price * self.quantity


def plain_line(product: Priced, quantity: int) -> PricedLine:
    return _line(product, quantity, product.unit_price * quantity)


def _line(product: Priced, quantity: int, amount: Money, **extra: object) -> PricedLine:
    return PricedLine(product_id=product.id, institution_id=product.institution_id, fulfilment=product.fulfilment,
                      name=product.name, unit=product.unit, unit_price=product.unit_price, quantity=quantity,
                      amount=amount, standard_minutes=product.standard_minutes, **extra)  # type: ignore[arg-type]


def package_lines(package: ServicePackage, times: int, products: Mapping[str, Priced]) -> list[PricedLine]:
    """The package bought `times` times, its price spread over its products by list value. A package of
    products that all list at ¥0 spreads by quantity instead."""
    members = [(products[i.product_id], i.quantity * times) for i in package.items]
    weights = [p.unit_price.fen * q for p, q in members]
    if not any(weights):
        weights = [q for _, q in members]
    shares = (package.price * times).allocate(weights)
    return [_line(p, q, share, package_id=package.id, package_name=package.name)
            for (p, q), share in zip(members, shares, strict=True)]


def gift_lines(lines: Sequence[PricedLine], rules: Sequence[BuyGiftRule], products: Mapping[str, Priced],
               today: date) -> list[PricedLine]:
    """Gift lines earned by the plain (not packaged, not gift) lines, one per rule in force."""
    bought: dict[str, int] = {}
    for line in lines:
        if line.package_id is None and line.gift_rule_id is None:
            bought[line.product_id] = bought.get(line.product_id, 0) + line.quantity
    gifts = []
    for rule in rules:
        earned = rule.gifts_for(bought.get(rule.buy_product_id, 0)) if rule.in_force(today) else 0
        gift = products.get(rule.gift_product_id)
        if earned > 0 and gift is not None:
            gifts.append(_line(gift, earned, Money.zero(), gift_rule_id=rule.id, gift_for=rule.buy_product_id,
                               gift_terms=(rule.buy_quantity, rule.gift_quantity, rule.max_gifts_per_order)))
    return gifts


def gifts_earned(terms: tuple[int, int, int | None], bought: int) -> int:
    """What `bought` units earn under (buy N, get M, at most): the same arithmetic as `BuyGiftRule.gifts_for`."""
    buy, get, most = terms
    earned = (bought // buy) * get if buy > 0 else 0
    return earned if most is None else min(earned, most)


def total(lines: Sequence[PricedLine]) -> Money:
    return sum((line.amount for line in lines), Money.zero())


def unit_refund(paid: Money, quantity: int, already: int, units: int) -> Money:
    """What `units` more units of a line refund when `already` of its `quantity` units were refunded
    before: cumulative floors, so refunding every unit, one by one or at once, returns exactly `paid`."""
    if quantity <= 0 or not 0 <= already <= already + units <= quantity:
        raise ValueError("units out of range")
    return Money(paid.fen * (already + units) // quantity - paid.fen * already // quantity)
