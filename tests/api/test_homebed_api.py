"""The home bed (家庭病床) over HTTP, role by role: configuration, QR code, application, contract, orders,
supplementary records, the audit trail of every state change and the settlement report — with the refusals.

The app runs over SQLite with `tests.homebed.setup.build_homebed` on top of the world (service items, a
Guangzhou subsidy, a renovation item, a scale, staff accounts staff_A/staff_B) plus accounts for elder B and
for A's worker 员工A (worker_A).
The module-scoped app is shared: every test that changes state works on elders of its own, except the
family's walk for elder A (`family_flow`) and elder B's contract (`contract_b`), which are module fixtures.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from attrs import define, field
from litestar.testing import TestClient
from openpyxl import load_workbook

from tests.api.conftest import ERROR_KEYS, assert_error, field_error, login, serve
from tests.conftest import FrozenClock, operator
from tests.homebed.setup import PDF, PNG, HomeBedWorld, build_homebed
from tests.world import PASSWORD, World, id_card, phone
from yiyangkang.bootstrap import Container
from yiyangkang.services import accounts
from yiyangkang.services.accounts import AccountForm

BASE = "/api/v1/homebed"
SHANGHAI = ZoneInfo("Asia/Shanghai")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- the app ----------------------------------------------------------------------------------------------

@define
class HbApi:
    """A running app over its own SQLite database with the home-bed world in it."""

    client: TestClient[Any]
    hb: HomeBedWorld
    clock: FrozenClock
    rt: Container
    _tokens: dict[str, dict[str, str]] = field(factory=dict)

    @property
    def world(self) -> World:
        return self.hb.world

    def h(self, username: str) -> dict[str, str]:
        """The bearer header of `username` (logged in once per app)."""
        if username not in self._tokens:
            self._tokens[username] = login(self.client, username, PASSWORD)
        return self._tokens[username]

    def account(self, username: str) -> str:
        return self.world.accounts[username]

    def get(self, username: str | None, path: str, **params: Any) -> Any:
        return self.client.get(path, headers=self.h(username) if username else None, params=params or None)

    def post(self, username: str, path: str, body: Any = None, **kw: Any) -> Any:
        return self.client.post(path, headers=self.h(username), json=body, **kw)

    def at(self, **delta: float) -> str:
        """An instant relative to the app's clock, written with its +08:00 offset."""
        return (self.clock.now() + timedelta(**delta)).astimezone(SHANGHAI).isoformat()


def make_hb_api(db_file: Path) -> Iterator[HbApi]:
    """Like `tests.api.conftest.make_api`, with `build_homebed` (and an elder's and a worker's logins)."""
    def world(container: Container) -> HomeBedWorld:
        hb = build_homebed(container)
        hb.world.accounts["elder_B"] = accounts.create_account(container, operator(), AccountForm(
            username="elder_B", password=PASSWORD, role="elder", elder_id=hb.world.elders["B"])).id
        hb.world.accounts["worker_A"] = accounts.create_account(container, operator(), AccountForm(
            username="worker_A", password=PASSWORD, role="staff", staff_id=hb.world.staff["A"])).id
        return hb

    for client, hb, clock, container in serve(db_file, world):
        yield HbApi(client=client, hb=hb, clock=clock, rt=container)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HbApi]:
    yield from make_hb_api(tmp_path_factory.mktemp("api-homebed") / "api.db")


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[HbApi]:
    yield from make_hb_api(tmp_path / "api.db")


# --- helpers ----------------------------------------------------------------------------------------------

def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def terms(api: HbApi, **extra: Any) -> dict[str, Any]:
    """Sign terms: nursing twice a week, the Guangzhou subsidy, a scored assessment (1 + 2 → 中重度)."""
    return {
        "terms": {"service_plan": [{"service_item_id": api.hb.nursing, "times": 2, "per": "week"},
                                   {"service_item_id": api.hb.meal, "times": 5, "per": "week"}],
                  "subsidy_type_id": api.hb.subsidy,
                  "renovation_plan": [{"renovation_item_id": api.hb.rail, "quantity": 2}]},
        "assessment": {"scale_id": api.hb.scale, "answers": {"eat": 1, "walk": 2}, "note": "签约评估"},
        **extra,
    }


def application_body(n: int, **extra: Any) -> dict[str, Any]:
    return {"elder_name": f"申请老人{n}", "id_card_no": id_card(n), "phone": phone(400 + n), "region_code": "440104",
            "address": "越秀区北京街道文德路1号", "applicant_name": "陈志强", "applicant_phone": phone(500 + n), **extra}


def staff_contract(api: HbApi, n: int, *, staff: str = "staff_A", admin: str = "admin_A") -> str:
    """S-04 + HB-03: `staff` files for a new elder (ID n) of its institution, `admin` approves, `staff` signs."""
    app = ok(api.post(staff, f"{BASE}/applications", application_body(n)), 201)
    assert app["applicant_kind"] == "staff"
    ok(api.post(admin, f"{BASE}/applications/{app['id']}/review", {"approve": True, "note": "同意"}))
    contract = ok(api.post(staff, f"{BASE}/applications/{app['id']}/contract", terms(api)), 201)
    assert contract["status"] == "active"
    return str(contract["id"])


def place(api: HbApi, contract_id: str, *, by: str = "staff_A", item: str | None = None, hours: float = 4) -> Any:
    return api.post(by, f"{BASE}/orders", {"contract_id": contract_id, "service_item_id": item or api.hb.nursing,
                                            "scheduled_at": api.at(hours=hours)})


def events(api: HbApi, username: str, path: str) -> list[dict[str, Any]]:
    found = ok(api.get(username, f"{path}/events"))
    assert isinstance(found, list)
    for e in found:
        assert {"name", "actor_id", "actor_role", "occurred_at", "before", "after", "reason"} <= set(e), e
        assert datetime.fromisoformat(e["occurred_at"]).tzinfo is not None
    return found


