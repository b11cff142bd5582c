"""The mall part of the demo (服务商城演示数据): the category tree, five institutions' mall configuration,
products of the four fulfilment types (most approved, some waiting for review, one refused, one with an
edit under review), a package and a buy-gift rule, and November's orders of the demo elders — visited,
verified, shipped and picked up, rated, one refunded and one being returned, paid vouchers first where the
elder holds elderly-care vouchers (`demo_vouchers`) — and, on the morning of
25 November 2026, a home visit nobody has dispatched and a parcel not shipped for days (exception orders)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import attrs

from apps.cli.demo_homebed import DemoClock, _principal
from apps.cli.demo_vouchers import seed_vouchers
from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import DomainError
from yiyangkang.domain.kernel.timekeeping import SHANGHAI
from yiyangkang.domain.mall.review import ReviewSubject
from yiyangkang.services import addresses
from yiyangkang.services.mall import aftersales, catalogue, checkout, fulfilment, offers, ratings
from yiyangkang.services.mall import config as mall_config
from yiyangkang.services.mall.aftersales import AfterSaleForm
from yiyangkang.services.mall.catalogue import CategoryForm, ProductForm
from yiyangkang.services.mall.checkout import CartItem, CheckoutForm
from yiyangkang.services.mall.config import AreaForm, MallConfigForm, PlaceForm
from yiyangkang.services.mall.exceptions import DESK
from yiyangkang.services.mall.offers import BuyGiftForm, PackageForm
from yiyangkang.services.mall.ratings import RatingForm

START = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
MORNING = datetime(2026, 11, 25, 8, 30, tzinfo=SHANGHAI)

CATEGORIES = [  # key, name, parent
    ("care", "居家照护", None), ("bath", "助浴服务", "care"), ("nursing", "上门护理", "care"),
    ("living", "生活照料", "care"), ("rehab", "康复服务", None), ("therapy", "康复理疗", "rehab"),
    ("aids", "康复辅具", "rehab"), ("medical", "医疗服务", None), ("checkup", "健康体检", "medical"),
    ("meals", "助餐服务", None), ("goods", "生活用品", None), ("supplies", "护理用品", "goods"),
    ("food", "营养食品", "goods"),
]
# institution, fulfilment, name, category, price (fen), minutes or stock, unit, tags
PRODUCTS = [
    ("yuexiu", "home_visit", "上门助浴（失能长者）", "bath", 16800, 60, "次", ["助浴", "失能老人"]),
    ("yuexiu", "home_visit", "上门护理：压疮护理", "nursing", 12000, 45, "次", ["上门护理", "压疮"]),
    ("yuexiu", "home_visit", "居家保洁（2小时）", "living", 9000, 120, "次", ["保洁", "生活照料"]),
    ("yuexiu", "home_visit", "陪同就医", "living", 15000, 180, "次", ["陪诊"]),
    ("yuexiu", "delivery", "成人纸尿裤 L码 10片装", "supplies", 5900, 200, "包", ["纸尿裤", "护理用品"]),
    ("yuexiu", "delivery", "护理湿巾 80抽", "supplies", 1500, 300, "包", ["湿巾"]),
    ("yuexiu", "pickup", "铝合金折叠助行器", "aids", 26000, 12, "台", ["助行器", "康复辅具"]),
    ("yuexiu_beijing", "home_visit", "上门理发", "living", 3000, 30, "次", ["理发"]),
    ("yuexiu_beijing", "in_store", "长者饭堂午餐", "meals", 1200, 30, "份", ["助餐", "长者饭堂"]),
    ("tianhe", "home_visit", "上门护理：导尿管护理（护士）", "nursing", 18000, 40, "次", ["上门护理", "护士"]),
    ("tianhe", "in_store", "老年人健康体检套餐", "checkup", 28000, 90, "次", ["体检"]),
    ("tianhe", "home_visit", "家庭医生上门巡诊", "medical", 20000, 30, "次", ["巡诊", "家庭医生"]),
    ("haizhu", "home_visit", "上门助浴（自理长者）", "bath", 12800, 50, "次", ["助浴"]),
    ("haizhu", "delivery", "营养奶粉（中老年） 800g", "food", 16800, 80, "罐", ["营养", "奶粉"]),
    ("haizhu", "pickup", "医用护理床垫（防褥疮）", "aids", 68000, 5, "张", ["防褥疮", "护理床"]),
    ("panyu", "in_store", "中医康复理疗（针灸推拿）", "therapy", 18000, 45, "次", ["康复", "中医", "理疗"]),
    ("panyu", "in_store", "脑卒中康复训练", "therapy", 25000, 60, "次", ["康复训练", "脑卒中"]),
    ("panyu", "home_visit", "上门康复指导", "therapy", 22000, 60, "次", ["康复", "上门"]),
]
CONFIGS = {
    "yuexiu": MallConfigForm(
        home_visit_area=AreaForm(region_codes=["440104"]), delivery_area=AreaForm(region_codes=["440104", "440105"]),
        store=PlaceForm(address="越秀区东风中路437号一楼", notes="周一至周六 8:30-17:30", lng=113.2668, lat=23.1327),
        shipping_from=PlaceForm(address="越秀区东风中路437号仓库"),
        pickup=PlaceForm(address="越秀区东风中路437号一楼服务台", notes="凭核销码自提，工作日 9:00-17:00")),
    "yuexiu_beijing": MallConfigForm(
        home_visit_area=AreaForm(region_codes=["440104"]),
        store=PlaceForm(address="越秀区北京路238号长者饭堂", notes="午餐 11:30-13:00", lng=113.2707, lat=23.1256)),
    "tianhe": MallConfigForm(
        home_visit_area=AreaForm(region_codes=["440106"], center_lng=113.3513, center_lat=23.1574, radius_m=8000),
        store=PlaceForm(address="天河区五山路371号门诊二楼", notes="体检须空腹", lng=113.3513, lat=23.1574)),
    "haizhu": MallConfigForm(
        home_visit_area=AreaForm(region_codes=["440105"]), delivery_area=AreaForm(region_codes=["440104", "440105"]),
        pickup=PlaceForm(address="海珠区江南大道中168号前台"),
        shipping_from=PlaceForm(address="海珠区江南大道中168号")),
    "panyu": MallConfigForm(
        home_visit_area=AreaForm(region_codes=["440113"]),
        store=PlaceForm(address="番禺区市桥光明北路288号康复大厅", notes="请提前预约", lng=113.3652, lat=22.9419)),
}
WORKERS = {"yuexiu": "yuexiu_service_worker_3", "yuexiu_beijing": "yuexiu_beijing_service_worker_1",
           "tianhe": "tianhe_nurse_3", "haizhu": "haizhu_service_worker_2", "panyu": "panyu_service_worker_3"}
COMMENTS = {5: ["服务很细心，老人很满意", "准时上门，态度很好", "专业、耐心，下次还约"],
            4: ["总体不错，稍微晚到了一点", "服务可以，价格略高"], 3: ["一般，希望沟通更及时"]}


def seed_mall(base: Container) -> dict[str, int]:
    rng = random.Random(20261102)
    clock = DemoClock(START - timedelta(days=1))
    rt = attrs.evolve(base, clock=clock)
    op = _principal(rt, "operator")
    cats: dict[str, str] = {}
    for key, name, parent in CATEGORIES:
        cats[key] = catalogue.create_category(rt, op, CategoryForm(name=name, parent_id=cats.get(parent or ""))).id
    seed_vouchers(rt, clock, cats)
    clock.to(START - timedelta(days=1))
    admins = {key: _principal(rt, f"admin_{key}") for key in CONFIGS}
    for key, form in CONFIGS.items():
        mall_config.put_mall_config(rt, admins[key], str(admins[key].institution_id), form)
    products: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for key, kind, name, cat, fen, amount, unit, tags in PRODUCTS:
        goods = kind in ("delivery", "pickup")
        made = catalogue.create_product(rt, admins[key], ProductForm(
            fulfilment=kind, name=name, category_id=cats[cat], price_fen=fen, unit=unit, tags=tags,
            stock=amount if goods else None, standard_minutes=None if goods else amount,
            description=f"{name}。由持证人员提供服务，服务前电话确认。" if not goods else f"{name}，正品保障。"))
        catalogue.review_product(rt, op, made.id, approve=True, note="资质与价格核实无误")
        products.setdefault(key, []).append(made.id)
        names[made.id] = name
    _review_queue(rt, admins, op, cats, products)
    package = offers.create_package(rt, admins["yuexiu"], PackageForm(
        name="助浴+压疮护理 优惠套餐", items=[(products["yuexiu"][0], 1), (products["yuexiu"][1], 1)], price_fen=25800,
        description="一次助浴加一次压疮护理，比单买省 ¥30"))
    offers.review_offer(rt, op, ReviewSubject.PACKAGE, package.id, approve=True, note="同意")
    rule = offers.create_rule(rt, admins["yuexiu"], BuyGiftForm(
        name="纸尿裤买3包送湿巾1包", buy_product_id=products["yuexiu"][4], buy_quantity=3,
        gift_product_id=products["yuexiu"][5], gift_quantity=1, max_gifts_per_order=3,
        valid_from=START.date(), valid_until=START.date() + timedelta(days=60)))
    offers.review_offer(rt, op, ReviewSubject.PROMOTION, rule.id, approve=True, note="同意")
    counts = _november(rt, clock, rng, admins, products)
    clock.to(MORNING)
    counts["exceptions"] = DESK.scan(rt).raised
    counts["products"] = len(names)
    return counts


def _review_queue(rt: Container, admins: dict[str, Principal], op: Principal, cats: dict[str, str],
                  products: dict[str, list[str]]) -> None:
    """What the operator finds waiting: a new product, a refused one, a price change of a product on sale."""
    catalogue.create_product(rt, admins["yuexiu_beijing"], ProductForm(
        fulfilment="home_visit", name="上门修脚", category_id=cats["living"], price_fen=5000, standard_minutes=40,
        tags=["修脚"]))
    refused = catalogue.create_product(rt, admins["haizhu"], ProductForm(
        fulfilment="delivery", name="进口深海鱼油", category_id=cats["food"], price_fen=29800, stock=50, unit="瓶"))
    catalogue.review_product(rt, op, refused.id, approve=False, note="缺少进口食品检验检疫证明，请补充后再提交")
    catalogue.update_product(rt, admins["tianhe"], products["tianhe"][1], ProductForm(price_fen=26800))


@attrs.define
class _Elder:
    principal: Principal
    elder_id: str
    address_id: str
    district: str


def _elders(rt: Container, op: Principal) -> list[_Elder]:
    found = []
    for n in range(1, 13):
        p = _principal(rt, f"elder{n:02d}")
        elder_id = sorted(p.elder_ids)[0]
        address = addresses.list_addresses(rt, op, elder_id)[0]
        found.append(_Elder(p, elder_id, address.id, address.region_code[:6]))
    return found


def _reach(key: str, kind: str, district: str) -> bool:
    form = CONFIGS[key]
    area = form.home_visit_area if kind == "home_visit" else form.delivery_area if kind == "delivery" else None
    if kind in ("in_store", "pickup"):
        return (form.store if kind == "in_store" else form.pickup) is not None
    return area is not None and district in area.region_codes


def _november(rt: Container, clock: DemoClock, rng: random.Random, admins: dict[str, Principal],
              products: dict[str, list[str]]) -> dict[str, int]:
    op = _principal(rt, "operator")
    workers = {key: _principal(rt, login) for key, login in WORKERS.items()}
    elders = _elders(rt, op)
    kinds = {pid: (key, kind) for key, ids in products.items()
             for pid, (_k, kind, *_rest) in zip(ids, [p for p in PRODUCTS if p[0] == key], strict=True)}
    counts = {"trades": 0, "rated": 0, "after_sales": 0}
    for day in range(2, 24):
        for elder in rng.sample(elders, 2):
            choices = [pid for pid, (key, kind) in kinds.items() if _reach(key, kind, elder.district)]
            pid = rng.choice(choices)
            key, kind = kinds[pid]
            clock.to(START.replace(day=day, hour=rng.choice([8, 9, 10])))
            try:
                _one_order(rt, clock, rng, elder, pid, kind, admins[key], workers[key], counts)
            except DomainError as exc:  # the story must hold together: say which step broke
                raise RuntimeError(f"demo mall order of {day} Nov failed: {exc}") from exc
    _still_open(rt, clock, elders, products, counts)
    return counts


def _one_order(rt: Container, clock: DemoClock, rng: random.Random, elder: _Elder, pid: str, kind: str,
               admin: Principal, worker: Principal, counts: dict[str, int]) -> None:
    at = clock.now() + timedelta(hours=5)
    quantity = rng.choice([1, 1, 2, 3]) if kind in ("delivery", "in_store") else 1
    trade = checkout.pay(rt, elder.principal, checkout.checkout(rt, elder.principal, CheckoutForm(
        elder_id=elder.elder_id, address_id=elder.address_id,
        items=[CartItem(product_id=pid, quantity=quantity, appointment_at=at)])).id, use_vouchers=True)
    counts["trades"] += 1
    sub = trade.sub_orders[0]
    if kind == "home_visit":
        clock.to(clock.now() + timedelta(minutes=rng.randrange(10, 50)))
        fulfilment.dispatch(rt, admin, sub.id, str(worker.staff_id))
        clock.to(at + timedelta(minutes=rng.randrange(-10, 25)))
        fulfilment.start_visit(rt, worker, sub.id, str(sub.verify_code))
        clock.to(clock.now() + timedelta(minutes=rng.randrange(25, 90)))
        fulfilment.complete_visit(rt, worker, sub.id, "服务完成，已告知家属注意事项")
    elif kind in ("in_store", "pickup"):
        clock.to(at)
        fulfilment.verify(rt, admin, str(sub.verify_code))
    else:
        clock.to(clock.now() + timedelta(hours=rng.randrange(2, 30)))
        if quantity > 1 and counts["after_sales"] == 0:  # one unit no longer wanted: refunded before shipping
            request = aftersales.request_after_sale(rt, elder.principal, AfterSaleForm(
                sub_order_id=sub.id, line_no=1, type="refund", quantity=1, reason="买多了，退一件"))
            aftersales.review_after_sale(rt, admin, request.id, approve=True, note="同意退款")
            counts["after_sales"] += 1
        fulfilment.ship(rt, admin, sub.id, fulfilment.ShipForm(carrier="顺丰速运",
                                                                 tracking_no=f"SF{rng.randrange(10**11, 10**12)}"))
        clock.to(clock.now() + timedelta(days=2))
        fulfilment.confirm_delivery(rt, elder.principal, sub.id)
    if rng.random() < 0.7:
        stars = rng.choice([5, 5, 5, 4, 4, 3])
        ratings.rate(rt, elder.principal, RatingForm(sub_order_id=sub.id, stars=stars,
                                                     text=rng.choice(COMMENTS[stars])))
        counts["rated"] += 1


def _still_open(rt: Container, clock: DemoClock, elders: list[_Elder], products: dict[str, list[str]],
                counts: dict[str, int]) -> None:
    """The morning of the 25th: a visit nobody dispatched, a parcel waiting since the 21st, a return on its
    way back, an unpaid cart."""
    yuexiu = next(e for e in elders if e.district == "440104")
    admin = _principal(rt, "admin_yuexiu")

    def buy(product: str, quantity: int = 1, appointment: datetime | None = None, pay: bool = True) -> str:
        trade = checkout.checkout(rt, yuexiu.principal, CheckoutForm(
            elder_id=yuexiu.elder_id, address_id=yuexiu.address_id,
            items=[CartItem(product_id=product, quantity=quantity, appointment_at=appointment)]))
        counts["trades"] += 1
        return (checkout.pay(rt, yuexiu.principal, trade.id) if pay else trade).sub_orders[0].id

    clock.to(START.replace(day=18, hour=10))
    delivered = buy(products["yuexiu"][4], 2)
    fulfilment.ship(rt, admin, delivered, fulfilment.ShipForm(carrier="中通快递", tracking_no="ZT7730012345"))
    clock.to(START.replace(day=20, hour=15))
    fulfilment.confirm_delivery(rt, yuexiu.principal, delivered)
    clock.to(START.replace(day=21, hour=10))
    buy(products["yuexiu"][4], 3)  # paid, never shipped: a shipping timeout by the 25th
    clock.to(START.replace(day=22, hour=9))
    request = aftersales.request_after_sale(rt, yuexiu.principal, AfterSaleForm(
        sub_order_id=delivered, line_no=1, type="return", quantity=1, reason="尺码不合适"))
    aftersales.review_after_sale(rt, admin, request.id, approve=True, note="同意退货，请寄回")
    aftersales.send_return(rt, yuexiu.principal, request.id, "YT880012345678")
    counts["after_sales"] += 1
    clock.to(START.replace(day=24, hour=16))
    buy(products["yuexiu"][0], appointment=MORNING - timedelta(minutes=30))  # nobody dispatched it
    clock.to(MORNING - timedelta(minutes=20))
    buy(products["yuexiu"][6], pay=False)  # still in the cart's payment window
