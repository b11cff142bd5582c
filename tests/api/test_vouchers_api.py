"""Elderly-care vouchers (养老服务券) over HTTP, role by role: the procurement list (A-11), batches, grants and
consumption records with their export (A-12 ▲), an elder's own vouchers (P-06), and paying a mall trade with
vouchers first and cash for the rest (PAY ▲) — with the refusals, each with its status and error code.

The app runs over SQLite with `tests.vouchers.setup.build_vouchers`: the mall world (`tests.mall.setup`) where
A (越秀) is a procurement institution and B (天河) is not, two issued batches — 通用券 ¥100 (any service, two
per elder, quota 10) and 助浴券 ¥50 (居家照护 only) — and elder A holding one 通用券.
The module-scoped app is shared by tests that never spend or grant to elder A; tests that pay or need exact
consumption records get a world of their own.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from attrs import define
from openpyxl import load_workbook

from tests.api.conftest import ERROR_KEYS, Caller, assert_error, detail_codes, ok, serve
from tests.vouchers.setup import VoucherWorld, build_vouchers
from yiyangkang.domain.kernel.masking import mask_name
from yiyangkang.domain.kernel.timekeeping import business_date
from yiyangkang.domain.money.ledger import Account
from yiyangkang.services.ledger import institution_cash, institution_vouchers
from yiyangkang.services.vouchers.records import EXPORT_HEADER

V = "/api/v1/vouchers"
MALL = "/api/v1/mall"
SHANGHAI = ZoneInfo("Asia/Shanghai")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MASKED_A = "老**"  # 老人A, as lists and exports show it to the back office (domain.kernel.masking.mask_name)


@define
class VoucherApi(Caller):
    vw: VoucherWorld

    @property
    def elders(self) -> dict[str, str]:
        return self.vw.mw.world.elders

    @property
    def inst(self) -> dict[str, str]:
        return self.vw.mw.world.inst

    @property
    def today(self) -> date:
        return business_date(self.clock.now())

    def checkout(self, *items: tuple[str, int], address: str | None = None) -> dict[str, Any]:
        """Elder A checks out (product key, quantity); the unpaid trade."""
        body = {"elder_id": self.vw.mw.elder, "address_id": address or self.vw.mw.address,
                "items": [{"product_id": self.vw.mw.products[key], "quantity": n, "appointment_at": self.at(hours=4)}
                          for key, n in items]}
        trade = ok(self.post("elder_A", f"{MALL}/trades", body), 201)
        assert trade["status"] == "unpaid"
        return dict(trade)


def make_voucher_api(db_file: Path) -> Iterator[VoucherApi]:
    for client, vw, clock, container in serve(db_file, build_vouchers):
        yield VoucherApi(client=client, vw=vw, clock=clock, rt=container)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VoucherApi]:
    yield from make_voucher_api(tmp_path_factory.mktemp("api-vouchers") / "api.db")


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[VoucherApi]:
    yield from make_voucher_api(tmp_path / "api.db")


def batch_body(api: VoucherApi, name: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "voucher_kind": "meal", "face_value_fen": 3000,
                            "valid_from": api.today.isoformat(), "valid_until": (api.today + timedelta(days=30)).isoformat(),
                            "quota": 5, "per_elder": 1, "description": "社区长者饭堂助餐"}
    return body | changes


def balances(api: VoucherApi, username: str = "elder_A") -> dict[str, int]:
    return {v["id"]: v["balance_fen"] for v in ok(api.get(username, f"{V}/elders/{api.vw.mw.elder}"))}


# --- A-11 the procurement list ------------------------------------------------------------------------------

def test_a11_operator_keeps_the_procurement_list(api: VoucherApi) -> None:
    """A-11: the operator lists, adds and removes procurement institutions; an institution taken off stays on
    record (inactive); admins and elders may read the list but not change it."""
    a, b = api.inst["A"], api.inst["B"]
    listed = ok(api.get("operator", f"{V}/institutions/"))
    assert {(p["institution_id"], p["active"], p["contract_no"]) for p in listed["items"]} == {
        (a, True, "GZCG-2026-001")}

    added = ok(api.post("operator", f"{V}/institutions/", {"institution_id": b, "contract_no": "GZCG-2026-002",
                                                            "remark": "天河区政府采购"}))
    assert (added["institution_id"], added["name"], added["active"]) == (b, "天河区五山社区卫生服务中心", True)
    assert {p["institution_id"] for p in ok(api.get("admin_A", f"{V}/institutions/"))["items"]} == {a, b}
    assert ok(api.get("elder_A", f"{V}/institutions/", keyword="五山"))["total"] == 1

    removed = ok(api.post("operator", f"{V}/institutions/{b}/remove", {"reason": "合同到期"}))
    assert (removed["institution_id"], removed["active"]) == (b, False)
    assert [p["institution_id"] for p in ok(api.get("operator", f"{V}/institutions/", active="true"))["items"]] == [a]
    assert [p["institution_id"] for p in ok(api.get("operator", f"{V}/institutions/", active="false"))["items"]] == [b]

    assert_error(api.post("admin_A", f"{V}/institutions/", {"institution_id": a}), 403, "PERMISSION_DENIED")
    assert_error(api.post("admin_B", f"{V}/institutions/{a}/remove", {}), 403, "PERMISSION_DENIED")
    assert_error(api.post("elder_A", f"{V}/institutions/", {"institution_id": b}), 403, "PERMISSION_DENIED")
    assert detail_codes(api.post("operator", f"{V}/institutions/", {"institution_id": "no-such-institution"})) == {
        "institution_id": "NOT_FOUND"}
    assert_error(api.post("operator", f"{V}/institutions/no-such-institution/remove", {}), 404)
    # Nothing the refusals tried changed the list.
    assert [p["institution_id"] for p in ok(api.get("operator", f"{V}/institutions/", active="true"))["items"]] == [a]


# --- A-12 batches -------------------------------------------------------------------------------------------

def test_a12_batch_drafted_changed_issued_and_closed(api: VoucherApi) -> None:
    """A-12: the operator drafts a batch and may change anything while it is a draft; once issued only its
    description and quota change (never below what was granted); closed, it grants no more."""
    draft = ok(api.post("operator", f"{V}/batches/", batch_body(api, "2026年助餐券")), 201)
    assert (draft["status"], draft["voucher_kind_label"], draft["granted"]) == ("draft", "助餐券", 0)
    changed = ok(api.put("operator", f"{V}/batches/{draft['id']}", batch_body(
        api, "2026年助餐券", face_value_fen=2500, per_elder=2, category_ids=[api.vw.mw.categories["care"]],
        version=draft["version"])))
    assert (changed["face_value_fen"], changed["per_elder"], changed["category_ids"]) == (
        2500, 2, [api.vw.mw.categories["care"]])
    assert_error(api.put("operator", f"{V}/batches/{draft['id']}", batch_body(api, "2026年助餐券",
                                                                               version=draft["version"])), 409)
    grant = {"batch_id": draft["id"], "elder_ids": [api.elders["A1"]]}
    assert detail_codes(api.post("admin_A", f"{V}/grants", grant)) == {"batch_id": "VOUCHER_BATCH_NOT_ISSUING"}

    issued = ok(api.post("operator", f"{V}/batches/{draft['id']}/issue"))
    assert (issued["status"], issued["status_label"]) == ("issuing", "发放中")
    assert_error(api.post("operator", f"{V}/batches/{draft['id']}/issue"), 409)
    ok(api.post("admin_A", f"{V}/grants", {"batch_id": draft["id"], "elder_ids": [api.elders["A1"], api.elders["A2"]]}),
       201)

    terms: dict[str, Any] = {"face_value_fen": 2500, "per_elder": 2, "category_ids": [api.vw.mw.categories["care"]]}
    refused = api.put("operator", f"{V}/batches/{draft['id']}", batch_body(
        api, "2026年助餐券", **(terms | {"face_value_fen": 5000, "valid_until": (api.today + timedelta(days=60)).isoformat()})))
    assert detail_codes(refused) == {"face_value_fen": "VOUCHER_BATCH_ISSUED", "valid_until": "VOUCHER_BATCH_ISSUED"}
    below = api.put("operator", f"{V}/batches/{draft['id']}", batch_body(api, "2026年助餐券", **terms, quota=1))
    assert detail_codes(below) == {"quota": "OUT_OF_RANGE"}
    kept = ok(api.get("operator", f"{V}/batches/{draft['id']}"))
    assert (kept["face_value_fen"], kept["quota"], kept["granted"]) == (2500, 5, 2)

    more = ok(api.put("operator", f"{V}/batches/{draft['id']}", batch_body(
        api, "2026年助餐券", **terms, quota=8, description="追加发放")))
    assert (more["quota"], more["description"], more["face_value_fen"]) == (8, "追加发放", 2500)

    closed = ok(api.post("operator", f"{V}/batches/{draft['id']}/close", {"reason": "预算用完"}))
    assert closed["status"] == "closed"
    assert detail_codes(api.post("admin_A", f"{V}/grants", {"batch_id": draft["id"], "elder_ids": [api.elders["A"]]})
                        ) == {"batch_id": "VOUCHER_BATCH_NOT_ISSUING"}
    assert_error(api.post("operator", f"{V}/batches/{draft['id']}/close", {}), 409)
    assert draft["id"] in {b["id"] for b in ok(api.get("admin_A", f"{V}/batches/", status="closed"))["items"]}
    assert draft["id"] not in {b["id"] for b in ok(api.get("auditor", f"{V}/batches/", status="issuing"))["items"]}


def test_a12_only_the_platform_writes_batches(api: VoucherApi) -> None:
    """A-12: admins read batches but neither create, change, issue nor close them; elders do not see them; a
    second batch of the same name is a conflict, not a 500."""
    general = api.vw.general
    for response in (
        api.post("admin_A", f"{V}/batches/", batch_body(api, "机构自建券")),
        api.put("admin_A", f"{V}/batches/{general}", batch_body(api, "2026年通用养老服务券")),
        api.post("admin_A", f"{V}/batches/{general}/close", {}),
        api.post("auditor", f"{V}/batches/{api.vw.bath}/issue"),
        api.get("elder_A", f"{V}/batches/"),
        api.get("family_F", f"{V}/batches/{general}"),
    ):
        assert_error(response, 403, "PERMISSION_DENIED")
    assert ok(api.get("admin_B", f"{V}/batches/{general}"))["status"] == "issuing"
    assert_error(api.post("operator", f"{V}/batches/", batch_body(api, "2026年通用养老服务券")), 409,
                 "VOUCHER_BATCH_NAME_TAKEN")
    assert_error(api.get("operator", f"{V}/batches/no-such-batch"), 404)
    assert_error(api.post("operator", f"{V}/batches/no-such-batch/issue"), 404)


# --- A-12 grants, P-06 my vouchers ---------------------------------------------------------------------------

def test_a12_grant_is_all_or_nothing_with_field_details(api: VoucherApi) -> None:
    """A-12 充值: admin_A grants the 通用券 to three of its subtree's elders, one of them twice more than the
    per-elder limit allows: 422 naming that elder's position, and nobody got anything."""
    general = api.vw.general
    before = ok(api.get("operator", f"{V}/batches/{general}"))["granted"]
    held_a2 = ok(api.get("admin_A", f"{V}/", elder_id=api.elders["A2"]))["total"]
    refused = api.post("admin_A", f"{V}/grants", {"batch_id": general,
                                                  "elder_ids": [api.elders["A2"], api.elders["A"], api.elders["A"]]})
    assert detail_codes(refused) == {"elder_ids.2": "VOUCHER_PER_ELDER_LIMIT"}
    assert "上限" in assert_error(refused, 422)["details"][0]["message"]
    assert ok(api.get("admin_A", f"{V}/", elder_id=api.elders["A2"]))["total"] == held_a2
    assert ok(api.get("operator", f"{V}/batches/{general}"))["granted"] == before
    assert list(balances(api).values()) == [10000]

    region = ok(api.post("operator", f"{V}/batches/", batch_body(api, "海珠区助餐券", region_code="440105")), 201)
    ok(api.post("operator", f"{V}/batches/{region['id']}/issue"))
    assert detail_codes(api.post("admin_A", f"{V}/grants", {"batch_id": region["id"], "elder_ids": [api.elders["A2"]]})
                        ) == {"elder_ids.0": "VOUCHER_REGION_NOT_ELIGIBLE"}
    assert_error(api.post("admin_A", f"{V}/grants", {"batch_id": "no-such-batch", "elder_ids": [api.elders["A2"]]}),
                 404)

    granted = ok(api.post("admin_A", f"{V}/grants", {"batch_id": api.vw.bath, "elder_ids": [api.elders["A2"]]}), 201)
    assert [(v["elder_id"], v["batch_id"], v["balance_fen"], v["status"]) for v in granted] == [
        (api.elders["A2"], api.vw.bath, 5000, "active")]
    assert granted[0]["elder_name"] == mask_name("老人A2") == "老人**"  # masked for the admin who granted it
    listed = ok(api.get("admin_A", f"{V}/", elder_id=api.elders["A2"], batch_id=api.vw.bath))
    assert [v["id"] for v in listed["items"]] == [granted[0]["id"]]
    assert ok(api.get("admin_A", f"{V}/", elder_id=api.elders["A2"]))["total"] == held_a2 + 1


