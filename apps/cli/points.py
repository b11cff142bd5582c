"""`yyk points …`: the monthly staff service points (服务积分, S-10) and the exchange records for a spreadsheet."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from apps.cli.common import operator, runtime
from yiyangkang.bootstrap import write_sheet
from yiyangkang.domain.points.goods import ExchangeStatus
from yiyangkang.services.auth import system_principal
from yiyangkang.services.points import goods, service_points


@click.group()
def points() -> None:
    """积分（服务积分结算、兑换记录导出）。"""


@points.command("award-service")
@click.option("--month", required=True, help="结算月（上海时间的自然月），如 2026-11；月底之后才能结算")
def award_service_cmd(month: str) -> None:
    """Award each rated staff member's service points for a finished month (average of the month's ratings,
    exact: 5 stars → 3 points, at least 4 → 1, else 0). A re-run awards nothing twice."""
    with runtime() as rt, click.progressbar(length=0, label=f"结算 {month} 服务积分", file=sys.stderr,
                                            show_pos=True) as bar:
        def step(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        run = service_points.award_service_points(rt, system_principal(operator()), month, progress=step)
    click.echo(f"{run.period} 服务积分：有评价的员工 {run.rated_staff} 人，本次结算 {run.awarded} 人、"
               f"发放 {run.points} 分，此前已结算 {run.already} 人。")


@points.command("export-exchanges")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="输出文件，.xlsx 或 .csv")
@click.option("--status", type=click.Choice([s.value for s in ExchangeStatus]), default=None)
@click.option("--institution", "institution_id", default=None, help="机构 id")
def export_exchanges_cmd(out: Path, status: str | None, institution_id: str | None) -> None:
    """Export the exchange records (Shanghai times, elders' names masked), newest first."""
    if out.suffix.lower() not in (".xlsx", ".csv"):
        raise click.UsageError("--out 须以 .xlsx 或 .csv 结尾")
    if not out.parent.is_dir():
        raise click.ClickException(f"输出目录不存在：{out.parent}")
    with runtime() as rt, click.progressbar(length=0, label="读取兑换记录", file=sys.stderr, show_pos=True) as bar:
        def step(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        rows = goods.export_rows(rt, system_principal(operator()), institution_id=institution_id,
                                 status=ExchangeStatus(status) if status else None, progress=step)
    write_sheet(out, rows[0], rows[1:])
    click.echo(f"已导出 {len(rows) - 1} 条兑换记录到 {out}")
