"""The money reports on every backend (A-09, HB-30): each total equals a direct sum over the ledger entries
(or the split table behind the split postings) to the fen; the settlement carries the vouchers from the
ledger and the home-bed subsidies from HB-30; the exports' total lines are summed from their rows; scope
refusals — another institution's report is 404, roles without money reports 403."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import FrozenClock
from tests.homebed.helpers import build as build_homebed
from tests.homebed.helpers import place, serve, sign_plan
from tests.settlement.setup import PLATFORM, SALES_KINDS, cash, entries_sum, refund, serve_visit, supplied_world
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.money.ledger import Account, Leg, Owner, Posting, Purse
from yiyangkang.services.homebed import reports as homebed_reports
from yiyangkang.services.mall import fulfilment
from yiyangkang.services.reports import money

DAY = date(2026, 11, 25)
SPLITS = ("split", "split_reversal")
VOUCHERS = ("voucher_spend", "voucher_refund")
ALL = PageRequest(1, 100)


def vouchers(institution_id: str) -> Account:
    return Account(Owner.INSTITUTION, institution_id, Purse.VOUCHER)


def spend_vouchers(rt: Container, institution_id: str, amount: int, back: int, n: int) -> None:
    """A voucher spend at an institution and part of it given back, booked as the voucher use cases book them."""
    fund = Account(Owner.GOVERNMENT, "batch-test", Purse.VOUCHER)
    at = rt.clock.now()
    with rt.uow() as uow:
        uow.ledger.post(Posting(reference=f"voucher-spend:T{n}", kind="voucher_spend", at=at, memo="助浴服务券",
                                legs=(Leg(fund, -amount), Leg(vouchers(institution_id), amount))))
        if back:
            uow.ledger.post(Posting(reference=f"voucher-refund:T{n}", kind="voucher_refund", at=at,
                                    legs=(Leg(vouchers(institution_id), -back), Leg(fund, back))))
        uow.commit()


def _busy_world(rt: Container):  # type: ignore[no-untyped-def]
    """Orders of A served, split, partly refunded; vouchers taken by A and its station A1."""
    w, _ = supplied_world(rt)
    trade = w.buy(("bath", 2), ("rehab", 1), ("diapers", 1))
    subs = {s.fulfilment: s for s in trade.sub_orders}
    serve_visit(w, subs["home_visit"])
    refund(w, subs["home_visit"].id, amount_fen=7001)
    store = subs["in_store"]
    assert store.verify_code is not None
    fulfilment.verify(w.rt, w.p("admin_A"), store.verify_code)
    refund(w, subs["delivery"].id, quantity=1)  # not started: refunded whole, never split
    spend_vouchers(rt, w.world.inst["A"], 5000, 1200, 1)
    spend_vouchers(rt, w.world.inst["A1"], 3000, 0, 2)
    return w


def test_a09_every_report_reconciles_to_the_ledger(backend: Container, clock: FrozenClock) -> None:
    w = _busy_world(backend)
    a, a1, b = (w.world.inst[k] for k in ("A", "A1", "B"))
    flt = money.money_filter(backend, w.p("admin_A"), DAY, DAY)

    splits = money.split_report(backend, w.p("admin_A"), flt, ALL)
    parties = [cash(b), PLATFORM]
    assert splits.totals.supplier_fen + splits.totals.platform_fen == entries_sum(backend, parties, ["split"])
    assert splits.totals.reversed_fen == -entries_sum(backend, parties, ["split_reversal"])
    assert splits.totals.orders == len(splits.items) == 2  # the visit and the store session; the parcel never
    assert sum(r.held_fen for r in splits.items) == splits.totals.held_fen
    assert splits.totals.platform_fen == sum(s.amount_fen for r in splits.items for s in r.shares
                                             if s.party == "platform")
    one = money.split_report(backend, w.p("admin_A"), flt, PageRequest(2, 1))
    assert (len(one.items), one.total) == (1, 2) and one.items[0] == splits.items[1]

    income = money.income_report(backend, w.p("admin_A"), flt)
    line = {x.institution_id: x for x in income.lines}
    assert set(line) == {a, a1, w.world.inst["A2"]}  # A and its subordinates, nobody else
    assert line[a].net_fen == entries_sum(backend, [cash(a), vouchers(a)], SALES_KINDS)
    assert line[a].platform_fen == entries_sum(backend, [PLATFORM], SPLITS)
    assert line[a].supplier_fen == entries_sum(backend, [cash(b)], SPLITS)
    assert line[a].refunds_fen == -entries_sum(backend, [cash(a), vouchers(a)], ["refund", "voucher_refund"])
    assert line[a1].net_fen == line[a1].voucher_in_fen == 3000
    assert income.total.net_fen == sum(x.net_fen for x in income.lines)

    supplier = money.supplier_report(backend, w.p("admin_B"), money.money_filter(backend, w.p("admin_B"), DAY, DAY))
    assert [(x.supplier_id, x.client_id, x.orders) for x in supplier.lines] == [(b, a, 2)]
    assert supplier.total.net_fen == entries_sum(backend, [cash(b)], SPLITS)
    assert supplier.total.reversed_fen == -entries_sum(backend, [cash(b)], ["split_reversal"]) > 0
    # A's admin sees nothing as a supplier; the operator sees B's line too.
    assert money.supplier_report(backend, w.p("admin_A"), flt).lines == []
    assert money.supplier_report(backend, w.p("operator"), money.money_filter(
        backend, w.p("operator"), DAY, DAY)).total == supplier.total

    settlement = money.settlement_report(backend, w.p("admin_A"), flt)
    by = {x.institution_id: x for x in settlement.lines}
    assert by[a].voucher_net_fen == entries_sum(backend, [vouchers(a)], VOUCHERS) == 3800
    assert by[a1].voucher_net_fen == 3000
    assert settlement.total.total_fen == 6800
    detail = money.settlement_detail(backend, w.p("admin_A"), flt, "voucher", ALL)
    assert detail.total == len(detail.items) == 3
    assert sum(x.amount_fen for x in detail.items) == settlement.total.voucher_net_fen
    # The station's admin sees its own line only.
    mine = money.settlement_report(backend, w.p("admin_A1"), money.money_filter(backend, w.p("admin_A1"), DAY, DAY))
    assert [x.institution_id for x in mine.lines] == [a1]
    # An earlier period is empty.
    before = money.money_filter(backend, w.p("admin_A"), date(2026, 11, 1), date(2026, 11, 24))
    assert money.split_report(backend, w.p("admin_A"), before, ALL).totals.orders == 0
    assert money.income_report(backend, w.p("admin_A"), before).total.net_fen == 0


def test_a09_exports_total_what_their_rows_hold(backend: Container, clock: FrozenClock) -> None:
    w = _busy_world(backend)
    flt = money.money_filter(backend, w.p("admin_A"), DAY, DAY)
    lines = list(money.split_sheet(money.split_rows(backend, w.p("admin_A"), flt)))
    assert lines[-2] == [] and lines[-1][0] == "合计（2单）"
    rows = lines[:-2]
    assert sum(r[8] for r in rows) == lines[-1][8]  # supplier shares, yuan as exact decimals
    report = money.split_report(backend, w.p("admin_A"), flt, ALL)
    assert int(lines[-1][8] * 100) == report.totals.supplier_fen
    detail = list(money.settlement_detail_sheet(money.settlement_detail_rows(backend, w.p("admin_A"), flt)))
    assert detail[-1][0] == "总计（3笔）" and int(detail[-1][-1] * 100) == 3800 + 3000
    assert money.settlement_detail_count(backend, w.p("admin_A"), flt) == 3


def test_hb30_government_settlement_carries_home_bed_subsidies(backend: Container, clock: FrozenClock) -> None:
    """The vouchers and the home-bed subsidies of one period side by side; the subsidy part is HB-30's own."""
    w = build_homebed(backend)
    contract = sign_plan(w, w.apply(130), [w.nursing], subsidy=w.subsidy)
    serve(w, place(w, contract, w.nursing), staff_id=w.staff_A, worker="staff_A", minutes=50)
    serve(w, place(w, contract, w.nursing), staff_id=w.staff_A, worker="staff_A", minutes=50)
    spend_vouchers(backend, w.world.inst["A"], 2000, 0, 1)
    flt = money.money_filter(backend, w.p("admin_A"), DAY, date(2026, 11, 30))
    report = money.settlement_report(backend, w.p("admin_A"), flt)
    hb = homebed_reports.settlement_totals(backend, w.p("admin_A"), homebed_reports.settlement_filter(
        w.p("admin_A"), DAY, date(2026, 12, 1)))
    line = report.lines[0]
    assert (line.institution_id, line.subsidy_orders, line.subsidy_fen) == (
        w.world.inst["A"], 2, sum(t.subsidy_fen for t in hb)) and line.subsidy_fen > 0
    assert line.total_fen == 2000 + line.subsidy_fen
    subsidies = money.settlement_detail(backend, w.p("admin_A"), flt, "subsidy", ALL)
    assert subsidies.total == 2 and sum(x.amount_fen for x in subsidies.items) == line.subsidy_fen
    assert all("*" in x.elder_name for x in subsidies.items)  # masked
    sheet = list(money.settlement_detail_sheet(money.settlement_detail_rows(backend, w.p("admin_A"), flt)))
    assert int(sheet[-1][-1] * 100) == report.total.total_fen


