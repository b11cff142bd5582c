"""Which vouchers pay which part of an order, and how refunds go back (PAY ▲ mixed payment, A-11, A-12 ▲), as
properties of the pure functions `domain.vouchers.spending.allocate` and `services.vouchers.spending.split_refund`
(with `domain.money.allocation.refund_by_source`, which spreads a voucher refund over the spends), and of
`services.vouchers.spending.refund` over an in-memory unit of work.

For random vouchers (balances, categories, expiry dates, grant times) and random sub-orders of several lines
(sellers, categories, amounts), with a random set of procurement institutions:

- no voucher pays beyond its balance, no line beyond its amount, nothing is paid with zero;
- only lines of procurement institutions (A-11) are paid, each by vouchers of its categories only (A-12);
- maximality: a line left partly unpaid has no eligible voucher with anything left;
- soonest to expire first: a line paid by a voucher left no eligible voucher that expires sooner with money on it;
- a refund of a line splits exactly into a voucher part and a cash part, neither beyond what that source has
  left of the line, in proportion to it (within one fen); refunding a line (or a whole sub-order, line by line)
  in any pieces gives each source back exactly what it paid of each line;
- a refund of some lines never moves the other lines' sources: neither their voucher and cash parts nor the
  spends (and vouchers) that paid them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiyangkang.adapters.memory.store import MemoryStore
from yiyangkang.adapters.memory.uow import MemoryUnitOfWork
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.mall.catalogue import Fulfilment
from yiyangkang.domain.mall.orders import OrderLine, SubOrder
from yiyangkang.domain.money.allocation import refund_by_source
from yiyangkang.domain.money.ledger import Account, Leg, Posting
from yiyangkang.domain.vouchers.batches import VoucherKind
from yiyangkang.domain.vouchers.spending import Payable, Usable, allocate
from yiyangkang.domain.vouchers.vouchers import SpendStatus, Voucher, VoucherSpend, VoucherStatus
from yiyangkang.services.ledger import institution_vouchers, voucher_account, voucher_fund
from yiyangkang.services.vouchers.spending import refund, split_refund

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
D0 = date(2026, 12, 31)
INSTITUTIONS = ("inst-A", "inst-B", "inst-C")
# Category paths as the mall keeps them ("/root-id/child-id/"); "" for a product whose category is gone.
PATHS = ("/care/bath/", "/care/nursing/", "/rehab/", "/rehab/aids/", "/goods/", "")
CATEGORY_SETS = ((), ("care",), ("bath",), ("rehab",), ("aids",), ("goods",), ("bath", "rehab"), ("nursing", "goods"))


def voucher(n: int, categories: tuple[str, ...], until_days: int, granted_minutes: int) -> Voucher:
    return Voucher(id=f"v{n}", number=f"Q{n:06d}", batch_id=f"batch-{n % 3}", batch_name="2026年养老服务券",
                   voucher_kind=VoucherKind.GENERAL if not categories else VoucherKind.BATH, elder_id="elder-A",
                   institution_id="inst-A", face_value=Money(10000), category_ids=categories,
                   valid_from=date(2026, 1, 1), valid_until=D0 + timedelta(days=until_days), granted_by="acct-admin",
                   created_at=T0 + timedelta(minutes=granted_minutes))


@st.composite
def usables(draw: st.DrawFn) -> list[Usable]:
    n = draw(st.integers(0, 6))
    return [Usable(voucher(i, draw(st.sampled_from(CATEGORY_SETS)), draw(st.integers(0, 3)), draw(st.integers(0, 3))),
                   Money(draw(st.integers(0, 20000)))) for i in range(n)]


@st.composite
def payables(draw: st.DrawFn) -> list[Payable]:
    """Order lines of up to four sub-orders, numbered from 1 within each, the sub-orders' lines interleaved; a
    sub-order belongs to one seller (two may have the same one: one trade, two fulfilment types)."""
    sellers = draw(st.lists(st.sampled_from(INSTITUTIONS), min_size=4, max_size=4))
    numbers: dict[int, int] = defaultdict(int)
    found = []
    for _ in range(draw(st.integers(0, 7))):
        sub = draw(st.integers(0, 3))
        numbers[sub] += 1
        found.append(Payable(f"sub{sub}", numbers[sub], sellers[sub], draw(st.sampled_from(PATHS)),
                             Money(draw(st.integers(0, 30000)))))
    return found


accepted_sets = st.frozensets(st.sampled_from(INSTITUTIONS))
Plan = dict[tuple[str, int, str], Money]  # (sub-order id, line number, voucher id) → amount


def key(v: Voucher) -> tuple[date, datetime, str]:
    return v.valid_until, v.created_at, v.id


def left_after(usable: list[Usable], plan: Plan) -> dict[str, int]:
    left = {u.voucher.id: u.balance.fen for u in usable}
    for (_, _, voucher_id), amount in plan.items():
        left[voucher_id] -= amount.fen
    return left


def paid_per_line(plan: Plan) -> dict[tuple[str, int], int]:
    paid: dict[tuple[str, int], int] = defaultdict(int)
    for (sub, line_no, _), amount in plan.items():
        paid[sub, line_no] += amount.fen
    return paid


def by_line(lines: list[Payable]) -> dict[tuple[str, int], Payable]:
    return {(p.sub_order_id, p.line_no): p for p in lines}


def eligible(u: Usable, p: Payable, accepted: frozenset[str]) -> bool:
    return p.institution_id in accepted and u.voucher.pays_for(p.category_path)


@given(usables(), payables(), accepted_sets)
def test_pay_no_voucher_beyond_its_balance_no_line_beyond_its_amount(usable: list[Usable], lines: list[Payable],
                                                                     accepted: frozenset[str]) -> None:
    """PAY ▲: every part is positive and names a line of the order; no voucher pays more than it holds, no line
    gets more than it costs."""
    plan = allocate(usable, lines, accepted)
    assert all(a.fen > 0 for a in plan.values())
    assert all(v >= 0 for v in left_after(usable, plan).values())
    amounts = {k: p.amount.fen for k, p in by_line(lines).items()}
    per_line = paid_per_line(plan)
    assert set(per_line) <= set(amounts)
    assert all(per_line[k] <= amounts[k] for k in per_line)


@given(usables(), payables(), accepted_sets)
def test_a11_a12_only_procurement_institutions_and_eligible_categories(
        usable: list[Usable], lines: list[Payable], accepted: frozenset[str]) -> None:
    """A-11: a line of an institution off the procurement list is never paid with vouchers; A-12: a voucher pays
    only for services of its categories (or any, when it names none)."""
    plan = allocate(usable, lines, accepted)
    lines_by_key = by_line(lines)
    by_voucher = {u.voucher.id: u for u in usable}
    for sub, line_no, voucher_id in plan:
        assert eligible(by_voucher[voucher_id], lines_by_key[sub, line_no], accepted), (sub, line_no, voucher_id)


@given(usables(), payables(), accepted_sets)
def test_pay_maximal_a_line_left_unpaid_has_no_eligible_voucher_with_money(
        usable: list[Usable], lines: list[Payable], accepted: frozenset[str]) -> None:
    """PAY ▲ vouchers first: a line the vouchers left partly to cash has no eligible voucher with anything left."""
    plan = allocate(usable, lines, accepted)
    left = left_after(usable, plan)
    paid = paid_per_line(plan)
    for p in lines:
        if paid[p.sub_order_id, p.line_no] < p.amount.fen:
            assert all(left[u.voucher.id] == 0 for u in usable if eligible(u, p, accepted)), p


@given(usables(), payables(), accepted_sets)
def test_pay_soonest_to_expire_first(usable: list[Usable], lines: list[Payable], accepted: frozenset[str]) -> None:
    """A line paid (partly) by a voucher left nothing on the eligible vouchers that expire sooner (granted
    earlier on the same day)."""
    plan = allocate(usable, lines, accepted)
    left = left_after(usable, plan)
    lines_by_key = by_line(lines)
    by_voucher = {u.voucher.id: u for u in usable}
    for sub, line_no, voucher_id in plan:
        used = by_voucher[voucher_id].voucher
        line = lines_by_key[sub, line_no]
        sooner = [u for u in usable if key(u.voucher) < key(used) and eligible(u, line, accepted)]
        assert all(left[u.voucher.id] == 0 for u in sooner), (sub, line_no, voucher_id)


@given(usables(), payables(), accepted_sets)
def test_pay_lines_of_one_sub_order_share_the_vouchers(usable: list[Usable], lines: list[Payable],
                                                       accepted: frozenset[str]) -> None:
    """Several lines of one sub-order: the plan's part for the sub-order never passes its lines' eligible amounts,
    every voucher stays within its balance, and what the vouchers lost is what the plan paid."""
    plan = allocate(usable, lines, accepted)
    left = left_after(usable, plan)
    assert all(v >= 0 for v in left.values())
    assert sum(a.fen for a in plan.values()) == sum(u.balance.fen for u in usable) - sum(left.values())
    for sub in {p.sub_order_id for p in lines}:
        mine = [p for p in lines if p.sub_order_id == sub]
        got = sum(a.fen for (s, _, _), a in plan.items() if s == sub)
        assert got <= sum(p.amount.fen for p in mine if p.institution_id in accepted)
        for (s, _, voucher_id) in plan:
            if s == sub:
                u = next(x for x in usable if x.voucher.id == voucher_id)
                assert any(eligible(u, p, accepted) for p in mine)


def test_pay_nothing_without_vouchers_or_procurement_institutions() -> None:
    lines = [Payable("sub0", 1, "inst-A", "/care/bath/", Money(15000))]
    general = [Usable(voucher(0, (), 0, 0), Money(10000))]
    assert allocate([], lines, frozenset(INSTITUTIONS)) == {}
    assert allocate(general, lines, frozenset()) == {}
    assert allocate(general, lines, frozenset({"inst-A"})) == {("sub0", 1, "v0"): Money(10000)}


def test_pay_the_sooner_voucher_pays_first_even_when_granted_later() -> None:
    """Two general vouchers: the one expiring sooner (though granted later) is used up first."""
    late, soon = voucher(0, (), 30, 0), voucher(1, (), 0, 5)
    plan = allocate([Usable(late, Money(5000)), Usable(soon, Money(5000))],
                    [Payable("sub0", 1, "inst-A", "/goods/", Money(8000))], frozenset({"inst-A"}))
    assert plan == {("sub0", 1, "v1"): Money(5000), ("sub0", 1, "v0"): Money(3000)}


def test_pay_the_plan_tells_which_line_of_a_sub_order_each_voucher_paid() -> None:
    """Nappies and a mattress in one parcel, a ¥50 voucher for daily goods only: the plan names the nappies' line
    and not the mattress's (so a refund of the mattress later knows vouchers paid nothing of it)."""
    goods = voucher(0, ("goods",), 0, 0)
    plan = allocate([Usable(goods, Money(5000))],
                    [Payable("sub0", 1, "inst-A", "/goods/", Money(8000)),
                     Payable("sub0", 2, "inst-A", "/rehab/aids/", Money(10000))], frozenset({"inst-A"}))
    assert plan == {("sub0", 1, "v0"): Money(5000)}


