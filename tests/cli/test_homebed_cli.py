"""`yyk homebed …` and `yyk report homebed-settlement` (HB-04, HB-10, HB-30): the batch jobs are
idempotent and the settlement export reconciles to the fen.

The CLI reads the real clock; the world is built through a container whose clock is frozen a little in
the past, so that orders are overdue or finished by the time the commands run.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.cli.conftest import Yyk
from tests.conftest import FrozenClock
from tests.conftest import test_settings as settings_on
from tests.homebed.setup import HomeBedWorld, build_homebed
from yiyangkang.bootstrap import build
from yiyangkang.domain.kernel.timekeeping import business_date
from yiyangkang.services.homebed import orders


@pytest.fixture
def outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "outbox.jsonl"
    monkeypatch.setenv("YYK_NOTIFY_OUTBOX", str(path))
    monkeypatch.setenv("YYK_FILES_DIR", str(tmp_path / "files"))
    return path


@pytest.fixture
def clock() -> FrozenClock:
    """Two days ago, in the morning (Shanghai): orders of then are long finished or overdue now."""
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    return FrozenClock(two_days_ago.replace(hour=1, minute=0, second=0, microsecond=0))


@pytest.fixture
def world(migrated: None, db_url: str, clock: FrozenClock) -> Iterator[HomeBedWorld]:
    rt = build(settings_on(db_url), clock=clock)
    try:
        yield build_homebed(rt)
    finally:
        rt.dispose()


def period_of(clock: FrozenClock) -> str:
    day = business_date(clock.now())
    return f"{day - timedelta(days=1)}..{day + timedelta(days=1)}"


def test_remind_expiring_runs_once_per_contract(yyk: Yyk, world: HomeBedWorld, outbox: Path) -> None:
    """HB-04: contracts expiring within the lead time are reminded once; a second run sends nothing."""
    soon = business_date(world.now) + timedelta(days=12)
    app = world.apply(60)
    world.sign(app, expiry_date=soon)
    world.contract(61)  # a one-year contract: not due
    first = yyk("homebed", "remind-expiring")
    assert first.exit_code == 0, first.output
    assert "到期提醒：1 份签约" in first.stdout
    lines = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert lines and all(n["topic"] == "homebed.contract_expiring" for n in lines)
    assert all(n["phone"] is None or "****" in n["phone"] for n in lines)  # the outbox is a log: masked
    second = yyk("homebed", "remind-expiring")
    assert second.exit_code == 0, second.output
    assert "到期提醒：0 份签约，发出 0 条通知" in second.stdout
    assert len(outbox.read_text(encoding="utf-8").splitlines()) == len(lines)


def test_scan_exceptions_raises_each_once(yyk: Yyk, world: HomeBedWorld) -> None:
    """HB-10/A-08: an order left undispatched is a dispatch-timeout exception, raised once."""
    world.order(world.contract(62), hours=1)
    first = yyk("homebed", "scan-exceptions")
    assert first.exit_code == 0, first.output
    assert "dispatch_timeout 1" in first.stdout and "late_arrival 1" in first.stdout
    second = yyk("homebed", "scan-exceptions")
    assert "新增异常 0 条" in second.stdout


def test_roll_contracts_starts_pending_ones(yyk: Yyk, world: HomeBedWorld) -> None:
    """HB-03: a contract signed to start tomorrow (of the frozen clock) is active by now."""
    app = world.apply(63)
    world.sign(app, start_date=business_date(world.now) + timedelta(days=1))
    assert "1 份签约变更了状态" in yyk("homebed", "roll-contracts").stdout
    assert "0 份签约变更了状态" in yyk("homebed", "roll-contracts").stdout


def _served(world: HomeBedWorld, clock: FrozenClock, contract_id: str, minutes: int) -> None:
    order_id = world.order(contract_id, hours=1)
    orders.dispatch_order(world.rt, world.p("admin_A"), order_id, world.staff_A)
    clock.advance(hours=1)
    orders.start_order(world.rt, world.p("staff_A"), order_id)
    clock.advance(minutes=minutes)
    orders.complete_order(world.rt, world.p("staff_A"), order_id)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_settlement_export_reconciles(yyk: Yyk, world: HomeBedWorld, clock: FrozenClock, tmp_path: Path,
                                      fmt: str) -> None:
    """HB-30: one row per completed order, totals per institution and overall equal the rows' sums."""
    first = world.contract(64)
    second = world.sign(world.apply(65), login="admin_A")
    for n, contract_id in enumerate([first, first, second]):
        _served(world, clock, contract_id, 50 + n)
    meal_only = world.sign(world.apply(66))
    world.rt.clock.advance(minutes=1)  # type: ignore[attr-defined]
    order_id = world.order(meal_only, item=world.meal, hours=1)
    orders.dispatch_order(world.rt, world.p("admin_A"), order_id, world.staff_A)  # not completed: not settled
    out = tmp_path / f"settlement.{fmt}"
    result = yyk("report", "homebed-settlement", "--period", period_of(clock), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "已导出 3 条结算记录" in result.stdout
    assert "生成政府结算报表" in result.stderr  # the progress bar
    if fmt == "xlsx":
        sheet = load_workbook(out, read_only=True).worksheets[0]
        lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    else:
        with out.open(encoding="utf-8-sig", newline="") as fh:
            lines = list(csv.reader(fh))
    header, body = lines[0], lines[1:]
    rows = body[:3]
    totals = [r for r in body if r and str(r[0] or "").startswith(("机构合计", "总计"))]
    assert header[0] == "订单编号" and len(rows) == 3
    assert all("*" in str(r[4]) for r in rows)  # ID numbers masked
    amount, subsidy, self_pay = (sum(Decimal(str(r[c])) for r in rows) for c in (12, 13, 14))
    grand = totals[-1]
    assert grand[0] == "总计（3单）"
    assert (Decimal(str(grand[12])), Decimal(str(grand[13])), Decimal(str(grand[14]))) == (amount, subsidy, self_pay)
    assert amount == Decimal("360.00") and subsidy == Decimal("240.00") and amount - subsidy == self_pay


def test_settlement_export_refuses_a_bad_period(yyk: Yyk, migrated: None, tmp_path: Path) -> None:
    result = yyk("report", "homebed-settlement", "--period", "2026-13", "--out", str(tmp_path / "x.xlsx"))
    assert result.exit_code == 1
    assert "统计期间" in result.output
    assert not (tmp_path / "x.xlsx").exists()