def test_a09_reports_are_scoped(backend: Container, clock: FrozenClock) -> None:
    w, _ = supplied_world(backend)
    for login in ("staff_A", "elder_A", "family_F"):
        with pytest.raises(PermissionDenied):
            money.money_filter(backend, w.p(login), DAY, DAY)
    audited = money.money_filter(backend, w.p("auditor"), DAY, DAY)  # the government reads every institution's
    assert money.income_report(backend, w.p("auditor"), audited).lines
    with pytest.raises(NotFound):  # another tree's institution is answered like a missing one
        money.money_filter(backend, w.p("admin_B"), DAY, DAY, w.world.inst["A"])
    with pytest.raises(NotFound):  # and so is the parent of one's own station
        money.money_filter(backend, w.p("admin_A1"), DAY, DAY, w.world.inst["A"])
    narrowed = money.money_filter(backend, w.p("admin_A"), DAY, DAY, w.world.inst["A1"])
    assert [x.institution_id for x in money.income_report(backend, w.p("admin_A"), narrowed).lines] == [
        w.world.inst["A1"]]
    for start, end in ((DAY, date(2026, 11, 24)), (date(2025, 1, 1), date(2026, 11, 24)), (None, DAY)):
        with pytest.raises(ValidationFailed):
            money.money_filter(backend, w.p("admin_A"), start, end)