# --- refunds back to each source, line by line ---------------------------------------------------------------

def order_line(line_no: int, paid: int, voucher_paid: int, voucher_refunded: int = 0, cash_refunded: int = 0
               ) -> OrderLine:
    return OrderLine(line_no=line_no, product_id=f"p{line_no}", name="上门助浴服务", unit="次", unit_price=Money(paid),
                     quantity=1, paid=Money(paid), voucher_paid=Money(voucher_paid),
                     voucher_refunded=Money(voucher_refunded), cash_refunded=Money(cash_refunded))


def sub_order(lines: list[OrderLine]) -> SubOrder:
    return SubOrder(id="sub0", number="S0001", trade_id="t0", trade_number="T0001", institution_id="inst-A",
                    elder_id="elder-A", fulfilment=Fulfilment.HOME_VISIT, lines=lines, created_at=T0)


def cash_of(line: OrderLine) -> Money:
    return line.paid - line.voucher_paid


def left_of(line: OrderLine) -> int:
    """What may still be refunded of a line, whatever the source."""
    return (line.paid - line.voucher_refunded - line.cash_refunded).fen


@st.composite
def paid_lines(draw: st.DrawFn) -> OrderLine:
    """A paid line with some of each source already refunded."""
    paid = draw(st.integers(0, 50000))
    voucher_paid = draw(st.integers(0, paid))
    return order_line(1, paid, voucher_paid, draw(st.integers(0, voucher_paid)),
                      draw(st.integers(0, paid - voucher_paid)))


