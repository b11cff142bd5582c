"""The demo data set (演示数据): realistic Guangzhou institutions, staff, elders and families.

Deterministic (a fixed random seed), so every fresh `make run` shows the same platform and the
README can name the demo logins. Everything goes through the use cases, audit trail included.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from attrs import frozen

from apps.cli.demo_homebed import seed_homebed
from apps.cli.demo_mall import seed_mall
from apps.cli.demo_monitoring import seed_monitoring
from apps.cli.demo_points import seed_points
from yiyangkang.bootstrap import Container, read_region_file
from yiyangkang.domain.homebed.contracts import ContractStatus
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.identifiers import credit_code_check_char, id_card_check_char
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.services import accounts, addresses, elders, family, institutions, regions, staff
from yiyangkang.services.accounts import AccountForm
from yiyangkang.services.addresses import AddressForm
from yiyangkang.services.auth import system_principal
from yiyangkang.services.elders import ElderForm, EmergencyContactForm
from yiyangkang.services.family import FamilyLinkForm
from yiyangkang.services.institutions import InstitutionForm
from yiyangkang.services.staff import StaffForm

DEMO_PASSWORD = "Yyk2026demo"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁于余叶蒋杜苏魏程吕丁沈任姚卢钟"
MALE_GIVEN = ["国强", "建华", "志明", "伟雄", "锦辉", "炳坤", "耀祖", "永康",
              "德胜", "汉文", "家豪", "振邦", "荣光", "树根", "启明"]
FEMALE_GIVEN = ["秀英", "桂芳", "玉兰", "淑珍", "丽华", "美玲", "惠娟", "凤仪",
                "月娥", "素梅", "婉君", "翠屏", "少芬", "宝珠", "银好"]
ROADS = {
    "440103": ["中山八路", "逢源路", "芳村大道中", "黄沙大道"],
    "440104": ["北京路", "东风中路", "农林下路", "解放北路", "中山四路"],
    "440105": ["江南大道中", "工业大道北", "宝岗大道", "新港西路"],
    "440106": ["天河路", "五山路", "中山大道西", "员村二横路", "天河北路"],
    "440111": ["机场路", "广园中路", "同和路", "三元里大道"],
    "440113": ["市桥光明北路", "大北路", "桥南街福德路", "清河东路"],
}
RELATIONS = ["儿子", "女儿", "配偶", "儿媳", "女婿", "孙子", "孙女"]


@frozen
class InstitutionSeed:
    key: str
    name: str
    type: str
    district: str
    address: str
    lng: float
    lat: float
    parent: str | None = None


INSTITUTIONS = [
    InstitutionSeed("yuexiu", "广州市越秀区颐康居家养老服务中心", "home_care_provider", "440104",
                    "越秀区东风中路437号", 113.2668, 23.1327),
    InstitutionSeed("yuexiu_beijing", "越秀区颐康居家养老服务中心北京街长者站", "community_care_center", "440104",
                    "越秀区北京路238号", 113.2707, 23.1256, parent="yuexiu"),
    InstitutionSeed("tianhe", "广州市天河区五山社区卫生服务中心", "community_health_center", "440106",
                    "天河区五山路371号", 113.3513, 23.1574),
    InstitutionSeed("haizhu", "广州市海珠区仁爱护理院", "nursing_home", "440105",
                    "海珠区江南大道中168号", 113.2735, 23.1002),
    InstitutionSeed("panyu", "广州市番禺区和康康复中心", "rehab_center", "440113",
                    "番禺区市桥光明北路288号", 113.3652, 22.9419),
    InstitutionSeed("baiyun", "广州市白云区安居适老化改造有限公司", "renovation_company", "440111",
                    "白云区机场路1368号", 113.2739, 23.1869),
]
# Professions each institution employs (every profession appears somewhere).
STAFFING = {
    "yuexiu": ["administrator", "dispatcher", "service_worker", "service_worker", "nurse", "assessor"],
    "yuexiu_beijing": ["service_worker", "service_worker", "dispatcher"],
    "tianhe": ["doctor", "doctor", "nurse", "nurse", "assessor"],
    "haizhu": ["nurse", "service_worker", "doctor", "dispatcher"],
    "panyu": ["doctor", "nurse", "service_worker", "assessor"],
    "baiyun": ["renovation_worker", "renovation_worker", "dispatcher"],
}
ELDER_HOMES = ["yuexiu", "yuexiu", "yuexiu_beijing", "tianhe", "haizhu", "panyu"]


@frozen
class DemoSummary:
    regions: int
    institutions: int
    staff: int
    elders: int
    family_members: int
    accounts: int
    contracts: int
    orders: int
    devices: int = 0
    sims: int = 0
    products: int = 0
    trades: int = 0


def _credit_code(rng: random.Random) -> str:
    body = "91440" + "".join(rng.choice("0123456789") for _ in range(4)) + "".join(
        rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8)
    )
    return body + credit_code_check_char(body)


def _id_card(rng: random.Random, district: str, birth: date, male: bool) -> str:
    seq = rng.randrange(0, 50) * 2 + (1 if male else 0)
    body = f"{district}{birth:%Y%m%d}{rng.randrange(10)}{seq:02d}"
    return body + id_card_check_char(body)


def _mobile(rng: random.Random, used: set[str]) -> str:
    while True:
        prefix = rng.choice(["138", "139", "135", "136", "137", "150", "158", "186", "189", "133"])
        phone = f"{prefix}{rng.randrange(10**8):08d}"
        if phone not in used:
            used.add(phone)
            return phone


def _license(rng: random.Random, profession: str) -> str:
    """执业证书编号: physicians' and nurses' certificates have different prefixes."""
    return f"{'110' if profession == 'doctor' else '202'}44{rng.randrange(10**9):09d}"


def _streets(rt: Container, op: Principal, district: str) -> list[str]:
    return [r.code for r in regions.list_regions(rt, op, parent_code=district)] or [district]


def seed_demo(rt: Container, on_step: Callable[[str], None] | None = None) -> DemoSummary:
    """Create the demo platform. Call only on an empty database (see `is_empty`)."""
    step = on_step or (lambda _msg: None)
    rng = random.Random(20261125)
    op = system_principal("seed-demo")
    phones: set[str] = set()
    step("行政区划")
    region_count = regions.load_regions(rt, read_region_file())

    step("机构")
    inst_ids: dict[str, str] = {}
    for seed in INSTITUTIONS:
        street = rng.choice(_streets(rt, op, seed.district))
        view = institutions.register_institution(rt, op, InstitutionForm(
            name=seed.name, credit_code=_credit_code(rng), type=seed.type, region_code=street,
            address=f"广州市{seed.address}", parent_id=inst_ids.get(seed.parent or ""), lng=seed.lng, lat=seed.lat,
            contact_phone=f"020-{rng.randrange(3000_0000, 8999_9999)}",
        ))
        inst_ids[seed.key] = view.id

    n_accounts = 0

    def account(username: str, role: str, **links: str | None) -> None:
        nonlocal n_accounts
        form = AccountForm(username=username, password=DEMO_PASSWORD, role=role, **links)
        accounts.create_account(rt, op, form)
        n_accounts += 1

    account("operator", "platform_operator")
    account("auditor", "gov_auditor")
    step("员工")
    doctors: list[str] = []
    n_staff = 0
    for key, professions in STAFFING.items():
        account(f"admin_{key}", "institution_admin", institution_id=inst_ids[key])
        for n, profession in enumerate(professions, start=1):
            male = rng.random() < 0.5
            name = rng.choice(SURNAMES) + rng.choice(MALE_GIVEN[:8] if male else FEMALE_GIVEN[:8])
            licensed = profession in ("doctor", "nurse")
            member = staff.hire_staff(rt, op, StaffForm(
                institution_id=inst_ids[key], name=name, phone=_mobile(rng, phones), profession=profession,
                license_no=_license(rng, profession) if licensed else None,
            ))
            n_staff += 1
            if profession == "doctor":
                doctors.append(member.id)
            account(f"{key}_{profession}_{n}", "staff", staff_id=member.id)

    step("老年人档案")
    n_elders = n_family = 0
    today = date(2026, 11, 25)
    for n in range(36):
        home = ELDER_HOMES[n % len(ELDER_HOMES)]
        district = next(s.district for s in INSTITUTIONS if s.key == home)
        male = n % 2 == 0
        surname = rng.choice(SURNAMES)
        name = surname + rng.choice(MALE_GIVEN if male else FEMALE_GIVEN)
        birth = today - timedelta(days=rng.randrange(62 * 365, 95 * 365))
        street = rng.choice(_streets(rt, op, district))
        child_name = surname + rng.choice(["志强", "晓燕", "文杰", "慧敏", "俊峰", "嘉欣", "伟明", "丽娜"])
        child_phone = _mobile(rng, phones)
        relation = rng.choice(RELATIONS)
        elder = elders.register_elder(rt, op, ElderForm(
            institution_id=inst_ids[home], name=name, id_card_no=_id_card(rng, district, birth, male),
            phone=_mobile(rng, phones) if rng.random() < 0.8 else None, region_code=street,
            emergency_contacts=[EmergencyContactForm(name=child_name, phone=child_phone, relation=relation)],
            primary_doctor_id=rng.choice(doctors),
        ))
        n_elders += 1
        road = rng.choice(ROADS.get(district, ["中山路"]))
        addresses.add_address(rt, op, elder.id, AddressForm(
            region_code=street, detail=f"{road}{rng.randrange(1, 400)}号{rng.randrange(1, 30)}0{rng.randrange(1, 6)}房",
            contact_name=name, contact_phone=elder.phone or child_phone,
        ))
        link = family.link_family(
            rt, op, elder.id, FamilyLinkForm(name=child_name, phone=child_phone, relation=relation)
        )
        n_family += 1
        if n < 12:
            account(f"elder{n + 1:02d}", "elder", elder_id=elder.id)
            account(f"family{n + 1:02d}", "family", family_member_id=link.family_member_id)
    step("家庭病床（配置、申请、签约、三个月的服务订单）")
    homebed = seed_homebed(rt)
    step("健康监测（设备、告警规则、一天的监测数据与告警）")
    monitoring = seed_monitoring(rt, _monitored_elders(rt))
    step("服务商城（分类、商品与审核、套餐与买赠、十一月的订单、评价与售后）")
    mall = seed_mall(rt)
    seed_points(rt)  # 积分：十月的服务积分、活动与签到、积分商品与兑换
    return DemoSummary(region_count, len(inst_ids), n_staff, n_elders, n_family, n_accounts, homebed["contracts"],
                       homebed["orders"], monitoring["devices"], monitoring["sims"], mall["products"],
                       mall["trades"])


def _monitored_elders(rt: Container) -> list[str]:
    """Elders with a home bed first (S-08 binds devices to contracted elders), then the others."""
    with rt.uow() as uow:
        beds = uow.contracts.list(Visibility(everything=True), PageRequest(1, 100), status=ContractStatus.ACTIVE)
        everyone = uow.elders.list(Visibility(everything=True), PageRequest(1, 100))
    first = list(dict.fromkeys(sorted(c.elder_id for c in beds.items)))
    return first + sorted(e.id for e in everyone.items if e.id not in first)


def is_empty(rt: Container) -> bool:
    with rt.uow() as uow:
        return uow.elders.count() == 0 and uow.accounts.by_login("operator") is None