def test_a12_grants_and_vouchers_stay_within_scope(api: VoucherApi) -> None:
    """A-12 权限内: admin_B cannot grant to A's elder (404) nor see A's vouchers (404, and none in its lists);
    elders, families, staff and auditors cannot grant (403)."""
    a_elder, voucher = api.vw.mw.elder, api.vw.voucher
    grant = {"batch_id": api.vw.general, "elder_ids": [a_elder]}
    assert_error(api.post("admin_B", f"{V}/grants", grant), 404)
    assert_error(api.post("admin_B", f"{V}/grants", {"batch_id": api.vw.general,
                                                     "elder_ids": [api.elders["B"], a_elder]}), 404)
    assert ok(api.get("admin_B", f"{V}/", elder_id=api.elders["B"]))["total"] == 0  # nothing half-granted
    for username in ("elder_A", "family_F", "staff_A", "auditor"):
        assert_error(api.post(username, f"{V}/grants", grant), 403, "PERMISSION_DENIED")
    assert list(balances(api).values()) == [10000]

    assert_error(api.get("admin_B", f"{V}/elders/{a_elder}"), 404)
    assert_error(api.get("admin_B", f"{V}/{voucher}"), 404)
    assert voucher not in {v["id"] for v in ok(api.get("admin_B", f"{V}/"))["items"]}
    assert ok(api.get("admin_B", f"{V}/", elder_id=a_elder))["total"] == 0
    assert ok(api.get("admin_B", f"{V}/spends"))["total"] == 0
    assert_error(api.get("elder_A", f"{V}/elders/{api.elders['B']}"), 404)
    assert_error(api.get("staff_A", f"{V}/"), 403)
    assert_error(api.get("staff_A", f"{V}/elders/{a_elder}"), 403)
    assert ok(api.get("auditor", f"{V}/{voucher}"))["elder_name"] == MASKED_A


