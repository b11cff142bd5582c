"""The service mall (服务商城) over HTTP, role by role: the four fulfilment types end to end, an order placed
by staff for an elder (起单), after-sales, ratings and their hiding, search and stores, exception orders and
their export — and the refusals, each with its status and error code.

The app runs over SQLite with `tests.mall.setup.build_mall` instead of `build_world`: A's categories, mall
configuration and approved products (上门助浴 home visit, 康复理疗 in store, 成人纸尿裤 delivery, 助行器
pickup), B's 上门护理, elder A's addresses (文德路 in 越秀, and 五山路 in 天河 outside A's areas) and A's
worker `staff_A`; this module adds an address for elder B.
The module-scoped app is shared: tests that buy look at their own orders and compare stock before and after;
tests that change the platform's settings or need an exact count of exception orders get a world of their own.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from attrs import define
from openpyxl import load_workbook

from tests.api.conftest import ERROR_KEYS, Caller, assert_error, detail_codes, ok, serve
from tests.conftest import operator
from tests.mall.setup import MallWorld, build_mall
from tests.world import World, phone
from yiyangkang.bootstrap import Container
from yiyangkang.services import addresses
from yiyangkang.services.addresses import AddressForm
from yiyangkang.services.mall.exceptions import DESK

MALL = "/api/v1/mall"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- the app ----------------------------------------------------------------------------------------------

@define
class MallApi(Caller):
    """A running app over its own SQLite database with the mall world in it."""

    mw: MallWorld
    address_b: str  # elder B's address in 天河 (inside B's home-visit area)

    @property
    def world(self) -> World:
        return self.mw.world

    def product(self, key: str) -> str:
        return self.mw.products[key]


def make_mall_api(db_file: Path) -> Iterator[MallApi]:
    """Like `tests.api.conftest.make_api`, with `build_mall` (and an address for B's elder in 天河)."""
    addresses_b: list[str] = []

    def world(container: Container) -> MallWorld:
        mw = build_mall(container)
        addresses_b.append(addresses.add_address(container, operator(), mw.world.elders["B"], AddressForm(
            region_code="440106", detail="五山路3号2栋101", contact_name="李秀英", contact_phone=phone(703))).id)
        return mw

    for client, mw, clock, container in serve(db_file, world):
        yield MallApi(client=client, mw=mw, clock=clock, rt=container, address_b=addresses_b[0])


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MallApi]:
    yield from make_mall_api(tmp_path_factory.mktemp("api-mall") / "api.db")


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[MallApi]:
    yield from make_mall_api(tmp_path / "api.db")


# --- helpers ----------------------------------------------------------------------------------------------

def cart(api: MallApi, *items: tuple[str, int], elder: str | None = None, address: str | None = None,
         hours: float = 4) -> dict[str, Any]:
    """A checkout body for elder A (or `elder`): (product key, quantity), appointments `hours` ahead."""
    return {"elder_id": elder or api.mw.elder, "address_id": address or api.mw.address,
            "items": [{"product_id": api.product(key), "quantity": n, "appointment_at": api.at(hours=hours)}
                      for key, n in items]}


def buy(api: MallApi, *items: tuple[str, int], by: str = "elder_A", hours: float = 4,
        body: dict[str, Any] | None = None) -> dict[str, Any]:
    """M-05: check out and pay (sandbox); the paid trade as `by` sees it."""
    trade = ok(api.post(by, f"{MALL}/trades", body or cart(api, *items, hours=hours)), 201)
    assert trade["status"] == "unpaid"
    assert {s["status"] for s in trade["sub_orders"]} == {"pending_payment"}
    paid = ok(api.post(by, f"{MALL}/trades/{trade['id']}/pay", {}))
    assert paid["status"] == "paid"
    assert paid["paid_at"] is not None
    return dict(paid)


def only_sub(trade: dict[str, Any], fulfilment: str) -> dict[str, Any]:
    found = [s for s in trade["sub_orders"] if s["fulfilment"] == fulfilment]
    assert len(found) == 1, trade
    return dict(found[0])


def order(api: MallApi, username: str, order_id: str) -> dict[str, Any]:
    return dict(ok(api.get(username, f"{MALL}/orders/{order_id}")))


def code_of(api: MallApi, order_id: str) -> str:
    """The verification code as the elder sees it (12 digits, and the QR payload)."""
    seen = order(api, "elder_A", order_id)
    code = seen["verify_code"]
    assert isinstance(code, str)
    assert len(code) == 12
    assert code.isdigit()
    assert seen["verify_qr"] == f"yyk:verify:{code}"
    return code


def stock(api: MallApi, key: str) -> int:
    found = ok(api.get("admin_A", f"{MALL}/catalogue/products/{api.product(key)}"))["stock"]
    assert isinstance(found, int)
    return found


def page_ids(response: Any) -> list[str]:
    body = ok(response)
    assert set(body) == {"items", "total", "page", "page_size"}, body
    return [item["id"] for item in body["items"]]


# --- 1. the four fulfilment types end to end (M-05, A-05, P-01/P-02) --------------------------------------

