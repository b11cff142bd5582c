"""Pricing a mall cart exactly in fen (M-05, A-02, A-04, A-07/P-01/P-02).

Hypothesis builds random carts of plain lines, service packages (random list prices, zero prices
included, quantities, package price, times bought) and buy-gift rules (quantities, caps, validity dates,
review state, withdrawn or not), and checks every priced line against a small model:

- a package bought k times costs exactly its price × k, each product's share within one fen of its
  exact share of the list value (by quantity when every member lists at ¥0);
- a gift line costs ¥0 and carries exactly what the rule grants for the plain units bought, capped per
  order, and only while the rule is in force (approved, active, within its dates);
- the order total is the sum of its lines; list amounts are never negative;
- refunding a line unit by unit, or in any chunks, returns exactly what it was paid, each step within
  [floor, ceil] of its proportional share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from attrs import define
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.mall.catalogue import Fulfilment
from yiyangkang.domain.mall.offers import BuyGiftRule, PackageItem, ServicePackage
from yiyangkang.domain.mall.pricing import Priced, PricedLine, gift_lines, package_lines, plain_line, total, unit_refund
from yiyangkang.domain.mall.review import ReviewState

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
TODAY = date(2026, 3, 2)
INSTITUTION = "inst-yuexiu"
PRICING_SETTINGS = settings(max_examples=150, deadline=None)

# Unit prices: ¥0 often (free products and all-zero packages), otherwise up to ¥1,000.
UNIT_PRICES = st.one_of(st.just(0), st.integers(0, 100), st.integers(0, 100_000))


def product(ident: str, fen: int, fulfilment: Fulfilment = Fulfilment.IN_STORE,
            minutes: int | None = None) -> Priced:
    return Priced(id=ident, institution_id=INSTITUTION, fulfilment=fulfilment, name=f"商品{ident}", unit="次",
                  unit_price=Money(fen), standard_minutes=minutes)


def package(ident: str, items: Sequence[tuple[str, int]], price_fen: int) -> ServicePackage:
    return ServicePackage(id=ident, institution_id=INSTITUTION, created_by="acct-seller", created_at=T0,
                          name=f"服务包{ident}", items=tuple(PackageItem(p, q) for p, q in items),
                          price=Money(price_fen), review=ReviewState.APPROVED)


def gift_rule(ident: str, buy: str, buy_quantity: int, gift: str, gift_quantity: int, *,
              max_gifts: int | None = None, valid_from: date = TODAY, valid_until: date = TODAY + timedelta(days=30),
              review: ReviewState = ReviewState.APPROVED, active: bool = True) -> BuyGiftRule:
    return BuyGiftRule(id=ident, institution_id=INSTITUTION, created_by="acct-seller", created_at=T0,
                       name=f"买{buy_quantity}赠{gift_quantity}", buy_product_id=buy, buy_quantity=buy_quantity,
                       gift_product_id=gift, gift_quantity=gift_quantity, max_gifts_per_order=max_gifts,
                       valid_from=valid_from, valid_until=valid_until, review=review, active=active)


# -- the model ---------------------------------------------------------------------------------------------------

def exact_shares(pkg: ServicePackage, times: int, products: Mapping[str, Priced]) -> list[Fraction]:
    """Each member's exact share of what the package costs: by list value, or by units when all list at ¥0."""
    weights = [products[i.product_id].unit_price.fen * i.quantity * times for i in pkg.items]
    if sum(weights) == 0:
        weights = [i.quantity * times for i in pkg.items]
    whole = pkg.price.fen * times
    return [Fraction(whole * w, sum(weights)) for w in weights]


def in_force(rule: BuyGiftRule, today: date) -> bool:
    return rule.active and rule.review is ReviewState.APPROVED and rule.valid_from <= today <= rule.valid_until


