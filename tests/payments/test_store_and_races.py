"""PAY — the payment store on every backend (notifications recorded and filtered; refunds in flight added once and
followed) and the notification race on SQLite and PostgreSQL: the same notification delivered by eight threads at
once pays the trade once, books one payment, and every delivery is answered with success."""

from __future__ import annotations

from datetime import timedelta

import attrs

from tests import racing
from tests.conftest import FrozenClock
from tests.mall.setup import build_mall
from tests.payments.setup import with_providers
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.mall.orders import TradeStatus
from yiyangkang.domain.money.ledger import Account, Owner, Purse
from yiyangkang.ports.payments import NoticeOutcome, NoticeRecord, PendingRefund, RefundState
from yiyangkang.services import payments
from yiyangkang.services.mall import checkout


def _notice(n: int, clock: FrozenClock, **kw: object) -> NoticeRecord:
    values: dict[str, object] = {
        "id": f"N{n:03d}", "channel": "wechat", "received_at": clock.now() + timedelta(minutes=n),
        "trade_number": f"T{n % 3}", "outcome": NoticeOutcome.ACCEPTED, "reason": "", "body_sha256": "ab" * 32}
    values.update(kw)
    return NoticeRecord(**values)  # type: ignore[arg-type]


def test_notices_are_recorded_and_filtered(backend: Container, clock: FrozenClock) -> None:
    """PAY: notices newest first, filtered by channel, outcome, trade and time; a rolled-back unit records nothing."""
    with backend.uow() as uow:
        for n in range(6):
            uow.payments.record_notice(_notice(n, clock, channel="alipay" if n % 2 else "wechat",
                                               outcome=NoticeOutcome.REFUSED if n == 5 else NoticeOutcome.ACCEPTED,
                                               reason="BAD_SIGNATURE" if n == 5 else ""))
        uow.commit()
    with backend.uow() as uow:
        uow.payments.record_notice(_notice(9, clock))  # never committed
    with backend.uow() as uow:
        everything = uow.payments.notices(PageRequest(1, 4))
        assert everything.total == 6 and [n.id for n in everything.items] == ["N005", "N004", "N003", "N002"]
        assert [n.id for n in uow.payments.notices(PageRequest(2, 4)).items] == ["N001", "N000"]
        assert [n.id for n in uow.payments.notices(PageRequest(), channel="alipay").items] == ["N005", "N003", "N001"]
        [refused] = uow.payments.notices(PageRequest(), outcome=NoticeOutcome.REFUSED).items
        assert (refused.reason, refused.trade_number, refused.received_at) == (
            "BAD_SIGNATURE", "T2", clock.now() + timedelta(minutes=5))
        assert [n.id for n in uow.payments.notices(PageRequest(), trade_number="T0").items] == ["N003", "N000"]
        window = uow.payments.notices(PageRequest(), since=clock.now() + timedelta(minutes=2),
                                      until=clock.now() + timedelta(minutes=4))
        assert [n.id for n in window.items] == ["N003", "N002"]


def test_refunds_in_flight_are_added_once_and_followed(backend: Container, clock: FrozenClock) -> None:
    """PAY: a refund in flight is remembered once (a retry adds nothing), its state saved, listed by state."""
    refund = PendingRefund(refund_number="R1", channel="unionpay", trade_number="T1", refund_id="Q1",
                           amount=Money(1234), state=RefundState.PROCESSING, created_at=clock.now(),
                           checked_at=clock.now(), message="PROCESSING", reference="20261125100000")
    with backend.uow() as uow:
        uow.payments.add_refund(refund)
        uow.commit()
    with backend.uow() as uow:
        uow.payments.add_refund(attrs.evolve(refund, amount=Money(1)))  # the same number again
        uow.commit()
    with backend.uow() as uow:
        assert uow.payments.refunds() == [refund]
        failed = attrs.evolve(refund, state=RefundState.FAILED, checked_at=clock.now() + timedelta(hours=1))
        uow.payments.save_refund(failed)
        uow.commit()
    with backend.uow() as uow:
        assert uow.payments.refunds(state=RefundState.PROCESSING) == []
        assert uow.payments.refunds(state=RefundState.FAILED) == [failed]


def test_parallel_deliveries_of_one_notification_pay_once(sql_backend: Container, clock: FrozenClock) -> None:
    """PAY: notifications are processed under the trade's lock: eight deliveries of the same notification at once
    (each provider's) pay each trade once, book one payment, and all are answered with success."""
    rt, providers = with_providers(sql_backend, clock)
    world = build_mall(rt)
    for channel, body_of in (("wechat", lambda n: providers.wechat.pay(n)),
                             ("unionpay", lambda n: ({}, providers.unionpay.pay(n)))):
        trade = world.buy(("diapers", 1), pay=False)
        checkout.pay(rt, world.p("elder_A"), trade.id, channel)
        headers, body = body_of(trade.number)
        answers = racing.race(8, lambda _i, h=headers, b=body, c=channel: payments.receive_notice(rt, c, h, b),
                              catch=Exception)
        outcomes = sorted(a.outcome.value for a in answers)  # type: ignore[attr-defined]
        assert outcomes == ["accepted"] + ["duplicate"] * 7, answers
        assert {a.reply.status for a in answers} == {204 if channel == "wechat" else 200}  # type: ignore[attr-defined]
        with rt.uow() as uow:
            saved = uow.trades.get(trade.id)
            assert saved is not None and saved.status is TradeStatus.PAID
            assert uow.ledger.balance(Account(Owner.PROVIDER, channel, Purse.CASH)) == -8000
