"""`yyk points award-service` and `yyk points export-exchanges` (S-10, P-10): the month's service points once
(a second run awards nothing), the exchange records in a spreadsheet with the elders' names masked.

The CLI reads the real clock; the ratings are given in last month by a world whose clock is frozen then."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.cli.conftest import Yyk, db_url, migrated, runner, world_on, yyk  # noqa: F401 - the CLI fixtures
from tests.conftest import FrozenClock
from tests.mall.setup import MallWorld, build_mall
from tests.points.test_service_points import _rated_visit
from yiyangkang.domain.money.ledger import Leg, Posting
from yiyangkang.domain.points.service import Period
from yiyangkang.services.points import goods
from yiyangkang.services.points.common import ISSUER, elder_points, staff_points
from yiyangkang.services.points.goods import ExchangeForm, GoodForm


def last_month() -> Period:
    now = Period.of(datetime.now(UTC))
    return Period(now.year - 1, 12) if now.month == 1 else Period(now.year, now.month - 1)


@pytest.fixture
def clock() -> FrozenClock:
    month = last_month()
    return FrozenClock(datetime(month.year, month.month, 5, 1, tzinfo=UTC))


@pytest.fixture
def world(migrated: None, db_url: str, clock: FrozenClock, tmp_path: Path,  # noqa: F811
          monkeypatch: pytest.MonkeyPatch) -> Iterator[MallWorld]:
    monkeypatch.setenv("YYK_FILES_DIR", str(tmp_path / "files"))
    yield from world_on(db_url, clock, build_mall)


def test_s10_award_service_once_from_the_command_line(yyk: Yyk, world: MallWorld, clock: FrozenClock) -> None:  # noqa: F811
    for stars in (5, 4):
        _rated_visit(world, clock, "staff_A", world.staff_A, stars)
    month = last_month().text
    first = yyk("points", "award-service", "--month", month)
    assert first.exit_code == 0, first.output
    assert f"{month} 服务积分：有评价的员工 1 人，本次结算 1 人、发放 1 分" in first.stdout
    second = yyk("points", "award-service", "--month", month)
    assert second.exit_code == 0, second.output
    assert "本次结算 0 人、发放 0 分，此前已结算 1 人" in second.stdout
    with world.rt.uow() as uow:
        assert uow.ledger.balance(staff_points(world.staff_A)) == 1
    bad = yyk("points", "award-service", "--month", "2026/10")
    assert bad.exit_code != 0
    assert "结算周期应为年月" in bad.output


def test_p10_export_exchanges_csv_and_xlsx(yyk: Yyk, world: MallWorld, tmp_path: Path) -> None:  # noqa: F811
    admin = world.p("admin_A")
    good = goods.create_good(world.rt, admin, GoodForm(name="颐康保温杯", points_price=10, stock=3))
    goods.set_on_shelf(world.rt, admin, good.id, True)
    with world.rt.uow() as uow:
        uow.ledger.post(Posting(reference="test-grant", kind="points_earn", at=world.now,
                                legs=(Leg(ISSUER, -50), Leg(elder_points(world.elder), 50))))
        uow.commit()
    goods.exchange(world.rt, world.p("elder_A"), ExchangeForm(good_id=good.id, elder_id=world.elder, quantity=2))
    out = tmp_path / "exchanges.csv"
    result = yyk("points", "export-exchanges", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "已导出 1 条兑换记录" in result.stdout
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0][3:8] == ["商品", "数量", "积分", "老人", "状态"]
    assert rows[1][3:8] == ["颐康保温杯", "2", "20", "老**", "待发放"]
    xlsx = tmp_path / "exchanges.xlsx"
    assert yyk("points", "export-exchanges", "--out", str(xlsx), "--status", "delivered").exit_code == 0
    sheet = list(load_workbook(xlsx, read_only=True).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert len(sheet) == 1  # the header only: nothing delivered yet
    assert yyk("points", "export-exchanges", "--out", str(tmp_path / "x.txt")).exit_code != 0