def test_p06_elder_and_family_see_their_vouchers_unmasked(api: VoucherApi) -> None:
    """P-06 我的养老服务券: elder A and family F see A's vouchers with the name in full, the balance and the
    validity; the back office sees the same vouchers with the name masked."""
    a_elder, voucher = api.vw.mw.elder, api.vw.voucher
    for username in ("elder_A", "family_F"):
        mine = ok(api.get(username, f"{V}/elders/{a_elder}"))
        assert [(v["id"], v["elder_name"], v["balance_fen"], v["face_value_fen"], v["status_label"]) for v in mine] == [
            (voucher, "老人A", 10000, 10000, "可用")], username
        assert date.fromisoformat(mine[0]["valid_until"]) >= api.today
        listed = ok(api.get(username, f"{V}/"))
        assert [(v["id"], v["elder_name"]) for v in listed["items"]] == [(voucher, "老人A")], username
        assert ok(api.get(username, f"{V}/{voucher}"))["elder_name"] == "老人A"
    for username in ("admin_A", "operator", "auditor"):
        seen = ok(api.get(username, f"{V}/", elder_id=a_elder))["items"]
        assert [(v["id"], v["elder_name"]) for v in seen] == [(voucher, MASKED_A)], username
        assert ok(api.get(username, f"{V}/{voucher}"))["elder_name"] == MASKED_A
    assert [v["elder_name"] for v in ok(api.get("admin_A", f"{V}/elders/{a_elder}"))] == [MASKED_A]