@given(paid_lines(), st.data())
def test_pay_refund_of_a_line_splits_exactly_and_never_beyond_what_each_source_has_left(line: OrderLine,
                                                                                      data: st.DataObject) -> None:
    """PAY ▲ refunds go back where the money of that line came from: the voucher and cash parts sum to the
    refund, neither passes what its source has left of the line, and each is within one fen of its exact share."""
    voucher_left = (line.voucher_paid - line.voucher_refunded).fen
    cash_left = (cash_of(line) - line.cash_refunded).fen
    amount = data.draw(st.integers(0, voucher_left + cash_left), label="refund")
    to_vouchers, cash = split_refund(line, Money(amount))
    assert to_vouchers.fen + cash.fen == amount
    assert 0 <= to_vouchers.fen <= voucher_left
    assert 0 <= cash.fen <= cash_left
    if amount:
        whole = voucher_left + cash_left
        assert abs(to_vouchers.fen * whole - amount * voucher_left) < whole  # |part − exact share| < 1 fen


@given(st.integers(0, 50000), st.data())
def test_pay_refunding_a_line_in_pieces_gives_each_source_back_exactly(paid: int, data: st.DataObject) -> None:
    """Refund a line in random pieces until nothing is left: the vouchers get back exactly what they paid of it
    and the channel exactly its cash, whatever the pieces."""
    line = order_line(1, paid, data.draw(st.integers(0, paid), label="voucher_paid"))
    while (left := left_of(line)) > 0:
        to_vouchers, cash = split_refund(line, Money(data.draw(st.integers(1, left), label="piece")))
        line.voucher_refunded += to_vouchers
        line.cash_refunded += cash
        assert line.voucher_refunded <= line.voucher_paid and line.cash_refunded <= cash_of(line)
    assert (line.voucher_refunded, line.cash_refunded) == (line.voucher_paid, cash_of(line))


