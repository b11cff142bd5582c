"""`yyk exceptions …`: the exception orders (异常单, HB-10, A-08) of the home bed and the mall, through
one engine. `scan` raises each broken rule once (a second run raises nothing); `export` writes them for a
spreadsheet."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from apps.cli.common import operator, runtime
from yiyangkang.bootstrap import write_sheet
from yiyangkang.domain.quality.exceptions import ExceptionKind, ReviewStatus
from yiyangkang.services.auth import system_principal
from yiyangkang.services.homebed.exceptions import DESK as HOMEBED
from yiyangkang.services.mall.exceptions import DESK as MALL
from yiyangkang.services.quality import Desk

DESKS = {"homebed": HOMEBED, "mall": MALL}
LABELS = {"homebed": "家床订单", "mall": "商城订单"}


def scan_and_report(kind: str, desk: Desk) -> None:
    with runtime() as rt, click.progressbar(length=0, label=f"扫描{LABELS[kind]}", file=sys.stderr,
                                            show_pos=True) as bar:
        result = desk.scan(rt, progress=lambda n: bar.update(n - bar.pos))
    detail = "，".join(f"{k} {v}" for k, v in sorted(result.by_type.items())) or "无"
    click.echo(f"{LABELS[kind]}异常扫描：检查 {result.examined} 单，新增异常 {result.raised} 条（{detail}）。")


@click.group()
def exceptions() -> None:
    """异常单（家床与商城）。"""


@exceptions.command("scan")
@click.option("--kind", type=click.Choice(["all", *DESKS]), default="all", show_default=True)
def scan_cmd(kind: str) -> None:
    """Raise exception orders not raised before: dispatch timeout, late arrival, overtime, too short,
    shipping timeout (thresholds from the home-bed business settings and the mall settings)."""
    for name, desk in DESKS.items():
        if kind in ("all", name):
            scan_and_report(name, desk)


@exceptions.command("export")
@click.option("--kind", type=click.Choice(list(DESKS)), default="mall", show_default=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output file, .xlsx or .csv.")
@click.option("--status", type=click.Choice([s.value for s in ReviewStatus]), default=None)
@click.option("--type", "type_", type=click.Choice([k.value for k in ExceptionKind]), default=None)
@click.option("--institution", "institution_id", default=None, help="机构 id")
def export_cmd(kind: str, out: Path, status: str | None, type_: str | None, institution_id: str | None) -> None:
    """Export exception orders (Shanghai times) for a spreadsheet."""
    if out.suffix.lower() not in (".xlsx", ".csv"):
        raise click.UsageError("--out 须以 .xlsx 或 .csv 结尾")
    if not out.parent.is_dir():
        raise click.ClickException(f"输出目录不存在：{out.parent}")
    with runtime() as rt:
        rows = DESKS[kind].export_rows(rt, system_principal(operator()),
                                       status=ReviewStatus(status) if status else None,
                                       type=ExceptionKind(type_) if type_ else None, institution_id=institution_id)
    write_sheet(out, rows[0], rows[1:])
    click.echo(f"已导出 {len(rows) - 1} 条{LABELS[kind]}异常到 {out}")
