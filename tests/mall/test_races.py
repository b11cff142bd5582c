"""Parallel mall commands on the real databases (SQLite and PostgreSQL): each thread runs its own use case, with
its own unit of work, as parallel requests would. PostgreSQL is the one that matters (row locks must serialise
everything); SQLite must hold the same invariants, though it may answer a loser with 409 CONCURRENT_UPDATE
("database is locked") where PostgreSQL queues it."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

import pytest

from tests import racing
from tests.mall.setup import MallWorld, build_mall
from yiyangkang.adapters.payments.sandbox import SandboxPaymentGateway
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.errors import ConcurrentUpdate, Conflict, DomainError, ValidationFailed
from yiyangkang.services.mall import aftersales, catalogue, checkout, fulfilment
from yiyangkang.services.mall.aftersales import AfterSaleForm
from yiyangkang.services.mall.checkout import CartItem, CheckoutForm
from yiyangkang.services.mall.views import AfterSaleView, SubOrderView, TradeView

BUYERS = ("elder_A", "family_F", "admin_A")


@pytest.fixture
def w(sql_backend: Container) -> MallWorld:
    world = build_mall(sql_backend)
    for login in (*BUYERS, "staff_A"):
        world.p(login)  # resolve every principal once, before any thread runs
    return world


def on_sqlite(w: MallWorld) -> bool:
    engine = w.rt.engine
    assert engine is not None
    name: str = engine.dialect.name
    return name == "sqlite"


def gateway(w: MallWorld) -> SandboxPaymentGateway:
    """The sandbox payment provider the test container runs with (it remembers charges and refunds)."""
    payments = w.rt.payments.get("sandbox")
    assert isinstance(payments, SandboxPaymentGateway)
    return payments


def race(n: int, fn: Callable[[int], object]) -> list[object]:
    """Every exception kept (a server error then fails an assertion rather than vanishing in a thread)."""
    return racing.race(n, fn, catch=Exception)


def code_of(result: object) -> str:
    return result.code if isinstance(result, DomainError) else ""


def field_codes(result: object) -> set[str]:
    return {e.code for e in result.errors} if isinstance(result, ValidationFailed) else set()


def stock_and_sales(w: MallWorld, key: str) -> tuple[int | None, int]:
    product = catalogue.get_seller_product(w.rt, w.p("admin_A"), w.products[key])
    return product.stock, product.sales


def set_stock(w: MallWorld, key: str, stock: int) -> None:
    now, _ = stock_and_sales(w, key)
    assert now is not None
    if now != stock:
        catalogue.adjust_stock(w.rt, w.p("admin_A"), w.products[key], stock - now, reason="并发测试备货")
    assert stock_and_sales(w, key)[0] == stock


def test_parallel_checkouts_never_oversell(w: MallWorld) -> None:
    """M-05 (P-02 goods): 20 buyers at once (the elder, the family member and admin_A on the elder's behalf, mixed)
    each check out and pay one unit of a delivered product with stock 5: exactly 5 trades are sold and paid, the
    other 15 are refused with 409 MALL_OUT_OF_STOCK and nothing else (no other error, no server error); the stock
    ends at 0, never below, and the sales count is 5. On PostgreSQL the atomic `UPDATE … WHERE stock >= n`
    serialises everything, so no loser sees CONCURRENT_UPDATE; SQLite may answer some losers that way instead."""
    set_stock(w, "diapers", 5)

    def buy(i: int) -> object:
        return w.buy(("diapers", 1), login=BUYERS[i % len(BUYERS)])

    results = race(20, buy)
    sold = [r for r in results if isinstance(r, TradeView)]
    refused = [r for r in results if code_of(r) == "MALL_OUT_OF_STOCK"]
    # SQLite only: a thread that could not get the database's write lock in time is a 409 CONCURRENT_UPDATE.
    busy = [r for r in results if isinstance(r, ConcurrentUpdate)] if on_sqlite(w) else []
    assert len(sold) + len(refused) + len(busy) == 20, results
    assert all(type(r) is Conflict for r in refused), refused
    assert {t.status for t in sold} == {"paid"}
    assert len({t.number for t in sold}) == len(sold)
    assert stock_and_sales(w, "diapers") == (5 - len(sold), len(sold))
    if not busy:
        assert (len(sold), len(refused)) == (5, 15)
        assert stock_and_sales(w, "diapers") == (0, 5)


def _refund_forms(rnd: random.Random, order_id: str, line_no: int) -> list[AfterSaleForm]:
    """10 refund requests on one 2-unit line paid 16000 fen: a few ask the whole line (both units, 16000 fen),
    the others one unit and a random amount large enough that two of them can together ask too much."""
    whole = set(rnd.sample(range(10), 3))
    return [AfterSaleForm(sub_order_id=order_id, line_no=line_no, type="refund", quantity=2 if i in whole else 1,
                          amount_fen=16000 if i in whole else rnd.randint(1000, 15000), reason=f"不需要了（{i}）")
            for i in range(10)]


def test_parallel_after_sale_requests_never_exceed_what_was_paid(w: MallWorld) -> None:
    """A-07 (P-02 售后): 10 refund requests at once on one line (2 units of ¥80, paid 16000 fen), each asking the
    whole line or a random amount: the accepted requests together never ask back more than the line was paid
    (nor more units than were bought); each refused one is a 422 REFUND_EXCEEDS_PAID (or OUT_OF_RANGE on the
    quantity). Then admin_A approves every accepted request at once: the money sent back through the payment
    gateway and the sub-order's refunded amount agree and never exceed the 16000 fen paid, and the refunded
    units go back to stock. Four rounds (a fresh purchase each) with different random requests."""
    set_stock(w, "diapers", 8)
    rnd = random.Random(20261125)
    who = [w.p("elder_A"), w.p("family_F")]
    admin = w.p("admin_A")
    for round_ in range(4):
        trade = w.buy(("diapers", 2))
        order = next(s for s in trade.sub_orders if s.fulfilment == "delivery")
        line = order.lines[0]
        assert (line.quantity, line.paid_fen, order.paid_fen) == (2, 16000, 16000)
        stock_before, _ = stock_and_sales(w, "diapers")
        forms = _refund_forms(rnd, order.id, line.line_no)

        def request(i: int, forms: list[AfterSaleForm] = forms) -> object:
            return aftersales.request_after_sale(w.rt, who[i % 2], forms[i])

        results = race(10, request)

        accepted = [(forms[i], r) for i, r in enumerate(results) if isinstance(r, AfterSaleView)]
        refused = [r for r in results if isinstance(r, ValidationFailed)]
        # SQLite only: a thread that could not get the database's write lock in time is a 409 CONCURRENT_UPDATE.
        busy = [r for r in results if isinstance(r, ConcurrentUpdate)] if on_sqlite(w) else []
        assert len(accepted) + len(refused) + len(busy) == 10, results
        assert accepted, results
        for err in refused:
            assert field_codes(err) and field_codes(err) <= {"REFUND_EXCEEDS_PAID", "OUT_OF_RANGE"}, err.errors
        asked = sum(view.amount_fen for _, view in accepted)
        units = sum(view.quantity for _, view in accepted)
        assert asked <= 16000 and units <= 2, (round_, [(f.quantity, f.amount_fen) for f, _ in accepted])
        assert all(view.amount_fen == form.amount_fen and view.status == "pending" for form, view in accepted)
        held = fulfilment.get_order(w.rt, admin, order.id).lines[0]
        assert (held.refundable_fen, held.refunded_fen) == (16000 - asked, 0)


        ids = [view.id for _, view in accepted]

        def approve(i: int, ids: list[str] = ids) -> object:
            return aftersales.review_after_sale(w.rt, admin, ids[i], approve=True, note="同意退款")

        reviews = race(len(accepted), approve)
        # SQLite only: an approval that lost the write lock changed nothing (the refund is sent only once the
        # lock is held), so it is simply approved again, alone.
        retry = [accepted[i][1].id for i, r in enumerate(reviews) if isinstance(r, ConcurrentUpdate) and on_sqlite(w)]
        reviews = [r for r in reviews if not (isinstance(r, ConcurrentUpdate) and on_sqlite(w))]
        reviews += [aftersales.review_after_sale(w.rt, admin, ident, approve=True, note="同意退款") for ident in retry]
        assert all(isinstance(r, AfterSaleView) and r.status == "refunded" for r in reviews), reviews

        settled = fulfilment.get_order(w.rt, admin, order.id)
        sent = gateway(w).refunded_total(trade.number)
        assert sent == settled.refunded_fen == settled.lines[0].refunded_fen == asked <= 16000
        assert settled.lines[0].refundable_fen == 16000 - asked
        assert settled.lines[0].cancelled == units
        assert settled.status == ("closed" if units == 2 else "pending_shipment")
        assert stock_and_sales(w, "diapers")[0] == (stock_before or 0) + units


def test_parallel_verifications_of_one_pickup_code_verify_once(w: MallWorld) -> None:
    """P-02 (自提核销, A-05): the same pickup code scanned by 5 counters at once is verified exactly once; the
    other 4 get 409 MALL_ORDER_NOT_VERIFIABLE (SQLite may say CONCURRENT_UPDATE instead); the order is completed
    with its units fulfilled once, and the stock and sales counts are those of one sale."""
    trade = w.buy(("walker", 2))
    order = next(s for s in trade.sub_orders if s.fulfilment == "pickup")
    assert order.verify_code is not None and order.status == "pending_pickup"
    after_sale = stock_and_sales(w, "walker")
    assert after_sale == (1, 2)
    who = [w.p("admin_A"), w.p("staff_A")]
    code = order.verify_code
    results = race(5, lambda i: fulfilment.verify(w.rt, who[i % 2], code))

    done = [r for r in results if isinstance(r, SubOrderView)]
    refused = [r for r in results if code_of(r) == "MALL_ORDER_NOT_VERIFIABLE"]
    # SQLite only: a thread that could not get the database's write lock in time is a 409 CONCURRENT_UPDATE.
    busy = [r for r in results if isinstance(r, ConcurrentUpdate)] if on_sqlite(w) else []
    assert len(done) == 1, results
    assert len(done) + len(refused) + len(busy) == 5, results
    assert done[0].status == "completed"
    final = fulfilment.get_order(w.rt, w.p("admin_A"), order.id)
    assert final.status == "completed"
    assert [(ln.quantity, ln.fulfilled) for ln in final.lines] == [(2, 2)]
    verified = [e for e in fulfilment.order_events(w.rt, w.p("admin_A"), order.id) if e.name.endswith("verified")]
    assert len(verified) == 1, verified
    assert stock_and_sales(w, "walker") == after_sale


def test_cancel_racing_payment_has_one_winner(w: MallWorld) -> None:
    """M-05 (取消 vs 支付): an unpaid trade cancelled by one member of the elder's side while another pays it: exactly
    one of the two wins, the other gets 409 MALL_TRADE_NOT_UNPAID; a closed trade has given its stock back and
    was never charged, a paid one keeps its stock taken and counts as a sale. Several rounds, alternating who
    starts first, so that a lucky serialisation cannot hide the race."""
    set_stock(w, "diapers", 10)
    stock, sales = 10, 0
    elder, family = w.p("elder_A"), w.p("family_F")
    for round_ in range(6):
        form = CheckoutForm(elder_id=w.elder, address_id=w.address, items=[
            CartItem(product_id=w.products["diapers"], quantity=1, appointment_at=w.now + timedelta(hours=4))])
        trade = checkout.checkout(w.rt, family, form)
        assert trade.status == "unpaid"
        assert stock_and_sales(w, "diapers") == (stock - 1, sales)
        charges = len(gateway(w).charges)

        def act(i: int, trade_id: str = trade.id, first: int = round_ % 2) -> object:
            if i == first:
                return checkout.pay(w.rt, elder, trade_id)
            return checkout.cancel_trade(w.rt, family, trade_id, reason="不想要了")

        results = race(2, act)
        won = [r for r in results if isinstance(r, TradeView)]
        lost = [r for r in results if code_of(r) == "MALL_TRADE_NOT_UNPAID"]
        # SQLite only: the loser may fail to get the database's write lock in time (409 CONCURRENT_UPDATE).
        busy = [r for r in results if isinstance(r, ConcurrentUpdate)] if on_sqlite(w) else []
        assert len(won) == 1 and len(lost) + len(busy) == 1, results
        final = checkout.get_trade(w.rt, family, trade.id)
        assert final.status == won[0].status
        subs = {s.status for s in final.sub_orders}
        if final.status == "closed":
            assert subs == {"cancelled"}
            assert len(gateway(w).charges) == charges
        else:
            assert final.status == "paid" and subs == {"pending_shipment"}
            assert len(gateway(w).charges) == charges + 1
            stock, sales = stock - 1, sales + 1
        assert stock_and_sales(w, "diapers") == (stock, sales), (round_, final.status)