@given(st.lists(st.integers(0, 50000), min_size=1, max_size=4), st.data())
def test_pay_refunding_a_sub_order_line_by_line_gives_each_source_back_exactly(paid: list[int],
                                                                               data: st.DataObject) -> None:
    """A sub-order whose lines the vouchers paid in different parts (some not at all), refunded in random pieces
    of random lines until nothing is left: every line gives each source back exactly what it paid of that line,
    so the sub-order's voucher and cash parts (the sums of its lines') come back exactly too."""
    sub = sub_order([order_line(n, fen, data.draw(st.integers(0, fen), label=f"voucher_paid {n}"))
                     for n, fen in enumerate(paid, start=1)])
    while open_lines := [ln for ln in sub.lines if left_of(ln) > 0]:
        line = data.draw(st.sampled_from(open_lines), label="line")
        to_vouchers, cash = split_refund(line, Money(data.draw(st.integers(1, left_of(line)), label="piece")))
        line.voucher_refunded += to_vouchers
        line.cash_refunded += cash
        assert sub.voucher_refunded <= sub.voucher_paid and sub.cash_refunded <= sub.cash_paid
    for ln in sub.lines:
        assert (ln.voucher_refunded, ln.cash_refunded) == (ln.voucher_paid, cash_of(ln))
    assert (sub.voucher_refunded, sub.cash_refunded) == (sub.voucher_paid, sub.cash_paid)
    assert sub.voucher_paid + sub.cash_paid == sub.paid


