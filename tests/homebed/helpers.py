"""Small helpers shared by the home-bed test modules (on top of `tests.homebed.setup`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pytest
from attrs import define, field, fields

from tests.conftest import operator
from tests.homebed.setup import HomeBedWorld, build_homebed
from tests.racing import race as race
from tests.world import PASSWORD, id_card, phone
from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import ValidationFailed
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.services import accounts
from yiyangkang.services.accounts import AccountForm
from yiyangkang.services.homebed import applications, config, contracts, orders
from yiyangkang.services.homebed.applications import ApplicationForm
from yiyangkang.services.homebed.config import ServiceItemForm, SubsidyTypeForm
from yiyangkang.services.homebed.contracts import PlanLineForm, SignForm, TermsForm
from yiyangkang.services.homebed.orders import OrderForm

ALL = PageRequest(1, 100)


@define
class Bed(HomeBedWorld):
    """The home-bed world with each login's principal resolved once (a unit of work each time is slow on the
    in-memory store, which copies itself per unit of work). Accounts and links do not change in these tests."""

    principals: dict[str, Principal] = field(factory=dict)

    def p(self, login: str) -> Principal:
        if login not in self.principals:
            self.principals[login] = super().p(login)
        return self.principals[login]


def build(rt: Container) -> Bed:
    made = build_homebed(rt)
    return Bed(**{f.name: getattr(made, f.name) for f in fields(HomeBedWorld)})


def field_codes(exc: pytest.ExceptionInfo[ValidationFailed] | ValidationFailed) -> set[tuple[str, str]]:
    """The (field, code) pairs of a 422."""
    err = exc.value if isinstance(exc, pytest.ExceptionInfo) else exc
    assert isinstance(err, ValidationFailed)
    return {(e.field, e.code) for e in err.errors}


def staff_login(w: HomeBedWorld, key: str, username: str) -> str:
    """An account for the world's plain worker of institution `key` (员工A …); returns the login."""
    w.world.accounts[username] = accounts.create_account(
        w.rt, operator(), AccountForm(username=username, password=PASSWORD, role="staff",
                                      staff_id=w.world.staff[key])).id
    return username


def service_item(w: HomeBedWorld, name: str, price_fen: int, *, minutes: int = 60, eligible: bool = True) -> str:
    return config.create_entry(w.rt, operator(), config.SERVICE_ITEMS, ServiceItemForm(
        name=name, category="康复", standard_minutes=minutes, price_fen=price_fen, subsidy_eligible=eligible)).id


def subsidy_type(w: HomeBedWorld, name: str, region: str, **kw: object) -> str:
    return config.create_entry(w.rt, operator(), config.SUBSIDY_TYPES, SubsidyTypeForm(
        region_code=region, name=name, **kw)).id  # type: ignore[arg-type]


def apply_in(w: HomeBedWorld, n: int, *, institution: str, admin: str, region: str,
             login: str | None = None) -> str:
    """An approved application of a new elder (ID n) in any institution, filed and approved by `admin`."""
    form = ApplicationForm(institution_id=w.world.inst[institution], elder_name=f"申请老人{n}", id_card_no=id_card(n),
                           phone=phone(400 + n), region_code=region, address="广州市某街道1号",
                           applicant_name="工作人员", applicant_phone=phone(500 + n))
    app = applications.submit_application(w.rt, w.p(login or admin), form)
    applications.review_application(w.rt, w.p(admin), app.id, approve=True, note="同意")
    return app.id


def sign_plan(w: HomeBedWorld, app_id: str, items: Sequence[str], *, subsidy: str | None, login: str = "admin_A",
              start: date | None = None, expiry: date | None = None, sign_date: date | None = None) -> str:
    """Sign with a chosen plan and subsidy, no assessment nor renovation."""
    form = SignForm(sign_date=sign_date, terms=TermsForm(
        start_date=start, expiry_date=expiry, subsidy_type_id=subsidy,
        service_plan=[PlanLineForm(service_item_id=i, times=1, per="week") for i in items]))
    return contracts.sign_contract(w.rt, w.p(login), app_id, form).id


def place(w: HomeBedWorld, contract_id: str, item: str, *, hours: float = 4, login: str = "admin_A") -> str:
    form = OrderForm(contract_id=contract_id, service_item_id=item, scheduled_at=w.now + timedelta(hours=hours))
    return orders.place_order(w.rt, w.p(login), form).id


def serve(w: HomeBedWorld, order_id: str, *, staff_id: str, worker: str, dispatcher: str = "admin_A",
          minutes: int = 60) -> None:
    """Dispatch, start now and complete `minutes` later (moves the clock)."""
    orders.dispatch_order(w.rt, w.p(dispatcher), order_id, staff_id)
    orders.start_order(w.rt, w.p(worker), order_id)
    w.rt.clock.advance(minutes=minutes)  # type: ignore[attr-defined]
    orders.complete_order(w.rt, w.p(worker), order_id)