def test_p06_a_new_grant_shows_soonest_to_expire_first(fresh: VoucherApi) -> None:
    """A-12 + P-06: admin_A grants elder A a 30-day 助餐券; elder A and family F see both vouchers, the one
    expiring sooner first, with their balances; the batch counts the grant."""
    api = fresh
    meal = ok(api.post("operator", f"{V}/batches/", batch_body(api, "2026年助餐券")), 201)
    ok(api.post("operator", f"{V}/batches/{meal['id']}/issue"))
    (granted,) = ok(api.post("admin_A", f"{V}/grants", {"batch_id": meal["id"], "elder_ids": [api.vw.mw.elder]}), 201)
    assert (granted["batch_name"], granted["voucher_kind_label"], granted["balance_fen"], granted["elder_name"]) == (
        "2026年助餐券", "助餐券", 3000, MASKED_A)
    for username in ("elder_A", "family_F"):
        mine = ok(api.get(username, f"{V}/elders/{api.vw.mw.elder}"))
        assert [(v["id"], v["balance_fen"], v["elder_name"]) for v in mine] == [
            (granted["id"], 3000, "老人A"), (api.vw.voucher, 10000, "老人A")], username
    assert ok(api.get("operator", f"{V}/batches/{meal['id']}"))["granted"] == 1
    assert ok(api.get("admin_A", f"{V}/", batch_id=meal["id"]))["total"] == 1
    assert ok(api.get("admin_B", f"{V}/", batch_id=meal["id"]))["total"] == 0


# --- PAY ▲ mixed payment, A-12 consumption records -----------------------------------------------------------

def test_pay_mixed_vouchers_first_then_cash_and_the_records(fresh: VoucherApi) -> None:
    """PAY ▲: elder A pays ¥150 of 上门助浴 with `use_vouchers`: ¥100 from the 通用券, ¥50 by the channel; the
    trade and its order show the split; the consumption record lists for A's admin (masked), the elder
    (unmasked), the operator, not B's admin. A trade paid without vouchers takes nothing from them, and a
    cancelled visit gives the voucher its ¥100 back."""
    api = fresh
    trade = api.checkout(("bath", 1))
    paid = ok(api.post("elder_A", f"{MALL}/trades/{trade['id']}/pay", {"use_vouchers": True}))
    assert (paid["status"], paid["total_fen"], paid["voucher_fen"], paid["cash_fen"]) == ("paid", 15000, 10000, 5000)
    sub = paid["sub_orders"][0]
    assert (sub["paid_fen"], sub["voucher_paid_fen"]) == (15000, 10000)
    assert balances(api) == {api.vw.voucher: 0}
    seen = ok(api.get("elder_A", f"{MALL}/trades/{trade['id']}"))
    assert (seen["voucher_fen"], seen["cash_fen"]) == (10000, 5000)

    records = ok(api.get("admin_A", f"{V}/spends"))
    assert [(s["trade_number"], s["sub_order_id"], s["amount_fen"], s["net_fen"], s["status"], s["elder_name"],
             s["institution_id"]) for s in records["items"]] == [
        (paid["number"], sub["id"], 10000, 10000, "spent", MASKED_A, api.inst["A"])]
    assert [s["elder_name"] for s in ok(api.get("elder_A", f"{V}/spends"))["items"]] == ["老人A"]
    assert [s["elder_name"] for s in ok(api.get("family_F", f"{V}/spends"))["items"]] == ["老人A"]
    assert ok(api.get("operator", f"{V}/spends", institution_id=api.inst["A"]))["total"] == 1
    assert ok(api.get("admin_B", f"{V}/spends"))["total"] == 0
    assert ok(api.get("admin_A", f"{V}/spends", status="released"))["total"] == 0
    assert ok(api.get("admin_A", f"{V}/spends", date_from=(api.today + timedelta(days=1)).isoformat()))["total"] == 0
    assert ok(api.get("admin_A", f"{V}/spends", date_from=api.today.isoformat(),
                      date_to=api.today.isoformat()))["total"] == 1
    assert_error(api.get("staff_A", f"{V}/spends"), 403)

    # Without use_vouchers nothing comes from them (the voucher is empty anyway: pay a cheaper one after refund).
    cancelled = ok(api.post("elder_A", f"{MALL}/orders/{sub['id']}/cancel", {"reason": "临时有事"}))
    assert (cancelled["refunded_fen"], cancelled["voucher_refunded_fen"]) == (15000, 10000)
    assert balances(api) == {api.vw.voucher: 10000}
    (record,) = ok(api.get("admin_A", f"{V}/spends"))["items"]
    assert (record["refunded_fen"], record["net_fen"]) == (10000, 0)
    cash_only = api.checkout(("diapers", 1))
    plain = ok(api.post("elder_A", f"{MALL}/trades/{cash_only['id']}/pay", {}))
    assert (plain["status"], plain["voucher_fen"], plain["cash_fen"]) == ("paid", 0, 8000)
    assert balances(api) == {api.vw.voucher: 10000}


