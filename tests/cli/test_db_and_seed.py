"""`yyk db upgrade|current`, `yyk seed regions`, `yyk seed demo`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from apps.cli.demo import DEMO_PASSWORD
from apps.cli.main import cli
from tests.cli.conftest import Yyk, assert_clean_failure
from tests.conftest import operator
from tests.conftest import test_settings as settings_for
from yiyangkang.adapters.sqlalchemy.migrate import head_revision
from yiyangkang.bootstrap import Container, build
from yiyangkang.domain.identity.accounts import Role
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.orgs.staff import Profession
from yiyangkang.services import auth, elders, institutions, staff

ALL = PageRequest(size=100)


# --- db ------------------------------------------------------------------------------------------

def test_upgrade_creates_the_schema_and_prints_the_revision(yyk: Yyk, container: Container) -> None:
    result = yyk("db", "upgrade")

    assert result.exit_code == 0, result.output
    head = head_revision()
    assert head
    assert f"数据库已迁移到版本 {head}" in result.stdout
    assert container.database_revision() == (head, head)
    with container.uow() as uow:
        assert uow.elders.count() == 0


def test_current_shows_an_empty_database_then_the_revision(yyk: Yyk) -> None:
    before = yyk("db", "current")
    assert before.exit_code == 0, before.output
    assert "当前版本 (空库)" in before.stdout

    yyk("db", "upgrade")
    after = yyk("db", "current")

    assert after.exit_code == 0, after.output
    head = head_revision()
    assert f"当前版本 {head}，最新版本 {head}" in after.stdout


def test_upgrading_twice_is_harmless(yyk: Yyk) -> None:
    first = yyk("db", "upgrade")
    second = yyk("db", "upgrade")

    assert first.exit_code == second.exit_code == 0, second.output
    assert re.findall(r"版本 (\S+)", first.stdout) == re.findall(r"版本 (\S+)", second.stdout)


def test_bad_settings_give_a_clean_error(yyk: Yyk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YYK_ARGON2_TIME_COST", "cheap")

    result = yyk("db", "upgrade")

    assert_clean_failure(result)
    assert "配置错误" in result.output
    assert "YYK_ARGON2_TIME_COST" in result.output


# --- seed regions --------------------------------------------------------------------------------

def test_seed_regions_loads_the_bundled_list_once(yyk: Yyk, container: Container) -> None:
    yyk("db", "upgrade")

    first = yyk("seed", "regions")
    second = yyk("seed", "regions")

    assert first.exit_code == 0, first.output
    assert "新增行政区划 209 条" in first.stdout
    assert second.exit_code == 0, second.output
    assert "新增行政区划 0 条" in second.stdout
    with container.uow() as uow:
        assert uow.regions.count() == 209
        assert uow.regions.get("440104001") is not None


def test_seed_regions_from_a_file(yyk: Yyk, container: Container, tmp_path: Path) -> None:
    yyk("db", "upgrade")
    yyk("seed", "regions")
    extra = tmp_path / "regions.csv"
    extra.write_text("code,name,level,parent_code\n440104099,测试街道,street,440104\n", encoding="utf-8")

    result = yyk("seed", "regions", str(extra))

    assert result.exit_code == 0, result.output
    assert "新增行政区划 1 条" in result.stdout
    with container.uow() as uow:
        region = uow.regions.get("440104099")
        assert region is not None
        assert region.parent_code == "440104"


# --- seed demo -----------------------------------------------------------------------------------
# The demo goes through the use cases (with argon2 hashing of ~50 accounts): seeded once per module.

class Demo:
    def __init__(self, url: str, result: Result, counts: dict[str, int]) -> None:
        self.url, self.result, self.counts = url, result, counts


def _cheap_env(mp: pytest.MonkeyPatch, url: str) -> None:
    mp.setenv("YYK_DATABASE_URL", url)
    mp.setenv("YYK_ARGON2_TIME_COST", "1")
    mp.setenv("YYK_ARGON2_MEMORY_KIB", "1024")


def _counts(rt: Container) -> dict[str, int]:
    op = operator()
    with rt.uow() as uow:
        elder_count, region_count = uow.elders.count(), uow.regions.count()
    return {
        "elders": elder_count, "regions": region_count,
        "institutions": institutions.list_institutions(rt, op, ALL).total,
        "staff": staff.list_staff(rt, op, ALL).total,
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo')}/yyk.db"
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as mp:
        _cheap_env(mp, url)
        upgraded = runner.invoke(cli, ["db", "upgrade"])
        assert upgraded.exit_code == 0, upgraded.output
        result = runner.invoke(cli, ["seed", "demo"])
    rt = build(settings_for(url))
    try:
        counts = _counts(rt)
    finally:
        rt.dispose()
    return Demo(url, result, counts)


@pytest.fixture
def demo_rt(demo: Demo) -> Iterator[Container]:
    rt = build(settings_for(demo.url))
    try:
        yield rt
    finally:
        rt.dispose()


@pytest.fixture
def demo_yyk(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> Yyk:
    _cheap_env(monkeypatch, demo.url)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args))


@pytest.mark.slow
def test_seed_demo_builds_the_guangzhou_platform(demo: Demo, demo_rt: Container) -> None:
    assert demo.result.exit_code == 0, demo.result.output
    assert "演示数据已就绪" in demo.result.stdout
    assert DEMO_PASSWORD in demo.result.stdout
    op = operator()

    insts = institutions.list_institutions(demo_rt, op, ALL).items
    assert len(insts) >= 4
    ids = {i.id for i in insts}
    subordinates = [i for i in insts if i.parent_id is not None]
    assert subordinates
    assert all(i.parent_id in ids for i in subordinates)
    assert demo.counts["regions"] == 209

    everyone = elders.list_elders(demo_rt, op, ALL)
    assert everyone.total >= 30
    with demo_rt.uow() as uow:
        unlinked = [e.name for e in everyone.items if not uow.family_links.for_elder(e.id)]
    assert unlinked == []


@pytest.mark.slow
def test_demo_staff_covers_the_care_professions(demo: Demo, demo_rt: Container) -> None:
    professions = {s.profession for s in staff.list_staff(demo_rt, operator(), ALL).items}
    assert professions >= set(Profession) - {Profession.ADMINISTRATOR}


@pytest.mark.slow
def test_demo_staff_covers_every_profession(demo: Demo, demo_rt: Container) -> None:
    professions = {s.profession for s in staff.list_staff(demo_rt, operator(), ALL).items}
    assert professions == {p.value for p in Profession}


@pytest.mark.slow
def test_demo_operator_can_log_in(demo: Demo, demo_rt: Container) -> None:
    result = auth.login(demo_rt, "operator", DEMO_PASSWORD)
    assert result.role is Role.PLATFORM_OPERATOR


@pytest.mark.slow
def test_seed_demo_if_empty_is_a_no_op_on_a_seeded_database(demo: Demo, demo_yyk: Yyk, demo_rt: Container) -> None:
    result = demo_yyk("seed", "demo", "--if-empty")

    assert result.exit_code == 0, result.output
    assert "已有数据，跳过演示数据" in result.stdout
    assert _counts(demo_rt) == demo.counts


@pytest.mark.slow
def test_seed_demo_refuses_a_database_with_data(demo: Demo, demo_yyk: Yyk, demo_rt: Container) -> None:
    result = demo_yyk("seed", "demo")

    assert_clean_failure(result)
    assert "数据库中已有数据" in result.output
    assert _counts(demo_rt) == demo.counts


@pytest.mark.slow
def test_demo_home_beds_settle_to_the_fen(demo: Demo, demo_yyk: Yyk, tmp_path: Path) -> None:
    """HB-30: October's settlement of the demo opens as a spreadsheet and its totals equal its rows."""
    assert "家床签约 24，家床订单" in demo.result.stdout
    out = tmp_path / "october.xlsx"
    result = demo_yyk("report", "homebed-settlement", "--period", "2026-10", "--out", str(out))
    assert result.exit_code == 0, result.output
    lines = [list(r) for r in load_workbook(out, read_only=True).worksheets[0].iter_rows(values_only=True)]
    blank = next(n for n, line in enumerate(lines) if not any(line))
    rows, totals = lines[1:blank], lines[blank + 1:]
    assert len(rows) > 100 and all("*" in r[4] and "*" in r[3] for r in rows)  # names and IDs masked
    per_institution = totals[:-1]
    for col in (12, 13, 14):
        column = sum(Decimal(str(r[col])) for r in rows)
        assert Decimal(str(totals[-1][col])) == column
        assert sum(Decimal(str(t[col])) for t in per_institution) == column
    assert totals[-1][0] == f"总计（{len(rows)}单）"


@pytest.mark.slow
def test_demo_books_reconcile_to_the_fen(demo: Demo, demo_yyk: Yyk, demo_rt: Container) -> None:
    """PAY, A-12: the demo's payments, refunds and vouchers (granted, spent, refunded, expired) are all in the
    ledger, and `yyk ledger reconcile` finds no account whose balance differs from its entries."""
    from sqlalchemy import text

    assert demo_rt.engine is not None
    with demo_rt.engine.connect() as conn:
        kinds = set(conn.execute(text("SELECT DISTINCT kind FROM ledger_postings")).scalars())
    assert {"payment", "refund", "voucher_grant", "voucher_hold", "voucher_spend", "voucher_expiry"} <= kinds
    result = demo_yyk("ledger", "reconcile")
    assert result.exit_code == 0, result.output
    assert "0 个账户不符" in result.stdout
