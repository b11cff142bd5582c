"""A settlement world on top of `tests.mall.setup`: B (天河) supplies A's 上门助浴 and 康复理疗 at 30 % for
itself and a 5 % platform fee (applied by admin_B, approved by admin_A); helpers to serve orders, refund
them, and sum the ledger directly (what every report must reconcile to)."""

from __future__ import annotations

from collections.abc import Iterable

from tests.mall.setup import MallWorld, build_mall
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.money.ledger import Account, Owner, Purse
from yiyangkang.services.mall import aftersales, fulfilment
from yiyangkang.services.mall.aftersales import AfterSaleForm
from yiyangkang.services.mall.views import SubOrderView
from yiyangkang.services.settlement import relations
from yiyangkang.services.settlement.relations import ApplyForm

SALES_KINDS = ("payment", "refund", "voucher_spend", "voucher_refund", "split", "split_reversal")
PLATFORM = Account(Owner.PLATFORM, "platform", Purse.CASH)


def cash(institution_id: str) -> Account:
    return Account(Owner.INSTITUTION, institution_id, Purse.CASH)


def supplied_world(rt: Container) -> tuple[MallWorld, str]:
    """The mall world and the id of the approved relation B → A (bath and rehab; 3000 + 500 bp)."""
    w = build_mall(rt)
    applied = relations.apply(rt, w.p("admin_B"), ApplyForm(
        client_id=w.world.inst["A"], supplier_rate_bp=3000, platform_rate_bp=500,
        product_ids=[w.products["bath"], w.products["rehab"]], note="提供助浴与康复理疗人员"))
    relations.review(rt, w.p("admin_A"), applied.id, approve=True, note="同意合作")
    return w, applied.id


def serve_visit(w: MallWorld, visit: SubOrderView) -> SubOrderView:
    fulfilment.dispatch(w.rt, w.p("admin_A"), visit.id, w.staff_A)
    w.rt.clock.advance(hours=4)  # type: ignore[attr-defined]
    assert visit.verify_code is not None
    fulfilment.start_visit(w.rt, w.p("staff_A"), visit.id, visit.verify_code)
    w.rt.clock.advance(minutes=55)  # type: ignore[attr-defined]
    return fulfilment.complete_visit(w.rt, w.p("staff_A"), visit.id, "助浴完成")


def refund(w: MallWorld, order_id: str, *, quantity: int = 0, amount_fen: int | None = None,
           line_no: int = 1) -> None:
    """The elder asks back money (or units) of a line; A approves at once."""
    asked = aftersales.request_after_sale(w.rt, w.p("elder_A"), AfterSaleForm(
        sub_order_id=order_id, line_no=line_no, type="refund", quantity=quantity, amount_fen=amount_fen,
        reason="服务不满意"))
    aftersales.review_after_sale(w.rt, w.p("admin_A"), asked.id, approve=True, note="同意退款")


def balance(rt: Container, account: Account) -> int:
    with rt.uow() as uow:
        return uow.ledger.balance(account)


def entries_sum(rt: Container, accounts: Iterable[Account], kinds: Iterable[str]) -> int:
    """The plain sum of the accounts' entries of these kinds (every page of them)."""
    wanted, total = set(kinds), 0
    with rt.uow() as uow:
        for account in accounts:
            n = 1
            while True:
                page = uow.ledger.entries(account, PageRequest(n, 100))
                total += sum(e.amount for e in page.items if e.kind in wanted)
                if n * 100 >= page.total:
                    break
                n += 1
    return total


def later(w: MallWorld, **delta: float) -> None:
    w.rt.clock.advance(**delta)  # type: ignore[attr-defined]