def test_home_visit_end_to_end_with_rating_and_hiding(api: MallApi) -> None:
    """M-05 + A-05 + P-01 + A-06: the elder buys a home visit (address, appointment) and pays; admin_A
    dispatches to staff_A; staff_A starts with the elder's code — which only the elder's side ever sees —
    and completes; the elder rates; the operator hides the rating from buyers, institutions still see it."""
    trade = buy(api, ("bath", 1))
    assert trade["total_fen"] == 15000
    visit = only_sub(trade, "home_visit")
    assert visit["status"] == "pending_dispatch"
    assert visit["destination"]["detail"] == "文德路8号3栋502"  # the elder sees its own address in full
    code = code_of(api, visit["id"])
    assert visit["verify_code"] == code  # the trade the elder paid shows the code as well
    assert order(api, "family_F", visit["id"])["verify_code"] == code  # the family acts for elder A

    dispatched = ok(api.post("admin_A", f"{MALL}/orders/{visit['id']}/dispatch", {"staff_id": api.mw.staff_A}))
    assert (dispatched["status"], dispatched["staff_id"]) == ("dispatched", api.mw.staff_A)
    assert dispatched["verify_code"] is None
    mine = ok(api.get("staff_A", f"{MALL}/orders", mine="true"))
    assert visit["id"] in {o["id"] for o in mine["items"]}

    # The code reaches nobody but the elder's side: not staff, admins or auditors, in no view of the order.
    for username in ("staff_A", "admin_A", "auditor", "operator"):
        seen = order(api, username, visit["id"])
        assert (seen["verify_code"], seen["verify_qr"]) == (None, None), username
        for path in (f"{MALL}/orders/{visit['id']}", f"{MALL}/orders/{visit['id']}/events", f"{MALL}/orders"):
            response = api.get(username, path)
            assert response.status_code == 200, response.text
            assert code not in response.text, (username, path)

    wrong = "000000000000" if code != "000000000000" else "111111111111"
    refused = api.post("staff_A", f"{MALL}/orders/{visit['id']}/start", {"code": wrong})
    assert detail_codes(refused) == {"code": "WRONG_CODE"}
    not_his = api.post("staff_A1", f"{MALL}/orders/{visit['id']}/start", {"code": code})
    assert_error(not_his, 404)  # a worker of another station does not even see the order

    started = ok(api.post("staff_A", f"{MALL}/orders/{visit['id']}/start",
                          {"code": f"yyk:verify:{code}", "lng": 113.271, "lat": 23.131}))
    assert started["status"] == "in_service"
    assert started["started_at"] is not None
    api.clock.advance(minutes=55)
    done = ok(api.post("staff_A", f"{MALL}/orders/{visit['id']}/complete", {"record": "助浴、更衣，皮肤完好"}))
    assert (done["status"], done["service_record"]) == ("completed", "助浴、更衣，皮肤完好")
    assert done["lines"][0]["fulfilled"] == 1
    names = [e["name"] for e in ok(api.get("admin_A", f"{MALL}/orders/{visit['id']}/events"))]
    assert names[0] == "mall_order.placed"
    assert {f"mall_order.{n}" for n in ("paid", "dispatched", "started", "completed")} <= set(names), names

    rating = ok(api.post("elder_A", f"{MALL}/ratings", {"sub_order_id": visit["id"], "stars": 5,
                                                       "text": "护理员很细心"}), 201)
    assert (rating["stars"], rating["staff_id"], rating["hidden"]) == (5, api.mw.staff_A, False)
    assert rating["author"] != "老人A"  # masked
    again = api.post("elder_A", f"{MALL}/ratings", {"sub_order_id": visit["id"], "stars": 1})
    assert_error(again, 409, "MALL_ALREADY_RATED")
    assert order(api, "elder_A", visit["id"])["rated"] is True

    bath = api.product("bath")
    assert rating["id"] in page_ids(api.get("admin_A", f"{MALL}/ratings"))
    assert rating["id"] not in page_ids(api.get("admin_B", f"{MALL}/ratings"))
    assert rating["id"] in page_ids(api.get("elder_A", f"{MALL}/products/{bath}/ratings"))
    detail = ok(api.get("elder_A", f"{MALL}/products/{bath}"))
    assert detail["product"]["rating_count"] >= 1
    assert rating["id"] in {r["id"] for r in detail["ratings"]}

    refused = api.post("admin_A", f"{MALL}/ratings/{rating['id']}/hidden", {"hidden": True, "reason": "含电话号码"})
    assert_error(refused, 403, "PERMISSION_DENIED")  # only the platform hides ratings
    hidden = ok(api.post("operator", f"{MALL}/ratings/{rating['id']}/hidden",
                         {"hidden": True, "reason": "含个人信息"}))
    assert (hidden["hidden"], hidden["hidden_reason"]) == (True, "含个人信息")
    assert rating["id"] not in page_ids(api.get("elder_A", f"{MALL}/products/{bath}/ratings"))
    assert rating["id"] not in {r["id"] for r in ok(api.get("elder_A", f"{MALL}/products/{bath}"))["ratings"]}
    kept = ok(api.get("admin_A", f"{MALL}/ratings", product_id=bath))
    assert {r["id"]: r["hidden"] for r in kept["items"]}[rating["id"]] is True


def test_in_store_verified_by_code_in_parts(api: MallApi) -> None:
    """M-05 + A-05: two sessions in store, verified with the elder's code one session at a time; another
    institution's code looks exactly like a code that does not exist."""
    trade = buy(api, ("rehab", 2))
    assert trade["total_fen"] == 40000
    store = only_sub(trade, "in_store")
    assert store["status"] == "pending_use"
    assert store["destination"] is None
    assert store["place"]["address"] == "越秀区文德路1号"
    code = code_of(api, store["id"])

    looked = ok(api.post("admin_A", f"{MALL}/verification/lookup", {"code": code}))
    assert (looked["id"], looked["verify_code"]) == (store["id"], None)
    foreign = api.post("admin_B", f"{MALL}/verification/lookup", {"code": code})
    made_up = api.post("admin_B", f"{MALL}/verification/lookup",
                       {"code": "123456789012" if code != "123456789012" else "210987654321"})
    assert_error(foreign, 404, "MALL_CODE_NOT_FOUND")
    assert_error(made_up, 404, "MALL_CODE_NOT_FOUND")
    assert foreign.json() == made_up.json()  # nothing tells them apart
    assert_error(api.post("admin_B", f"{MALL}/verification", {"code": code}), 404, "MALL_CODE_NOT_FOUND")
    assert_error(api.post("staff_A1", f"{MALL}/verification", {"code": code}), 404, "MALL_CODE_NOT_FOUND")

    first = ok(api.post("staff_A", f"{MALL}/verification", {"code": code, "units": {"1": 1}}))
    assert (first["status"], first["lines"][0]["fulfilled"]) == ("pending_use", 1)
    too_many = api.post("admin_A", f"{MALL}/verification", {"code": code, "units": {"1": 2}})
    assert detail_codes(too_many) == {"units.1": "OUT_OF_RANGE"}
    rest = ok(api.post("admin_A", f"{MALL}/verification", {"code": code}))
    assert (rest["status"], rest["lines"][0]["fulfilled"]) == ("completed", 2)
    assert_error(api.post("admin_A", f"{MALL}/verification", {"code": code}), 409, "MALL_ORDER_NOT_VERIFIABLE")
    assert order(api, "elder_A", store["id"])["status"] == "completed"


def test_delivery_shipped_in_parts_logistics_edited_and_confirmed(api: MallApi) -> None:
    """M-05 + A-05 + P-02: goods are shipped in two parcels, a tracking number corrected, the elder confirms
    delivery; the stock went down by what was bought."""
    before = stock(api, "diapers")
    trade = buy(api, ("diapers", 2))
    parcel = only_sub(trade, "delivery")
    assert parcel["status"] == "pending_shipment"
    assert parcel["verify_code"] is None  # deliveries have no code
    assert stock(api, "diapers") == before - 2
    path = f"{MALL}/orders/{parcel['id']}"

    assert detail_codes(api.post("admin_A", f"{path}/ship", {"carrier": "顺丰速运", "tracking_no": "SF#1"})) == {
        "tracking_no": "INVALID"}
    part = ok(api.post("admin_A", f"{path}/ship", {"carrier": "顺丰速运", "tracking_no": "SF1234567890",
                                                  "units": {"1": 1}}))
    assert (part["status"], part["lines"][0]["shipped"]) == ("pending_shipment", 1)
    whole = ok(api.post("staff_A", f"{path}/ship", {"carrier": "顺丰速运", "tracking_no": "SF1234567891"}))
    assert whole["status"] == "shipped"
    assert [s["tracking_no"] for s in whole["shipments"]] == ["SF1234567890", "SF1234567891"]

    edited = ok(api.post("admin_A", f"{path}/shipments/0", {"carrier": "中通快递", "tracking_no": "ZT7788990011"}))
    assert (edited["shipments"][0]["carrier"], edited["shipments"][0]["tracking_no"]) == ("中通快递", "ZT7788990011")
    assert edited["shipments"][0]["edited_at"] is not None
    assert detail_codes(api.post("admin_A", f"{path}/shipments/5", {"carrier": "中通快递", "tracking_no": "ZT1"})) == {
        "index": "UNKNOWN_SHIPMENT"}
    seen = order(api, "elder_A", parcel["id"])
    assert seen["shipments"][0]["tracking_no"] == "ZT7788990011"  # the elder follows the parcel

    delivered = ok(api.post("elder_A", f"{path}/confirm-delivery"))
    assert (delivered["status"], delivered["lines"][0]["fulfilled"]) == ("completed", 2)
    locked = api.post("admin_A", f"{path}/shipments/0", {"carrier": "顺丰速运", "tracking_no": "SF1"})
    assert_error(locked, 409, "MALL_ORDER_LOGISTICS_LOCKED")
    goods = ok(api.get("elder_A", f"{MALL}/orders", goods="true"))
    assert parcel["id"] in {o["id"] for o in goods["items"]}
    services = ok(api.get("elder_A", f"{MALL}/orders", goods="false"))
    assert parcel["id"] not in {o["id"] for o in services["items"]}


