"""`yyk vouchers …`: elderly-care voucher jobs (养老服务券) — expiry, and the consumption records (居家消费明细)
for a spreadsheet."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from apps.cli.common import operator, runtime
from yiyangkang.bootstrap import write_sheet
from yiyangkang.ports.vouchers import SpendQuery
from yiyangkang.services.auth import system_principal
from yiyangkang.services.vouchers import records
from yiyangkang.services.vouchers.expiry import expire_vouchers


@click.group()
def vouchers() -> None:
    """养老服务券。"""


@vouchers.command("expire")
def expire_cmd() -> None:
    """Expire the vouchers past their last valid day: what is left on them goes back to the fund (safe to
    re-run)."""
    with runtime() as rt, click.progressbar(length=0, label="处理过期服务券", file=sys.stderr, show_pos=True) as bar:
        expired = expire_vouchers(rt, progress=bar.update)
    click.echo(f"已过期服务券 {expired} 张。")


@vouchers.command("export-spends")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output file, .xlsx or .csv.")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), default=None, help="消费日期起（含）")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), default=None, help="消费日期止（含）")
@click.option("--institution", "institution_id", default=None, help="服务机构 id")
def export_spends_cmd(out: Path, date_from: datetime | None, date_to: datetime | None,
                      institution_id: str | None) -> None:
    """Export the consumption records (elders' names masked, Shanghai times)."""
    if out.suffix.lower() not in (".xlsx", ".csv"):
        raise click.UsageError("--out 须以 .xlsx 或 .csv 结尾")
    if not out.parent.is_dir():
        raise click.ClickException(f"输出目录不存在：{out.parent}")
    with runtime() as rt:
        since, until = records.period(date_from.date() if date_from else None, date_to.date() if date_to else None)
        query = SpendQuery(institution_id=institution_id, since=since, until=until)
        with click.progressbar(records.export_spends(rt, system_principal(operator()), query), label="导出消费明细",
                               file=sys.stderr) as bar:
            rows = list(bar)
    write_sheet(out, records.EXPORT_HEADER, rows)
    click.echo(f"已导出 {len(rows)} 条服务券消费记录到 {out}")
