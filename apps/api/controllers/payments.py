"""Payments (多元支付, PAY ▲): the providers' asynchronous notifications (public: the provider's signature is the
authentication) and, for the platform's operators, the record of every notification and the refunds in flight."""

import threading
import time
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import Parameter, QueryParameter

from apps.api.deps import read_headers, read_payload
from apps.api.errors import problem
from apps.api.schemas import PageOut
from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.ports.payments import NoticeOutcome, RefundState
from yiyangkang.services import payments
from yiyangkang.services.payments import NoticeView, RefundView


class TokenBucket:
    """Per-client throttle of the public notify endpoint (OWASP API6), in this process: `burst` at once, then
    `rate` a second. Providers send a handful a second at most; a flood of forgeries gets 429 before any RSA work."""

    def __init__(self, rate: float = 20.0, burst: int = 100, max_clients: int = 10_000) -> None:
        self.rate, self.burst, self.max_clients = rate, burst, max_clients
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # client → (tokens, at)

    def take(self, client: str, now: float | None = None) -> bool:
        at = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.burst), at))
            tokens = min(float(self.burst), tokens + (at - last) * self.rate)
            if len(self._buckets) >= self.max_clients and client not in self._buckets:
                self._buckets.clear()  # a cheap bound on memory; an attacker gains at most one fresh burst
            if tokens < 1:
                self._buckets[client] = (tokens, at)
                return False
            self._buckets[client] = (tokens - 1, at)
            return True


NOTIFY_THROTTLE = TokenBucket()


class PaymentNoticeController(Controller):
    path = "/api/v1/payments"
    tags = ["支付回调"]

    dependencies = {"payload": Provide(read_payload), "raw_headers": Provide(read_headers, sync_to_thread=False)}

    @post("/{channel:str}/notify", operation_id="paymentNotify", sync_to_thread=True, status_code=200,
          summary="支付平台异步通知（验签、解密后入账；重复通知不重复入账；按各平台要求的格式应答）", security=[],
          media_type="text/plain")
    def notify(self, rt: Container, request: Request[Any, Any, Any], channel: str, payload: bytes,
               raw_headers: dict[str, str]) -> Response[Any]:
        """No login: the provider's signature is the authentication. Accepted or already recorded: the provider's
        success answer (WeChat 204, Alipay `success`, UnionPay 200 `ok`); refused (forged, stale, another merchant
        or amount): its failure answer, so it retries, and nothing changes. Every outcome is recorded."""
        client = request.client.host if request.client else "unknown"
        if not NOTIFY_THROTTLE.take(f"{id(rt)}:{client}"):  # per app (tests run many), per client address
            return problem(429, "TOO_MANY_REQUESTS", "请求过于频繁，请稍后再试")
        answer = payments.receive_notice(rt, channel, raw_headers, payload)
        reply = answer.reply
        return Response(content=reply.body, status_code=reply.status, media_type=reply.media_type)


class PaymentAdminController(Controller):
    path = "/api/v1/payments"
    tags = ["支付对账"]

    @get("/notices", operation_id="listPaymentNotices", sync_to_thread=True,
         summary="支付通知记录（平台运营；只存报文摘要，不存报文）")
    def list_notices(
        self, rt: Container, principal: Principal, paging: PageRequest,
        channel: str | None = Parameter(default=None, max_length=16, pattern=r"^[a-z]+$"),
        outcome: NoticeOutcome | None = None,
        trade_number: str | None = Parameter(default=None, max_length=40, pattern=r"^[\w-]+$"),
        since: datetime | None = None, until: datetime | None = None,
    ) -> PageOut[NoticeView]:
        return PageOut.of(payments.list_notices(rt, principal, paging, channel=channel, outcome=outcome,
                                                trade_number=trade_number, since=since, until=until))

    @get("/refunds", operation_id="listPaymentRefunds", sync_to_thread=True,
         summary="退款跟踪（处理中与失败的退款，平台运营）")
    def list_refunds(self, rt: Container, principal: Principal,
                     refund_state: Annotated[RefundState | None, QueryParameter(name="state")] = None,
                     ) -> list[RefundView]:
        return payments.list_refunds(rt, principal, refund_state)