def test_self_pickup_verified_at_the_counter(api: MallApi) -> None:
    """M-05 + A-05: the elder buys a walker for pickup (no address needed) and shows the QR code at the
    counter; the order completes."""
    before = stock(api, "walker")
    body = cart(api, ("walker", 1))
    del body["address_id"]
    trade = buy(api, body=body)
    pickup = only_sub(trade, "pickup")
    assert pickup["status"] == "pending_pickup"
    assert pickup["place"]["address"] == "越秀区文德路1号一楼服务台"
    assert pickup["place"]["notes"] == "凭核销码自提"
    assert stock(api, "walker") == before - 1
    code = code_of(api, pickup["id"])
    done = ok(api.post("staff_A", f"{MALL}/verification", {"code": f"yyk:verify:{code}"}))
    assert (done["status"], done["verify_code"]) == ("completed", None)
    assert order(api, "elder_A", pickup["id"])["status"] == "completed"


def test_staff_place_an_order_for_an_elder_of_their_institution(api: MallApi) -> None:
    """A-05 起单: staff_A buys a session in store for elder A (of institution A) and pays; the trade is marked
    as placed on the elder's behalf, the elder sees it and its code, staff never see the code. A worker of
    station A1 may not buy for elder A."""
    body = cart(api, ("rehab", 1))
    trade = ok(api.post("staff_A", f"{MALL}/trades", body), 201)
    assert trade["on_behalf"] is True
    paid = ok(api.post("staff_A", f"{MALL}/trades/{trade['id']}/pay", {}))
    assert paid["status"] == "paid"
    sub = only_sub(paid, "in_store")
    assert sub["verify_code"] is None
    assert trade["id"] in page_ids(api.get("staff_A", f"{MALL}/trades"))
    assert trade["id"] in page_ids(api.get("elder_A", f"{MALL}/trades"))
    assert trade["id"] not in page_ids(api.get("admin_A", f"{MALL}/trades"))  # admins list the trades they placed
    seen = ok(api.get("elder_A", f"{MALL}/trades/{trade['id']}"))
    assert seen["on_behalf"] is True
    code_of(api, sub["id"])

    assert_error(api.post("staff_A1", f"{MALL}/trades", body), 404, "ELDER_NOT_FOUND")
    assert_error(api.post("admin_B", f"{MALL}/trades", body), 404, "ELDER_NOT_FOUND")
    assert_error(api.post("staff_A1", f"{MALL}/trades/{trade['id']}/pay", {}), 404)


def test_after_sales_refund_before_shipping_and_return_after_delivery(api: MallApi) -> None:
    """A-07 + P-02: the elder asks back one parcel not yet shipped (refund only) — admin_A approves and the
    refund shows on the line; the other is shipped and delivered, then returned: approve → awaiting return →
    the elder sends a tracking number → admin_A receives it → refunded, the stock is back, the order closed.
    Another institution can neither see nor review the requests."""
    before = stock(api, "diapers")
    parcel = only_sub(buy(api, ("diapers", 2)), "delivery")
    path = f"{MALL}/orders/{parcel['id']}"
    assert stock(api, "diapers") == before - 2

    refund = ok(api.post("elder_A", f"{MALL}/after-sales", {
        "sub_order_id": parcel["id"], "line_no": 1, "type": "refund", "quantity": 1, "reason": "买多了一包"}), 201)
    assert (refund["status"], refund["amount_fen"], refund["quantity"]) == ("pending", 8000, 1)
    assert_error(api.post("admin_B", f"{MALL}/after-sales/{refund['id']}/review", {"approve": True}), 404)
    assert_error(api.get("admin_B", f"{MALL}/after-sales/{refund['id']}"), 404)
    assert refund["id"] not in page_ids(api.get("admin_B", f"{MALL}/after-sales"))
    assert refund["id"] in page_ids(api.get("admin_A", f"{MALL}/after-sales", status="pending"))
    cancel = api.post("elder_A", f"{path}/cancel", {"reason": "不要了"})
    assert_error(cancel, 409, "MALL_ORDER_AFTER_SALE_OPEN")
    approved = ok(api.post("admin_A", f"{MALL}/after-sales/{refund['id']}/review", {"approve": True, "note": "同意"}))
    assert approved["status"] == "refunded"
    assert approved["refunded_at"] is not None
    line = order(api, "elder_A", parcel["id"])["lines"][0]
    assert (line["refunded_fen"], line["cancelled"], line["refundable_fen"]) == (8000, 1, 8000)
    assert order(api, "admin_A", parcel["id"])["refunded_fen"] == 8000
    assert stock(api, "diapers") == before - 1  # the unit never shipped is back on the shelf

    shipped = ok(api.post("admin_A", f"{path}/ship", {"carrier": "顺丰速运", "tracking_no": "SF2000000001"}))
    assert (shipped["status"], shipped["lines"][0]["shipped"]) == ("shipped", 1)
    ok(api.post("elder_A", f"{path}/confirm-delivery"))
    over = api.post("elder_A", f"{MALL}/after-sales", {
        "sub_order_id": parcel["id"], "line_no": 1, "type": "return", "quantity": 2, "reason": "质量问题"})
    assert "quantity" in detail_codes(over)
    ret = ok(api.post("elder_A", f"{MALL}/after-sales", {
        "sub_order_id": parcel["id"], "line_no": 1, "type": "return", "quantity": 1, "reason": "尺码不合适"}), 201)
    assert (ret["type"], ret["amount_fen"]) == ("return", 8000)
    assert_error(api.post("admin_B", f"{MALL}/after-sales/{ret['id']}/review", {"approve": True}), 404)
    early = api.post("elder_A", f"{MALL}/after-sales/{ret['id']}/return-shipment", {"tracking_no": "SF3000000001"})
    assert "id" in detail_codes(early)  # not approved yet
    awaiting = ok(api.post("admin_A", f"{MALL}/after-sales/{ret['id']}/review", {"approve": True}))
    assert awaiting["status"] == "awaiting_return"
    sent = ok(api.post("elder_A", f"{MALL}/after-sales/{ret['id']}/return-shipment", {"tracking_no": "SF3000000001"}))
    assert sent["return_tracking"] == "SF3000000001"
    assert_error(api.post("admin_B", f"{MALL}/after-sales/{ret['id']}/receive"), 404)
    received = ok(api.post("admin_A", f"{MALL}/after-sales/{ret['id']}/receive"))
    assert received["status"] == "refunded"
    assert stock(api, "diapers") == before
    closed = order(api, "elder_A", parcel["id"])
    assert (closed["status"], closed["refunded_fen"], closed["lines"][0]["returned"]) == ("closed", 16000, 1)


