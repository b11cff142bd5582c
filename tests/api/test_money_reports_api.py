"""The money reports over HTTP (A-09, HB-30): split detail, government settlement (summary, detail, both
exported), sales and supplier income — JSON totals equal the ledger to the fen, CSV/XLSX downloads carry the
same totals; refusals: roles without money reports 403, another tree's institution 404, a bad period 422,
a malformed date 400."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from attrs import define, field
from litestar.testing import TestClient
from openpyxl import load_workbook

from tests.api.conftest import assert_error, login, serve
from tests.mall.setup import MallWorld
from tests.settlement.setup import PLATFORM, cash, entries_sum, refund, serve_visit, supplied_world
from tests.world import PASSWORD
from yiyangkang.bootstrap import Container
from yiyangkang.services.mall import fulfilment

REPORTS = "/api/v1/reports"
DAY = {"from": "2026-11-25", "to": "2026-11-25"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@define
class ReportApi:
    client: TestClient[Any]
    mw: MallWorld
    rt: Container
    _tokens: dict[str, dict[str, str]] = field(factory=dict)

    def get(self, username: str, path: str, **params: Any) -> Any:
        if username not in self._tokens:
            self._tokens[username] = login(self.client, username, PASSWORD)
        return self.client.get(f"{REPORTS}{path}", headers=self._tokens[username], params={**DAY, **params})

    def inst(self, key: str) -> str:
        return self.mw.world.inst[key]


def _world(rt: Container) -> MallWorld:
    """A's visit (B supplies it) served and ¥50 of it refunded; a store session verified."""
    w, _ = supplied_world(rt)
    trade = w.buy(("bath", 1), ("rehab", 1))
    subs = {s.fulfilment: s for s in trade.sub_orders}
    serve_visit(w, subs["home_visit"])
    refund(w, subs["home_visit"].id, amount_fen=5000)
    code = subs["in_store"].verify_code
    assert code is not None
    fulfilment.verify(w.rt, w.p("admin_A"), code)
    return w


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportApi]:
    for client, mw, _clock, rt in serve(tmp_path_factory.mktemp("api-money") / "api.db", _world):
        yield ReportApi(client=client, mw=mw, rt=rt)


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def test_a09_json_reports_reconcile_to_the_ledger(api: ReportApi) -> None:
    a, b = api.inst("A"), api.inst("B")
    splits = ok(api.get("admin_A", "/splits"))
    assert splits["total"] == len(splits["items"]) == 2
    totals = splits["totals"]
    assert totals["supplier_fen"] == 6000 + 4500 and totals["platform_fen"] == 1000 + 750
    assert totals["supplier_fen"] + totals["platform_fen"] == entries_sum(api.rt, [cash(b), PLATFORM], ["split"])
    assert totals["reversed_fen"] == -entries_sum(api.rt, [cash(b), PLATFORM], ["split_reversal"]) == 1500 + 250
    visit = next(r for r in splits["items"] if r["supplier_fen"] == 4500)
    assert [(s["party_label"], s["institution_name"], s["rate_bp"]) for s in visit["shares"]] == [
        ("服务商", "天河区五山社区卫生服务中心", 3000), ("平台服务费", "平台", 500)]
    assert visit["split_date"] == "2026-11-25"

    income = ok(api.get("admin_A", "/income"))
    mine = next(x for x in income["lines"] if x["institution_id"] == a)
    assert mine["net_fen"] == entries_sum(api.rt, [cash(a)], ["payment", "refund", "split", "split_reversal"])
    assert (mine["income_fen"], mine["refunds_fen"]) == (35000, 5000)
    assert (mine["supplier_fen"], mine["platform_fen"]) == (10500 - 1500, 1750 - 250)
    assert income["total"]["net_fen"] == sum(x["net_fen"] for x in income["lines"])

    supplier = ok(api.get("admin_B", "/supplier-income"))
    assert [(x["client_id"], x["orders"], x["net_fen"]) for x in supplier["lines"]] == [
        (a, 2, entries_sum(api.rt, [cash(b)], ["split", "split_reversal"]))]

    settlement = ok(api.get("admin_A", "/settlement"))
    assert settlement["total"]["total_fen"] == 0 and settlement["lines"] == []  # no vouchers nor subsidies yet
    assert ok(api.get("admin_A", "/settlement/detail", source="subsidy"))["total"] == 0


def test_a09_exports_carry_the_same_totals(api: ReportApi) -> None:
    response = api.get("admin_A", "/splits/export", format="csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="splits-20261125-20261125.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "订单编号" and rows[-1][0] == "合计（2单）"
    assert rows[-1][8] == "105.00" and rows[-1][10] == "17.50"
    for path in ("/income/export", "/supplier-income/export", "/settlement/export", "/settlement/detail/export"):
        got = api.get("admin_A", path)
        assert got.status_code == 200 and got.headers["content-type"] == XLSX, path
        sheet = load_workbook(io.BytesIO(got.content)).active
        assert sheet is not None and sheet.max_row >= 2, path
    income = load_workbook(io.BytesIO(api.get("admin_A", "/income/export").content)).active
    assert income is not None
    last = [c.value for c in income[income.max_row]]
    assert last[0] == "合计" and float(last[-1]) == ok(api.get("admin_A", "/income"))["total"]["net_fen"] / 100


def test_a09_report_refusals(api: ReportApi) -> None:
    assert ok(api.get("auditor", "/splits"))["total"] == ok(api.get("operator", "/splits"))["total"] > 0
    for who in ("elder_A", "family_F", "staff_A"):
        assert_error(api.get(who, "/splits"), 403)
        assert_error(api.get(who, "/income/export"), 403)
    assert_error(api.get("admin_B", "/income", institution_id=api.inst("A")), 404)
    assert_error(api.get("admin_A1", "/splits", institution_id=api.inst("A")), 404)
    assert ok(api.get("admin_A1", "/splits"))["total"] == 0  # A's orders are not its station's
    assert_error(api.get("admin_A", "/splits", **{"from": "2026-11-26", "to": "2026-11-25"}), 422)
    assert_error(api.get("admin_A", "/settlement", **{"from": "2026-01-01", "to": "2027-06-30"}), 422)
    assert_error(api.client.get(f"{REPORTS}/income", params={"to": "2026-11-25"},
                                headers=login(api.client, "admin_A", PASSWORD)), 422)
    assert_error(api.get("admin_A", "/income", **{"from": "2026-13-01"}), 400)
    assert_error(api.get("admin_A", "/settlement/detail", source="cash"), 400)
    assert_error(api.get("admin_A", "/splits/export", format="pdf"), 400)
    assert api.client.get(f"{REPORTS}/splits", params=DAY).status_code == 401
