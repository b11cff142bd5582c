"""`yyk report splits|settlement|income|supplier` (A-09, HB-30): each writes CSV or XLSX with a progress bar,
and its totals line equals the ledger to the fen; bad input is a clean usage error, not a traceback."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.cli.conftest import Yyk
from tests.conftest import FrozenClock
from tests.conftest import test_settings as settings_on
from tests.mall.setup import MallWorld
from tests.settlement.setup import PLATFORM, cash, entries_sum, refund, serve_visit, supplied_world
from yiyangkang.bootstrap import Container, build
from yiyangkang.domain.money.ledger import Account, Leg, Owner, Posting, Purse

PERIOD = ("--from", "2026-11-25", "--to", "2026-11-25")


@pytest.fixture
def world(migrated: None, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MallWorld]:
    """A's visit supplied by B served and partly refunded; vouchers spent at A (on 25 Nov 2026, Shanghai)."""
    monkeypatch.setenv("YYK_FILES_DIR", str(tmp_path / "files"))
    rt = build(settings_on(db_url), clock=FrozenClock())
    try:
        w, _ = supplied_world(rt)
        trade = w.buy(("bath", 1))
        serve_visit(w, trade.sub_orders[0])
        refund(w, trade.sub_orders[0].id, amount_fen=3000)
        with rt.uow() as uow:
            uow.ledger.post(Posting(reference="voucher-spend:CLI1", kind="voucher_spend", at=rt.clock.now(), legs=(
                Leg(Account(Owner.GOVERNMENT, "batch", Purse.VOUCHER), -4000),
                Leg(Account(Owner.INSTITUTION, w.world.inst["A"], Purse.VOUCHER), 4000))))
            uow.commit()
        yield w
    finally:
        rt.dispose()


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def test_a09_report_commands_export_what_the_ledger_holds(yyk: Yyk, world: MallWorld, container: Container,
                                                          tmp_path: Path) -> None:
    a, b = world.world.inst["A"], world.world.inst["B"]
    out = tmp_path / "splits.csv"
    result = yyk("report", "splits", *PERIOD, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "已导出 1 条分账记录" in result.stdout and "生成订单分账明细" in result.stderr  # the progress bar
    last = _csv(out)[-1]
    assert last[0] == "合计（1单）"
    assert Decimal(last[8]) + Decimal(last[10]) == Decimal(entries_sum(container, [cash(b), PLATFORM], ["split"])) / 100

    xlsx = tmp_path / "settlement.xlsx"
    result = yyk("report", "settlement", *PERIOD, "--institution", a, "--out", str(xlsx))
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(xlsx, read_only=True).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][0] == "机构" and rows[-1][0] == "合计" and Decimal(str(rows[-1][-1])) == Decimal("40.00")

    detail = tmp_path / "detail.csv"
    result = yyk("report", "settlement", *PERIOD, "--detail", "--out", str(detail))
    assert result.exit_code == 0, result.output
    lines = _csv(detail)
    assert lines[1][1] == "voucher-spend:CLI1" and lines[-1][0] == "总计（1笔）" and lines[-1][-1] == "40.00"

    income = tmp_path / "income.csv"
    assert yyk("report", "income", *PERIOD, "--institution", a, "--out", str(income)).exit_code == 0
    by_name = {r[0]: r for r in _csv(income)[1:]}
    net = entries_sum(container, [cash(a), Account(Owner.INSTITUTION, a, Purse.VOUCHER)],
                      ["payment", "refund", "voucher_spend", "voucher_refund", "split", "split_reversal"])
    assert Decimal(by_name["越秀区颐康居家养老服务中心"][-1]) == Decimal(net) / 100
    assert set(by_name) == {"越秀区颐康居家养老服务中心", "颐康北京街长者站", "颐康农林街长者站", "合计"}

    supplier = tmp_path / "supplier"  # no extension: --format decides
    result = yyk("report", "supplier", *PERIOD, "--format", "csv", "--out", str(supplier))
    assert result.exit_code == 0, result.output
    got = _csv(supplier.with_suffix(".csv"))
    assert got[1][:3] == ["天河区五山社区卫生服务中心", "越秀区颐康居家养老服务中心", "1"]
    assert Decimal(got[-1][-1]) == Decimal(entries_sum(container, [cash(b)], ["split", "split_reversal"])) / 100


def test_report_commands_refuse_bad_input_cleanly(yyk: Yyk, migrated: None, tmp_path: Path) -> None:
    bad_period = yyk("report", "income", "--from", "2026-11-30", "--to", "2026-11-01", "--out",
                     str(tmp_path / "x.csv"))
    assert bad_period.exit_code == 1 and "统计期间" in bad_period.output and "Traceback" not in bad_period.output
    bad_date = yyk("report", "splits", "--from", "2026-13-01", "--to", "2026-11-01", "--out", str(tmp_path / "x.csv"))
    assert bad_date.exit_code == 2
    bad_out = yyk("report", "splits", *PERIOD, "--out", str(tmp_path / "x.pdf"))
    assert bad_out.exit_code == 2
    unknown = yyk("report", "income", *PERIOD, "--institution", "no-such-institution", "--out",
                  str(tmp_path / "x.csv"))
    assert unknown.exit_code == 1 and "机构不存在" in unknown.output
    assert not (tmp_path / "x.csv").exists()