# --- 2. refusals ------------------------------------------------------------------------------------------

def test_unreviewed_product_cannot_be_bought_or_seen(api: MallApi) -> None:
    """A-01/A-02 + M-04: a product waiting for review is neither orderable (422 PRODUCT_NOT_ORDERABLE on
    its cart line) nor shown (404), nor found by search."""
    created = ok(api.post("admin_A", f"{MALL}/catalogue/products", {
        "fulfilment": "in_store", "name": "中医推拿（到店）", "category_id": api.mw.categories["rehab"],
        "price_fen": 12000, "standard_minutes": 40, "tags": ["推拿"]}), 201)
    assert (created["review"], created["orderable"], created["live"]) == ("pending", False, None)
    body = cart(api, ("rehab", 1))
    body["items"].append({"product_id": created["id"], "quantity": 1, "appointment_at": api.at(hours=4)})
    assert detail_codes(api.post("elder_A", f"{MALL}/trades", body)) == {"items.1.product_id": "PRODUCT_NOT_ORDERABLE"}
    assert_error(api.get("elder_A", f"{MALL}/products/{created['id']}"), 404)
    assert_error(api.get("admin_A", f"{MALL}/products/{created['id']}"), 404)  # the buyers' view, even for its seller
    assert page_ids(api.get("elder_A", f"{MALL}/products", keyword="推拿")) == []
    assert created["id"] in page_ids(api.get("admin_A", f"{MALL}/catalogue/products", review="pending"))
    assert created["id"] not in page_ids(api.get("admin_B", f"{MALL}/catalogue/products"))
    assert_error(api.get("admin_B", f"{MALL}/catalogue/products/{created['id']}"), 404)
    assert ok(api.get("admin_A", f"{MALL}/catalogue/products/{created['id']}"))["pending"]["name"] == "中医推拿（到店）"
    missing = api.post("elder_A", f"{MALL}/trades", cart(api, ("rehab", 1)) | {
        "items": [{"product_id": "00000000000000000000000000", "quantity": 1}]})
    assert detail_codes(missing) == {"items.0.product_id": "PRODUCT_NOT_ORDERABLE"}


def test_package_mixing_two_institutions_is_refused(api: MallApi) -> None:
    """A-04: a service package holds products of one institution only."""
    mixed = api.post("admin_A", f"{MALL}/catalogue/packages", {
        "name": "助浴护理组合", "price_fen": 25000,
        "items": [{"product_id": api.product("bath"), "quantity": 1},
                  {"product_id": api.product("nursing_B"), "quantity": 1}]})
    assert detail_codes(mixed) == {"items.1.product_id": "MIXES_INSTITUTIONS"}
    by_operator = api.post("operator", f"{MALL}/catalogue/packages", {
        "institution_id": api.world.inst["B"], "name": "跨机构套餐", "price_fen": 25000,
        "items": [{"product_id": api.product("bath"), "quantity": 1},
                  {"product_id": api.product("nursing_B"), "quantity": 1}]})
    assert detail_codes(by_operator) == {"items.0.product_id": "MIXES_INSTITUTIONS"}
    fine = ok(api.post("admin_A", f"{MALL}/catalogue/packages", {
        "name": "助浴康复套餐", "price_fen": 30000,
        "items": [{"product_id": api.product("bath"), "quantity": 1},
                  {"product_id": api.product("rehab"), "quantity": 1}]}), 201)
    assert (fine["review"], fine["list_price_fen"]) == ("pending", 35000)


def test_address_outside_the_service_area_is_refused(api: MallApi) -> None:
    """A-13: elder A's address in 天河 is outside A's home-visit area (越秀); a home visit needs an address
    and an appointment at least 30 minutes ahead."""
    far = api.post("elder_A", f"{MALL}/trades", cart(api, ("bath", 1), address=api.mw.far_address))
    assert detail_codes(far) == {"address_id": "OUTSIDE_SERVICE_AREA"}
    parcel = api.post("elder_A", f"{MALL}/trades", cart(api, ("diapers", 1), address=api.mw.far_address))
    assert detail_codes(parcel) == {"address_id": "OUTSIDE_SERVICE_AREA"}
    soon = api.post("elder_A", f"{MALL}/trades", cart(api, ("bath", 1), hours=0.25))
    assert detail_codes(soon) == {"items": "OUT_OF_RANGE"}
    no_time = cart(api, ("bath", 1))
    del no_time["items"][0]["appointment_at"]
    assert detail_codes(api.post("elder_A", f"{MALL}/trades", no_time)) == {"items": "APPOINTMENT_REQUIRED"}
    no_address = cart(api, ("bath", 1))
    del no_address["address_id"]
    assert detail_codes(api.post("elder_A", f"{MALL}/trades", no_address)) == {"address_id": "ADDRESS_REQUIRED"}
    others = cart(api, ("bath", 1), address=api.address_b)  # elder B's address is not elder A's
    assert detail_codes(api.post("elder_A", f"{MALL}/trades", others)) == {"address_id": "ADDRESS_REQUIRED"}
    # B's home visits reach 天河: elder A may buy them for the far address.
    ok(api.post("elder_A", f"{MALL}/trades", cart(api, ("nursing_B", 1), address=api.mw.far_address)), 201)


def test_another_elders_order_is_not_found(api: MallApi) -> None:
    """P-01 + access: admin_B buys a home visit for elder B; family F (linked to elder A only), elder A and A's
    admin get 404 for it, as for an order that does not exist."""
    body = cart(api, ("nursing_B", 1), elder=api.world.elders["B"], address=api.address_b)
    trade = buy(api, by="admin_B", body=body)
    assert trade["on_behalf"] is True
    visit = only_sub(trade, "home_visit")
    assert visit["verify_code"] is None
    assert order(api, "admin_B", visit["id"])["id"] == visit["id"]
    for username in ("family_F", "elder_A", "admin_A", "staff_A"):
        assert_error(api.get(username, f"{MALL}/orders/{visit['id']}"), 404)
        assert_error(api.get(username, f"{MALL}/trades/{trade['id']}"), 404)
        assert visit["id"] not in page_ids(api.get(username, f"{MALL}/orders"))
    missing = assert_error(api.get("family_F", f"{MALL}/orders/00000000000000000000000000"), 404)
    theirs = assert_error(api.get("family_F", f"{MALL}/orders/{visit['id']}"), 404)
    assert (theirs["code"], theirs["message"]) == (missing["code"], missing["message"])  # no existence leak
    assert_error(api.post("family_F", f"{MALL}/trades/{trade['id']}/pay", {}), 404)  # not 409 "already paid"
    assert_error(api.post("family_F", f"{MALL}/orders/{visit['id']}/cancel", {"reason": "不需要"}), 404)
    assert_error(api.post("family_F", f"{MALL}/after-sales", {
        "sub_order_id": visit["id"], "line_no": 1, "type": "refund", "quantity": 1, "reason": "不需要"}), 404)
    assert_error(api.post("admin_A", f"{MALL}/orders/{visit['id']}/dispatch", {"staff_id": api.mw.staff_A}), 404)


