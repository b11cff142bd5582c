"""What the code review of the mall found, proved fixed on the use cases (A-03, A-04, A-07, A-08, P-02)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import FrozenClock, operator
from tests.mall.setup import ALL, MallWorld, approved, build_mall
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiyangkang.domain.mall.review import ReviewSubject
from yiyangkang.services.mall import aftersales, catalogue, config, fulfilment, offers
from yiyangkang.services.mall.aftersales import AfterSaleForm
from yiyangkang.services.mall.catalogue import ProductForm
from yiyangkang.services.mall.exceptions import DESK
from yiyangkang.services.mall.offers import BuyGiftForm


@pytest.fixture
def w(memory: Container) -> MallWorld:
    return build_mall(memory)


def _gift_rule(w: MallWorld) -> None:
    """Buy 2 diapers, get 1 pack of wipes (both delivered)."""
    wipes = approved(w.rt, w.p("admin_A"), ProductForm(fulfilment="delivery", name="护理湿巾", price_fen=1500,
                                                       category_id=w.categories["goods"], stock=10, unit="包"))
    w.products["wipes"] = wipes
    rule = offers.create_rule(w.rt, w.p("admin_A"), BuyGiftForm(
        name="买2送1", buy_product_id=w.products["diapers"], buy_quantity=2, gift_product_id=wipes, gift_quantity=1,
        valid_from=w.now.date(), valid_until=w.now.date() + timedelta(days=30)))
    offers.review_offer(w.rt, operator(), ReviewSubject.PROMOTION, rule.id, approve=True)


def test_what_earned_a_gift_goes_back_only_after_the_gift(w: MallWorld) -> None:
    """A-04, A-07: refunding the units that earned a gift while keeping the gift is refused; the gift goes
    back first (for ¥0, stock back), then the purchase, and the order closes with everything refunded."""
    _gift_rule(w)
    sub = w.buy(("diapers", 2)).sub_orders[0]
    assert [(ln.name, ln.quantity, ln.paid_fen, ln.gift) for ln in sub.lines] == [
        ("成人纸尿裤 L码", 2, 16000, False), ("护理湿巾", 1, 0, True)]
    elder, admin = w.p("elder_A"), w.p("admin_A")
    with pytest.raises(Conflict) as refused:
        aftersales.request_after_sale(w.rt, elder, AfterSaleForm(sub_order_id=sub.id, line_no=1, type="refund",
                                                                 quantity=1, reason="买多了"))
    assert refused.value.code == "MALL_RETURN_GIFT_FIRST"
    gift = aftersales.request_after_sale(w.rt, elder, AfterSaleForm(sub_order_id=sub.id, line_no=2, type="refund",
                                                                    quantity=1, reason="赠品不要了"))
    assert gift.amount_fen == 0
    aftersales.review_after_sale(w.rt, admin, gift.id, approve=True)
    main = aftersales.request_after_sale(w.rt, elder, AfterSaleForm(sub_order_id=sub.id, line_no=1, type="refund",
                                                                    quantity=2, reason="不需要了"))
    aftersales.review_after_sale(w.rt, admin, main.id, approve=True)
    after = fulfilment.get_order(w.rt, elder, sub.id)
    assert (after.status, after.refunded_fen) == ("closed", 16000)
    assert catalogue.get_seller_product(w.rt, admin, w.products["wipes"]).stock == 10
    assert catalogue.get_seller_product(w.rt, admin, w.products["diapers"]).stock == 5


def test_a_gift_travels_the_way_its_purchase_does(w: MallWorld) -> None:
    """A-04: a rule whose gift is fulfilled differently from the purchase (a pickup walker for a delivered
    pack) is refused: the gift must be in the sub-order it belongs to."""
    with pytest.raises(ValidationFailed) as refused:
        offers.create_rule(w.rt, w.p("admin_A"), BuyGiftForm(
            name="买纸尿裤送助行器", buy_product_id=w.products["diapers"], buy_quantity=1,
            gift_product_id=w.products["walker"], gift_quantity=1, valid_from=w.now.date(),
            valid_until=w.now.date() + timedelta(days=5)))
    assert ("gift_product_id", "GIFT_FULFILMENT_MISMATCH") in {(e.field, e.code) for e in refused.value.errors}


def test_nobody_approves_their_own_edit(w: MallWorld) -> None:
    """A-03: with superior review, the parent's admin who edits a station's product cannot approve that edit."""
    config.update_mall_settings(w.rt, operator(), {"product_reviewer": "superior"})
    product = catalogue.create_product(w.rt, w.p("admin_A1"), ProductForm(
        fulfilment="home_visit", name="上门理发", category_id=w.categories["care"], price_fen=3000,
        standard_minutes=30))
    catalogue.review_product(w.rt, w.p("admin_A"), product.id, approve=True)
    catalogue.update_product(w.rt, w.p("admin_A"), product.id, ProductForm(price_fen=1))
    with pytest.raises(PermissionDenied) as refused:
        catalogue.review_product(w.rt, w.p("admin_A"), product.id, approve=True)
    assert refused.value.code == "MALL_REVIEW_OWN_SUBMISSION"
    assert catalogue.get_seller_product(w.rt, w.p("admin_A1"), product.id).live.price_fen == 3000  # type: ignore[union-attr]


def test_after_sales_are_the_buyers_to_ask(w: MallWorld) -> None:
    """A-07: the seller's staff can neither file nor withdraw the elder's request (404); staff who placed an
    order for an elder (起单) can."""
    sub = w.buy(("diapers", 2)).sub_orders[0]
    request = aftersales.request_after_sale(w.rt, w.p("elder_A"), AfterSaleForm(
        sub_order_id=sub.id, line_no=1, type="refund", quantity=1, reason="买多了"))
    for login in ("staff_A", "admin_A"):
        with pytest.raises(NotFound):
            aftersales.withdraw_after_sale(w.rt, w.p(login), request.id)
        with pytest.raises(NotFound):
            aftersales.request_after_sale(w.rt, w.p(login), AfterSaleForm(
                sub_order_id=sub.id, line_no=1, type="refund", quantity=1, reason="代客申请"))
    placed = w.buy(("diapers", 1), login="staff_A").sub_orders[0]
    mine = aftersales.request_after_sale(w.rt, w.p("staff_A"), AfterSaleForm(
        sub_order_id=placed.id, line_no=1, type="refund", quantity=1, reason="老人不要了"))
    assert aftersales.withdraw_after_sale(w.rt, w.p("staff_A"), mine.id).status == "withdrawn"


def test_exception_clocks_follow_what_the_seller_can_do(w: MallWorld, clock: FrozenClock) -> None:
    """A-08: a parcel shipped in part still times out for the rest; a visit held by the elder's refund request
    is not late nor undispatched on the seller's account."""
    parcel = w.buy(("diapers", 3)).sub_orders[0]
    fulfilment.ship(w.rt, w.p("admin_A"), parcel.id, fulfilment.ShipForm(carrier="顺丰速运",
                                                                         tracking_no="SF1", units={1: 1}))
    visit = w.buy(("bath", 1), hours=2).sub_orders[0]
    aftersales.request_after_sale(w.rt, w.p("elder_A"), AfterSaleForm(
        sub_order_id=visit.id, line_no=1, type="refund", quantity=1, reason="临时住院"))
    clock.advance(days=3)
    DESK.scan(w.rt)
    found = {(e.order_number, e.type) for e in DESK.list(w.rt, operator(), ALL).items}
    assert found == {(parcel.number, "shipping_timeout")}


def test_payments_and_refunds_are_booked_and_reconcile(w: MallWorld) -> None:
    """PAY: a paid trade books the provider's money to the selling institution; a refund books it back; the
    stored balances equal the sums of their entries, and a corrupted balance shows."""
    from yiyangkang.domain.money.ledger import Account, Owner, Purse
    from yiyangkang.services import ledger

    sub = w.buy(("diapers", 2)).sub_orders[0]
    seller = Account(Owner.INSTITUTION, w.world.inst["A"], Purse.CASH)
    provider = Account(Owner.PROVIDER, "sandbox", Purse.CASH)
    with w.rt.uow() as uow:
        assert (uow.ledger.balance(seller), uow.ledger.balance(provider)) == (16000, -16000)
    request = aftersales.request_after_sale(w.rt, w.p("elder_A"), AfterSaleForm(
        sub_order_id=sub.id, line_no=1, type="refund", quantity=1, reason="买多了"))
    aftersales.review_after_sale(w.rt, w.p("admin_A"), request.id, approve=True)
    with w.rt.uow() as uow:
        assert (uow.ledger.balance(seller), uow.ledger.balance(provider)) == (8000, -8000)
    assert ledger.reconcile(w.rt) == []