def test_pay_refund_beyond_what_is_left_is_refused() -> None:
    line = order_line(1, 15000, 10000, 10000, 4000)  # ¥10 of cash left
    assert split_refund(line, Money(1000)) == (Money(0), Money(1000))
    with pytest.raises(ValueError):
        split_refund(line, Money(1001))
    with pytest.raises(ValueError):
        split_refund(line, Money(-1))


def test_pay_refund_of_a_line_paid_in_cash_goes_back_in_cash() -> None:
    """Nappies ¥80 (¥50 of it by voucher) and a mattress ¥100 in cash, one sub-order: refunding the mattress is
    all cash, whatever the vouchers paid of the nappies."""
    nappies, mattress = order_line(1, 8000, 5000), order_line(2, 10000, 0)
    sub = sub_order([nappies, mattress])
    assert (sub.voucher_paid, sub.cash_paid) == (Money(5000), Money(13000))
    assert split_refund(mattress, Money(10000)) == (Money(0), Money(10000))
    assert split_refund(nappies, Money(8000)) == (Money(5000), Money(3000))


@given(st.dictionaries(st.sampled_from([f"spend{i}" for i in range(5)]),
                       st.tuples(st.integers(0, 20000), st.integers(0, 20000)), min_size=1),
       st.data())
def test_pay_voucher_refund_spread_over_spends_exactly(spends: dict[str, tuple[int, int]], data: st.DataObject) -> None:
    """A voucher refund spread over the vouchers that paid one line (services.vouchers.spending.refund): the
    parts sum exactly and none passes what its spend has left."""
    paid = {k: Money(max(a, b)) for k, (a, b) in spends.items()}
    refunded = {k: Money(min(a, b)) for k, (a, b) in spends.items()}
    left = {k: (paid[k] - refunded[k]).fen for k in spends}
    amount = data.draw(st.integers(0, sum(left.values())), label="refund")
    parts = refund_by_source(paid, refunded, Money(amount))
    assert set(parts) == set(spends)
    assert sum(p.fen for p in parts.values()) == amount
    assert all(0 <= parts[k].fen <= left[k] for k in spends)


# --- services.vouchers.spending.refund: one line's refund leaves the other lines alone -----------------------

VOUCHERS = 3  # v0…v2, of batches batch-0…batch-2


@st.composite
def paid_orders(draw: st.DrawFn) -> tuple[SubOrder, list[Voucher], list[VoucherSpend]]:
    """A paid sub-order of one to four lines at inst-A, each paid partly by up to two of three vouchers (some
    expired since, so what goes back to them goes to their batch's fund), the rest in cash; its spends."""
    vouchers = [voucher(i, (), 0, i) for i in range(VOUCHERS)]
    for v in vouchers:
        v.status = VoucherStatus.EXPIRED if draw(st.booleans()) else VoucherStatus.ACTIVE
    lines, spends = [], []
    for n in range(1, draw(st.integers(1, 4)) + 1):
        paid = draw(st.integers(0, 30000))
        voucher_paid = 0
        for i in draw(st.lists(st.integers(0, VOUCHERS - 1), unique=True, max_size=2)):
            amount = draw(st.integers(0, paid - voucher_paid))
            if amount:
                voucher_paid += amount
                v = vouchers[i]
                spends.append(VoucherSpend(
                    id=f"spend-{n}-{v.id}", voucher_id=v.id, voucher_number=v.number, batch_id=v.batch_id,
                    elder_id="elder-A", institution_id="inst-A", trade_id="t0", trade_number="T0001",
                    sub_order_id="sub0", sub_order_number="S0001", line_no=n, amount=Money(amount),
                    status=SpendStatus.SPENT, spent_at=T0, created_at=T0))
        lines.append(order_line(n, paid, voucher_paid))
    return sub_order(lines), vouchers, spends


