"""Elderly-care vouchers (A-11, A-12 ▲, P-06) and paying with them (PAY ▲), on every backend: grants funded by
the government, vouchers first in a mixed payment, only at procurement institutions and for their categories,
refunds back to each source in proportion, release of held vouchers, expiry — and the books reconcile."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.conftest import operator
from tests.vouchers.setup import VoucherWorld, batch, build_vouchers
from yiyangkang.adapters.payments.sandbox import SandboxPaymentGateway
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.money.ledger import Account, Owner, Purse
from yiyangkang.domain.vouchers.vouchers import SpendStatus
from yiyangkang.ports.vouchers import SpendQuery
from yiyangkang.services import ledger
from yiyangkang.services.ledger import institution_cash, institution_vouchers, voucher_fund
from yiyangkang.services.mall import aftersales, checkout, fulfilment
from yiyangkang.services.mall.aftersales import AfterSaleForm
from yiyangkang.services.vouchers import admin, grants, records
from yiyangkang.services.vouchers.expiry import expire_vouchers
from yiyangkang.services.vouchers.grants import GrantForm

ALL = PageRequest(1, 100)


@pytest.fixture
def vw(backend: Container) -> Iterator[VoucherWorld]:
    yield build_vouchers(backend)
    assert ledger.reconcile(backend) == []  # whatever a test did, every balance is the sum of its entries


def sandbox(vw: VoucherWorld) -> SandboxPaymentGateway:
    """The confirming sandbox the test container pays through (it remembers refunds)."""
    gateway = vw.rt.payments.get("sandbox")
    assert isinstance(gateway, SandboxPaymentGateway)
    return gateway


def bal(vw: VoucherWorld, account: Account) -> int:
    with vw.rt.uow() as uow:
        return uow.ledger.balance(account)


def test_a12_a_grant_moves_the_face_value_from_the_fund_to_the_voucher(vw: VoucherWorld) -> None:
    assert vw.balance() == 10000
    assert bal(vw, voucher_fund(vw.general)) == -10000
    mine = grants.elder_vouchers(vw.rt, vw.mw.p("elder_A"), vw.mw.elder)
    assert [(v.balance_fen, v.status, v.elder_name) for v in mine] == [(10000, "active", "老人A")]
    listed = grants.list_vouchers(vw.rt, vw.mw.p("admin_A"), ALL)
    assert [v.id for v in listed.items] == [vw.voucher]
    assert listed.items[0].elder_name != "老人A"  # masked in the back office's lists


def test_a12_grants_respect_the_per_elder_limit_quota_and_batch_state(vw: VoucherWorld) -> None:
    vw.grant(vw.general, login="admin_A")  # a second 通用券: the limit is two
    with pytest.raises(ValidationFailed) as refused:
        vw.grant(vw.general)
    assert {e.code for e in refused.value.errors} == {"VOUCHER_PER_ELDER_LIMIT"}
    tiny = batch(vw.rt, "限量券", 1000, quota=1)
    vw.grant(tiny, "A")
    with pytest.raises(ValidationFailed) as exhausted:
        vw.grant(tiny, "A1")
    assert {e.code for e in exhausted.value.errors} == {"VOUCHER_QUOTA_EXHAUSTED"}
    draft = batch(vw.rt, "草稿券", 1000, issue=False)
    with pytest.raises(ValidationFailed) as not_issued:
        vw.grant(draft)
    assert {e.code for e in not_issued.value.errors} == {"VOUCHER_BATCH_NOT_ISSUING"}


def test_a12_a_grant_is_all_or_nothing(vw: VoucherWorld) -> None:
    elders = vw.mw.world.elders
    with pytest.raises(ValidationFailed):  # the third voucher for A passes the per-elder limit: none is granted
        grants.grant(vw.rt, operator(), GrantForm(batch_id=vw.general, elder_ids=[elders["A1"], elders["A"],
                                                                                   elders["A"]]))
    assert grants.list_vouchers(vw.rt, operator(), ALL, elder_id=elders["A1"]).total == 0
    assert bal(vw, voucher_fund(vw.general)) == -10000


def test_a12_grants_and_records_stay_within_the_callers_scope(vw: VoucherWorld) -> None:
    with pytest.raises(NotFound):  # B's admin may not grant to A's elder
        vw.grant(vw.general, "A", login="admin_B")
    with pytest.raises(PermissionDenied):
        vw.grant(vw.general, login="elder_A")
    with pytest.raises(PermissionDenied):
        admin.create_batch(vw.rt, vw.mw.p("admin_A"), admin.BatchForm(name="x"))
    assert grants.list_vouchers(vw.rt, vw.mw.p("admin_B"), ALL).total == 0
    with pytest.raises(NotFound):
        grants.get_voucher(vw.rt, vw.mw.p("admin_B"), vw.voucher)
    with pytest.raises(NotFound):
        grants.elder_vouchers(vw.rt, vw.mw.p("admin_B"), vw.mw.elder)
    assert grants.get_voucher(vw.rt, vw.mw.p("family_F"), vw.voucher).balance_fen == 10000


def test_pay_mixed_vouchers_first_then_cash(vw: VoucherWorld) -> None:
    """PAY ▲: ¥150 of 上门助浴 — ¥100 from the voucher, ¥50 through the channel; the seller is owed ¥100 by the
    government and holds ¥50 cash."""
    trade = vw.mw.buy(("bath", 1), pay=False)
    paid = checkout.pay(vw.rt, vw.mw.p("elder_A"), trade.id, use_vouchers=True)
    assert (paid.status, paid.voucher_fen, paid.cash_fen) == ("paid", 10000, 5000)
    assert paid.sub_orders[0].voucher_paid_fen == 10000
    a = vw.mw.world.inst["A"]
    assert (vw.balance(), bal(vw, institution_vouchers(a)), bal(vw, institution_cash(a))) == (0, 10000, 5000)
    spends = records.list_spends(vw.rt, vw.mw.p("admin_A"), ALL, SpendQuery())
    assert [(s.amount_fen, s.status, s.trade_number) for s in spends.items] == [(10000, "spent", paid.number)]
    assert records.list_spends(vw.rt, vw.mw.p("admin_B"), ALL, SpendQuery()).total == 0


def test_vouchers_paying_the_whole_trade_pay_it_at_once(vw: VoucherWorld) -> None:
    trade = vw.mw.buy(("diapers", 1), address=vw.mw.address, pay=False)  # ¥80 < ¥100
    paid = checkout.pay(vw.rt, vw.mw.p("elder_A"), trade.id, use_vouchers=True)
    assert (paid.status, paid.pay_channel, paid.voucher_fen, paid.cash_fen) == ("paid", "voucher", 8000, 0)
    assert vw.balance() == 2000


def test_a11_vouchers_pay_only_at_procurement_institutions(vw: VoucherWorld) -> None:
    trade = checkout.checkout(vw.rt, vw.mw.p("elder_A"), checkout.CheckoutForm(
        elder_id=vw.mw.elder, address_id=vw.mw.far_address, items=[checkout.CartItem(
            product_id=vw.mw.products["nursing_B"], appointment_at=vw.mw.now + timedelta(hours=4))]))
    paid = checkout.pay(vw.rt, vw.mw.p("elder_A"), trade.id, use_vouchers=True)
    assert (paid.voucher_fen, paid.cash_fen) == (0, 12000)
    assert vw.balance() == 10000
    admin.take_off_list(vw.rt, operator(), vw.mw.world.inst["A"], "合同到期")
    again = checkout.pay(vw.rt, vw.mw.p("elder_A"), vw.mw.buy(("bath", 1), pay=False).id, use_vouchers=True)
    assert again.voucher_fen == 0


def test_a12_a_voucher_pays_only_for_its_categories(vw: VoucherWorld) -> None:
    bath_voucher = vw.grant(vw.bath)
    admin.close_batch(vw.rt, operator(), vw.general)  # closing stops grants only: A's 通用券 still pays
    trade = vw.mw.buy(("rehab", 1), ("bath", 1), pay=False)  # ¥200 康复 + ¥150 助浴
    paid = checkout.pay(vw.rt, vw.mw.p("elder_A"), trade.id, use_vouchers=True)
    assert paid.voucher_fen == 15000
    assert vw.balance(bath_voucher) == 0  # the 助浴券 paid for 助浴 only …
    assert vw.balance() == 0  # … and the 通用券 for the rest it could


def test_pay_refund_goes_back_to_each_source_in_proportion(vw: VoucherWorld) -> None:
    """A ¥150 visit paid ¥100 + ¥50 and cancelled: ¥100 back on the voucher, ¥50 back through the channel."""
    trade = checkout.pay(vw.rt, vw.mw.p("elder_A"), vw.mw.buy(("bath", 1), pay=False).id, use_vouchers=True)
    sub = trade.sub_orders[0]
    done = fulfilment.cancel_order(vw.rt, vw.mw.p("elder_A"), sub.id, "临时有事")
    assert (done.refunded_fen, done.voucher_refunded_fen) == (15000, 10000)
    assert vw.balance() == 10000
    assert sandbox(vw).refunded_total(trade.number) == 5000
    a = vw.mw.world.inst["A"]
    assert (bal(vw, institution_vouchers(a)), bal(vw, institution_cash(a))) == (0, 0)


def test_pay_partial_refunds_split_exactly_between_vouchers_and_cash(vw: VoucherWorld) -> None:
    trade = checkout.pay(vw.rt, vw.mw.p("elder_A"), vw.mw.buy(("diapers", 2), pay=False).id, use_vouchers=True)
    sub = trade.sub_orders[0]  # ¥160: ¥100 voucher, ¥60 cash
    request = aftersales.request_after_sale(vw.rt, vw.mw.p("elder_A"), AfterSaleForm(
        sub_order_id=sub.id, line_no=1, type="refund", quantity=1, amount_fen=8000, reason="只要一包"))
    aftersales.review_after_sale(vw.rt, vw.mw.p("admin_A"), request.id, approve=True)
    order = fulfilment.get_order(vw.rt, vw.mw.p("elder_A"), sub.id)
    assert (order.refunded_fen, order.voucher_refunded_fen) == (8000, 5000)  # 100:60 of ¥80
    assert vw.balance() == 5000
    assert sandbox(vw).refunded_total(trade.number) == 3000


def test_pay_held_vouchers_come_back_when_the_trade_closes_unpaid(vw: VoucherWorld) -> None:
    from yiyangkang.services.vouchers import spending

    trade = vw.mw.buy(("bath", 1), pay=False)
    with vw.rt.uow() as uow:
        uow.write_first()
        found = uow.trades.lock(trade.id)
        assert found is not None
        subs = uow.mall_orders.of_trade(trade.id)
        assert spending.hold(uow, vw.rt.ids, found, subs, vw.today, vw.mw.now).fen == 10000
        uow.trades.save(found)
        for s in subs:
            uow.mall_orders.save(s)
        uow.commit()
    assert vw.balance() == 0
    vw.rt.clock.advance(hours=2)  # type: ignore[attr-defined]
    assert checkout.close_unpaid(vw.rt) == 1
    assert vw.balance() == 10000
    spends = records.list_spends(vw.rt, operator(), ALL, SpendQuery())
    assert [s.status for s in spends.items] == [SpendStatus.RELEASED.value]


def test_expiry_returns_what_is_left_to_the_fund_once(vw: VoucherWorld) -> None:
    checkout.pay(vw.rt, vw.mw.p("elder_A"), vw.mw.buy(("diapers", 1), pay=False).id, use_vouchers=True)
    assert expire_vouchers(vw.rt) == 0
    vw.rt.clock.advance(days=92)  # type: ignore[attr-defined]
    assert expire_vouchers(vw.rt) == 1
    assert expire_vouchers(vw.rt) == 0
    assert vw.balance() == 0
    assert bal(vw, voucher_fund(vw.general)) == -8000  # ¥20 came back
    (v,) = grants.elder_vouchers(vw.rt, vw.mw.p("elder_A"), vw.mw.elder)
    assert (v.status, v.expired_fen) == ("expired", 2000)


def test_a_refund_after_expiry_goes_to_the_fund(vw: VoucherWorld) -> None:
    trade = checkout.pay(vw.rt, vw.mw.p("elder_A"), vw.mw.buy(("diapers", 1), pay=False).id, use_vouchers=True)
    vw.rt.clock.advance(days=92)  # type: ignore[attr-defined]
    expire_vouchers(vw.rt)
    fulfilment.cancel_order(vw.rt, vw.mw.p("admin_A"), trade.sub_orders[0].id, "缺货")
    assert vw.balance() == 0
    assert bal(vw, voucher_fund(vw.general)) == 0  # all ¥100 back in the fund


def test_a12_batches_issued_change_only_in_description_and_quota(vw: VoucherWorld) -> None:
    current = admin.get_batch(vw.rt, operator(), vw.general)
    form = admin.BatchForm(name=current.name, face_value_fen=20000, valid_from=current.valid_from,
                           valid_until=current.valid_until, quota=current.quota, per_elder=2)
    with pytest.raises(ValidationFailed) as refused:
        admin.update_batch(vw.rt, operator(), vw.general, form)
    assert {e.field for e in refused.value.errors} == {"face_value_fen"}
    with pytest.raises(Conflict):
        admin.issue_batch(vw.rt, operator(), vw.general)


def test_the_reconciliation_notices_a_corrupted_voucher_balance(sql_backend: Container) -> None:
    from sqlalchemy import update

    from yiyangkang.adapters.sqlalchemy.tables_ledger import ledger_accounts

    vw = build_vouchers(sql_backend)
    assert vw.rt.engine is not None
    with vw.rt.engine.begin() as conn:
        key = Account(Owner.VOUCHER, vw.voucher, Purse.VOUCHER).key
        conn.execute(update(ledger_accounts).where(ledger_accounts.c.key == key).values(balance=9999))
    (found,) = ledger.reconcile(vw.rt)
    assert (found.stored, found.summed) == (9999, 10000)
    with vw.rt.engine.begin() as conn:
        conn.execute(update(ledger_accounts).where(ledger_accounts.c.key == key).values(balance=10000))
