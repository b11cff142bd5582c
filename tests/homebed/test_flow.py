"""The home bed end to end through the use cases, on every backend (HB-01…HB-11, S-01…S-06)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import FrozenClock
from tests.homebed.setup import build_homebed
from yiyangkang.bootstrap import Container
from yiyangkang.domain.homebed.contracts import ContractNotActive
from yiyangkang.domain.kernel.errors import NotFound, PermissionDenied
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.services.homebed import contracts, exceptions, orders, reports


def test_apply_sign_order_serve_settle(backend: Container, clock: FrozenClock) -> None:
    """HB-01/03/10/11/30: application → contract → order → dispatch → service → settlement row."""
    w = build_homebed(backend)
    contract_id = w.contract()
    contract = contracts.get_contract(w.rt, w.p("admin_A"), contract_id)
    assert contract.status == "active"
    assert contract.terms.expiry_date == date(2027, 11, 25)
    assert contract.number.startswith("QY20261125")

    order_id = w.order(contract_id)
    order = orders.dispatch_order(w.rt, w.p("admin_A"), order_id, w.staff_A)
    assert order.status == "dispatched"
    assert order.price_fen == 12000 and order.subsidy_fen == 8000 and order.self_pay_fen == 4000
    clock.advance(hours=4)
    orders.start_order(w.rt, w.p("staff_A"), order_id, lng=113.27, lat=23.13)
    clock.advance(minutes=55)
    done = orders.complete_order(w.rt, w.p("staff_A"), order_id)
    assert done.status == "completed" and done.duration_minutes == 55

    flt = reports.settlement_filter(w.p("admin_A"), date(2026, 11, 1), date(2026, 12, 1))
    page = reports.settlement_report(w.rt, w.p("admin_A"), flt, PageRequest())
    assert [r.order_number for r in page.rows] == [order.number]
    assert page.grand_total.amount_fen == 12000 and page.grand_total.subsidy_fen == 8000
    assert page.rows[0].elder_id_card.count("*") == 8


def test_terminated_contract_refuses_orders_and_cancels_open_ones(backend: Container) -> None:
    """HB-05: after termination no new home-bed order; orders not started are cancelled."""
    w = build_homebed(backend)
    contract_id = w.contract()
    open_order = w.order(contract_id)
    contracts.terminate_contract(w.rt, w.p("admin_A"), contract_id, reason="老人入住养老院")
    assert orders.get_order(w.rt, w.p("admin_A"), open_order).status == "cancelled"
    with pytest.raises(ContractNotActive) as caught:
        w.order(contract_id)
    assert caught.value.code == "HOMEBED_CONTRACT_NOT_ACTIVE"


def test_expired_contract_refuses_orders(backend: Container, clock: FrozenClock) -> None:
    w = build_homebed(backend)
    contract_id = w.contract()
    clock.advance(days=366)
    with pytest.raises(ContractNotActive):
        w.order(contract_id)
    assert contracts.get_contract(w.rt, w.p("admin_A"), contract_id).status == "expired"


def test_other_institution_cannot_dispatch_or_see(backend: Container) -> None:
    w = build_homebed(backend)
    order_id = w.order(w.contract())
    with pytest.raises(NotFound):
        orders.dispatch_order(w.rt, w.p("admin_B"), order_id, w.staff_B)
    with pytest.raises(NotFound):
        orders.dispatch_order(w.rt, w.p("staff_B"), order_id, w.staff_B)
    with pytest.raises(NotFound):
        contracts.get_contract(w.rt, w.p("elder_A"), orders.get_order(w.rt, w.p("admin_A"), order_id).contract_id)
    with pytest.raises(PermissionDenied):
        orders.dispatch_order(w.rt, w.p("elder_A"), order_id, w.staff_A)


def test_reminder_and_scan_are_idempotent(backend: Container, clock: FrozenClock) -> None:
    w = build_homebed(backend)
    contract_id = w.contract()
    w.order(contract_id)
    clock.advance(days=340)
    first = contracts.remind_expiring(w.rt)
    assert first.contracts == 1 and first.notices >= 1
    assert contracts.remind_expiring(w.rt).contracts == 0
    scan = exceptions.scan_exceptions(w.rt)
    assert scan.raised >= 1
    assert exceptions.scan_exceptions(w.rt).raised == 0
    clock.advance(days=1)
    assert contracts.remind_expiring(w.rt).contracts == 0
    assert timedelta(days=1)