def test_home_visit_cancellation_deadline(api: MallApi) -> None:
    """P-01: the elder's side may cancel a paid home visit until 120 minutes before it (refunded in full);
    inside the deadline the elder is refused 409, while the institution, which cannot serve, still may."""
    late = only_sub(buy(api, ("bath", 1), hours=1), "home_visit")
    refused = api.post("elder_A", f"{MALL}/orders/{late['id']}/cancel", {"reason": "临时有事"})
    assert_error(refused, 409, "MALL_ORDER_CANCEL_DEADLINE_PASSED")
    assert_error(api.post("family_F", f"{MALL}/orders/{late['id']}/cancel", {"reason": "临时有事"}), 409,
                 "MALL_ORDER_CANCEL_DEADLINE_PASSED")
    assert detail_codes(api.post("admin_A", f"{MALL}/orders/{late['id']}/cancel", {"reason": " "})) == {
        "reason": "REQUIRED"}
    by_admin = ok(api.post("admin_A", f"{MALL}/orders/{late['id']}/cancel", {"reason": "护理员不足，无法上门"}))
    assert (by_admin["status"], by_admin["refunded_fen"]) == ("cancelled", 15000)

    early = only_sub(buy(api, ("bath", 1), hours=5), "home_visit")
    cancelled = ok(api.post("elder_A", f"{MALL}/orders/{early['id']}/cancel", {"reason": "改天再约"}))
    assert (cancelled["status"], cancelled["refunded_fen"], cancelled["cancel_reason"]) == (
        "cancelled", 15000, "改天再约")
    assert_error(api.post("elder_A", f"{MALL}/orders/{early['id']}/cancel", {"reason": "再取消"}), 409,
                 "MALL_ORDER_NOT_CANCELLABLE")

    unpaid = ok(api.post("elder_A", f"{MALL}/trades", cart(api, ("diapers", 1))), 201)
    before = stock(api, "diapers")
    closed = ok(api.post("elder_A", f"{MALL}/trades/{unpaid['id']}/cancel", {"reason": "不买了"}))
    assert closed["status"] == "closed"
    assert stock(api, "diapers") == before + 1
    assert_error(api.post("elder_A", f"{MALL}/trades/{unpaid['id']}/pay", {}), 409, "MALL_TRADE_NOT_UNPAID")


def test_product_review_follows_the_reviewer_setting(fresh: MallApi) -> None:
    """A-03: with products reviewed by the platform, A's admin may not review its station A1's product (403
    MALL_REVIEW_NOT_ALLOWED); after the operator sets the reviewer to "self", A's admin may review A1's
    product but never its own submission (403 MALL_REVIEW_OWN_SUBMISSION)."""
    api = fresh
    item = {"fulfilment": "home_visit", "category_id": api.mw.categories["nursing"], "price_fen": 9000,
            "standard_minutes": 30}
    station = ok(api.post("admin_A1", f"{MALL}/catalogue/products", {**item, "name": "上门测血压"}), 201)
    own = ok(api.post("admin_A", f"{MALL}/catalogue/products", {**item, "name": "上门换药"}), 201)
    review = f"{MALL}/catalogue/products/{station['id']}/review"
    body = assert_error(api.post("admin_A", review, {"approve": True}), 403, "MALL_REVIEW_NOT_ALLOWED")
    assert body["details"] == {"reviewer": "platform"}
    assert_error(api.put("admin_A", f"{MALL}/settings", {"values": {"product_reviewer": "self"}}), 403)
    assert detail_codes(api.put("operator", f"{MALL}/settings", {"values": {"product_reviewer": "anyone"}})) == {
        "product_reviewer": "INVALID"}

    saved = ok(api.put("operator", f"{MALL}/settings", {"values": {"product_reviewer": "self"}}))
    assert saved["values"]["product_reviewer"] == "self"
    assert ok(api.get("elder_A", f"{MALL}/settings"))["values"]["product_reviewer"] == "self"
    approved = ok(api.post("admin_A", review, {"approve": True, "note": "资质齐全"}))
    assert (approved["review"], approved["orderable"]) == ("approved", True)
    assert ok(api.get("elder_A", f"{MALL}/products/{station['id']}"))["product"]["content"]["name"] == "上门测血压"
    assert_error(api.post("admin_A", f"{MALL}/catalogue/products/{own['id']}/review", {"approve": True}), 403,
                 "MALL_REVIEW_OWN_SUBMISSION")
    assert_error(api.post("admin_B", f"{MALL}/catalogue/products/{own['id']}/review", {"approve": True}), 404)
    # A station does not even see its parent's products.
    assert_error(api.post("admin_A1", f"{MALL}/catalogue/products/{own['id']}/review", {"approve": True}), 404)
    no_reason = api.post("operator", f"{MALL}/catalogue/products/{own['id']}/review", {"approve": False})
    assert detail_codes(no_reason) == {"note": "REQUIRED"}


def test_unknown_fields_are_refused(api: MallApi) -> None:
    """Every body is closed: an unknown field is a 400, never silently dropped (a client cannot set its own
    price or status)."""
    body = cart(api, ("rehab", 1)) | {"total_fen": 1}
    assert_error(api.post("elder_A", f"{MALL}/trades", body), 400, "REQUEST_INVALID")
    item = cart(api, ("rehab", 1))
    item["items"][0]["price_fen"] = 1
    assert_error(api.post("elder_A", f"{MALL}/trades", item), 400, "REQUEST_INVALID")
    assert_error(api.post("admin_A", f"{MALL}/verification", {"code": "123456789012", "status": "completed"}), 400,
                 "REQUEST_INVALID")
    assert_error(api.post("elder_A", f"{MALL}/ratings", {"sub_order_id": "x", "stars": 5, "hidden": False}), 400,
                 "REQUEST_INVALID")
    assert_error(api.put("operator", f"{MALL}/settings", {"values": {}, "extra": 1}), 400, "REQUEST_INVALID")
    unknown_setting = api.put("operator", f"{MALL}/settings", {"values": {"free_shipping": 1}})
    assert detail_codes(unknown_setting) == {"free_shipping": "UNKNOWN_SETTING"}


