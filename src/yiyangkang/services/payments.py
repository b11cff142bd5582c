"""Payments (多元支付, PAY ▲): charging through the chosen channel, the providers' notifications (支付回调), refunds in
flight, and the reconciliation job that asks the providers about what never came back.

* A notification is verified by its channel's gateway, then confirmed once (the trade is locked by
  `checkout.confirm_payment`; a repeat changes nothing). Every outcome is recorded — accepted, duplicate or refused
  with a stable reason — with the SHA-256 of the body, never the body. A forged, stale, wrong-merchant or
  wrong-amount notification changes nothing and is answered so that the provider retries (the provider's own reply
  format: `PaymentGateway.notice_reply`).
* `reconcile_pending` queries the provider for every unpaid trade that has a code out (a notification may never
  come): paid there → confirmed here; past its deadline and unpaid there → closed there (`close_unpaid` closes ours).
  Refunds the provider took but had not settled are queried until they succeed or fail; failures are logged and
  listed for operators.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from attrs import frozen

from yiyangkang.domain.identity.policy import Operation, Visibility
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import Conflict, DomainError, NotFound, PermissionDenied
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.mall.orders import TradeOrder, TradeStatus
from yiyangkang.ports.payments import (
    Charge,
    ChargeRequest,
    NoticeOutcome,
    NoticeRecord,
    NoticeReply,
    PaymentNoticeRejected,
    PaymentProviderError,
    PendingRefund,
    RefundRequest,
    RefundResult,
    RefundState,
    TradeState,
)
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import require, visibility
from yiyangkang.services.mall import checkout
from yiyangkang.services.runtime import Runtime

log = logging.getLogger("yiyangkang.payments")
SHANGHAI = ZoneInfo("Asia/Shanghai")  # a time given without a zone is Beijing time

OUTCOME_LABELS = {NoticeOutcome.ACCEPTED: "已入账", NoticeOutcome.DUPLICATE: "重复或无需处理",
                  NoticeOutcome.REFUSED: "已拒绝"}
REFUND_LABELS = {RefundState.PROCESSING: "退款处理中", RefundState.SUCCEEDED: "退款成功",
                 RefundState.FAILED: "退款失败（需人工处理）"}
PAGE = 100


# -- charging and refunding (called by the mall's checkout inside its unit of work) ----------------------------------
def charge(rt: Runtime, trade: TradeOrder, request: ChargeRequest) -> Charge:
    """Charge through `request.channel`. Switching channels closes the code issued by the previous one first, so the
    payer cannot pay twice; a provider that refuses or cannot be reached is a 409 (nothing is written)."""
    gateway = rt.payments.get(request.channel)
    previous = rt.payments.find(trade.pay_channel) if trade.pay_channel else None
    if previous is not None and previous.channel != gateway.channel:
        try:
            previous.close(trade.number)
        except PaymentProviderError as exc:
            log.warning("switching channel: could not close trade=%s at %s: %s", trade.number, previous.channel,
                        exc.code)
            raise Conflict("原支付方式的付款码暂时无法关闭，请稍后再试或继续用原方式付款",
                           code="PAYMENT_SWITCH_REFUSED", details={"channel": previous.channel}) from None
    try:
        return gateway.charge(request)
    except PaymentProviderError as exc:
        log.warning("charge failed: trade=%s channel=%s code=%s", trade.number, gateway.channel, exc.code)
        raise Conflict("支付平台暂时无法下单，请稍后再试", code="PAYMENT_PROVIDER_ERROR",
                       details={"channel": gateway.channel, "provider_code": exc.code}) from None


def close_code(rt: Runtime, trade: TradeOrder) -> None:
    """Close the code a trade's channel issued (if any), so it can no longer be paid; a provider that cannot
    close it now is a 409 and nothing is written."""
    gateway = rt.payments.find(trade.pay_channel) if trade.pay_url else None
    if gateway is None:
        return
    try:
        gateway.close(trade.number)
    except PaymentProviderError as exc:
        log.warning("could not close trade=%s at %s: %s", trade.number, gateway.channel, exc.code)
        raise Conflict("支付平台暂时无法关闭付款码，请稍后再试", code="PAYMENT_CLOSE_REFUSED",
                       details={"channel": gateway.channel}) from None


def refund(rt: Runtime, uow: UnitOfWork, trade: TradeOrder, request: RefundRequest) -> RefundResult:
    """Refund through the channel the trade was paid by (原路退款). A refund the provider took but has not settled is
    remembered in `uow` and followed by `reconcile_pending`."""
    gateway = rt.payments.get(trade.pay_channel)
    try:
        result = gateway.refund(request)
    except PaymentProviderError as exc:
        return RefundResult(refund_id="", succeeded=False, message=exc.code)
    if result.succeeded and result.pending:
        now = rt.clock.now()
        uow.payments.add_refund(PendingRefund(
            refund_number=request.refund_number, channel=gateway.channel, trade_number=trade.number,
            refund_id=result.refund_id, amount=request.amount, state=RefundState.PROCESSING, created_at=now,
            checked_at=now, message=result.message, reference=result.reference))
    return result


# -- notifications ----------------------------------------------------------------------------------------------
@frozen
class NoticeAnswer:
    outcome: NoticeOutcome
    reason: str
    reply: NoticeReply


def receive_notice(rt: Runtime, channel: str, headers: Mapping[str, str], body: bytes) -> NoticeAnswer:
    """A provider's notification: verified, confirmed at most once, recorded whatever its outcome. No caller to
    authorize: the provider's signature is the authentication. An unknown channel is a 404."""
    gateway = rt.payments.find(channel)
    if gateway is None:
        raise NotFound("支付通道", channel)
    now = rt.clock.now()
    trade_number: str | None = None
    try:
        notice = gateway.parse_notice(headers, body, now)
        trade_number = notice.trade_number or None
        if not notice.paid:
            outcome, reason = NoticeOutcome.DUPLICATE, "NO_PAYMENT"
        elif checkout.confirm_payment(rt, notice.trade_number, notice.transaction_id, notice.amount, channel):
            outcome, reason = NoticeOutcome.ACCEPTED, ""
        else:
            outcome, reason = NoticeOutcome.DUPLICATE, "ALREADY_RECORDED"
    except PaymentNoticeRejected as exc:
        outcome, reason = NoticeOutcome.REFUSED, exc.reason
    except DomainError as exc:  # no such trade, another amount, a trade closed meanwhile: nothing changed
        outcome, reason = NoticeOutcome.REFUSED, exc.code
        if isinstance(exc, Conflict) and exc.code.endswith("INVALID_TRANSITION"):
            log.error("payment for a trade no longer payable: trade=%s channel=%s — refund it by hand",
                      trade_number, channel)
    if outcome is NoticeOutcome.REFUSED:
        log.warning("payment notice refused: channel=%s trade=%s reason=%s", channel, trade_number, reason)
    with rt.uow() as uow:
        uow.payments.record_notice(NoticeRecord(
            id=rt.ids.new_id(), channel=channel, received_at=now, trade_number=trade_number, outcome=outcome,
            reason=reason, body_sha256=hashlib.sha256(body).hexdigest()))
        uow.commit()
    return NoticeAnswer(outcome, reason, gateway.notice_reply(outcome is not NoticeOutcome.REFUSED))


