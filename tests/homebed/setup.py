"""A home-bed world on top of `tests.world`: configuration (service items, a Guangzhou subsidy, a
renovation item, a scale), staff accounts of A and B, and helpers that walk an elder to a contract."""

from __future__ import annotations

from datetime import datetime, timedelta

from attrs import define

from tests.conftest import operator
from tests.world import PASSWORD, World, build_world, id_card, phone
from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.services import accounts, staff
from yiyangkang.services.accounts import AccountForm
from yiyangkang.services.homebed import applications, config, contracts, orders
from yiyangkang.services.homebed.applications import ApplicationForm
from yiyangkang.services.homebed.config import (
    LevelForm,
    OptionForm,
    RenovationItemForm,
    ScaleForm,
    ScaleItemForm,
    ServiceItemForm,
    SubsidyTypeForm,
)
from yiyangkang.services.homebed.contracts import AssessmentForm, PlanLineForm, RenovationLineForm, SignForm, TermsForm
from yiyangkang.services.homebed.orders import OrderForm
from yiyangkang.services.staff import StaffForm

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"\x00" * 64


@define
class HomeBedWorld:
    world: World
    nursing: str  # service item: 上门护理 ¥120, 60 min, subsidy-eligible
    meal: str  # service item: 助餐配送 ¥30, 20 min, not eligible
    subsidy: str  # 广州市家床护理补贴: 70 %, cap ¥80
    rail: str  # renovation item: 卫生间扶手 ¥180
    scale: str  # a two-item scale, levels 0-2 / 3-4
    staff_A: str  # second worker of A (staff id), login "staff_A"
    staff_B: str  # login "staff_B"

    @property
    def rt(self) -> Container:
        return self.world.rt

    def p(self, login: str) -> Principal:
        return self.world.principal(login)

    @property
    def now(self) -> datetime:
        return self.rt.clock.now()

    def apply(self, n: int = 50, *, login: str = "admin_A", institution: str = "A") -> str:
        """A bed application for a new elder (ID number n), filed by `login`, approved by A's admin."""
        form = ApplicationForm(institution_id=self.world.inst[institution], elder_name=f"申请老人{n}",
                               id_card_no=id_card(n), phone=phone(400 + n), region_code="440104",
                               address="越秀区北京街道文德路1号", applicant_name="工作人员", applicant_phone=phone(500 + n))
        app = applications.submit_application(self.rt, self.p(login), form)
        applications.review_application(self.rt, self.p("admin_A"), app.id, approve=True, note="材料齐全")
        return app.id

    def sign(self, app_id: str, *, login: str = "admin_A", **terms: object) -> str:
        form = SignForm(terms=TermsForm(
            service_plan=[PlanLineForm(service_item_id=self.nursing, times=2, per="week"),
                          PlanLineForm(service_item_id=self.meal, times=5, per="week")],
            subsidy_type_id=self.subsidy,
            renovation_plan=[RenovationLineForm(renovation_item_id=self.rail, quantity=2)],
            **terms,  # type: ignore[arg-type]
        ), assessment=AssessmentForm(scale_id=self.scale, answers={"eat": 1, "walk": 2}))
        return contracts.sign_contract(self.rt, self.p(login), app_id, form).id

    def contract(self, n: int = 50) -> str:
        return self.sign(self.apply(n))

    def order(self, contract_id: str, *, hours: float = 4, item: str | None = None, login: str = "admin_A") -> str:
        form = OrderForm(contract_id=contract_id, service_item_id=item or self.nursing,
                         scheduled_at=self.now + timedelta(hours=hours))
        return orders.place_order(self.rt, self.p(login), form).id


def build_homebed(rt: Container) -> HomeBedWorld:
    world = build_world(rt)
    op = operator()
    nursing = config.create_entry(rt, op, config.SERVICE_ITEMS, ServiceItemForm(
        name="上门护理", category="医疗护理", standard_minutes=60, price_fen=12000, subsidy_eligible=True)).id
    meal = config.create_entry(rt, op, config.SERVICE_ITEMS, ServiceItemForm(
        name="助餐配送", category="生活照料", standard_minutes=20, price_fen=3000, subsidy_eligible=False)).id
    subsidy = config.create_entry(rt, op, config.SUBSIDY_TYPES, SubsidyTypeForm(
        region_code="440100", name="广州市家床护理补贴", mode="ratio", ratio_bp=7000, cap_fen=8000)).id
    rail = config.create_entry(rt, op, config.RENOVATION_ITEMS, RenovationItemForm(
        name="卫生间扶手", unit="个", price_fen=18000)).id
    scale = config.create_entry(rt, op, config.SCALES, ScaleForm(
        name="简易自理能力量表",
        items=[ScaleItemForm(code="eat", question="进食", options=[OptionForm(label="自理", score=0),
                                                                   OptionForm(label="需协助", score=1),
                                                                   OptionForm(label="依赖", score=2)]),
               ScaleItemForm(code="walk", question="行走", options=[OptionForm(label="自理", score=0),
                                                                    OptionForm(label="需协助", score=1),
                                                                    OptionForm(label="卧床", score=2)])],
        levels=[LevelForm(name="轻度", min_score=0, max_score=2), LevelForm(name="中重度", min_score=3, max_score=4)],
    )).id
    extra = {}
    for key in ("A", "B"):
        member = staff.hire_staff(rt, op, StaffForm(institution_id=world.inst[key], name=f"护理员{key}",
                                                    phone=phone(600 + len(extra)), profession="nurse",
                                                    license_no=f"2026440{len(extra)}1234"))
        extra[key] = member.id
        world.accounts[f"staff_{key}"] = accounts.create_account(
            rt, op, AccountForm(username=f"staff_{key}", password=PASSWORD, role="staff", staff_id=member.id)).id
    return HomeBedWorld(world, nursing, meal, subsidy, rail, scale, extra["A"], extra["B"])
