"""`yyk vouchers expire` and `yyk vouchers export-spends` (A-12 ▲ 养老服务券, PAY ▲): vouchers past their last
valid day give what is left back to the government fund, once however often the job runs; the consumption
records (居家消费明细) go to a CSV or XLSX file with the elder's name masked, amounts in yuan, filtered by
consumption date and seller.

The CLI reads the real clock; each world is built through a container whose clock is frozen in the past
(`tests.vouchers.setup.build_vouchers`: A on the procurement list, 通用券 ¥100 and 助浴券 ¥50 valid 90 days
from then, elder A holding one 通用券), so by the time the commands run the batches of 100 days ago have
ended and those of three days ago have not."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.cli.conftest import Yyk, assert_clean_failure, world_on
from tests.conftest import FrozenClock, operator
from tests.vouchers.setup import VoucherWorld, batch, build_vouchers
from yiyangkang.bootstrap import Container
from yiyangkang.domain.money.ledger import Account
from yiyangkang.services import ledger
from yiyangkang.services.ledger import institution_vouchers, voucher_fund
from yiyangkang.services.mall import checkout
from yiyangkang.services.vouchers import admin, grants
from yiyangkang.services.vouchers.admin import ProcurementForm
from yiyangkang.services.vouchers.records import EXPORT_HEADER

MASKED_A = "老**"  # 老人A in exports


def frozen(days_ago: int) -> FrozenClock:
    then = datetime.now(UTC) - timedelta(days=days_ago)
    return FrozenClock(then.replace(hour=1, minute=0, second=0, microsecond=0))  # 09:00 in Shanghai


def world_at(clock: FrozenClock, db_url: str) -> Iterator[VoucherWorld]:
    yield from world_on(db_url, clock, build_vouchers)


@pytest.fixture
def env(migrated: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YYK_FILES_DIR", str(tmp_path / "files"))


@pytest.fixture
def old_world(env: None, db_url: str) -> Iterator[VoucherWorld]:
    """Built 100 days ago: its 90-day batches ended ten days ago."""
    yield from world_at(frozen(100), db_url)


@pytest.fixture
def recent_world(env: None, db_url: str) -> Iterator[VoucherWorld]:
    """Built three days ago: its batches are valid for almost three months more."""
    yield from world_at(frozen(3), db_url)


def bal(rt: Container, account: Account) -> int:
    with rt.uow() as uow:
        return uow.ledger.balance(account)


def pay_with_vouchers(vw: VoucherWorld, *items: tuple[str, int], address: str | None = None) -> tuple[str, str]:
    """Elder A buys and pays vouchers first; (trade number, its only sub-order's number)."""
    trade = vw.mw.buy(*items, address=address, pay=False)
    paid = checkout.pay(vw.rt, vw.mw.p("elder_A"), trade.id, use_vouchers=True)
    assert paid.status == "paid"
    assert len(paid.sub_orders) == 1
    return paid.number, paid.sub_orders[0].number


# --- yyk vouchers expire ----------------------------------------------------------------------------------

def test_a12_expire_returns_what_is_left_to_the_fund_once(yyk: Yyk, old_world: VoucherWorld) -> None:
    """A-12: elder A's 通用券 paid ¥80 of nappies and its batch ended: `yyk vouchers expire` sends the ¥20 left
    back to the batch's fund; a voucher of a batch still valid stays; a second run expires nothing."""
    vw = old_world
    pay_with_vouchers(vw, ("diapers", 1))
    long = batch(vw.rt, "长期通用券", 3000, days=400)  # still valid today
    kept = vw.grant(long)
    assert vw.balance() == 2000

    first = yyk("vouchers", "expire")
    assert first.exit_code == 0, first.output
    assert "已过期服务券 1 张" in first.stdout
    assert vw.balance() == 0
    assert bal(vw.rt, voucher_fund(vw.general)) == -8000  # granted ¥100, ¥20 came back: the fund is out ¥80
    assert bal(vw.rt, institution_vouchers(vw.mw.world.inst["A"])) == 8000  # the spend stays owed to the seller
    assert vw.balance(kept) == 3000
    mine = {v.id: v for v in grants.elder_vouchers(vw.rt, vw.mw.p("elder_A"), vw.mw.elder)}
    assert (mine[vw.voucher].status, mine[vw.voucher].expired_fen, mine[vw.voucher].balance_fen) == ("expired", 2000, 0)
    assert (mine[kept].status, mine[kept].balance_fen) == ("active", 3000)

    second = yyk("vouchers", "expire")
    assert second.exit_code == 0, second.output
    assert "已过期服务券 0 张" in second.stdout
    assert bal(vw.rt, voucher_fund(vw.general)) == -8000
    assert ledger.reconcile(vw.rt) == []


def test_a12_expire_an_unspent_voucher_gives_back_its_face_value(yyk: Yyk, old_world: VoucherWorld) -> None:
    """An elder who never used the voucher: its whole ¥100 goes back; the books reconcile."""
    vw = old_world
    result = yyk("vouchers", "expire")
    assert result.exit_code == 0, result.output
    assert "已过期服务券 1 张" in result.stdout
    assert (vw.balance(), bal(vw.rt, voucher_fund(vw.general))) == (0, 0)
    assert ledger.reconcile(vw.rt) == []


def test_a12_nothing_expires_while_the_batches_are_valid(yyk: Yyk, recent_world: VoucherWorld) -> None:
    result = yyk("vouchers", "expire")
    assert result.exit_code == 0, result.output
    assert "已过期服务券 0 张" in result.stdout
    assert recent_world.balance() == 10000


# --- yyk vouchers export-spends -------------------------------------------------------------------------

@pytest.fixture
def spends(recent_world: VoucherWorld) -> tuple[VoucherWorld, date, list[list[str]]]:
    """Three days ago elder A paid ¥80 of nappies at A with the 通用券; two days ago, with B now on the list,
    ¥120 of B's home nursing: ¥20 from the 通用券 (granted first) and ¥50 from a 助浴券. The records as the
    export should show them (trade number, order number, seller, amount, refunded, net, status)."""
    vw = recent_world
    a, b = vw.mw.world.inst["A"], vw.mw.world.inst["B"]
    vw.grant(vw.bath)
    day0 = vw.today
    first = pay_with_vouchers(vw, ("diapers", 1))
    assert isinstance(vw.rt.clock, FrozenClock)
    vw.rt.clock.advance(days=1)
    admin.put_on_list(vw.rt, operator(), ProcurementForm(institution_id=b, contract_no="GZCG-2026-002"))
    second = pay_with_vouchers(vw, ("nursing_B", 1), address=vw.mw.far_address)
    names = {a: "越秀区颐康居家养老服务中心", b: "天河区五山社区卫生服务中心"}
    return vw, day0, [
        [*first, names[a], "80.00", "0.00", "80.00", "已消费"],
        [*second, names[b], "20.00", "0.00", "20.00", "已消费"],
        [*second, names[b], "50.00", "0.00", "50.00", "已消费"],
    ]


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def essentials(row: list[str]) -> list[str]:
    """Trade number, order number, seller, amount, refunded, net, status: what the fixture predicts."""
    return [row[4], row[5], row[3], *row[6:]]


def test_a12_export_spends_csv_and_xlsx(yyk: Yyk, spends: tuple[VoucherWorld, date, list[list[str]]],
                                        tmp_path: Path) -> None:
    """A-12 消费明细导出: every record, oldest first, the export header, the elder's name masked, amounts in
    yuan, Shanghai dates; the XLSX holds the same rows as the CSV."""
    _, day0, expected = spends
    out = tmp_path / "spends.csv"
    result = yyk("vouchers", "export-spends", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "已导出 3 条" in result.stdout
    rows = read_csv(out)
    assert rows[0] == EXPORT_HEADER
    assert sorted(essentials(r) for r in rows[1:]) == sorted(expected)
    assert essentials(rows[1]) == expected[0]  # oldest first
    assert {r[2] for r in rows[1:]} == {MASKED_A}
    assert "老人A" not in out.read_text(encoding="utf-8-sig")
    assert [r[0][:10] for r in rows[1:]] == [day0.isoformat(), *[(day0 + timedelta(days=1)).isoformat()] * 2]
    assert len({r[1] for r in rows[1:]}) == 2  # two vouchers paid

    xlsx = tmp_path / "spends.xlsx"
    result = yyk("vouchers", "export-spends", "--out", str(xlsx))
    assert result.exit_code == 0, result.output
    sheet = load_workbook(xlsx, read_only=True).active
    assert sheet is not None
    values = [[("" if c is None else str(c)) for c in r] for r in sheet.iter_rows(values_only=True)]
    assert values == rows


def test_a12_export_spends_filters_by_date_and_seller(yyk: Yyk, spends: tuple[VoucherWorld, date, list[list[str]]],
                                                      tmp_path: Path) -> None:
    """--from and --to are consumption dates in Shanghai, both included; --institution is the seller."""
    vw, day0, expected = spends
    day1 = (day0 + timedelta(days=1)).isoformat()
    cases = [
        (["--from", day1], expected[1:]),
        (["--to", day0.isoformat()], expected[:1]),
        (["--from", day0.isoformat(), "--to", day1], expected),
        (["--from", (day0 + timedelta(days=2)).isoformat()], []),
        (["--institution", vw.mw.world.inst["A"]], expected[:1]),
        (["--institution", vw.mw.world.inst["B"], "--to", day1], expected[1:]),
        (["--institution", vw.mw.world.inst["A1"]], []),
    ]
    for n, (options, rows) in enumerate(cases):
        out = tmp_path / f"spends-{n}.csv"
        result = yyk("vouchers", "export-spends", "--out", str(out), *options)
        assert result.exit_code == 0, (options, result.output)
        found = read_csv(out)
        assert found[0] == EXPORT_HEADER
        assert sorted(essentials(r) for r in found[1:]) == sorted(rows), options
        assert f"已导出 {len(rows)} 条" in result.stdout


def test_a12_export_spends_refuses_bad_options(yyk: Yyk, spends: tuple[VoucherWorld, date, list[list[str]]],
                                               tmp_path: Path) -> None:
    """A wrong suffix is a usage error (exit 2) and writes nothing; a missing directory and a malformed date
    fail cleanly, without a traceback."""
    bad = yyk("vouchers", "export-spends", "--out", str(tmp_path / "spends.pdf"))
    assert bad.exit_code == 2, bad.output
    assert ".xlsx 或 .csv" in bad.output
    assert not (tmp_path / "spends.pdf").exists()
    assert_clean_failure(bad)
    no_dir = yyk("vouchers", "export-spends", "--out", str(tmp_path / "missing" / "spends.csv"))
    assert_clean_failure(no_dir)
    assert "输出目录不存在" in no_dir.output
    bad_date = yyk("vouchers", "export-spends", "--out", str(tmp_path / "spends.csv"), "--from", "2026-13-01")
    assert bad_date.exit_code == 2, bad_date.output
    assert not (tmp_path / "spends.csv").exists()
    assert_clean_failure(yyk("vouchers", "export-spends"))  # --out is required


def test_a12_export_spends_dates_out_of_range_fail_cleanly(yyk: Yyk, spends: tuple[VoucherWorld, date, list[list[str]]],
                                                          tmp_path: Path) -> None:
    """A-12: --from and --to are days from 2000-01-01 to 2099-12-31 (9999-12-31 and 0001-01-01 once overflowed
    into a traceback): outside them the command fails cleanly, naming the range, and writes nothing; the two ends
    themselves export every record."""
    _, _, expected = spends
    for n, options in enumerate((["--to", "9999-12-31"], ["--from", "0001-01-01"], ["--to", "2100-01-01"],
                                 ["--from", "1999-12-31"])):
        out = tmp_path / f"ends-{n}.csv"
        result = yyk("vouchers", "export-spends", "--out", str(out), *options)
        assert_clean_failure(result)
        assert "2000-01-01至2099-12-31" in result.output, (options, result.output)
        assert not out.exists(), options
    out = tmp_path / "ends.csv"
    result = yyk("vouchers", "export-spends", "--out", str(out), "--from", "2000-01-01", "--to", "2099-12-31")
    assert result.exit_code == 0, result.output
    assert sorted(essentials(r) for r in read_csv(out)[1:]) == sorted(expected)