def test_pay_vouchers_only_at_procurement_institutions_over_http(fresh: VoucherApi) -> None:
    """A-11 + PAY ▲: B is not on the list, so its 上门护理 is paid all in cash even with `use_vouchers`; the voucher
    keeps its ¥100; family F cannot pay another elder's trade with A's vouchers (404)."""
    api = fresh
    trade = api.checkout(("nursing_B", 1), address=api.vw.mw.far_address)
    paid = ok(api.post("elder_A", f"{MALL}/trades/{trade['id']}/pay", {"use_vouchers": True}))
    assert (paid["status"], paid["voucher_fen"], paid["cash_fen"]) == ("paid", 0, 12000)
    assert balances(api) == {api.vw.voucher: 10000}
    assert ok(api.get("operator", f"{V}/spends"))["total"] == 0
    whole = api.checkout(("diapers", 1))
    assert_error(api.post("admin_B", f"{MALL}/trades/{whole['id']}/pay", {"use_vouchers": True}), 404)
    paid = ok(api.post("family_F", f"{MALL}/trades/{whole['id']}/pay", {"use_vouchers": True}))
    assert (paid["status"], paid["pay_channel"], paid["voucher_fen"], paid["cash_fen"]) == ("paid", "voucher", 8000, 0)
    assert balances(api) == {api.vw.voucher: 2000}


def test_a12_consumption_records_export_csv_and_xlsx(fresh: VoucherApi) -> None:
    """A-12 消费明细导出: CSV (UTF-8 with BOM) and XLSX with the export header, the elder's name masked, amounts
    in yuan, the seller's name; within scope (B's admin gets the header only) and filters."""
    api = fresh
    first = ok(api.post("elder_A", f"{MALL}/trades/{api.checkout(('diapers', 1))['id']}/pay", {"use_vouchers": True}))
    second = ok(api.post("elder_A", f"{MALL}/trades/{api.checkout(('bath', 1))['id']}/pay", {"use_vouchers": True}))
    assert (first["voucher_fen"], second["voucher_fen"], second["cash_fen"]) == (8000, 2000, 13000)
    expected = [[first["number"], first["sub_orders"][0]["number"], "80.00", "0.00", "80.00", "已消费"],
                [second["number"], second["sub_orders"][0]["number"], "20.00", "0.00", "20.00", "已消费"]]
    a_name = "越秀区颐康居家养老服务中心"

    raw = api.get("admin_A", f"{V}/spends/export", format="csv")
    assert raw.status_code == 200, raw.text
    assert raw.headers["content-type"].startswith("text/csv")
    assert "voucher-spends.csv" in raw.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(raw.content.decode("utf-8-sig"))))
    assert rows[0] == EXPORT_HEADER
    assert len(rows) == 3
    assert {r[2] for r in rows[1:]} == {MASKED_A}
    assert {r[3] for r in rows[1:]} == {a_name}
    assert sorted([r[4], r[5], *r[6:]] for r in rows[1:]) == sorted(expected)
    assert all(r[0].startswith(api.today.isoformat()) for r in rows[1:])
    assert "老人A" not in raw.content.decode("utf-8-sig")

    xlsx = api.get("admin_A", f"{V}/spends/export", format="xlsx")
    assert xlsx.status_code == 200, xlsx.text
    assert xlsx.headers["content-type"].startswith(XLSX)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = [[("" if c is None else str(c)) for c in r] for r in sheet.iter_rows(values_only=True)]
    assert values[0] == EXPORT_HEADER
    assert sorted([r[4], r[5], *r[6:]] for r in values[1:]) == sorted(expected)
    assert {r[2] for r in values[1:]} == {MASKED_A}
    assert [r[1] for r in values[1:]] == [r[1] for r in rows[1:]]  # the same records, oldest first

    assert [r[2] for r in list(csv.reader(io.StringIO(
        api.get("elder_A", f"{V}/spends/export", format="csv").content.decode("utf-8-sig"))))[1:]] == [MASKED_A] * 2
    theirs = api.get("admin_B", f"{V}/spends/export", format="xlsx")
    assert theirs.status_code == 200, theirs.text
    only_header = [list(r) for r in load_workbook(io.BytesIO(theirs.content)).active.iter_rows(values_only=True)]
    assert only_header == [EXPORT_HEADER]
    by_b = api.get("operator", f"{V}/spends/export", format="csv", institution_id=api.inst["B"])
    assert list(csv.reader(io.StringIO(by_b.content.decode("utf-8-sig")))) == [EXPORT_HEADER]
    later = api.get("operator", f"{V}/spends/export", format="csv",
                    date_from=(api.today + timedelta(days=1)).isoformat())
    assert len(list(csv.reader(io.StringIO(later.content.decode("utf-8-sig"))))) == 1
    assert_error(api.get("staff_A", f"{V}/spends/export", format="csv"), 403)


def test_pay_a_voucher_pays_through_its_last_day_in_shanghai(fresh: VoucherApi) -> None:
    """PAY ▲ / P-06: the 通用券 is valid to its last day inclusive, in Shanghai: at 23:50 that day it pays; ten
    minutes after midnight it no longer does (even before the expiry job has run) and the trade is paid in cash."""
    api = fresh
    (mine,) = ok(api.get("elder_A", f"{V}/elders/{api.vw.mw.elder}"))
    last = date.fromisoformat(mine["valid_until"])
    late = datetime.combine(last, time(23, 50), SHANGHAI)
    api.clock.advance(seconds=(late - api.clock.now()).total_seconds())
    paid = ok(api.post("elder_A", f"{MALL}/trades/{api.checkout(('diapers', 1))['id']}/pay", {"use_vouchers": True}))
    assert (paid["voucher_fen"], paid["cash_fen"]) == (8000, 0)
    api.clock.advance(minutes=20)
    after = ok(api.post("elder_A", f"{MALL}/trades/{api.checkout(('diapers', 1))['id']}/pay", {"use_vouchers": True}))
    assert (after["voucher_fen"], after["cash_fen"]) == (0, 8000)
    assert balances(api) == {api.vw.voucher: 2000}


