"""A mall world on top of `tests.world`: the category tree, A's and B's mall configuration, approved
products of every fulfilment type, an address for A's elder inside A's areas, a second worker of A.

    A 越秀 (home visits and delivery in 越秀 440104, store and pickup at 文德路)
        上门助浴 ¥150 (home visit, 60 min)   康复理疗 ¥200 (in store, 45 min)
        成人纸尿裤 ¥80 (delivery, stock 5)     助行器 ¥260 (pickup, stock 3)
    B 天河 (home visits in 天河 440106 only)
        上门护理 ¥120 (home visit, 60 min)
"""

from __future__ import annotations

from datetime import timedelta

from attrs import define

from tests.conftest import operator
from tests.world import PASSWORD, OnWorld, build_world, phone
from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.services import accounts, addresses, staff
from yiyangkang.services.accounts import AccountForm
from yiyangkang.services.addresses import AddressForm
from yiyangkang.services.mall import catalogue, checkout, config
from yiyangkang.services.mall.catalogue import CategoryForm, ProductForm
from yiyangkang.services.mall.checkout import CartItem, CheckoutForm
from yiyangkang.services.mall.config import AreaForm, MallConfigForm, PlaceForm
from yiyangkang.services.mall.views import TradeView
from yiyangkang.services.staff import StaffForm

ALL = PageRequest(1, 100)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@define
class MallWorld(OnWorld):
    categories: dict[str, str]
    products: dict[str, str]  # bath, rehab, diapers, walker, nursing_B
    address: str  # elder A's, in 越秀
    far_address: str  # elder A's, in 天河 (outside A's areas)
    staff_A: str  # a second worker of A, login "staff_A"

    def buy(self, *items: tuple[str, int], login: str = "elder_A", address: str | None = None,
            hours: float = 4, pay: bool = True) -> TradeView:
        """Check out `items` (product key, quantity) for elder A, appointments `hours` ahead, and pay."""
        form = CheckoutForm(elder_id=self.elder, address_id=address or self.address, items=[
            CartItem(product_id=self.products[key], quantity=n, appointment_at=self.now + timedelta(hours=hours))
            for key, n in items])
        trade = checkout.checkout(self.rt, self.p(login), form)
        return checkout.pay(self.rt, self.p(login), trade.id) if pay else trade


def approved(rt: Container, principal: Principal, form: ProductForm) -> str:
    product = catalogue.create_product(rt, principal, form)
    catalogue.review_product(rt, operator(), product.id, approve=True, note="资质齐全")
    return product.id


def build_mall(rt: Container) -> MallWorld:
    world = build_world(rt)
    op = operator()
    cats: dict[str, str] = {}
    for key, name, parent in [("care", "居家照护", None), ("bath", "助浴服务", "care"), ("nursing", "上门护理", "care"),
                              ("rehab", "康复服务", None), ("aids", "康复辅具", "rehab"), ("goods", "生活用品", None)]:
        cats[key] = catalogue.create_category(rt, op, CategoryForm(name=name, parent_id=cats.get(parent or ""))).id
    a, b = world.inst["A"], world.inst["B"]
    admin_a, admin_b = world.principal("admin_A"), world.principal("admin_B")
    config.put_mall_config(rt, admin_a, a, MallConfigForm(
        home_visit_area=AreaForm(region_codes=["440104"]), delivery_area=AreaForm(region_codes=["440104"]),
        store=PlaceForm(address="越秀区文德路1号", notes="周一至周六 8:30-17:30", lng=113.27, lat=23.13),
        pickup=PlaceForm(address="越秀区文德路1号一楼服务台", notes="凭核销码自提"),
        shipping_from=PlaceForm(address="越秀区文德路1号仓库")))
    config.put_mall_config(rt, admin_b, b, MallConfigForm(home_visit_area=AreaForm(region_codes=["440106"])))
    products = {
        "bath": approved(rt, admin_a, ProductForm(
            fulfilment="home_visit", name="上门助浴服务", category_id=cats["bath"], price_fen=15000,
            standard_minutes=60, tags=["助浴", "失能老人"], attributes={"服务人员": "护理员"})),
        "rehab": approved(rt, admin_a, ProductForm(
            fulfilment="in_store", name="康复理疗（到店）", category_id=cats["rehab"], price_fen=20000,
            standard_minutes=45, tags=["康复"], unit="次")),
        "diapers": approved(rt, admin_a, ProductForm(
            fulfilment="delivery", name="成人纸尿裤 L码", category_id=cats["goods"], price_fen=8000, stock=5,
            unit="包")),
        "walker": approved(rt, admin_a, ProductForm(
            fulfilment="pickup", name="铝合金助行器", category_id=cats["aids"], price_fen=26000, stock=3, unit="台",
            attributes={"材质": "铝合金"})),
        "nursing_B": approved(rt, admin_b, ProductForm(
            fulfilment="home_visit", name="上门护理（专业护士）", category_id=cats["nursing"], price_fen=12000,
            standard_minutes=60, tags=["上门护理"])),
    }
    elder = world.elders["A"]
    near = addresses.add_address(rt, op, elder, AddressForm(
        region_code="440104", detail="文德路8号3栋502", contact_name="陈志强", contact_phone=phone(700),
        lng=113.271, lat=23.131)).id
    far = addresses.add_address(rt, op, elder, AddressForm(
        region_code="440106", detail="五山路1号", contact_name="陈志强", contact_phone=phone(701))).id
    member = staff.hire_staff(rt, op, StaffForm(institution_id=a, name="护理员甲", phone=phone(702),
                                                profession="nurse", license_no="2026440012345"))
    world.accounts["staff_A"] = accounts.create_account(
        rt, op, AccountForm(username="staff_A", password=PASSWORD, role="staff", staff_id=member.id)).id
    return MallWorld(world, cats, products, near, far, member.id)