@frozen
class NoticeView:
    id: str
    channel: str
    received_at: datetime
    trade_number: str | None
    outcome: str
    outcome_label: str
    reason: str
    body_sha256: str

    @classmethod
    def of(cls, n: NoticeRecord) -> NoticeView:
        return cls(n.id, n.channel, n.received_at, n.trade_number, n.outcome.value, OUTCOME_LABELS[n.outcome],
                   n.reason, n.body_sha256)


def list_notices(rt: Runtime, principal: Principal, page: PageRequest, *, channel: str | None = None,
                 outcome: NoticeOutcome | None = None, trade_number: str | None = None,
                 since: datetime | None = None, until: datetime | None = None) -> Page[NoticeView]:
    """支付通知记录, newest first: the platform's operators only (they hold no trade of an institution's)."""
    _require_everything(principal)
    since, until = (t.replace(tzinfo=SHANGHAI) if t is not None and t.tzinfo is None else t for t in (since, until))
    with rt.uow() as uow:
        return uow.payments.notices(page, channel=channel, outcome=outcome, trade_number=trade_number, since=since,
                                    until=until).map(NoticeView.of)


@frozen
class RefundView:
    refund_number: str
    channel: str
    trade_number: str
    refund_id: str
    amount_fen: int
    state: str
    state_label: str
    message: str
    created_at: datetime
    checked_at: datetime

    @classmethod
    def of(cls, r: PendingRefund) -> RefundView:
        return cls(r.refund_number, r.channel, r.trade_number, r.refund_id, r.amount.fen, r.state.value,
                   REFUND_LABELS[r.state], r.message, r.created_at, r.checked_at)