def home(v: Voucher) -> Account:
    return voucher_fund(v.batch_id) if v.status is VoucherStatus.EXPIRED else voucher_account(v.id)


@given(paid_orders(), st.data())
def test_pay_refund_of_some_lines_never_moves_the_other_lines_sources(
        order: tuple[SubOrder, list[Voucher], list[VoucherSpend]], data: st.DataObject) -> None:
    """PAY ▲ refunds (`services.vouchers.spending.refund`) of some lines of a sub-order, one after another: the
    lines not refunded keep their voucher and cash parts, and the spends that paid them keep what they had
    refunded; a refunded line's voucher part is exactly what its own spends took back, and the ledger moves
    exactly that from the seller to those vouchers (or, once expired, their funds); the cash returned is the
    lines' cash parts."""
    sub, vouchers, spends = order
    institution = institution_vouchers("inst-A")
    accounts = [institution, *(voucher_account(v.id) for v in vouchers), *(voucher_fund(v.batch_id) for v in vouchers)]
    by_voucher = {v.id: v for v in vouchers}
    uow = MemoryUnitOfWork(MemoryStore())
    with uow:
        for v in vouchers:
            uow.vouchers.add(v)
        for s in spends:
            uow.voucher_spends.add(s)
        if spent := sum(s.amount.fen for s in spends):
            uow.ledger.post(Posting(reference="voucher-spend:T0001", kind="voucher_spend", at=T0, legs=(
                Leg(voucher_fund("seed"), -spent), Leg(institution, spent))))
        uow.commit()
        for step in range(data.draw(st.integers(1, 4), label="refunds")):
            chosen = data.draw(st.lists(st.sampled_from([ln.line_no for ln in sub.lines]), unique=True, min_size=1),
                               label="lines")
            amounts = {n: Money(data.draw(st.integers(0, left_of(sub.line(n))), label=f"amount {n}")) for n in chosen}
            parts = {ln.line_no: (ln.voucher_refunded, ln.cash_refunded) for ln in sub.lines}
            spends_before = {s.id: s for s in uow.voucher_spends.of_sub_order("sub0")}
            balances = {a: uow.ledger.balance(a) for a in accounts}

            cash = refund(uow, sub, amounts, f"R{step}", T0)
            uow.commit()

            spends_after = {s.id: s for s in uow.voucher_spends.of_sub_order("sub0")}
            assert set(spends_after) == set(spends_before)
            moved = {k: (s.refunded - spends_before[k].refunded).fen for k, s in spends_after.items()}
            gained: dict[Account, int] = defaultdict(int)
            for k, s in spends_after.items():
                gained[home(by_voucher[s.voucher_id])] += moved[k]
                assert s.refunded <= s.amount
            cash_back = 0
            for ln in sub.lines:
                to_vouchers = (ln.voucher_refunded - parts[ln.line_no][0]).fen
                in_cash = (ln.cash_refunded - parts[ln.line_no][1]).fen
                own_spends = sum(moved[k] for k, s in spends_after.items() if s.line_no == ln.line_no)
                if ln.line_no not in amounts:
                    assert (to_vouchers, in_cash, own_spends) == (0, 0, 0), ln.line_no
                    continue
                assert to_vouchers + in_cash == amounts[ln.line_no].fen
                assert to_vouchers == own_spends
                assert ln.voucher_refunded <= ln.voucher_paid and ln.cash_refunded <= cash_of(ln)
                cash_back += in_cash
            assert cash.fen == cash_back
            voucher_back = sum(moved.values())
            assert uow.ledger.balance(institution) == balances[institution] - voucher_back
            for a in accounts[1:]:
                assert uow.ledger.balance(a) == balances[a] + gained[a], a.key
