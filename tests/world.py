"""A small platform for access tests: two institution trees, siblings, elders, a family, accounts.

    A (越秀, root)            B (天河, root)
    ├── A1 (北京街站)
    └── A2 (农林街站)

Each institution has one service worker and one elder; family member F is linked to A's elder only.
Accounts: operator, auditor, admin of A / A1 / A2 / B, the staff of A1, the elder of A, family F.
"""

from __future__ import annotations

from datetime import datetime

from attrs import define, field

from tests.conftest import operator
from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.identifiers import credit_code_check_char, id_card_check_char
from yiyangkang.services import accounts, auth, elders, family, institutions, staff
from yiyangkang.services.accounts import AccountForm
from yiyangkang.services.elders import ElderForm
from yiyangkang.services.family import FamilyLinkForm
from yiyangkang.services.institutions import InstitutionForm
from yiyangkang.services.staff import StaffForm

PASSWORD = "Passw0rd-test"


def credit_code(n: int) -> str:
    body = f"91440101MA5C{n:05d}"
    return body + credit_code_check_char(body)


def id_card(n: int, birth: str = "19450312", district: str = "440104") -> str:
    body = f"{district}{birth}{n:03d}"
    return body + id_card_check_char(body)


def phone(n: int) -> str:
    return f"138{n:08d}"


@define
class World:
    rt: Container
    inst: dict[str, str]  # key -> institution id
    staff: dict[str, str]  # key -> staff id
    elders: dict[str, str]  # key -> elder id
    family_member: str
    accounts: dict[str, str]  # login -> account id

    def principal(self, login: str) -> Principal:
        with self.rt.uow() as uow:
            account = uow.accounts.get(self.accounts[login])
            assert account is not None
            return auth.principal_of(uow, account)


@define
class OnWorld:
    """A world built on `World` (the mall's, the points'), with the shortcuts their tests use."""

    world: World
    principals: dict[str, Principal] = field(factory=dict, kw_only=True)

    @property
    def rt(self) -> Container:
        return self.world.rt

    @property
    def now(self) -> datetime:
        return self.rt.clock.now()

    def p(self, login: str) -> Principal:
        """`login`'s principal, resolved once."""
        if login not in self.principals:
            self.principals[login] = self.world.principal(login)
        return self.principals[login]

    @property
    def elder(self) -> str:
        """Elder A."""
        return self.world.elders["A"]


def build_world(rt: Container) -> World:
    op = operator()
    inst: dict[str, str] = {}
    for n, (key, name, parent, region) in enumerate([
        ("A", "越秀区颐康居家养老服务中心", None, "440104"),
        ("A1", "颐康北京街长者站", "A", "440104"),
        ("A2", "颐康农林街长者站", "A", "440104"),
        ("B", "天河区五山社区卫生服务中心", None, "440106"),
    ]):
        inst[key] = institutions.register_institution(rt, op, InstitutionForm(
            name=name, credit_code=credit_code(n), type="home_care_provider", region_code=region,
            address=f"广州市{name}", parent_id=inst.get(parent or ""),
        )).id
    staff_ids = {
        key: staff.hire_staff(rt, op, StaffForm(institution_id=inst[key], name=f"员工{key}", phone=phone(100 + n),
                                                profession="service_worker")).id
        for n, key in enumerate(inst)
    }
    elder_ids = {
        key: elders.register_elder(rt, op, ElderForm(institution_id=inst[key], name=f"老人{key}", id_card_no=id_card(n),
                                                     region_code="440104", phone=phone(200 + n))).id
        for n, key in enumerate(inst)
    }
    link = family.link_family(rt, op, elder_ids["A"], FamilyLinkForm(name="陈志强", phone=phone(300), relation="儿子"))
    logins: dict[str, str] = {}

    def account(username: str, role: str, **links: str) -> None:
        logins[username] = accounts.create_account(
            rt, op, AccountForm(username=username, password=PASSWORD, role=role, **links)
        ).id

    account("operator", "platform_operator")
    account("auditor", "gov_auditor")
    for key in inst:
        account(f"admin_{key}", "institution_admin", institution_id=inst[key])
    account("staff_A1", "staff", staff_id=staff_ids["A1"])
    account("elder_A", "elder", elder_id=elder_ids["A"])
    account("family_F", "family", family_member_id=link.family_member_id)
    return World(rt, inst, staff_ids, elder_ids, link.family_member_id, logins)