def list_refunds(rt: Runtime, principal: Principal, state: RefundState | None = None) -> list[RefundView]:
    """Refunds in flight and those that failed at the provider (for an operator to settle by hand)."""
    _require_everything(principal)
    with rt.uow() as uow:
        return [RefundView.of(r) for r in uow.payments.refunds(state=state)]


def _require_everything(principal: Principal) -> None:
    require(principal, Operation.PAYMENT_READ)
    if visibility(principal, Operation.PAYMENT_READ) != Visibility(everything=True):
        raise PermissionDenied()  # a narrower grant would still see every institution's payments: refuse it


# -- reconciliation ---------------------------------------------------------------------------------------------
@frozen
class ReconcileReport:
    checked: int  # unpaid trades with a code out
    paid: int  # paid at the provider, confirmed here now
    closed: int  # past their deadline and closed at the provider
    refunds_settled: int
    refunds_failed: int
    errors: int  # provider calls that failed (tried again next run)


def awaiting_payment(rt: Runtime) -> list[TradeOrder]:
    """Unpaid trades with a code out at a provider (a charge answered pay_url or pay_params)."""
    everything = Visibility(everything=True)
    found: list[TradeOrder] = []
    with rt.uow() as uow:
        n = 1
        while True:
            page = uow.trades.list(everything, PageRequest(n, PAGE), status=TradeStatus.UNPAID)
            found += [t for t in page.items if t.pay_channel]
            if n * PAGE >= page.total:
                return found
            n += 1


def reconcile_trade(rt: Runtime, trade: TradeOrder) -> str:
    """Ask the provider about one trade: "paid" (confirmed here now), "closed" (past its deadline, closed there),
    "error" (tried again next run) or "" (nothing to do)."""
    gateway = rt.payments.find(trade.pay_channel)
    if gateway is None:
        return ""
    try:
        found = gateway.query(trade.number, trade.created_at)
        if found.state is TradeState.PAID:
            amount = found.amount if found.amount is not None else trade.cash_due
            if checkout.confirm_payment(rt, trade.number, found.transaction_id, amount, gateway.channel):
                log.info("reconcile: trade=%s paid at %s, its notification missed", trade.number, gateway.channel)
                return "paid"
        elif found.state is TradeState.UNPAID and rt.clock.now() > trade.pay_deadline:
            gateway.close(trade.number)
            return "closed"
    except PaymentProviderError as exc:
        log.warning("reconcile: trade=%s channel=%s provider error %s", trade.number, gateway.channel, exc.code)
        return "error"
    except DomainError as exc:
        log.error("reconcile: trade=%s channel=%s not confirmed: %s", trade.number, gateway.channel, exc.code)
        return "error"
    return ""


def reconcile_pending(rt: Runtime, progress: Callable[[int, int], None] | None = None) -> ReconcileReport:
    """对账 with the providers (a job; safe to re-run and to run beside the notifications). `progress(done, total)`
    after each trade."""
    trades = awaiting_payment(rt)
    results: list[str] = []
    for trade in trades:
        results.append(reconcile_trade(rt, trade))
        if progress is not None:
            progress(len(results), len(trades))
    settled, failed, errors = follow_refunds(rt)
    return ReconcileReport(len(trades), results.count("paid"), results.count("closed"), settled, failed,
                           results.count("error") + errors)


def follow_refunds(rt: Runtime) -> tuple[int, int, int]:
    """Query the refunds in flight: (settled, failed, errors) of this run."""
    settled = failed = errors = 0
    with rt.uow() as uow:
        pending: Sequence[PendingRefund] = uow.payments.refunds(state=RefundState.PROCESSING)
    for refund in pending:
        gateway = rt.payments.find(refund.channel)
        if gateway is None:
            continue
        try:
            state = gateway.refund_status(refund.trade_number, refund.refund_number, refund.reference)
        except PaymentProviderError as exc:
            log.warning("reconcile: refund=%s channel=%s provider error %s", refund.refund_number, refund.channel,
                        exc.code)
            errors += 1
            continue
        if state is RefundState.FAILED:
            log.error("refund failed at the provider: refund=%s trade=%s channel=%s — settle it by hand",
                      refund.refund_number, refund.trade_number, refund.channel)
            failed += 1
        elif state is RefundState.SUCCEEDED:
            settled += 1
        with rt.uow() as uow:
            uow.payments.save_refund(PendingRefund(
                refund_number=refund.refund_number, channel=refund.channel, trade_number=refund.trade_number,
                refund_id=refund.refund_id, amount=refund.amount, state=state, created_at=refund.created_at,
                checked_at=rt.clock.now(), message=refund.message, reference=refund.reference))
            uow.commit()
    return settled, failed, errors
