"""`yyk homebed …` and `yyk report homebed-settlement`: the home-bed batch jobs (家床批处理).

Each job is safe to re-run: the calendar roll moves only overdue contracts, a reminder goes out once per
contract and expiry date, an exception is raised once per order and kind."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click

from apps.cli.common import operator, runtime, sheet_target
from apps.cli.exceptions import scan_and_report
from yiyangkang.bootstrap import write_sheet
from yiyangkang.domain.homebed.reports import SettlementRow
from yiyangkang.services.auth import system_principal
from yiyangkang.services.homebed import contracts, exceptions, reports


@click.group()
def homebed() -> None:
    """家庭病床批处理。"""


@homebed.command("roll-contracts")
def roll_contracts_cmd() -> None:
    """Start contracts whose start date came, expire those past their expiry date (run daily)."""
    with runtime() as rt:
        moved = contracts.roll_contracts(rt)
    click.echo(f"签约状态已更新：{moved} 份签约变更了状态。")


@homebed.command("remind-expiring")
def remind_expiring_cmd() -> None:
    """Tell institutions and families about contracts expiring soon (lead days from the settings)."""
    with runtime() as rt:
        bar = click.progressbar(length=1, label="发送到期提醒", show_pos=True, file=sys.stderr)
        with bar:
            def progress(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            result = contracts.remind_expiring(rt, progress)
    click.echo(f"到期提醒：{result.contracts} 份签约，发出 {result.notices} 条通知。")


@homebed.command("scan-exceptions")
def scan_exceptions_cmd() -> None:
    """Raise exception orders (dispatch timeout, late, overtime, too short) not raised before
    (the same as `yyk exceptions scan --kind homebed`)."""
    scan_and_report("homebed", exceptions.DESK)


@click.group()
def report() -> None:
    """报表导出。"""


@report.command("homebed-settlement")
@click.option("--period", required=True, help="统计期间：2026-10，或 2026-10-01..2026-10-31（上海时间）")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default=None,
              help="Default: from the --out file's extension.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Output file.")
@click.option("--region", "region_code", default=None, help="行政区划代码（含下级）")
@click.option("--institution", "institution_id", default=None, help="服务机构 id")
@click.option("--subsidy-type", "subsidy_type_id", default=None, help="补贴类型 id")
def homebed_settlement_cmd(period: str, fmt: str | None, out: Path, region_code: str | None,
                           institution_id: str | None, subsidy_type_id: str | None) -> None:
    """Government settlement report (政府结算报表): one row per completed home-bed order, then totals per
    institution and the grand total, summed from the rows (they reconcile to the fen)."""
    out = sheet_target(out, fmt)
    principal = system_principal(operator())
    with runtime() as rt:
        start, end = reports.parse_period(period)
        flt = reports.settlement_filter(principal, start, end, region_code=region_code,
                                        institution_id=institution_id, subsidy_type_id=subsidy_type_id)
        total = sum(t.orders for t in reports.settlement_totals(rt, principal, flt))
        with click.progressbar(length=total, label="生成政府结算报表", show_pos=True, file=sys.stderr) as bar:
            def rows() -> Iterator[SettlementRow]:
                for row in reports.settlement_rows(rt, principal, flt):
                    bar.update(1)
                    yield row

            write_sheet(out, reports.SETTLEMENT_HEADER, reports.settlement_sheet(rows()))
    click.echo(f"已导出 {total} 条结算记录到 {out}")