def transition(found: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """The one event called `name`; a status change carries the status before and after."""
    hits = [e for e in found if e["name"] == name]
    assert len(hits) == 1, (name, [e["name"] for e in found])
    return hits[0]


def assert_moved(event: dict[str, Any], before: str, after: str, actor: str, reason: str | None = None) -> None:
    assert event["before"] == {"status": before}, event
    assert event["after"] == {"status": after}, event
    assert event["actor_id"] == actor, event
    if reason is not None:
        assert event["reason"] == reason, event


# --- module fixtures: elder A through the family's QR code, elder B through institution B's staff -------------

@define
class FamilyFlow:
    token: str
    app_id: str
    material_key: str
    contract_id: str
    assessment_id: str


@pytest.fixture(scope="module")
def family_flow(api: HbApi) -> FamilyFlow:
    """HB-01/HB-03: admin_A mints a code, family_F files for elder A with it and uploads a PNG, admin_A
    approves, staff_A signs."""
    code = ok(api.post("admin_A", f"{BASE}/apply-codes", {}), 201)
    app = ok(api.post("family_F", f"{BASE}/applications", {
        "token": code["token"], "elder_name": "老人A", "id_card_no": id_card(0), "phone": phone(200),
        "region_code": "440104", "address": "越秀区北京街道文德路8号", "condition": "术后卧床",
        "applicant_name": "陈志强", "applicant_phone": phone(300),
    }), 201)
    uploaded = ok(api.post("family_F", f"{BASE}/applications/{app['id']}/materials",
                           files={"data": ("出院小结.png", PNG, "image/png")}), 201)
    reviewed = ok(api.post("admin_A", f"{BASE}/applications/{app['id']}/review",
                           {"approve": True, "note": "材料齐全"}))
    assert reviewed["status"] == "approved"
    contract = ok(api.post("staff_A", f"{BASE}/applications/{app['id']}/contract", terms(api)), 201)
    return FamilyFlow(code["token"], app["id"], uploaded["materials"][0]["key"], contract["id"],
                      contract["terms"]["assessment_id"])


@pytest.fixture(scope="module")
def contract_b(api: HbApi) -> str:
    """S-04/S-05 in institution B: staff_B files for elder B (already on file), admin_B approves, staff_B signs."""
    app = ok(api.post("staff_B", f"{BASE}/applications", {
        "elder_name": "老人B", "id_card_no": id_card(3), "region_code": "440104", "address": "天河区五山路1号",
        "applicant_name": "护理员B", "applicant_phone": phone(601)}), 201)
    assert app["elder_id"] == api.world.elders["B"]
    ok(api.post("admin_B", f"{BASE}/applications/{app['id']}/review", {"approve": True}))
    contract = ok(api.post("staff_B", f"{BASE}/applications/{app['id']}/contract", terms(api)), 201)
    assert contract["elder_id"] == api.world.elders["B"]
    return str(contract["id"])


# --- 1. configuration (HB-20) -----------------------------------------------------------------------------

def test_operator_configures_the_home_bed(api: HbApi) -> None:
    """HB-20: the operator lists and writes service items, subsidy types, renovation items (with pictures),
    scales and settings; everyone signed in reads them."""
    cfg = f"{BASE}/config"
    items = ok(api.get("operator", f"{cfg}/service-items"))
    assert {i["id"] for i in items} >= {api.hb.nursing, api.hb.meal}
    created = ok(api.post("operator", f"{cfg}/service-items", {
        "name": "康复理疗", "category": "康复", "standard_minutes": 45, "price_fen": 9000, "subsidy_eligible": True}),
        201)
    assert (created["price_fen"], created["active"]) == (9000, True)
    patched = ok(api.client.patch(f"{cfg}/service-items/{created['id']}", headers=api.h("operator"),
                                  json={"price_fen": 9500, "version": created["version"]}))
    assert patched["price_fen"] == 9500
    assert patched["version"] == created["version"] + 1

    subsidy = ok(api.post("operator", f"{cfg}/subsidy-types", {
        "region_code": "440106", "name": "天河区家床定额补贴", "mode": "amount", "amount_fen": 5000}), 201)
    for_yuexiu = {s["id"] for s in ok(api.get("operator", f"{cfg}/subsidy-types", region_code="440104"))}
    assert api.hb.subsidy in for_yuexiu
    assert subsidy["id"] not in for_yuexiu  # a Tianhe subsidy does not apply in Yuexiu

    rail = ok(api.post("operator", f"{cfg}/renovation-items", {"name": "防滑地垫", "unit": "块", "price_fen": 6000}),
              201)
    with_picture = ok(api.post("operator", f"{cfg}/renovation-items/{rail['id']}/pictures",
                               files={"data": ("地垫.png", PNG, "image/png")}), 201)
    key = with_picture["pictures"][0]["key"]
    picture = api.get("elder_A", f"{cfg}/renovation-items/{rail['id']}/pictures/{key}")
    assert picture.status_code == 200
    assert picture.content == PNG
    assert picture.headers["content-type"].startswith("image/png")

    scale = ok(api.get("operator", f"{cfg}/scales/{api.hb.scale}"))
    assert [lv["name"] for lv in scale["levels"]] == ["轻度", "中重度"]
    settings = ok(api.get("operator", f"{cfg}/settings"))
    saved = ok(api.client.patch(f"{cfg}/settings", headers=api.h("operator"),
                                json={"reminder_lead_days": 20, "version": settings["version"]}))
    assert saved["reminder_lead_days"] == 20

    for username in ("elder_A", "family_F", "staff_A", "admin_B", "auditor"):
        assert created["id"] in {i["id"] for i in ok(api.get(username, f"{cfg}/service-items"))}


@pytest.mark.parametrize("username", ["admin_A", "staff_A", "elder_A", "auditor"])
def test_only_the_operator_writes_the_configuration(api: HbApi, username: str) -> None:
    """HB-20: an institution admin (or anyone but the operator) posting configuration gets 403 and changes nothing."""
    cfg = f"{BASE}/config"
    before = ok(api.get("operator", f"{cfg}/service-items"))
    refused = api.post(username, f"{cfg}/service-items", {
        "name": "私设项目", "category": "生活照料", "standard_minutes": 30, "price_fen": 100, "subsidy_eligible": True})
    assert_error(refused, 403, "PERMISSION_DENIED")
    assert_error(api.post(username, f"{cfg}/subsidy-types", {
        "region_code": "440104", "name": "私设补贴", "mode": "amount", "amount_fen": 100}), 403, "PERMISSION_DENIED")
    assert_error(api.client.patch(f"{cfg}/service-items/{api.hb.nursing}", headers=api.h(username),
                                  json={"price_fen": 1}), 403, "PERMISSION_DENIED")
    assert_error(api.client.patch(f"{cfg}/settings", headers=api.h(username), json={"cancel_deadline_minutes": 0}),
                 403, "PERMISSION_DENIED")
    assert ok(api.get("operator", f"{cfg}/service-items")) == before


# --- 2. the QR code (HB-01) -------------------------------------------------------------------------------

def test_admin_mints_an_apply_code_and_its_png(api: HbApi) -> None:
    """HB-01: the code is signed, names A and expires; the PNG is an image to print."""
    code = ok(api.post("admin_A", f"{BASE}/apply-codes", {"days": 30}), 201)
    assert code["institution_id"] == api.world.inst["A"]
    assert code["region_code"] == "440104"
    assert code["url"].endswith(f"/api/v1/homebed/apply-form?token={code['token']}")
    assert datetime.fromisoformat(code["expires_at"]) == api.clock.now() + timedelta(days=30)
    png = api.get("admin_A", f"{BASE}/apply-codes/qr.png")
    assert png.status_code == 200, png.text
    assert png.headers["content-type"].startswith("image/png")
    assert png.content.startswith(PNG_SIGNATURE)
    # A code for someone else's institution is not the admin's to mint.
    assert_error(api.post("admin_A", f"{BASE}/apply-codes", {"institution_id": api.world.inst["B"]}), 404)
    assert_error(api.post("elder_A", f"{BASE}/apply-codes", {}), 403, "PERMISSION_DENIED")


def test_the_apply_form_opens_without_a_login(api: HbApi) -> None:
    """HB-01: scanning the code opens A's form for anyone; no Authorization header needed."""
    token = ok(api.post("admin_A", f"{BASE}/apply-codes", {}), 201)["token"]
    opened = ok(api.client.get(f"{BASE}/apply-form", params={"token": token}))
    assert opened["institution_id"] == api.world.inst["A"]
    assert opened["institution_name"] == "越秀区颐康居家养老服务中心"
    assert opened["region_code"] == "440104"


@pytest.mark.parametrize("token", ["not-a-token", "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl", "TAMPERED"])
def test_a_garbled_token_is_422_invalid_token(api: HbApi, token: str) -> None:
    """HB-01: an unreadable or tampered token is a field error on `token`, for the form and for filing."""
    if token == "TAMPERED":
        good = ok(api.post("admin_A", f"{BASE}/apply-codes", {}), 201)["token"]
        head, claims, signature = good.split(".")
        token = f"{head}.{claims}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    body = assert_error(api.client.get(f"{BASE}/apply-form", params={"token": token}), 422, "VALIDATION_FAILED")
    assert body["details"][0]["code"] == "INVALID_TOKEN"
    assert body["details"][0]["field"] == "token"
    filed = api.post("family_F", f"{BASE}/applications", application_body(70, token=token))
    assert field_error(filed, "token")["code"] == "INVALID_TOKEN"


# --- 3. application and contract (HB-01…HB-04, S-04, S-05) ------------------------------------------------

def test_family_files_with_the_code_and_gets_its_material_back(api: HbApi, family_flow: FamilyFlow) -> None:
    """HB-01/HB-02: family_F's application for elder A, with its PNG material, readable by family_F and A's admin."""
    app = ok(api.get("family_F", f"{BASE}/applications/{family_flow.app_id}"))
    assert app["applicant_kind"] == "family"
    assert app["institution_id"] == api.world.inst["A"]
    assert app["elder_id"] == api.world.elders["A"]
    assert app["id_card_no"] == id_card(0)  # the applicant sees what it typed
    assert [m["name"] for m in app["materials"]] == ["出院小结.png"]
    for username in ("family_F", "admin_A"):
        download = api.get(username, f"{BASE}/applications/{family_flow.app_id}/materials/{family_flow.material_key}")
        assert download.status_code == 200, download.text
        assert download.content == PNG
        assert download.headers["content-type"].startswith("image/png")
        assert download.headers["content-disposition"].startswith("attachment;")
    listed = ok(api.get("family_F", f"{BASE}/applications"))
    assert [a["id"] for a in listed["items"]] == [family_flow.app_id]
    # Signed: the form is closed.
    assert app["status"] == "signed"
    late = api.post("family_F", f"{BASE}/applications/{family_flow.app_id}/materials",
                    files={"data": ("补充.pdf", PDF, "application/pdf")})
    assert_error(late, 409, "BED_APPLICATION_NOT_EDITABLE")


def test_elder_and_family_need_the_code_to_apply(api: HbApi) -> None:
    """HB-01: without a scanned token an elder or family member cannot file."""
    refused = api.post("family_F", f"{BASE}/applications", application_body(71))
    assert field_error(refused, "token")["code"] == "REQUIRED"


@pytest.mark.parametrize("username", ["admin_B", "staff_B", "admin_A1", "elder_A", "elder_B"])
def test_other_people_get_404_on_the_application(api: HbApi, family_flow: FamilyFlow, username: str) -> None:
    """HB-02: outside A's institution (or not the applicant) the application does not exist."""
    path = f"{BASE}/applications/{family_flow.app_id}"
    assert_error(api.get(username, path), 404, "BED_APPLICATION_NOT_FOUND")
    assert_error(api.get(username, f"{path}/events"), 404, "BED_APPLICATION_NOT_FOUND")
    assert_error(api.get(username, f"{path}/materials/{family_flow.material_key}"), 404)


def test_another_institution_cannot_review_or_sign_the_application(api: HbApi, family_flow: FamilyFlow) -> None:
    """HB-02/HB-03: admin_B reviewing or staff_B signing A's application: 404."""
    path = f"{BASE}/applications/{family_flow.app_id}"
    assert_error(api.post("admin_B", f"{path}/review", {"approve": False, "note": "不同意"}), 404,
                 "BED_APPLICATION_NOT_FOUND")
    assert_error(api.post("staff_B", f"{path}/contract", terms(api)), 404, "BED_APPLICATION_NOT_FOUND")
    assert_error(api.post("staff_A", f"{path}/review", {"approve": True}), 403, "PERMISSION_DENIED")


def test_staff_signs_the_contract(api: HbApi, family_flow: FamilyFlow) -> None:
    """HB-03/S-05: staff_A signs from the approved application: active, a year long, the plan, the subsidy, the
    renovation plan and a scored signing assessment; the application is marked signed."""
    contract = ok(api.get("staff_A", f"{BASE}/contracts/{family_flow.contract_id}"))
    assert contract["status"] == "active"
    assert contract["elder_id"] == api.world.elders["A"]
    assert contract["application_id"] == family_flow.app_id
    assert contract["sign_date"] == "2026-11-25"
    assert (contract["terms"]["start_date"], contract["terms"]["expiry_date"]) == ("2026-11-25", "2027-11-25")
    assert [(p["service_item_id"], p["times"], p["per"]) for p in contract["terms"]["service_plan"]] == [
        (api.hb.nursing, 2, "week"), (api.hb.meal, 5, "week")]
    assert contract["terms"]["subsidy_type_id"] == api.hb.subsidy
    assert [r["renovation_item_id"] for r in contract["terms"]["renovation_plan"]] == [api.hb.rail]
    assessment = ok(api.get("staff_A", f"{BASE}/assessments/{family_flow.assessment_id}"))
    assert (assessment["total"], assessment["level"], assessment["type"]) == (3, "中重度", "signing")
    app = ok(api.get("admin_A", f"{BASE}/applications/{family_flow.app_id}"))
    assert (app["status"], app["contract_id"]) == ("signed", family_flow.contract_id)
    # A contract comes only from an approved application, once.
    again = api.post("staff_A", f"{BASE}/applications/{family_flow.app_id}/contract", terms(api))
    assert_error(again, 409, "BED_APPLICATION_NOT_APPROVED")


def test_sign_refuses_a_subsidy_that_does_not_apply(api: HbApi) -> None:
    """HB-03: the subsidy type must apply to the elder's region; nothing is signed."""
    app = ok(api.post("staff_A", f"{BASE}/applications", application_body(72)), 201)
    ok(api.post("admin_A", f"{BASE}/applications/{app['id']}/review", {"approve": True}))
    tianhe = ok(api.post("operator", f"{BASE}/config/subsidy-types", {
        "region_code": "440106", "name": "天河区护理补贴", "mode": "amount", "amount_fen": 3000}), 201)["id"]
    body = terms(api)
    body["terms"]["subsidy_type_id"] = tianhe
    refused = api.post("staff_A", f"{BASE}/applications/{app['id']}/contract", body)
    assert field_error(refused, "subsidy_type_id")["code"] == "UNKNOWN_SUBSIDY_TYPE"
    assert ok(api.get("admin_A", f"{BASE}/applications/{app['id']}"))["status"] == "approved"


@pytest.mark.parametrize("username", ["elder_A", "family_F", "admin_A", "staff_A", "auditor"])
def test_elder_a_contract_is_readable_by_its_people(api: HbApi, family_flow: FamilyFlow, username: str) -> None:
    """HB-04: the elder, its family, A's admin and staff and the auditor read elder A's contract."""
    contract = ok(api.get(username, f"{BASE}/contracts/{family_flow.contract_id}"))
    assert contract["id"] == family_flow.contract_id


@pytest.mark.parametrize("username", ["elder_B", "admin_B", "staff_B", "admin_A1"])
def test_elder_a_contract_is_404_for_everyone_else(api: HbApi, family_flow: FamilyFlow, username: str) -> None:
    """HB-04: another elder's account, another institution: 404, as if it did not exist."""
    path = f"{BASE}/contracts/{family_flow.contract_id}"
    body = assert_error(api.get(username, path), 404, "CONTRACT_NOT_FOUND")
    missing = assert_error(api.get(username, f"{BASE}/contracts/no-such-contract"), 404)
    assert (missing["code"], missing["message"]) == (body["code"], body["message"])
    assert_error(api.get(username, f"{path}/events"), 404, "CONTRACT_NOT_FOUND")


def test_an_elder_cannot_see_another_elders_contract(api: HbApi, family_flow: FamilyFlow, contract_b: str) -> None:
    """HB-04: elder_B reads its own contract but not A's; elder_A and family_F not B's; lists hold only their own."""
    assert ok(api.get("elder_B", f"{BASE}/contracts/{contract_b}"))["elder_id"] == api.world.elders["B"]
    for username in ("elder_A", "family_F"):
        assert_error(api.get(username, f"{BASE}/contracts/{contract_b}"), 404, "CONTRACT_NOT_FOUND")
        listed = ok(api.get(username, f"{BASE}/contracts"))
        assert [c["id"] for c in listed["items"]] == [family_flow.contract_id]
    assert_error(api.get("elder_B", f"{BASE}/contracts/{family_flow.contract_id}"), 404, "CONTRACT_NOT_FOUND")
    assert [c["id"] for c in ok(api.get("elder_B", f"{BASE}/contracts"))["items"]] == [contract_b]
    assert_error(api.get("admin_A", f"{BASE}/contracts/{contract_b}"), 404, "CONTRACT_NOT_FOUND")


# --- 4. orders (HB-05, HB-10, HB-11, S-01…S-03, S-06) --------------------------------------------------------

def test_order_placed_dispatched_served(api: HbApi, family_flow: FamilyFlow) -> None:
    """HB-10/HB-11/S-01/S-03/S-06: staff_A places, admin_A dispatches to staff_A, staff_A starts and completes;
    staff_B/admin_B meet 404, the elder 403; each step is an audit event."""
    order = ok(place(api, family_flow.contract_id), 201)
    assert order["status"] == "pending_dispatch"
    assert (order["price_fen"], order["subsidy_fen"], order["self_pay_fen"]) == (12000, 8000, 4000)
    assert datetime.fromisoformat(order["scheduled_at"]) == api.clock.now() + timedelta(hours=4)
    path = f"{BASE}/orders/{order['id']}"
    for stranger in ("staff_B", "admin_B"):
        assert_error(api.post(stranger, f"{path}/dispatch", {"staff_id": api.hb.staff_B}), 404,
                     "HOMEBED_ORDER_NOT_FOUND")
        assert_error(api.post(stranger, f"{path}/dispatch", {"staff_id": api.hb.staff_A}), 404)
    assert_error(api.post("elder_A", f"{path}/dispatch", {"staff_id": api.hb.staff_A}), 403, "PERMISSION_DENIED")
    assert ok(api.get("admin_A", path))["status"] == "pending_dispatch"
    # A worker of another institution is not a worker of this order.
    assert field_error(api.post("admin_A", f"{path}/dispatch", {"staff_id": api.hb.staff_B}),
                       "staff_id")["code"] == "UNKNOWN_STAFF"

    dispatched = ok(api.post("admin_A", f"{path}/dispatch", {"staff_id": api.hb.staff_A, "version": order["version"]}))
    assert (dispatched["status"], dispatched["staff_id"]) == ("dispatched", api.hb.staff_A)
    mine = ok(api.get("staff_A", f"{BASE}/orders", mine="true", status="dispatched"))
    assert order["id"] in {o["id"] for o in mine["items"]}
    assert_error(api.post("staff_B", f"{path}/start", {"lng": 113.32, "lat": 23.14}), 404)
    started = ok(api.post("staff_A", f"{path}/start", {"lng": 113.2644, "lat": 23.1291}))
    assert (started["status"], started["start_lng"], started["start_lat"]) == ("in_service", 113.2644, 23.1291)
    api.clock.advance(minutes=50)
    done = ok(api.post("staff_A", f"{path}/complete", {"lng": 113.2645, "lat": 23.1292}))
    assert (done["status"], done["duration_minutes"]) == ("completed", 50)
    assert_error(api.post("staff_A", f"{path}/complete", {}), 409)  # once

    found = events(api, "admin_A", path)
    assert [e["name"] for e in found] == ["homebed_order.placed", "homebed_order.dispatched", "homebed_order.assigned",
                                          "homebed_order.started", "homebed_order.completed"]
    assert found[0]["actor_id"] == api.account("staff_A")
    assert found[0]["after"]["price_fen"] == 12000
    assert_moved(transition(found, "homebed_order.dispatched"), "pending_dispatch", "dispatched",
                 api.account("admin_A"))
    assert_moved(transition(found, "homebed_order.started"), "dispatched", "in_service", api.account("staff_A"))
    completed = transition(found, "homebed_order.completed")
    assert_moved(completed, "in_service", "completed", api.account("staff_A"))
    assert datetime.fromisoformat(completed["occurred_at"]) == api.clock.now()
    # The elder and its family follow the order and its history; B's people do not.
    assert ok(api.get("family_F", path))["status"] == "completed"
    assert len(events(api, "elder_A", path)) == len(found)
    assert_error(api.get("admin_B", f"{path}/events"), 404, "HOMEBED_ORDER_NOT_FOUND")


def test_a_returned_order_waits_for_dispatch_again(api: HbApi, family_flow: FamilyFlow) -> None:
    """HB-11/S-01: staff_A returns (退单) with a reason: back to pending_dispatch, unassigned, event with the reason."""
    order = ok(place(api, family_flow.contract_id, by="admin_A", hours=6), 201)
    path = f"{BASE}/orders/{order['id']}"
    ok(api.post("staff_A", f"{path}/dispatch", {"staff_id": api.hb.staff_A}))
    assert field_error(api.post("staff_A", f"{path}/return", {"reason": " "}), "reason")["code"] == "REQUIRED"
    returned = ok(api.post("staff_A", f"{path}/return", {"reason": "老人临时外出"}))
    assert (returned["status"], returned["staff_id"], returned["return_count"]) == ("pending_dispatch", None, 1)
    assert returned["return_reason"] == "老人临时外出"
    assert_moved(transition(events(api, "staff_A", path), "homebed_order.returned"), "dispatched",
                 "pending_dispatch", api.account("staff_A"), "老人临时外出")
    redispatched = ok(api.post("admin_A", f"{path}/dispatch", {"staff_id": api.hb.staff_A}))
    assert redispatched["status"] == "dispatched"


def test_terminated_contract_takes_no_order(api: HbApi) -> None:
    """HB-05: admin_A terminates; the open order is cancelled, a new one is 409 HOMEBED_CONTRACT_NOT_ACTIVE."""
    contract_id = staff_contract(api, 73)
    open_order = ok(place(api, contract_id), 201)
    assert_error(api.post("admin_B", f"{BASE}/contracts/{contract_id}/terminate", {"reason": "越权"}), 404)
    ended = ok(api.post("admin_A", f"{BASE}/contracts/{contract_id}/terminate", {"reason": "老人入住养老院"}))
    assert (ended["status"], ended["termination_reason"]) == ("terminated", "老人入住养老院")
    cancelled = ok(api.get("admin_A", f"{BASE}/orders/{open_order['id']}"))
    assert cancelled["status"] == "cancelled"
    refused = assert_error(place(api, contract_id), 409, "HOMEBED_CONTRACT_NOT_ACTIVE")
    assert refused["details"]["status"] == "terminated"
    assert_moved(transition(events(api, "admin_A", f"{BASE}/contracts/{contract_id}"), "contract.terminated"),
                 "active", "terminated", api.account("admin_A"), "老人入住养老院")
    assert_moved(transition(events(api, "admin_A", f"{BASE}/orders/{open_order['id']}"), "homebed_order.cancelled"),
                 "pending_dispatch", "cancelled", api.account("admin_A"), "家床签约已解约")


def test_expired_contract_takes_no_order(fresh: HbApi) -> None:
    """HB-10/S-06: a year and a day later the contract has expired: 409 HOMEBED_CONTRACT_NOT_ACTIVE; the QR code
    minted for one day no longer opens the form (HB-01)."""
    contract_id = staff_contract(fresh, 74)
    token = ok(fresh.post("admin_A", f"{BASE}/apply-codes", {"days": 1}), 201)["token"]
    ok(place(fresh, contract_id), 201)
    fresh.clock.advance(days=366)
    refused = assert_error(place(fresh, contract_id), 409, "HOMEBED_CONTRACT_NOT_ACTIVE")
    assert refused["details"]["status"] == "expired"
    assert ok(fresh.get("admin_A", f"{BASE}/contracts/{contract_id}"))["status"] == "expired"
    expired = assert_error(fresh.client.get(f"{BASE}/apply-form", params={"token": token}), 422)
    assert expired["details"][0]["code"] == "INVALID_TOKEN"


def test_supplementary_record_confirmed_by_staff(api: HbApi, family_flow: FamilyFlow) -> None:
    """HB-10/S-02: staff_A records a visit it did off-system; it waits unconfirmed until another dispatcher of A,
    worker_A, confirms it: staff_A vouching for its own visit is 403 HOMEBED_RECORD_SELF_CONFIRM. The same visit
    recorded twice is 409 HOMEBED_RECORD_OVERLAPS."""
    # Early on the signing day (Shanghai), before any visit of elder A served in this module.
    body = {"contract_id": family_flow.contract_id, "service_item_id": api.hb.nursing, "staff_id": api.hb.staff_A,
            "started_at": api.at(minutes=-160), "completed_at": api.at(minutes=-100), "note": "电话预约后上门"}
    record = ok(api.post("staff_A", f"{BASE}/orders/records", body), 201)
    assert (record["status"], record["supplementary"], record["duration_minutes"]) == ("unconfirmed", True, 60)
    assert_error(api.post("staff_A", f"{BASE}/orders/records", body), 409, "HOMEBED_RECORD_OVERLAPS")
    path = f"{BASE}/orders/{record['id']}"
    assert_error(api.post("staff_B", f"{path}/confirm", {"note": "已确认"}), 404, "HOMEBED_ORDER_NOT_FOUND")
    assert_error(api.post("elder_A", f"{path}/confirm", {"note": "已确认"}), 403, "PERMISSION_DENIED")
    assert_error(api.post("staff_A", f"{path}/confirm", {"note": "已确认"}), 403, "HOMEBED_RECORD_SELF_CONFIRM")
    assert field_error(api.post("worker_A", f"{path}/confirm", {"note": ""}), "note")["code"] == "REQUIRED"
    confirmed = ok(api.post("worker_A", f"{path}/confirm", {"note": "已电话与家属确认"}))
    assert (confirmed["status"], confirmed["confirmation_note"]) == ("completed", "已电话与家属确认")
    found = events(api, "family_F", path)
    assert found[0]["name"] == "homebed_order.recorded"
    assert_moved(transition(found, "homebed_order.confirmed"), "unconfirmed", "completed", api.account("worker_A"),
                 "已电话与家属确认")
    assert_error(api.post("worker_A", f"{path}/confirm", {"note": "再确认"}), 409,
                 "HOMEBED_ORDER_NOT_A_PENDING_RECORD")


# --- 5. the audit trail of applications and contracts ------------------------------------------------------

def test_application_history_is_readable(api: HbApi, family_flow: FamilyFlow) -> None:
    """HB-01/HB-02: submitted → material attached → approved → signed, each with who, when and why."""
    found = events(api, "family_F", f"{BASE}/applications/{family_flow.app_id}")
    assert [e["name"] for e in found] == ["bed_application.submitted", "bed_application.material_attached",
                                          "bed_application.approved", "bed_application.signed"]
    assert {e["actor_id"] for e in found[:2]} == {api.account("family_F")}
    assert found[1]["after"] == {"materials": 1}  # a count: the names of the scans are not in the trail
    assert found[0]["after"]["id_card_no"] != id_card(0)  # the trail masks personal data
    assert found[0]["after"]["condition"] == "***"  # health data too ("术后卧床")
    assert "出院小结" not in str(found) and "术后卧床" not in str(found)
    assert_moved(found[2], "submitted", "approved", api.account("admin_A"), "材料齐全")
    assert_moved(found[3], "approved", "signed", api.account("staff_A"))
    assert found == events(api, "admin_A", f"{BASE}/applications/{family_flow.app_id}")


def test_contract_history_is_readable_by_the_family_not_by_b(api: HbApi, family_flow: FamilyFlow) -> None:
    """HB-03/HB-04: the contract's events (signed, then active) for family_F; admin_B gets 404."""
    path = f"{BASE}/contracts/{family_flow.contract_id}"
    found = events(api, "family_F", path)
    assert [e["name"] for e in found][:2] == ["contract.signed", "contract.active"]
    signed = found[0]
    assert signed["actor_id"] == api.account("staff_A")
    assert signed["after"]["number"] == ok(api.get("family_F", path))["number"]
    assert_moved(found[1], "pending_start", "active", api.account("staff_A"), "到达开始日期")
    assert datetime.fromisoformat(found[1]["occurred_at"]).date() == date(2026, 11, 25)
    assert events(api, "elder_A", path) == found
    assert_error(api.get("admin_B", f"{path}/events"), 404, "CONTRACT_NOT_FOUND")
    assert_error(api.get("staff_A", f"{BASE}/contracts/no-such-contract/events"), 404, "CONTRACT_NOT_FOUND")


# --- 6. reports (HB-30) -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def settled(api: HbApi, family_flow: FamilyFlow, contract_b: str) -> list[str]:
    """Completed orders in November: nursing (subsidised) and a meal for A, nursing for B. Their numbers."""
    numbers = []
    for contract_id, staff, staff_id, item in [(family_flow.contract_id, "staff_A", api.hb.staff_A, api.hb.nursing),
                                               (family_flow.contract_id, "staff_A", api.hb.staff_A, api.hb.meal),
                                               (contract_b, "staff_B", api.hb.staff_B, api.hb.nursing)]:
        order = ok(place(api, contract_id, by=staff, item=item, hours=1), 201)
        path = f"{BASE}/orders/{order['id']}"
        ok(api.post(staff, f"{path}/dispatch", {"staff_id": staff_id}))
        ok(api.post(staff, f"{path}/start", {}))
        api.clock.advance(minutes=5)
        ok(api.post(staff, f"{path}/complete", {}))
        numbers.append(order["number"])
    return numbers


def settlement(api: HbApi, username: str) -> dict[str, Any]:
    return ok(api.get(username, f"{BASE}/reports/settlement", period="2026-11", page_size=100))


def assert_reconciles(report: dict[str, Any]) -> None:
    rows = report["rows"]
    assert report["total_rows"] == len(rows)
    grand = report["grand_total"]
    for key in ("amount_fen", "subsidy_fen", "self_pay_fen"):
        assert grand[key] == sum(r[key] for r in rows), key
        for t in report["institutions"]:
            assert t[key] == sum(r[key] for r in rows if r["institution_id"] == t["institution_id"]), (key, t)
    assert grand["orders"] == len(rows) == sum(t["orders"] for t in report["institutions"])
    for r in rows:
        assert r["amount_fen"] == r["subsidy_fen"] + r["self_pay_fen"]


def test_settlement_report_totals_equal_its_rows(api: HbApi, settled: list[str]) -> None:
    """HB-30: rows and totals in fen; the totals are the sums of the rows; admins see their tree only."""
    everything = settlement(api, "auditor")
    assert_reconciles(everything)
    by_number = {r["order_number"]: r for r in everything["rows"]}
    assert set(settled) <= set(by_number)
    nursing_a, meal_a, nursing_b = (by_number[n] for n in settled)
    assert (nursing_a["amount_fen"], nursing_a["subsidy_fen"], nursing_a["self_pay_fen"]) == (12000, 8000, 4000)
    assert (meal_a["amount_fen"], meal_a["subsidy_fen"], meal_a["self_pay_fen"]) == (3000, 0, 3000)
    assert nursing_b["institution_id"] == api.world.inst["B"]
    assert nursing_a["elder_id_card"] != id_card(0) and "*" in nursing_a["elder_id_card"]
    assert {t["institution_id"] for t in everything["institutions"]} >= {api.world.inst["A"], api.world.inst["B"]}

    for username, inst in (("admin_A", "A"), ("admin_B", "B")):
        own = settlement(api, username)
        assert_reconciles(own)
        assert {r["institution_id"] for r in own["rows"]} == {api.world.inst[inst]}
        assert {r["order_number"] for r in own["rows"]} == {
            r["order_number"] for r in everything["rows"] if r["institution_id"] == api.world.inst[inst]}
    assert ok(api.get("auditor", f"{BASE}/reports/settlement", period="2026-10"))["rows"] == []
    bad = api.get("auditor", f"{BASE}/reports/settlement", period="2026-13")
    assert field_error(bad, "period")["code"] == "INVALID_PERIOD"


def test_business_report_carries_its_rates(api: HbApi, settled: list[str]) -> None:
    """HB-30: the business report answers counts and the on-time and exception rates they give."""
    report = ok(api.get("admin_A", f"{BASE}/reports/business", period="2026-11"))
    done = report["orders_completed"]
    assert done >= 2 and report["on_time_rate"] == round(report["orders_on_time"] / done, 4)
    total = sum(report["orders_by_status"].values())
    assert report["exception_rate"] == round(sum(report["exceptions_by_type"].values()) / total, 4)


@pytest.mark.parametrize("username", ["elder_A", "family_F", "staff_A"])
def test_reports_are_not_for_elders_families_or_staff(api: HbApi, username: str) -> None:
    """HB-30: 403 PERMISSION_DENIED on the report and its export."""
    assert_error(api.get(username, f"{BASE}/reports/settlement", period="2026-11"), 403, "PERMISSION_DENIED")
    assert_error(api.get(username, f"{BASE}/reports/settlement/export", period="2026-11", format="csv"), 403,
                 "PERMISSION_DENIED")


def split_sheet(lines: list[list[Any]]) -> tuple[list[list[Any]], list[list[Any]], list[Any]]:
    """Header, order rows, institution totals and the grand total of an export."""
    rows = lines[1:]
    blank = next(n for n, line in enumerate(rows) if not any(v not in (None, "") for v in line))
    return rows[:blank], rows[blank + 1:-1], rows[-1]


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def assert_sheet_reconciles(lines: list[list[Any]], report: dict[str, Any]) -> None:
    assert lines[0][0] == "订单编号" and lines[0][-3:] == ["服务金额（元）", "补贴金额（元）", "自付金额（元）"]
    orders, per_institution, grand = split_sheet(lines)
    assert [r[0] for r in orders] == [r["order_number"] for r in report["rows"]]
    assert grand[0] == f"总计（{len(orders)}单）"
    for col in (-3, -2, -1):
        assert money(grand[col]) == sum((money(r[col]) for r in orders), Decimal("0.00"))
        for t in per_institution:
            assert money(t[col]) == sum((money(r[col]) for r in orders if r[1] == t[1]), Decimal("0.00"))
    assert [money(v) for v in grand[-3:]] == [
        money(Decimal(report["grand_total"][k]) / 100) for k in ("amount_fen", "subsidy_fen", "self_pay_fen")]


def test_settlement_exports_as_csv_and_xlsx(api: HbApi, settled: list[str]) -> None:
    """HB-30: the CSV and the XLSX carry the report's rows, and their totals rows are the sums of the rows."""
    report = settlement(api, "admin_A")
    csv_file = api.get("admin_A", f"{BASE}/reports/settlement/export", period="2026-11", format="csv")
    assert csv_file.status_code == 200, csv_file.text
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_file.headers["content-disposition"]
    assert csv_file.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    assert_sheet_reconciles(list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig")))), report)

    xlsx_file = api.get("admin_A", f"{BASE}/reports/settlement/export", period="2026-11", format="xlsx")
    assert xlsx_file.status_code == 200, xlsx_file.text
    assert xlsx_file.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(xlsx_file.content), read_only=True)
    lines = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    assert_sheet_reconciles(lines, report)
    assert isinstance(lines[1][-3], int | float)  # amounts are numbers a spreadsheet can sum

    audited = api.get("auditor", f"{BASE}/reports/settlement/export", period="2026-11", format="csv")
    assert audited.status_code == 200
    assert_sheet_reconciles(list(csv.reader(io.StringIO(audited.content.decode("utf-8-sig")))),
                            settlement(api, "auditor"))


# --- 7. validation and the error shape -----------------------------------------------------------------------

def test_a_naive_scheduled_at_is_400(api: HbApi, family_flow: FamilyFlow) -> None:
    """HB-10: scheduled_at without its offset is ambiguous: 400 REQUEST_INVALID, nothing placed."""
    before = ok(api.get("admin_A", f"{BASE}/orders", contract_id=family_flow.contract_id))["total"]
    naive = (api.clock.now() + timedelta(hours=3)).replace(tzinfo=None).isoformat()
    refused = api.post("staff_A", f"{BASE}/orders", {"contract_id": family_flow.contract_id,
                                                     "service_item_id": api.hb.nursing, "scheduled_at": naive})
    assert_error(refused, 400, "REQUEST_INVALID")
    record = api.post("staff_A", f"{BASE}/orders/records", {
        "contract_id": family_flow.contract_id, "service_item_id": api.hb.nursing, "staff_id": api.hb.staff_A,
        "started_at": naive, "completed_at": api.at(minutes=-1)})
    assert_error(record, 400, "REQUEST_INVALID")
    assert ok(api.get("admin_A", f"{BASE}/orders", contract_id=family_flow.contract_id))["total"] == before


def test_unknown_body_fields_are_400(api: HbApi, family_flow: FamilyFlow) -> None:
    """HB-10/HB-03/HB-20: a misspelt or extra field is refused, not ignored."""
    order = {"contract_id": family_flow.contract_id, "service_item_id": api.hb.nursing, "scheduled_at": api.at(hours=2)}
    assert_error(api.post("staff_A", f"{BASE}/orders", {**order, "priority": "urgent"}), 400, "REQUEST_INVALID")
    assert_error(api.post("operator", f"{BASE}/config/service-items", {"name": "x", "colour": "red"}), 400,
                 "REQUEST_INVALID")
    body = terms(api)
    body["terms"]["discount"] = 10
    assert_error(api.post("staff_A", f"{BASE}/applications/{family_flow.app_id}/contract", body), 400,
                 "REQUEST_INVALID")
    assert_error(api.post("admin_A", f"{BASE}/apply-codes", {"days": 3, "institution": "A"}), 400, "REQUEST_INVALID")


@pytest.mark.parametrize(("n", "name", "data"), [(75, "说明.txt", b"just some text, not an image"),
                                                 (76, "fake.png", b"GIF89a" + b"\x00" * 32),
                                                 (77, "page.html", b"<html><body>hi</body></html>")],
                         ids=["text", "gif", "html"])
def test_a_non_image_upload_is_422_unsupported_type(api: HbApi, n: int, name: str, data: bytes) -> None:
    """HB-01/HB-20: materials and pictures are JPG/PNG/PDF by their content, whatever the name says."""
    app = ok(api.post("staff_A", f"{BASE}/applications", application_body(n)), 201)
    refused = api.post("staff_A", f"{BASE}/applications/{app['id']}/materials", files={"data": (name, data, "image/png")})
    body = assert_error(refused, 422, "VALIDATION_FAILED")
    assert body["details"][0]["code"] == "UNSUPPORTED_TYPE"
    assert ok(api.get("staff_A", f"{BASE}/applications/{app['id']}"))["materials"] == []
    picture = api.post("operator", f"{BASE}/config/renovation-items/{api.hb.rail}/pictures",
                       files={"data": (name, data, "image/png")})
    assert assert_error(picture, 422)["details"][0]["code"] == "UNSUPPORTED_TYPE"


def test_every_error_has_exactly_code_message_details(api: HbApi, family_flow: FamilyFlow) -> None:
    """HB-01…HB-30: 400, 401, 403, 404, 409 and 422 of the home-bed endpoints share one shape."""
    responses = [
        api.client.get(f"{BASE}/contracts/{family_flow.contract_id}"),  # 401: no token
        api.post("staff_A", f"{BASE}/orders", {"contract_id": family_flow.contract_id}),  # 400: missing fields
        api.client.post(f"{BASE}/orders", headers={**api.h("staff_A"), "Content-Type": "application/json"},
                        content=b"{not json"),
        api.get("elder_A", f"{BASE}/reports/settlement", period="2026-11"),  # 403
        api.get("admin_B", f"{BASE}/orders/no-such-order"),  # 404
        api.post("staff_A", f"{BASE}/applications/{family_flow.app_id}/contract", terms(api)),  # 409
        api.client.get(f"{BASE}/apply-form", params={"token": "x.y.z"}),  # 422
        api.client.get(f"{BASE}/apply-form", params={"token": "<script>"}),  # 400: pattern
        api.post("staff_A", f"{BASE}/applications/{family_flow.app_id}/materials", data={"note": "no file"}),
    ]
    for response in responses:
        assert response.status_code >= 400, response.text
        assert set(response.json()) == ERROR_KEYS, response.text
    assert [r.status_code for r in responses[:8]] == [401, 400, 400, 403, 404, 409, 422, 400]


# --- report periods and file names ------------------------------------------------------------------------

@pytest.mark.parametrize("period", ["0001-01", "0001-01-01..0001-01-02"])
def test_a_period_in_year_one_is_a_field_error_not_a_crash(api: HbApi, period: str) -> None:
    """HB-30: a period the report cannot cover is 422 INVALID_PERIOD on every report endpoint, never a 500."""
    for path, params in (("settlement", {}), ("settlement/export", {"format": "csv"}), ("business", {})):
        refused = api.get("auditor", f"{BASE}/reports/{path}", period=period, **params)
        assert field_error(refused, "period")["code"] == "INVALID_PERIOD"


def test_the_export_is_named_for_the_days_it_covers(api: HbApi) -> None:
    """HB-30: the November settlement file says 1–30 November in its name."""
    exported = api.get("admin_A", f"{BASE}/reports/settlement/export", period="2026-11", format="csv")
    assert exported.status_code == 200, exported.text
    assert 'filename="homebed-settlement-20261101-20261130.csv"' in exported.headers["content-disposition"]