def test_malformed_input_never_500(api: MallApi) -> None:
    """Wrong types, naive times, out-of-range numbers, bad codes, broken JSON, odd query values: all answered
    4xx in the one error shape."""
    p = api.product
    elder, address = api.mw.elder, api.mw.address
    posts: list[tuple[str, str, Any]] = [
        ("elder_A", f"{MALL}/trades", {"elder_id": elder, "items": [{"product_id": p("bath"), "quantity": "1"}]}),
        ("elder_A", f"{MALL}/trades", {"elder_id": elder, "address_id": address, "items": [
            {"product_id": p("bath"), "appointment_at": "2026-11-25T18:00:00"}]}),  # naive
        ("elder_A", f"{MALL}/trades", {"elder_id": elder, "items": [{"product_id": p("rehab"), "quantity": -1}]}),
        ("elder_A", f"{MALL}/trades", {"elder_id": elder, "items": [{"product_id": p("rehab"), "quantity": 100}]}),
        ("elder_A", f"{MALL}/trades", {"elder_id": elder, "items": [{"product_id": p("rehab"), "quantity": 0}]}),
        ("elder_A", f"{MALL}/trades", {"elder_id": elder, "items": []}),
        ("elder_A", f"{MALL}/trades", {"elder_id": elder, "items": [{"product_id": p("rehab")}] * 60}),
        ("elder_A", f"{MALL}/trades", {"elder_id": "../../etc", "items": [{"product_id": p("rehab")}]}),
        ("elder_A", f"{MALL}/trades", {"elder_id": elder, "remark": "x" * 5000,
                                       "items": [{"product_id": p("rehab")}]}),
        ("elder_A", f"{MALL}/trades", {"elder_id": elder, "packages": [{"package_id": "nope"}]}),
        ("elder_A", f"{MALL}/trades", []),
        ("elder_A", f"{MALL}/trades", None),
        ("elder_A", f"{MALL}/trades/nope/pay", {"channel": "alipay"}),
        ("admin_A", f"{MALL}/verification", {"code": "abc"}),
        ("admin_A", f"{MALL}/verification", {"code": "yyk:verify:12345"}),
        ("admin_A", f"{MALL}/verification", {"code": "1" * 41}),
        ("admin_A", f"{MALL}/verification", {"code": "123456789012", "units": {"a": 1}}),
        ("admin_A", f"{MALL}/verification", {"code": "123456789012", "units": {"1": -1}}),
        ("admin_A", f"{MALL}/verification", {"code": 123456789012}),
        ("admin_A", f"{MALL}/verification/lookup", {"code": "１２３４５６７８９０１２"}),
        ("staff_A", f"{MALL}/orders/nope/start", {"code": "123456789012", "lng": 500, "lat": 23}),
        ("staff_A", f"{MALL}/orders/nope/complete", {"record": 1}),
        ("admin_A", f"{MALL}/orders/nope/ship", {"carrier": "", "tracking_no": ""}),
        ("admin_A", f"{MALL}/orders/nope/ship", {"carrier": "顺丰", "tracking_no": "SF1", "units": {"x": 1}}),
        ("admin_A", f"{MALL}/orders/nope/shipments/-1", {"carrier": "顺丰", "tracking_no": "SF1"}),
        ("admin_A", f"{MALL}/orders/nope/dispatch", {"staff_id": ""}),
        ("elder_A", f"{MALL}/after-sales", {"sub_order_id": "nope", "line_no": 1, "type": "gift", "quantity": 1}),
        ("elder_A", f"{MALL}/after-sales", {"sub_order_id": "nope", "line_no": -1, "type": "refund"}),
        ("elder_A", f"{MALL}/after-sales", {"sub_order_id": "nope", "line_no": 1, "type": "refund",
                                            "amount_fen": -5}),
        ("elder_A", f"{MALL}/ratings", {"sub_order_id": "nope", "stars": 6}),
        ("elder_A", f"{MALL}/ratings", {"sub_order_id": "nope", "stars": 5.5}),
        ("admin_A", f"{MALL}/catalogue/products", {"fulfilment": "teleport", "name": "x", "price_fen": 1}),
        ("admin_A", f"{MALL}/catalogue/products", {"fulfilment": "delivery", "name": "x", "price_fen": 1,
                                                   "category_id": api.mw.categories["goods"]}),
        ("admin_A", f"{MALL}/catalogue/products", {"fulfilment": "home_visit", "name": "x", "price_fen": 1,
                                                   "category_id": api.mw.categories["care"], "stock": 3}),
        ("admin_A", f"{MALL}/catalogue/products", {"name": "\x00", "price_fen": 10 ** 20}),
        ("admin_A", f"{MALL}/catalogue/packages", {"name": "x", "items": [], "price_fen": 0}),
        ("admin_A", f"{MALL}/catalogue/products/{p('diapers')}/stock", {"delta": 0}),
        ("admin_A", f"{MALL}/catalogue/products/{p('diapers')}/stock", {"delta": -1000}),
        ("admin_A", f"{MALL}/catalogue/products/{p('bath')}/stock", {"delta": 1}),
        ("operator", f"{MALL}/ratings/nope/hidden", {"hidden": "yes"}),
        ("admin_A", f"{MALL}/exceptions/nope/review", {"approve": True}),
    ]
    gets: list[tuple[str, str, dict[str, Any]]] = [
        ("elder_A", f"{MALL}/products", {"sort": "cheapest"}),
        ("elder_A", f"{MALL}/products", {"fulfilment": "teleport"}),
        ("elder_A", f"{MALL}/products", {"min_price_fen": 500, "max_price_fen": 100}),
        ("elder_A", f"{MALL}/products", {"min_price_fen": -1}),
        ("elder_A", f"{MALL}/products", {"keyword": "助" * 41}),
        ("elder_A", f"{MALL}/products", {"category_id": "nope"}),
        ("elder_A", f"{MALL}/products", {"page": 0}),
        ("elder_A", f"{MALL}/products", {"page_size": 100000}),
        ("elder_A", f"{MALL}/products/nope", {}),
        ("elder_A", f"{MALL}/stores/nearby", {}),
        ("elder_A", f"{MALL}/stores/nearby", {"lng": 200, "lat": 23}),
        ("elder_A", f"{MALL}/stores/nearby", {"lng": 113.27}),
        ("elder_A", f"{MALL}/stores/nearby", {"lng": 113.27, "lat": 23.13, "sort": "rating"}),
        ("elder_A", f"{MALL}/stores/nearby", {"address_id": address}),  # without its elder
        ("elder_A", f"{MALL}/stores/nope", {}),
        ("elder_A", f"{MALL}/orders", {"status": "lost"}),
        ("elder_A", f"{MALL}/orders", {"goods": "maybe"}),
        ("admin_A", f"{MALL}/exceptions/export", {"format": "pdf"}),
        ("admin_A", f"{MALL}/exceptions", {"type": "fire"}),
        ("admin_A", f"{MALL}/after-sales", {"status": "lost"}),
    ]
    failures: list[str] = []
    for username, path, body in posts:
        response = api.post(username, path, body)
        if response.status_code >= 500 or response.status_code < 400 or set(response.json()) != ERROR_KEYS:
            failures.append(f"POST {path} {body!r} → {response.status_code} {response.text[:300]}")
    for username, path, params in gets:
        response = api.get(username, path, **params)
        if response.status_code >= 500 or response.status_code < 400 or set(response.json()) != ERROR_KEYS:
            failures.append(f"GET {path} {params!r} → {response.status_code} {response.text[:300]}")
    for raw in (b"{", b"\xff\xfe", b'{"elder_id": 1e999}', b"null"):
        response = api.client.post(f"{MALL}/trades", content=raw,
                                   headers={**api.h("elder_A"), "Content-Type": "application/json"})
        if response.status_code >= 500 or response.status_code < 400:
            failures.append(f"POST /trades raw {raw!r} → {response.status_code} {response.text[:300]}")
    assert not failures, "\n".join(failures)