def test_a12_records_are_dated_in_shanghai(fresh: VoucherApi) -> None:
    """A-12: a payment at 00:30 in Shanghai (16:30 UTC the day before) is that Shanghai day's consumption, in
    the list's date filters and in the export."""
    api = fresh
    utc_day = business_date(api.clock.now())  # 2026-11-25 02:00 UTC is the 25th in both zones
    api.clock.advance(hours=14, minutes=30)  # 16:30 UTC: 00:30 on the 26th in Shanghai
    shanghai_day = business_date(api.clock.now())
    assert shanghai_day == utc_day + timedelta(days=1)
    ok(api.post("elder_A", f"{MALL}/trades/{api.checkout(('diapers', 1))['id']}/pay", {"use_vouchers": True}))
    on = {"date_from": shanghai_day.isoformat(), "date_to": shanghai_day.isoformat()}
    assert ok(api.get("admin_A", f"{V}/spends", **on))["total"] == 1
    assert ok(api.get("admin_A", f"{V}/spends", date_to=utc_day.isoformat()))["total"] == 0
    rows = list(csv.reader(io.StringIO(api.get("admin_A", f"{V}/spends/export", format="csv", **on)
                                       .content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == [f"{shanghai_day.isoformat()} 00:30"]


# --- malformed input ---------------------------------------------------------------------------------------

def test_malformed_voucher_input_never_500(api: VoucherApi) -> None:
    """Unknown fields, negative or zero face values, validity ending before it starts, bad dates, over-long or
    empty lists, wrong types, bad query values: all 4xx in the one error shape, and nothing is written."""
    general, today = api.vw.general, api.today
    granted = ok(api.get("operator", f"{V}/batches/{general}"))["granted"]
    good = batch_body(api, "畸形输入券")
    assert detail_codes(api.post("operator", f"{V}/batches/", good | {
        "valid_until": (today - timedelta(days=1)).isoformat()})) == {"valid_until": "OUT_OF_RANGE"}
    assert detail_codes(api.post("operator", f"{V}/batches/", good | {"face_value_fen": 0})) == {
        "face_value_fen": "OUT_OF_RANGE"}
    assert "face_value_fen" in detail_codes(api.post("operator", f"{V}/batches/", good | {"face_value_fen": 1_000_001}))
    assert detail_codes(api.post("operator", f"{V}/batches/", good | {"category_ids": ["no-such-category"]})) == {
        "category_ids.0": "NOT_FOUND"}
    assert detail_codes(api.post("operator", f"{V}/batches/", good | {"region_code": "999999"})) == {
        "region_code": "NOT_FOUND"}
    assert_error(api.post("operator", f"{V}/batches/", good | {"granted": 0}), 400, "REQUEST_INVALID")
    assert_error(api.post("operator", f"{V}/batches/", good | {"status": "issuing"}), 400, "REQUEST_INVALID")
    assert_error(api.post("operator", f"{V}/batches/", good | {"face_value_fen": -100}), 400, "REQUEST_INVALID")
    assert_error(api.post("operator", f"{V}/batches/", good | {"valid_from": "2026-13-01"}), 400, "REQUEST_INVALID")
    assert_error(api.post("admin_A", f"{V}/grants", {"batch_id": general, "elder_ids": [api.elders["A2"]] * 501}), 400,
                 "REQUEST_INVALID")
    assert_error(api.post("admin_A", f"{V}/grants", {"batch_id": general, "elder_ids": [api.elders["A2"]],
                                                     "amount_fen": 1}), 400, "REQUEST_INVALID")

    b = api.inst["B"]
    posts: list[tuple[str, str, Any]] = [
        ("operator", f"{V}/batches/", good | {"face_value_fen": 10 ** 20}),
        ("operator", f"{V}/batches/", good | {"face_value_fen": 12.5}),
        ("operator", f"{V}/batches/", good | {"valid_until": "tomorrow"}),
        ("operator", f"{V}/batches/", good | {"valid_from": "2026-02-30"}),
        ("operator", f"{V}/batches/", good | {"valid_from": None}),
        ("operator", f"{V}/batches/", good | {"voucher_kind": "cash"}),
        ("operator", f"{V}/batches/", good | {"quota": 0}),
        ("operator", f"{V}/batches/", good | {"per_elder": 101}),
        ("operator", f"{V}/batches/", good | {"region_code": "44ab"}),
        ("operator", f"{V}/batches/", good | {"category_ids": ["x"] * 51}),
        ("operator", f"{V}/batches/", good | {"name": ""}),
        ("operator", f"{V}/batches/", good | {"name": "券" * 61}),
        ("operator", f"{V}/batches/", good | {"name": "\x00"}),
        ("operator", f"{V}/batches/", good | {"description": "说" * 501}),
        ("operator", f"{V}/batches/", {k: v for k, v in good.items() if k != "face_value_fen"}),
        ("operator", f"{V}/batches/", []),
        ("operator", f"{V}/batches/", None),
        ("admin_A", f"{V}/grants", {"batch_id": general, "elder_ids": []}),
        ("admin_A", f"{V}/grants", {"batch_id": general, "elder_ids": api.elders["A2"]}),
        ("admin_A", f"{V}/grants", {"batch_id": general, "elder_ids": [""]}),
        ("admin_A", f"{V}/grants", {"batch_id": general, "elder_ids": ["../../etc"]}),
        ("admin_A", f"{V}/grants", {"batch_id": "", "elder_ids": [api.elders["A2"]]}),
        ("admin_A", f"{V}/grants", {"elder_ids": [api.elders["A2"]]}),
        ("operator", f"{V}/institutions/", {"institution_id": b, "contract_no": "x" * 300}),
        ("operator", f"{V}/institutions/", {"institution_id": b, "contract_no": "x" * 41}),
        ("operator", f"{V}/institutions/", {"institution_id": b, "active": False}),
        ("operator", f"{V}/institutions/", {}),
        ("operator", f"{V}/institutions/{b}/remove", {"reason": "x" * 501}),
        ("operator", f"{V}/batches/{general}/close", {"reason": 1}),
        ("elder_A", f"{MALL}/trades/no-such-trade/pay", {"use_vouchers": "yes"}),
        ("elder_A", f"{MALL}/trades/no-such-trade/pay", {"use_vouchers": True, "vouchers": ["x"]}),
    ]
    puts: list[tuple[str, str, Any]] = [
        ("operator", f"{V}/batches/{general}", good | {"version": "one"}),
        ("operator", f"{V}/batches/{general}", {"description": "只改说明"}),
        ("operator", f"{V}/batches/no-such-batch", good),
    ]
    gets: list[tuple[str, str, dict[str, Any]]] = [
        ("admin_A", f"{V}/", {"status": "lost"}),
        ("admin_A", f"{V}/", {"page": 0}),
        ("admin_A", f"{V}/", {"page_size": 100000}),
        ("admin_A", f"{V}/", {"elder_id": "x" * 65}),
        ("admin_A", f"{V}/spends", {"status": "lost"}),
        ("admin_A", f"{V}/spends", {"date_from": "2026-13-01"}),
        ("admin_A", f"{V}/spends", {"date_to": "yesterday"}),
        ("admin_A", f"{V}/spends/export", {"format": "pdf"}),
        ("admin_A", f"{V}/spends/export", {"format": "csv", "date_from": "2026-11-31"}),
        ("operator", f"{V}/batches/", {"status": "lost"}),
        ("operator", f"{V}/institutions/", {"active": "maybe"}),
        ("admin_A", f"{V}/no-such-voucher", {}),
        ("admin_A", f"{V}/elders/no-such-elder", {}),
    ]
    failures: list[str] = []
    for username, path, body in posts:
        response = api.post(username, path, body)
        if not 400 <= response.status_code < 500 or set(response.json()) != ERROR_KEYS:
            failures.append(f"POST {path} {str(body)[:120]} → {response.status_code} {response.text[:300]}")
    for username, path, body in puts:
        response = api.put(username, path, body)
        if not 400 <= response.status_code < 500 or set(response.json()) != ERROR_KEYS:
            failures.append(f"PUT {path} {str(body)[:120]} → {response.status_code} {response.text[:300]}")
    for username, path, params in gets:
        response = api.get(username, path, **params)
        if not 400 <= response.status_code < 500 or set(response.json()) != ERROR_KEYS:
            failures.append(f"GET {path} {params!r} → {response.status_code} {response.text[:300]}")
    for raw in (b"{", b"\xff\xfe", b'{"batch_id": 1e999}', b"null", b'{"batch_id": "x", "elder_ids": [null]}'):
        response = api.client.post(f"{V}/grants", content=raw,
                                   headers={**api.h("admin_A"), "Content-Type": "application/json"})
        if not 400 <= response.status_code < 500:
            failures.append(f"POST /grants raw {raw!r} → {response.status_code} {response.text[:300]}")
    assert not failures, "\n".join(failures)
    # Nothing was written: no batch of that name, the procurement list and the grants as they were.
    assert "畸形输入券" not in {b["name"] for b in ok(api.get("operator", f"{V}/batches/", page_size=100))["items"]}
    assert ok(api.get("operator", f"{V}/batches/{general}"))["granted"] == granted
    assert [p["institution_id"] for p in ok(api.get("operator", f"{V}/institutions/", active="true"))["items"]] == [
        api.inst["A"]]


def test_anonymous_callers_are_refused(api: VoucherApi) -> None:
    for response in (api.client.get(f"{V}/"), api.client.get(f"{V}/institutions/"),
                     api.client.post(f"{V}/grants", json={"batch_id": api.vw.general, "elder_ids": [api.vw.mw.elder]}),
                     api.client.get(f"{V}/spends/export")):
        assert_error(response, 401, "AUTHENTICATION_REQUIRED")


# --- once bugs, now fixed (kept as regressions) ---------------------------------------------------------------

def test_a12_spend_dates_out_of_range_are_a_field_error_not_500(api: VoucherApi) -> None:
    """A-12: consumption dates are days from 2000-01-01 to 2099-12-31 (services.vouchers.records.period); a
    parseable date outside them (9999-12-31 once overflowed into a 500) is a 422 naming the field, for the list
    and the export alike, while the two ends themselves are accepted."""
    for path in (f"{V}/spends", f"{V}/spends/export"):
        for name, day in (("date_to", "9999-12-31"), ("date_from", "0001-01-01"), ("date_to", "2100-01-01"),
                          ("date_from", "1999-12-31")):
            assert detail_codes(api.get("admin_A", path, **{name: day})) == {name: "OUT_OF_RANGE"}, (path, name, day)
        both = detail_codes(api.get("admin_A", path, date_from="0001-01-01", date_to="9999-12-31"))
        assert both == {"date_from": "OUT_OF_RANGE", "date_to": "OUT_OF_RANGE"}, path
        assert api.get("admin_A", path, date_from="2000-01-01", date_to="2099-12-31").status_code == 200, path
    assert ok(api.get("admin_A", f"{V}/spends", date_from="2000-01-01", date_to="2099-12-31"))["total"] == ok(
        api.get("admin_A", f"{V}/spends"))["total"]


def test_a12_issued_batch_accepts_its_own_categories_in_any_order(fresh: VoucherApi) -> None:
    """A-12: an issued batch changes only in description and quota — and the same set of categories is no change."""
    api = fresh
    care, rehab = api.vw.mw.categories["care"], api.vw.mw.categories["rehab"]
    made = ok(api.post("operator", f"{V}/batches/", batch_body(api, "照护康复券", category_ids=[care, rehab])), 201)
    ok(api.post("operator", f"{V}/batches/{made['id']}/issue"))
    again = api.put("operator", f"{V}/batches/{made['id']}", batch_body(api, "照护康复券", category_ids=[rehab, care],
                                                                          description="只改说明"))
    changed = ok(again)
    assert (changed["description"], sorted(changed["category_ids"])) == ("只改说明", sorted([care, rehab]))
    # A different set is still a change an issued batch refuses, and nothing of the request is kept.
    fewer = api.put("operator", f"{V}/batches/{made['id']}", batch_body(api, "照护康复券", category_ids=[care],
                                                                          description="又改说明"))
    assert detail_codes(fewer) == {"category_ids": "VOUCHER_BATCH_ISSUED"}
    kept = ok(api.get("operator", f"{V}/batches/{made['id']}"))
    assert (kept["description"], sorted(kept["category_ids"])) == ("只改说明", sorted([care, rehab]))


def test_pay_refund_of_a_line_paid_in_cash_goes_back_in_cash(fresh: VoucherApi) -> None:
    """PAY ▲ refunds go back where the money came from: elder A (通用券 already used up) pays nappies ¥80 and a
    mattress ¥100 delivered together, with a ¥50 生活用品券 that pays for the nappies only. Refunding the
    mattress gives its ¥100 back through the channel and nothing to the voucher; refunding the nappies then gives
    the voucher its ¥50 and the channel the nappies' ¥30."""
    from tests.mall.setup import approved
    from yiyangkang.services.mall.catalogue import ProductForm

    api = fresh
    mw = api.vw.mw
    mattress = approved(api.rt, mw.p("admin_A"), ProductForm(
        fulfilment="delivery", name="防褥疮气垫床垫", category_id=mw.categories["aids"], price_fen=10000, stock=5,
        unit="张"))
    ok(api.post("elder_A", f"{MALL}/trades/{api.checkout(('bath', 1))['id']}/pay", {"use_vouchers": True}))
    assert balances(api) == {api.vw.voucher: 0}
    goods = ok(api.post("operator", f"{V}/batches/", batch_body(api, "生活用品券", face_value_fen=5000,
                                                                 category_ids=[mw.categories["goods"]])), 201)
    ok(api.post("operator", f"{V}/batches/{goods['id']}/issue"))
    (voucher,) = ok(api.post("admin_A", f"{V}/grants", {"batch_id": goods["id"], "elder_ids": [mw.elder]}), 201)

    body = {"elder_id": mw.elder, "address_id": mw.address, "items": [
        {"product_id": mw.products["diapers"], "quantity": 1}, {"product_id": mattress, "quantity": 1}]}
    trade = ok(api.post("elder_A", f"{MALL}/trades", body), 201)
    paid = ok(api.post("elder_A", f"{MALL}/trades/{trade['id']}/pay", {"use_vouchers": True}))
    (sub,) = paid["sub_orders"]
    assert (paid["voucher_fen"], paid["cash_fen"], sub["voucher_paid_fen"]) == (5000, 13000, 5000)
    lines = {ln["product_id"]: ln["line_no"] for ln in sub["lines"]}
    owed, cash = institution_vouchers(api.inst["A"]), institution_cash(api.inst["A"])

    def refund(line_no: int, amount_fen: int) -> tuple[dict[str, Any], int, int]:
        """Refund a line through an approved after-sales request: the order, and how much the seller's claim on
        the government and its cash went down."""
        before = ledger_balances(api, owed, cash)
        request = ok(api.post("elder_A", f"{MALL}/after-sales", {"sub_order_id": sub["id"], "line_no": line_no,
                                                                   "type": "refund", "quantity": 1,
                                                                   "amount_fen": amount_fen, "reason": "不需要了"}), 201)
        ok(api.post("admin_A", f"{MALL}/after-sales/{request['id']}/review", {"approve": True}))
        after = ledger_balances(api, owed, cash)
        return ok(api.get("elder_A", f"{MALL}/orders/{sub['id']}")), before[0] - after[0], before[1] - after[1]

    order, to_vouchers, in_cash = refund(lines[mattress], 10000)
    assert (order["refunded_fen"], order["voucher_refunded_fen"]) == (10000, 0)
    assert (to_vouchers, in_cash) == (0, 10000)  # wholly in cash
    assert balances(api)[voucher["id"]] == 0  # the 生活用品券 paid nothing of the mattress

    order, to_vouchers, in_cash = refund(lines[mw.products["diapers"]], 8000)
    assert (order["refunded_fen"], order["voucher_refunded_fen"]) == (18000, 5000)
    assert (to_vouchers, in_cash) == (5000, 3000)
    assert balances(api)[voucher["id"]] == 5000
    assert balances(api)[api.vw.voucher] == 0  # the 通用券 paid the bath, of another order: untouched


def ledger_balances(api: VoucherApi, *accounts: Account) -> tuple[int, ...]:
    with api.rt.uow() as uow:
        return tuple(uow.ledger.balance(a) for a in accounts)
