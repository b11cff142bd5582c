"""`yyk exceptions scan|export`, `yyk mall close-unpaid` (A-08, HB-10, M-05): one engine for the home bed and
the mall; a second scan raises nothing; the export opens in a spreadsheet; unpaid trades close once.

The CLI reads the real clock; the world is built through a container whose clock is frozen two days back,
so the orders placed then are overdue by the time the commands run."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.cli.conftest import Yyk, world_on
from tests.conftest import FrozenClock
from tests.mall.setup import MallWorld, build_mall
from yiyangkang.services.mall import catalogue, checkout


@pytest.fixture
def clock() -> FrozenClock:
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    return FrozenClock(two_days_ago.replace(hour=1, minute=0, second=0, microsecond=0))


@pytest.fixture
def world(migrated: None, db_url: str, clock: FrozenClock, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[MallWorld]:
    monkeypatch.setenv("YYK_FILES_DIR", str(tmp_path / "files"))
    yield from world_on(db_url, clock, build_mall)


def test_scan_raises_each_exception_once_and_exports(yyk: Yyk, world: MallWorld, tmp_path: Path) -> None:
    """A-08: a paid home visit nobody dispatched (dispatch timeout, late arrival) and a parcel never shipped
    (shipping timeout) are raised once; a second run raises none; XLSX and CSV exports hold them."""
    world.buy(("bath", 1), ("diapers", 1), hours=2)
    first = yyk("exceptions", "scan")
    assert first.exit_code == 0, first.output
    assert "商城订单异常扫描" in first.stdout and "家床订单异常扫描" in first.stdout
    assert "dispatch_timeout 1" in first.stdout and "late_arrival 1" in first.stdout
    assert "shipping_timeout 1" in first.stdout
    second = yyk("exceptions", "scan", "--kind", "mall")
    assert second.exit_code == 0, second.output
    assert "新增异常 0 条" in second.stdout

    xlsx = tmp_path / "exceptions.xlsx"
    result = yyk("exceptions", "export", "--out", str(xlsx))
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(xlsx, read_only=True).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][:3] == ("订单编号", "异常类型", "异常说明")
    assert sorted(r[1] for r in rows[1:]) == ["发货超时", "派单超时", "迟到"]
    assert all(r[4] == "越秀区颐康居家养老服务中心" for r in rows[1:])

    out = tmp_path / "exceptions.csv"
    assert yyk("exceptions", "export", "--out", str(out), "--type", "shipping_timeout").exit_code == 0
    with out.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    assert len(lines) == 2 and lines[1][1] == "发货超时"
    assert yyk("exceptions", "export", "--out", str(tmp_path / "x.txt")).exit_code != 0


def test_close_unpaid_gives_stock_back_once(yyk: Yyk, world: MallWorld) -> None:
    """M-05: a trade left unpaid past the limit closes and its stock returns; a second run closes nothing."""
    trade = world.buy(("diapers", 2), pay=False)
    assert catalogue.get_seller_product(world.rt, world.p("admin_A"), world.products["diapers"]).stock == 3
    first = yyk("mall", "close-unpaid")
    assert first.exit_code == 0, first.output
    assert "1 笔" in first.stdout
    assert "0 笔" in yyk("mall", "close-unpaid").stdout
    assert checkout.get_trade(world.rt, world.p("elder_A"), trade.id).status == "closed"
    assert catalogue.get_seller_product(world.rt, world.p("admin_A"), world.products["diapers"]).stock == 5


def test_ledger_reconciles_and_shows_a_corrupted_balance(yyk: Yyk, world: MallWorld) -> None:
    """PAY: payments and refunds are booked; `yyk ledger reconcile` finds no difference, then exactly the one
    balance a test corrupted."""
    from sqlalchemy import text

    world.buy(("diapers", 1), ("walker", 1))
    first = yyk("ledger", "reconcile")
    assert first.exit_code == 0, first.output
    assert "0 个账户不符" in first.stdout
    assert world.rt.engine is not None
    with world.rt.engine.begin() as conn:
        conn.execute(text("UPDATE ledger_accounts SET balance = balance + 1 WHERE owner = 'institution'"))
    second = yyk("ledger", "reconcile")
    assert second.exit_code == 1
    assert "1 个账户不符" in second.stdout and "差 1" in second.stderr