def test_anonymous_and_wrong_roles_are_refused(api: MallApi) -> None:
    """Everything in the mall needs a login; buyers cannot act as sellers, institutions cannot rate."""
    assert_error(api.client.get(f"{MALL}/products"), 401, "AUTHENTICATION_REQUIRED")
    assert_error(api.client.post(f"{MALL}/trades", json=cart(api, ("rehab", 1))), 401, "AUTHENTICATION_REQUIRED")
    for response in (
        api.post("elder_A", f"{MALL}/catalogue/products", {"fulfilment": "in_store"}),
        api.get("elder_A", f"{MALL}/exceptions"),
        api.get("staff_A", f"{MALL}/exceptions"),
        api.put("admin_A", f"{MALL}/settings", {"values": {"cancel_deadline_minutes": 1}}),
        api.post("elder_A", f"{MALL}/categories", {"name": "私人分类"}),
        api.post("auditor", f"{MALL}/trades", cart(api, ("rehab", 1))),
        api.post("family_F", f"{MALL}/catalogue/products/{api.product('bath')}/review", {"approve": True}),
    ):
        assert_error(response, 403, "PERMISSION_DENIED")


# --- 3. finding things (M-01…M-04) ------------------------------------------------------------------------

def test_search_with_chinese_keywords_filters_and_sorting(api: MallApi) -> None:
    """M-01/M-02: keyword search in Chinese over names, tags, category paths and store names, with
    category (sub-categories included), fulfilment, price, institution and attribute filters, and sorting."""
    p = api.product

    def found(**params: Any) -> set[str]:
        return set(page_ids(api.get("elder_A", f"{MALL}/products", **params)))

    assert found(keyword="助浴") == {p("bath")}
    assert found(keyword="上门护理") == {p("nursing_B")}
    assert found(keyword="康复") == {p("rehab"), p("walker")}  # a tag, and the parent category 康复服务
    assert found(keyword="纸尿裤") == {p("diapers")}
    assert found(keyword="助行") == {p("walker")}
    assert found(keyword="天河") == {p("nursing_B")}  # the store's name
    assert found(keyword="护理上门") == set()
    assert found(keyword="ｌ码") == found(keyword="L码") == {p("diapers")}  # full width, any case
    assert found(keyword="助浴 失能") == {p("bath")}
    assert found(category_id=api.mw.categories["care"]) == {p("bath"), p("nursing_B")}
    assert found(category_id=api.mw.categories["rehab"]) == {p("rehab"), p("walker")}
    assert found(fulfilment="delivery") == {p("diapers")}
    assert found(min_price_fen=15000, max_price_fen=20000) == {p("bath"), p("rehab")}
    assert found(institution_id=api.world.inst["B"]) == {p("nursing_B")}
    assert found(attribute="材质:铝合金") == {p("walker")}
    assert found(keyword="康复", fulfilment="pickup") == {p("walker")}

    cheap = ok(api.get("elder_A", f"{MALL}/products", sort="price_asc"))["items"]
    prices = [i["content"]["price_fen"] for i in cheap]
    assert prices == sorted(prices)
    dear = [i["content"]["price_fen"] for i in ok(api.get("elder_A", f"{MALL}/products", sort="price_desc"))["items"]]
    assert dear == sorted(dear, reverse=True)
    selling = [i["sales"] for i in ok(api.get("elder_A", f"{MALL}/products", sort="sales"))["items"]]
    assert selling == sorted(selling, reverse=True)
    one = ok(api.get("family_F", f"{MALL}/products", keyword="助浴"))["items"][0]
    assert (one["institution_name"], one["fulfilment_label"]) == ("越秀区颐康居家养老服务中心", "上门服务")
    assert (one["content"]["tags"], one["content"]["price_fen"]) == (["助浴", "失能老人"], 15000)
    paged = ok(api.get("elder_A", f"{MALL}/products", page_size=2))
    assert (len(paged["items"]), paged["page_size"]) == (2, 2)
    assert paged["total"] >= 5


def test_category_tree_store_page_and_product_detail(api: MallApi) -> None:
    """M-02 + M-04: the category tree in order; A's store with its products grouped by top category and its
    places; a product's detail with its store; 404 for a product that does not exist."""
    tree = ok(api.get("elder_A", f"{MALL}/categories/tree"))
    assert [(n["name"], [c["name"] for c in n["children"]]) for n in tree] == [
        ("居家照护", ["上门护理", "助浴服务"]), ("康复服务", ["康复辅具"]), ("生活用品", [])]
    assert tree[0]["children"][1]["id"] == api.mw.categories["bath"]
    every = {c["id"] for c in ok(api.get("elder_A", f"{MALL}/categories"))}
    assert every == set(api.mw.categories.values())

    store = ok(api.get("elder_A", f"{MALL}/stores/{api.world.inst['A']}"))
    assert store["store"]["name"] == "越秀区颐康居家养老服务中心"
    assert store["config"]["pickup"]["address"] == "越秀区文德路1号一楼服务台"
    assert store["config"]["store"]["notes"] == "周一至周六 8:30-17:30"
    groups = {g["name"]: {p["id"] for p in g["products"]} for g in store["categories"]}
    p = api.product
    assert groups["居家照护"] == {p("bath")}
    assert groups["康复服务"] == {p("rehab"), p("walker")}
    assert groups["生活用品"] == {p("diapers")}
    assert p("nursing_B") not in {i for ids in groups.values() for i in ids}
    assert_error(api.get("elder_A", f"{MALL}/stores/00000000000000000000000000"), 404)

    detail = ok(api.get("family_F", f"{MALL}/products/{p('walker')}"))
    assert detail["product"]["content"]["attributes"] == {"材质": "铝合金"}
    assert detail["product"]["stock"] is not None
    assert detail["store"]["id"] == api.world.inst["A"]
    assert set(detail) == {"product", "store", "gifts", "packages", "ratings"}
    assert ok(api.get("elder_A", f"{MALL}/products/{p('nursing_B')}"))["store"]["id"] == api.world.inst["B"]
    assert_error(api.get("elder_A", f"{MALL}/products/00000000000000000000000000"), 404)


def test_nearby_stores_for_the_elders_address(api: MallApi) -> None:
    """M-03: the institutions whose areas cover elder A's address, nearest first or best-selling first; the
    far address in 天河 is served by B only; another elder's address is not found."""
    a, a1, b = api.world.inst["A"], api.world.inst["A1"], api.world.inst["B"]
    # Station A1 starts home visits in 越秀 from a point right at the elder's door (but sells nothing yet).
    ok(api.put("admin_A1", f"{MALL}/configs/{a1}", {
        "home_visit_area": {"region_codes": ["440104"]}, "store": {"address": "越秀区文德路8号", "lng": 113.271,
                                                                   "lat": 23.131}}))
    buy(api, ("rehab", 1))  # A has sold something
    params = {"elder_id": api.mw.elder, "address_id": api.mw.address}
    by_distance = ok(api.get("elder_A", f"{MALL}/stores/nearby", **params))
    assert [s["store"]["id"] for s in by_distance] == [a1, a]
    assert by_distance[0]["distance_m"] == 0
    assert 0 < by_distance[1]["distance_m"] < 1000
    assert (by_distance[1]["home_visit"], by_distance[1]["delivery"]) == (True, True)
    assert by_distance[1]["products"]
    by_sales = ok(api.get("family_F", f"{MALL}/stores/nearby", **params, sort="sales"))
    assert [s["store"]["id"] for s in by_sales] == [a, a1]
    assert by_sales[0]["store"]["sales"] > by_sales[1]["store"]["sales"] == 0

    far = ok(api.get("elder_A", f"{MALL}/stores/nearby", elder_id=api.mw.elder, address_id=api.mw.far_address))
    assert [s["store"]["id"] for s in far] == [b]
    assert (far[0]["home_visit"], far[0]["delivery"]) == (True, False)
    by_point = ok(api.get("elder_A", f"{MALL}/stores/nearby", region_code="440106"))
    assert [s["store"]["id"] for s in by_point] == [b]
    assert_error(api.get("elder_A", f"{MALL}/stores/nearby", elder_id=api.world.elders["B"],
                         address_id=api.address_b), 404)
    assert_error(api.get("elder_A", f"{MALL}/stores/nearby", elder_id=api.mw.elder, address_id=api.address_b), 404)


