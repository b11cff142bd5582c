"""The home-bed part of the demo (家庭病床演示数据): configuration, applications, contracts and three
months of service orders (September to November 2026), so the reports and the settlement export have
real-looking data. It runs the use cases under a clock of its own that walks through those months;
the same seed gives the same data on every fresh machine."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

import attrs

from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import DomainError
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.kernel.timekeeping import SHANGHAI
from yiyangkang.services import elders as elder_service
from yiyangkang.services import staff as staff_service
from yiyangkang.services.auth import principal_of
from yiyangkang.services.homebed import applications, config, contracts, exceptions, orders
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
from yiyangkang.services.homebed.orders import OrderForm, RecordForm

START = datetime(2026, 9, 1, 9, 0, tzinfo=SHANGHAI)
END = datetime(2026, 11, 24, 18, 0, tzinfo=SHANGHAI)

SERVICE_ITEMS = [  # name, category, minutes, price fen, subsidy eligible
    ("上门护理", "医疗护理", 60, 12000, True),
    ("康复训练指导", "康复", 45, 9000, True),
    ("生命体征监测", "医疗护理", 30, 5000, True),
    ("压疮护理", "医疗护理", 40, 8000, True),
    ("助浴服务", "生活照料", 60, 6000, False),
    ("助餐配送", "生活照料", 20, 2500, False),
]
RENOVATION_ITEMS = [("卫生间扶手", "个", 18000), ("防滑地面处理", "平方米", 9000), ("床边护栏", "个", 26000),
                    ("夜间感应灯", "个", 6000)]
BARTHEL = [  # 日常生活活动能力量表 (Barthel 指数): item, question, option scores
    ("eat", "进食", (0, 5, 10)), ("bath", "洗澡", (0, 5)), ("groom", "修饰", (0, 5)),
    ("dress", "穿衣", (0, 5, 10)), ("bowel", "控制大便", (0, 5, 10)), ("bladder", "控制小便", (0, 5, 10)),
    ("toilet", "如厕", (0, 5, 10)), ("transfer", "床椅转移", (0, 5, 10, 15)), ("walk", "平地行走", (0, 5, 10, 15)),
    ("stairs", "上下楼梯", (0, 5, 10)),
]
LABELS = {0: "完全依赖", 5: "需部分帮助", 10: "基本自理", 15: "完全自理"}
# Institutions that run home beds (their elders get contracts, their nurses and workers serve them).
HOMEBED_INSTITUTIONS = ("yuexiu", "yuexiu_beijing", "haizhu", "tianhe")
STREET_ADDRESSES = ["东风中路437号3栋502房", "北京路238号2座801房", "五山路371号12栋302房", "江南大道中168号6栋1101房",
                    "农林下路83号4栋603房", "天河北路233号1栋1502房", "工业大道北56号3座401房"]


class DemoClock:
    """The seed's clock: set to each moment the story needs (visits of different workers overlap in real
    life, so it may also go back between two visits)."""

    def __init__(self, at: datetime) -> None:
        self.at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self.at

    def to(self, at: datetime) -> None:
        self.at = at.astimezone(UTC)


def _principal(rt: Container, login: str) -> Principal:
    with rt.uow() as uow:
        account = uow.accounts.by_login(login)
        assert account is not None, login
        return principal_of(uow, account)


def _configure(rt: Container, op: Principal) -> dict[str, str]:
    ids: dict[str, str] = {}
    for name, category, minutes, fen, eligible in SERVICE_ITEMS:
        ids[name] = config.create_entry(rt, op, config.SERVICE_ITEMS, ServiceItemForm(
            name=name, category=category, standard_minutes=minutes, price_fen=fen, subsidy_eligible=eligible)).id
    ids["subsidy_city"] = config.create_entry(rt, op, config.SUBSIDY_TYPES, SubsidyTypeForm(
        region_code="440100", name="广州市家庭病床护理补贴", mode="ratio", ratio_bp=7000, cap_fen=8000)).id
    ids["subsidy_yuexiu"] = config.create_entry(rt, op, config.SUBSIDY_TYPES, SubsidyTypeForm(
        region_code="440104", name="越秀区高龄长者家床定额补贴", mode="amount", amount_fen=3000)).id
    for name, unit, fen in RENOVATION_ITEMS:
        ids[name] = config.create_entry(rt, op, config.RENOVATION_ITEMS, RenovationItemForm(
            name=name, unit=unit, price_fen=fen)).id
    ids["barthel"] = config.create_entry(rt, op, config.SCALES, ScaleForm(
        name="日常生活活动能力量表（Barthel指数）",
        items=[ScaleItemForm(code=code, question=q, options=[OptionForm(label=LABELS[s], score=s) for s in scores])
               for code, q, scores in BARTHEL],
        levels=[LevelForm(name="重度依赖", min_score=0, max_score=40),
                LevelForm(name="中度依赖", min_score=41, max_score=60),
                LevelForm(name="轻度依赖", min_score=61, max_score=99),
                LevelForm(name="生活自理", min_score=100, max_score=100)],
    )).id
    return ids


def seed_homebed(base: Container) -> dict[str, int]:
    """Applications, contracts and orders for the demo elders of the home-bed institutions."""
    rng = random.Random(20260901)
    clock = DemoClock(START)
    rt = attrs.evolve(base, clock=clock)
    op = _principal(rt, "operator")
    ids = _configure(rt, op)
    admins = {key: _principal(rt, f"admin_{key}") for key in HOMEBED_INSTITUTIONS}
    key_of = {p.institution_id: key for key, p in admins.items()}
    listed = elder_service.list_elders(rt, op, PageRequest(1, 100)).items
    files = [elder_service.get_elder(rt, op, e.id) for e in sorted(listed, key=lambda e: (e.created_at, e.id))]
    counts = {"contracts": 0, "orders": 0, "records": 0}
    signed: list[tuple[str, str, list[str]]] = []  # contract id, institution key, worker staff ids
    for n, elder in enumerate(files):
        key = key_of.get(elder.institution_id)
        if key is None or n % 4 == 3:  # not every elder has a home bed
            continue
        admin = admins[key]
        clock.to(START + timedelta(days=n % 10, hours=1))
        form = ApplicationForm(
            institution_id=elder.institution_id, elder_name=elder.name, id_card_no=elder.id_card_no,
            phone=elder.phone, region_code=elder.region_code, address=rng.choice(STREET_ADDRESSES),
            condition=rng.choice(["高血压、行动不便", "脑卒中后遗症，需康复训练", "糖尿病，需定期监测",
                                  "术后居家康复", "长期卧床，需压疮护理"]),
            applicant_name="社区工作人员", applicant_phone=f"1350000{n:04d}",
        )
        app = applications.submit_application(rt, admin, form)
        applications.review_application(rt, admin, app.id, approve=True, note="材料齐全，同意建床")
        clock.to(clock.at + timedelta(days=2))
        plan = [PlanLineForm(service_item_id=ids["上门护理"], times=2, per="week"),
                PlanLineForm(service_item_id=ids["生命体征监测"], times=1, per="week"),
                PlanLineForm(service_item_id=ids[rng.choice(["康复训练指导", "压疮护理", "助浴服务"])], times=1,
                             per="week")]
        short_term = n % 7 == 1  # a few one-quarter beds: they expire soon (reminders, renewals)
        terms = TermsForm(
            service_plan=plan, subsidy_type_id=ids["subsidy_yuexiu" if elder.region_code.startswith("440104")
                                                   and n % 2 else "subsidy_city"],
            renovation_plan=[RenovationLineForm(renovation_item_id=ids["卫生间扶手"], quantity=2)] if n % 3 == 0
            else [],
            expiry_date=(clock.at.astimezone(SHANGHAI).date() + timedelta(days=98)) if short_term else None,
        )
        answers = {code: rng.randrange(len(scores)) for code, _q, scores in BARTHEL}
        contract = contracts.sign_contract(rt, admin, app.id, SignForm(
            terms=terms, assessment=AssessmentForm(scale_id=ids["barthel"], answers=answers, note="签约评估")))
        counts["contracts"] += 1
        team = staff_service.list_staff(rt, op, PageRequest(1, 100), institution_id=elder.institution_id).items
        workers = [m.id for m in team if m.profession in ("nurse", "service_worker")]
        if workers:
            signed.append((contract.id, key, workers))
    _serve(rt, clock, rng, ids, signed, counts)
    # One termination, for the record.
    if signed:
        contract_id, key, _ = signed[-1]
        contracts.terminate_contract(rt, admins[key], contract_id, reason="老人入住养老机构")
    return counts


def _serve(rt: Container, clock: DemoClock, rng: random.Random, ids: dict[str, str],
           signed: list[tuple[str, str, list[str]]], counts: dict[str, int]) -> None:
    """Each bed gets two visits a week: mostly on time, some late or long, a few returned or cancelled."""
    admins = {key: _principal(rt, f"admin_{key}") for key in HOMEBED_INSTITUTIONS}
    workers_of = {w: _staff_principal(rt, w) for _c, _k, ws in signed for w in ws}
    day = START.date() + timedelta(days=14)
    while day <= END.date():
        for n, (contract_id, key, workers) in enumerate(signed):
            if day.weekday() not in (n % 5, (n + 2) % 5) or rng.random() < 0.1:
                continue
            admin = admins[key]
            at = datetime.combine(day, time(rng.choice([9, 10, 14, 15]), rng.choice([0, 30])), SHANGHAI)
            clock.to(at - timedelta(hours=20))
            item = ids[rng.choice(["上门护理", "上门护理", "生命体征监测"])]
            try:
                order = orders.place_order(rt, admin, OrderForm(contract_id=contract_id, service_item_id=item,
                                                                scheduled_at=at))
            except DomainError:
                continue  # a contract that ended: the platform refuses, as it should
            counts["orders"] += 1
            clock.to(clock.at + timedelta(minutes=rng.choice([10, 30, 45, 90])))
            worker = rng.choice(workers)
            orders.dispatch_order(rt, admin, order.id, worker)
            roll = rng.random()
            if roll < 0.04:
                orders.cancel_order(rt, admin, order.id, "老人临时住院")
                continue
            if roll < 0.08 and len(workers) > 1:
                orders.return_order(rt, workers_of[worker], order.id, "与其他工单时间冲突")
                worker = next(w for w in workers if w != worker)
                orders.dispatch_order(rt, admin, order.id, worker)
            clock.to(at + timedelta(minutes=rng.choice([-5, 0, 3, 8, 12, 25])))
            orders.start_order(rt, workers_of[worker], order.id, lng=113.27 + rng.random() / 100,
                               lat=23.13 + rng.random() / 100)
            clock.to(clock.at + timedelta(minutes=rng.choice([25, 40, 50, 55, 60, 62, 70, 95])))
            orders.complete_order(rt, workers_of[worker], order.id, lng=113.27, lat=23.13)
        day += timedelta(days=1)
        if day.weekday() == 0:  # the exception scan runs weekly in the demo's past
            clock.to(datetime.combine(day, time(1), SHANGHAI))
            counts["exceptions"] = counts.get("exceptions", 0) + exceptions.scan_exceptions(rt).raised
    if signed:  # a visit done off-system, entered afterwards and awaiting confirmation (补录)
        contract_id, key, workers = signed[0]
        clock.to(END)
        begun = datetime.combine(END.date() - timedelta(days=3), time(16), SHANGHAI)
        orders.record_service(rt, admins[key], RecordForm(
            contract_id=contract_id, service_item_id=ids["上门护理"], staff_id=workers[0], started_at=begun,
            completed_at=begun + timedelta(minutes=58), note="系统维护期间线下服务，纸质签字单已归档"))
        counts["records"] += 1


def _staff_principal(rt: Container, staff_id: str) -> Principal:
    with rt.uow() as uow:
        account = uow.accounts.of_person(staff_id=staff_id)
        assert account is not None
        return principal_of(uow, account)