def granted(rule: BuyGiftRule, bought: int) -> int:
    """A-04: gift_quantity for every full buy_quantity bought, at most max_gifts_per_order."""
    if rule.buy_quantity <= 0:
        return 0
    earned: int = (bought // rule.buy_quantity) * rule.gift_quantity
    cap: int | None = rule.max_gifts_per_order
    return earned if cap is None else min(earned, cap)


def plain_units(lines: Sequence[PricedLine]) -> dict[str, int]:
    bought: dict[str, int] = {}
    for line in lines:
        if line.package_id is None and line.gift_rule_id is None:
            bought[line.product_id] = bought.get(line.product_id, 0) + line.quantity
    return bought


# -- random carts ------------------------------------------------------------------------------------------------

@define
class Cart:
    products: dict[str, Priced]
    plain: list[tuple[str, int]]
    packages: list[tuple[ServicePackage, int]]
    rules: list[BuyGiftRule]
    gifts_on_sale: dict[str, Priced]  # the gift products checkout can still price (orderable ones)
    today: date


@st.composite
def carts(draw: st.DrawFn) -> Cart:
    n = draw(st.integers(1, 6), label="products")
    products = {f"p{i}": product(f"p{i}", draw(UNIT_PRICES, label=f"price p{i}"),
                                 draw(st.sampled_from(Fulfilment), label=f"fulfilment p{i}")) for i in range(n)}
    ids = sorted(products)
    product_ids = st.sampled_from(ids)
    plain = draw(st.lists(st.tuples(product_ids, st.integers(1, 20)), min_size=draw(st.sampled_from([0, 1, 2])),
                         max_size=5), label="plain lines")
    packages = []
    for k in range(draw(st.integers(0, 3), label="packages")):
        items = draw(st.lists(st.tuples(product_ids, st.integers(1, 5)), min_size=1, max_size=4), label=f"items {k}")
        price = draw(st.one_of(st.just(0), st.integers(0, 10), st.integers(0, 1_000_000)), label=f"price {k}")
        packages.append((package(f"pkg{k}", items, price), draw(st.integers(1, 5), label=f"times {k}")))
    today = TODAY + timedelta(days=draw(st.just(0) | st.integers(-3, 8), label="today"))
    bought_ids = sorted({p for p, _ in plain}) or ids
    rules = []
    if plain and draw(st.integers(0, 3), label="a rule sure to give") > 0:  # so that gifts are earned often
        start = today - timedelta(days=draw(st.integers(0, 3), label="started days ago"))
        rules.append(gift_rule(
            "rule-sure", draw(st.sampled_from(bought_ids), label="buy"), draw(st.integers(1, 3), label="buy qty"),
            draw(product_ids, label="gift"), draw(st.integers(1, 3), label="gift qty"),
            max_gifts=draw(st.none() | st.integers(1, 6), label="max"), valid_from=start,
            valid_until=today + timedelta(days=draw(st.integers(0, 3), label="ends in days"))))
    for k in range(draw(st.integers(0, 3), label="rules")):  # anything: the edges of dates, review and withdrawal
        start = TODAY + timedelta(days=draw(st.integers(-5, 7), label=f"from {k}"))
        rules.append(gift_rule(
            f"rule{k}", draw(st.sampled_from(bought_ids) | product_ids, label=f"buy {k}"),
            draw(st.integers(0, 4), label=f"buy qty {k}"),
            draw(st.sampled_from([*ids, "p-missing"]), label=f"gift {k}"),
            draw(st.integers(0, 3), label=f"gift qty {k}"),
            max_gifts=draw(st.none() | st.integers(0, 6), label=f"max {k}"), valid_from=start,
            valid_until=start + timedelta(days=draw(st.integers(-2, 12), label=f"days {k}")),
            review=draw(st.sampled_from(ReviewState), label=f"review {k}"),
            active=draw(st.booleans(), label=f"active {k}"),
        ))
    on_sale = set(ids) - draw(st.sets(st.sampled_from(ids), max_size=1), label="gift products off sale")
    return Cart(products, plain, packages, rules, {i: products[i] for i in on_sale}, today)


# -- 1. a whole cart -----------------------------------------------------------------------------------------------

@PRICING_SETTINGS
@given(carts())
def test_a_cart_prices_exactly(cart: Cart) -> None:
    """M-05, A-02, A-04: packages sum to price × times with fair shares; gifts are free and as granted;
    the total is the sum of the lines."""
    lines = [plain_line(cart.products[p], q) for p, q in cart.plain]
    for (p, q), line in zip(cart.plain, lines, strict=True):
        assert (line.product_id, line.quantity, line.amount) == (p, q, cart.products[p].unit_price * q)
        assert line.amount == line.list_amount and line.package_id is None and line.gift_rule_id is None

    for pkg, times in cart.packages:
        got = package_lines(pkg, times, cart.products)
        assert [(ln.product_id, ln.quantity) for ln in got] == [(i.product_id, i.quantity * times) for i in pkg.items]
        assert all(ln.package_id == pkg.id and ln.package_name == pkg.name and ln.gift_rule_id is None for ln in got)
        assert total(got) == pkg.price * times  # exactly what the package costs
        for ln, share in zip(got, exact_shares(pkg, times, cart.products), strict=True):
            assert math.floor(share) <= ln.amount.fen <= math.ceil(share), (ln.amount, share)
            assert ln.unit_price == cart.products[ln.product_id].unit_price  # list price kept for display
        lines += got

    gifts = gift_lines(lines, cart.rules, cart.gifts_on_sale, cart.today)
    event("gift lines", len(gifts))
    event("all-zero package", any(not any(cart.products[i.product_id].unit_price.fen for i in pkg.items)
                                  for pkg, _ in cart.packages))
    bought = plain_units(lines)
    expected = [(r.id, r.gift_product_id, granted(r, bought.get(r.buy_product_id, 0))) for r in cart.rules
                if in_force(r, cart.today) and r.gift_product_id in cart.gifts_on_sale]
    assert [(g.gift_rule_id, g.product_id, g.quantity) for g in gifts] == [e for e in expected if e[2] > 0]
    rules = {r.id: r for r in cart.rules}
    for g in gifts:
        rule = rules[g.gift_rule_id or ""]
        assert g.amount == Money.zero() and g.package_id is None
        assert g.unit_price == cart.gifts_on_sale[g.product_id].unit_price
        assert rule.max_gifts_per_order is None or g.quantity <= rule.max_gifts_per_order
        assert 0 < g.quantity <= bought.get(rule.buy_product_id, 0) * rule.gift_quantity

    # Gift lines never earn gifts themselves: pricing again with them in the cart gives the same gifts.
    assert gift_lines([*lines, *gifts], cart.rules, cart.gifts_on_sale, cart.today) == gifts

    every = [*lines, *gifts]
    assert total(every) == Money(sum(ln.amount.fen for ln in every))
    assert all(not ln.amount.is_negative and not ln.list_amount.is_negative for ln in every)
    assert sum((ln.list_amount for ln in every), Money.zero()) >= Money.zero()


# -- 2. packages, one by one -----------------------------------------------------------------------------------

@PRICING_SETTINGS
@given(prices=st.lists(UNIT_PRICES, min_size=1, max_size=6), data=st.data(),
       price=st.integers(0, 10**9), times=st.integers(1, 50))
@example(prices=[0, 0, 0], data=None, price=100, times=1)  # all free: 33/33/34 by units
@example(prices=[100, 200, 300], data=None, price=1, times=1)  # one fen to share
def test_a_package_spreads_its_price(prices: list[int], data: st.DataObject | None, price: int, times: int) -> None:
    """A-02: the lines of a package bought `times` times sum to exactly price × times, each within one fen of
    its share by list value (by units when all list at ¥0), and the same input always splits the same way."""
    products = {f"p{i}": product(f"p{i}", fen) for i, fen in enumerate(prices)}
    quantities = ([data.draw(st.integers(1, 9), label=f"qty p{i}") for i in range(len(prices))] if data
                  else [1] * len(prices))
    pkg = package("pkg", [(f"p{i}", q) for i, q in enumerate(quantities)], price)
    lines = package_lines(pkg, times, products)
    assert total(lines) == Money(price * times)
    shares = exact_shares(pkg, times, products)
    assert all(math.floor(s) <= ln.amount.fen <= math.ceil(s) for ln, s in zip(lines, shares, strict=True))
    assert [ln.quantity for ln in lines] == [q * times for q in quantities]
    assert package_lines(pkg, times, products) == lines


def test_a_free_package_of_free_products_and_a_package_of_one_fen() -> None:
    """A-02 examples: shares by units when nothing has a list price; largest remainder for a single fen."""
    free = {"a": product("a", 0), "b": product("b", 0)}
    lines = package_lines(package("pkg", [("a", 1), ("b", 3)], 1000), 2, free)
    assert [(ln.quantity, ln.amount) for ln in lines] == [(2, Money(500)), (6, Money(1500))]
    one_fen = {"a": product("a", 100), "b": product("b", 200)}
    assert [ln.amount for ln in package_lines(package("pkg", [("a", 1), ("b", 1)], 1), 1, one_fen)] == [
        Money(0), Money(1)]
    assert [ln.amount for ln in package_lines(package("pkg", [("a", 1), ("b", 1)], 0), 3, one_fen)] == [
        Money(0), Money(0)]


# -- 3. buy-gift rules ---------------------------------------------------------------------------------------------

@PRICING_SETTINGS
@given(buy=st.integers(0, 6), gift=st.integers(0, 5), cap=st.none() | st.integers(0, 10), bought=st.integers(0, 100))
def test_gifts_for_counts_full_sets_up_to_the_cap(buy: int, gift: int, cap: int | None, bought: int) -> None:
    """A-04: gift_quantity per full buy_quantity bought, never more than max_gifts_per_order, monotone."""
    rule = gift_rule("r", "a", buy, "b", gift, max_gifts=cap)
    assert rule.gifts_for(bought) == granted(rule, bought)
    assert rule.gifts_for(bought) <= rule.gifts_for(bought + 1)
    assert rule.gifts_for(bought) >= 0
    if cap is not None:
        assert rule.gifts_for(bought) <= cap


@pytest.mark.parametrize(("today", "review", "active", "expected"), [
    (date(2026, 3, 1), ReviewState.APPROVED, True, 0),  # the day before valid_from
    (date(2026, 3, 2), ReviewState.APPROVED, True, 2),  # valid_from itself
    (date(2026, 3, 31), ReviewState.APPROVED, True, 2),  # valid_until itself
    (date(2026, 4, 1), ReviewState.APPROVED, True, 0),  # the day after
    (date(2026, 3, 10), ReviewState.PENDING, True, 0),  # not reviewed yet
    (date(2026, 3, 10), ReviewState.REJECTED, True, 0),
    (date(2026, 3, 10), ReviewState.APPROVED, False, 0),  # withdrawn by the seller
])
def test_a_gift_counts_only_while_the_rule_is_in_force(today: date, review: ReviewState, active: bool,
                                                       expected: int) -> None:
    """A-04: validity dates inclusive at both ends; pending, rejected or withdrawn rules give nothing."""
    products = {"a": product("a", 5000), "b": product("b", 800)}
    rule = gift_rule("r", "a", 2, "b", 1, valid_from=date(2026, 3, 2), valid_until=date(2026, 3, 31),
                     review=review, active=active)
    gifts = gift_lines([plain_line(products["a"], 5)], [rule], products, today)
    assert [g.quantity for g in gifts] == ([expected] if expected else [])


def test_only_plain_units_earn_gifts_and_a_cap_holds() -> None:
    """A-04: units bought inside a package earn nothing; plain units of several lines add up; the cap holds."""
    products = {"a": product("a", 5000), "b": product("b", 800)}
    in_package = package_lines(package("pkg", [("a", 10)], 30000), 1, products)
    plain = [plain_line(products["a"], 3), plain_line(products["a"], 4)]
    rule = gift_rule("r", "a", 2, "b", 1)
    assert gift_lines(in_package, [rule], products, TODAY) == []
    assert [g.quantity for g in gift_lines([*in_package, *plain], [rule], products, TODAY)] == [3]
    capped = gift_rule("r", "a", 1, "b", 2, max_gifts=5)
    [line] = gift_lines(plain, [capped], products, TODAY)
    assert (line.quantity, line.amount, line.list_amount, line.gift_rule_id) == (5, Money(0), Money(4000), "r")
    assert gift_lines(plain, [capped], {"a": products["a"]}, TODAY) == []  # the gift product is off sale


# -- 4. refunds of a line (A-07, P-01/P-02) ------------------------------------------------------------------------

@st.composite
def partitions(draw: st.DrawFn, quantity: int) -> list[int]:
    """`quantity` cut into positive chunks at random (one by one, all at once, anything in between)."""
    chunks: list[int] = []
    left = quantity
    while left:
        chunk = draw(st.sampled_from([1, left]) | st.integers(1, left))
        chunks.append(chunk)
        left -= chunk
    return chunks


@PRICING_SETTINGS
@given(paid=st.one_of(st.integers(0, 10), st.integers(0, 10**9)), quantity=st.integers(1, 60), data=st.data())
def test_refunding_every_unit_returns_exactly_what_was_paid(paid: int, quantity: int, data: st.DataObject) -> None:
    """A-07, P-01, P-02: in any partition the refunds sum to paid; each step is within [floor, ceil] of its
    proportional share, and after k units exactly floor(paid × k / quantity) has gone back."""
    chunks = data.draw(partitions(quantity), label="chunks")
    already, refunded = 0, 0
    for units in chunks:
        step = unit_refund(Money(paid), quantity, already, units)
        share = Fraction(paid * units, quantity)
        assert math.floor(share) <= step.fen <= math.ceil(share), (step, share)
        already, refunded = already + units, refunded + step.fen
        assert refunded == paid * already // quantity
    assert refunded == paid
    assert unit_refund(Money(paid), quantity, 0, quantity) == Money(paid)
    assert unit_refund(Money(paid), quantity, already, 0) == Money(0)


@pytest.mark.parametrize(("quantity", "already", "units"), [
    (0, 0, 0), (-1, 0, 0), (3, -1, 1), (3, 0, -1), (3, 2, 2), (3, 4, 0), (3, 0, 4),
])
def test_unit_refund_out_of_range(quantity: int, already: int, units: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        unit_refund(Money(1000), quantity, already, units)


def test_unit_refund_examples() -> None:
    """¥10.00 over 3 units: 3.33, 3.33, 3.34 one by one; 6.66 for two at once; the rest for the last."""
    ten = Money(1000)
    assert [unit_refund(ten, 3, k, 1) for k in range(3)] == [Money(333), Money(333), Money(334)]
    assert unit_refund(ten, 3, 0, 2) == Money(666)
    assert unit_refund(ten, 3, 2, 1) == Money(334)