# --- 4. exception orders (A-08) ---------------------------------------------------------------------------

def test_dispatch_timeout_raised_once_reviewed_and_exported(fresh: MallApi) -> None:
    """A-08: a paid home visit left undispatched past the timeout is raised once however often the scan runs;
    admin_A lists, reads and reviews it, and exports it as CSV and XLSX; admin_B sees none of it."""
    api = fresh
    visit = only_sub(buy(api, ("bath", 1), hours=4), "home_visit")
    assert DESK.scan(api.rt).raised == 0  # within the timeout
    api.clock.advance(hours=2)
    assert DESK.scan(api.rt).raised == 1
    assert DESK.scan(api.rt).raised == 0

    found = ok(api.get("admin_A", f"{MALL}/exceptions"))
    assert found["total"] == 1
    item = found["items"][0]
    assert (item["order_id"], item["order_number"], item["type"], item["status"]) == (
        visit["id"], visit["number"], "dispatch_timeout", "pending")
    assert "未派单" in item["detail"]
    assert ok(api.get("admin_B", f"{MALL}/exceptions"))["total"] == 0
    assert_error(api.get("admin_B", f"{MALL}/exceptions/{item['id']}"), 404)
    assert_error(api.post("admin_B", f"{MALL}/exceptions/{item['id']}/review", {"approve": True}), 404)
    assert ok(api.get("admin_A", f"{MALL}/exceptions/{item['id']}"))["id"] == item["id"]
    assert ok(api.get("admin_A", f"{MALL}/exceptions", order_id=visit["id"], type="dispatch_timeout"))["total"] == 1
    assert ok(api.get("operator", f"{MALL}/exceptions"))["total"] == 1

    note = '=HYPERLINK("http://x.example","人手不足，已补派")'  # typed by a person: must stay text in a sheet
    reviewed = ok(api.post("admin_A", f"{MALL}/exceptions/{item['id']}/review", {"approve": True, "note": note}))
    assert (reviewed["status"], reviewed["review_note"]) == ("accepted", note)
    assert reviewed["reviewed_at"] is not None
    assert_error(api.post("admin_A", f"{MALL}/exceptions/{item['id']}/review", {"approve": False, "note": "改判"}), 409)

    raw = api.get("admin_A", f"{MALL}/exceptions/export", format="csv")
    assert raw.status_code == 200, raw.text
    assert raw.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(raw.content.decode("utf-8-sig"))))
    assert rows[0][0] == "订单编号"
    assert [r[0] for r in rows[1:]] == [visit["number"]]
    assert rows[1][7].endswith(note)
    assert not rows[1][7].startswith("=")

    xlsx = api.get("admin_A", f"{MALL}/exceptions/export", format="xlsx")
    assert xlsx.status_code == 200, xlsx.text
    assert xlsx.headers["content-type"].startswith(XLSX)
    assert "mall-exceptions.xlsx" in xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][:3] == ["订单编号", "异常类型", "异常说明"]
    assert len(values) == 2
    assert values[1][0] == visit["number"]
    assert values[1][1] == "派单超时"
    assert "越秀区颐康居家养老服务中心" in values[1]
    assert "确认异常" in values[1]
    assert all(not str(v).startswith("=") for v in values[1])
    assert any(note in str(v) for v in values[1])

    theirs = api.get("admin_B", f"{MALL}/exceptions/export", format="xlsx")
    assert theirs.status_code == 200, theirs.text
    only_header = [list(r) for r in load_workbook(io.BytesIO(theirs.content)).active.iter_rows(values_only=True)]
    assert len(only_header) == 1
    assert only_header[0][0] == "订单编号"


# --- bugs the review found, fixed ----------------------------------------------------------------------------

def test_superscript_line_number_is_refused_not_500(api: MallApi) -> None:
    """Units are keyed by line number (JSON object keys are text); any key that is not a plain number is a 422,
    on verification and on shipping alike."""
    store = only_sub(buy(api, ("rehab", 1)), "in_store")
    verify = api.post("admin_A", f"{MALL}/verification", {"code": code_of(api, store["id"]), "units": {"²": 1}})
    parcel = only_sub(buy(api, ("diapers", 1)), "delivery")
    ship = api.post("admin_A", f"{MALL}/orders/{parcel['id']}/ship",
                    {"carrier": "顺丰速运", "tracking_no": "SF9000000001", "units": {"²": 1}})
    assert (verify.status_code, ship.status_code) == (422, 422), (verify.text, ship.text)
    assert detail_codes(verify) == {"units.²": "INVALID"}
    assert detail_codes(ship) == {"units.²": "INVALID"}
    huge = api.post("admin_A", f"{MALL}/verification", {"code": code_of(api, store["id"]), "units": {"1" * 5000: 1}})
    assert huge.status_code == 422, huge.text[:200]


def test_visit_held_by_an_open_refund_cannot_be_started(api: MallApi) -> None:
    """A-07 + A-05: while the elder's refund of the visit waits for review, the visit cannot start: a service
    is either performed or refunded as not performed, never both."""
    visit = only_sub(buy(api, ("bath", 1)), "home_visit")
    ok(api.post("admin_A", f"{MALL}/orders/{visit['id']}/dispatch", {"staff_id": api.mw.staff_A}))
    code = code_of(api, visit["id"])
    held = api.post("elder_A", f"{MALL}/after-sales", {
        "sub_order_id": visit["id"], "line_no": 1, "type": "refund", "quantity": 1, "reason": "老人住院，不需要了"})
    assert held.status_code == 201, held.text
    assert_error(api.post("staff_A", f"{MALL}/orders/{visit['id']}/start", {"code": code}), 409,
                 "MALL_ORDER_AFTER_SALE_OPEN")


def test_address_in_full_only_for_the_elders_side_and_the_fulfillers(api: MallApi) -> None:
    """PIPL: a visit's address and phone are whole in the detail for the elder and the worker who must find the
    door; the government auditor and every list see them masked."""
    visit = only_sub(buy(api, ("bath", 1)), "home_visit")
    whole = {login: order(api, login, visit["id"])["destination"] for login in ("elder_A", "admin_A", "staff_A")}
    assert all(d["contact_phone"] == whole["elder_A"]["contact_phone"] for d in whole.values())
    assert "*" not in whole["elder_A"]["contact_phone"]
    masked = order(api, "auditor", visit["id"])["destination"]
    assert "*" in masked["contact_phone"] and masked["detail"] != whole["elder_A"]["detail"]
    listed = ok(api.get("admin_A", f"{MALL}/orders?keyword={visit['number']}"))["items"]
    assert "*" in listed[0]["destination"]["contact_phone"]
