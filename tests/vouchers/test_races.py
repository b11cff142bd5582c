"""Vouchers under parallel payments (PAY ▲, A-12), on SQLite and PostgreSQL: 50 trades paying at once with
one elder's voucher never overdraw it — what the paid trades took from it is exactly what it lost."""

from __future__ import annotations

from datetime import timedelta

from tests.racing import race
from tests.vouchers.setup import batch, build_vouchers
from yiyangkang.bootstrap import Container
from yiyangkang.services import ledger
from yiyangkang.services.mall import checkout
from yiyangkang.services.mall.checkout import CartItem, CheckoutForm
from yiyangkang.services.mall.views import TradeView


def test_pay_50_parallel_voucher_payments_never_overdraw_one_voucher(sql_backend: Container) -> None:
    vw = build_vouchers(sql_backend)
    big = batch(vw.rt, "大额券", 100000, per_elder=1)  # ¥1,000 on one voucher, ¥100 on the other
    voucher = vw.grant(big)
    elder = vw.mw.p("elder_A")
    trades = [checkout.checkout(vw.rt, elder, CheckoutForm(
        elder_id=vw.mw.elder, address_id=vw.mw.address, items=[CartItem(
            product_id=vw.mw.products["bath"], appointment_at=vw.mw.now + timedelta(hours=4 + i))])) for i in range(50)]

    results = race(50, lambda i: checkout.pay(vw.rt, elder, trades[i].id, use_vouchers=True), catch=Exception)

    paid = [r for r in results if isinstance(r, TradeView)]
    refused = [r for r in results if not isinstance(r, TradeView)]
    # The elder's vouchers are locked while a payment decides how much to take: each sees what the others
    # left, so every payment goes through (vouchers first, the rest in cash) and none overdraws.
    assert refused == [], refused
    assert all(r.status == "paid" and r.voucher_fen + r.cash_fen == 15000 for r in paid)
    spent = sum(r.voucher_fen for r in paid)
    left = vw.balance(voucher) + vw.balance()
    assert left >= 0 and vw.balance(voucher) >= 0 and vw.balance() >= 0
    assert spent + left == 110000  # nothing created, nothing lost
    assert spent == 110000  # 50 × ¥150 is more than both vouchers hold: they were spent to the fen
    assert ledger.reconcile(vw.rt) == []
