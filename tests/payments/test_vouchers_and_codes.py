"""Vouchers and payment codes together (PAY ▲): a code issued for the whole amount is never left payable beside
vouchers, a cancelled trade's code is closed at the provider, and money a provider takes for a trade no longer
payable is refused and flagged for a manual refund — WeChat Pay over its protocol sandbox."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import FrozenClock
from tests.payments.setup import with_providers
from tests.vouchers.setup import build_vouchers
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.errors import Conflict
from yiyangkang.services import payments
from yiyangkang.services.mall import checkout


def test_pay_vouchers_are_refused_while_a_code_for_the_whole_amount_is_out(memory: Container,
                                                                          clock: FrozenClock) -> None:
    rt, _ = with_providers(memory, clock)
    vw = build_vouchers(rt)
    trade = vw.mw.buy(("diapers", 1), address=vw.mw.address, pay=False)  # ¥80; the voucher holds ¥100
    checkout.pay(rt, vw.mw.p("elder_A"), trade.id, "wechat")  # a Native code for ¥80 is out
    for channel in ("wechat", "alipay"):
        with pytest.raises(Conflict) as refused:
            checkout.pay(rt, vw.mw.p("elder_A"), trade.id, channel, use_vouchers=True)
        assert refused.value.code == "MALL_PAY_CODE_ISSUED"
    assert vw.balance() == 10000  # nothing held
    again = checkout.get_trade(rt, vw.mw.p("elder_A"), trade.id)
    assert (again.status, again.voucher_fen, again.pay_channel) == ("unpaid", 0, "wechat")


def test_pay_a_cancelled_trades_code_is_closed_and_its_vouchers_released(memory: Container,
                                                                         clock: FrozenClock) -> None:
    rt, providers = with_providers(memory, clock)
    vw = build_vouchers(rt)
    trade = vw.mw.buy(("bath", 1), pay=False)  # ¥150: ¥100 from the voucher, a code for ¥50
    paying = checkout.pay(rt, vw.mw.p("elder_A"), trade.id, "wechat", use_vouchers=True)
    assert (paying.voucher_fen, paying.cash_fen) == (10000, 5000)
    checkout.cancel_trade(rt, vw.mw.p("elder_A"), trade.id, "不要了")
    assert providers.wechat.orders[trade.number].state == "CLOSED"
    assert vw.balance() == 10000
    assert checkout.get_trade(rt, vw.mw.p("elder_A"), trade.id).voucher_fen == 0


def test_pay_money_for_a_trade_no_longer_payable_is_refused_and_flagged(memory: Container, clock: FrozenClock,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    """A closed trade hears of a payment anyway: refused as not payable (an error for the operators: refund it
    by hand), never mistaken for a wrong amount."""
    rt, providers = with_providers(memory, clock)
    vw = build_vouchers(rt)
    trade = vw.mw.buy(("bath", 1), pay=False)
    checkout.pay(rt, vw.mw.p("elder_A"), trade.id, "wechat")  # ¥150 code
    checkout.cancel_trade(rt, vw.mw.p("elder_A"), trade.id, "重新下单")
    providers.wechat.orders[trade.number].state = "NOTPAY"  # a provider that paid it anyway
    headers, body = providers.wechat.pay(trade.number)
    with caplog.at_level(logging.WARNING, logger="yiyangkang.payments"):
        answer = payments.receive_notice(rt, "wechat", headers, body)
    assert answer.reason == "MALL_TRADE_INVALID_TRANSITION"
    assert any(r.levelno >= logging.ERROR and "refund it by hand" in r.getMessage() for r in caplog.records)
