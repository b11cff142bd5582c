"""`yyk report splits|settlement|income|supplier`: the money reports (居家业务报表, A-09; HB-30's subsidies in
the settlement) as CSV or XLSX, attached to the `yyk report` group beside `homebed-settlement`. Periods are
Shanghai dates, `--from` and `--to` both inclusive; `--institution` narrows to it and its subordinates. The
operator's CLI sees the whole platform; totals lines are summed from the rows written above them."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import click

from apps.cli.common import operator, runtime, sheet_target
from apps.cli.homebed import report
from yiyangkang.bootstrap import Container, write_sheet
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.settlement.reports import MoneyFilter
from yiyangkang.services.auth import system_principal
from yiyangkang.services.reports import money

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
DAY = click.DateTime(formats=["%Y-%m-%d"])
Export = Callable[[Container, Principal, MoneyFilter, Path], int]


class Summary(Protocol):
    @property
    def lines(self) -> Sequence[object]: ...


S = TypeVar("S", bound=Summary)


def period_options(fn: F) -> F:
    """The options every money report shares (defined once, stacked on each command)."""
    for option in reversed([
        click.option("--from", "start", required=True, type=DAY, help="开始日期（上海时间，含），如 2026-11-01"),
        click.option("--to", "end", required=True, type=DAY, help="结束日期（上海时间，含），如 2026-11-30"),
        click.option("--institution", "institution_id", default=None, help="机构 id（含下级机构）"),
        click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                     help="Output file, .xlsx or .csv."),
        click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default=None,
                     help="Default: from the --out file's extension."),
    ]):
        fn = option(fn)
    return fn


def _counted(items: Iterable[T], total: int, label: str) -> Iterator[T]:
    """`items` passed through a progress bar on stderr."""
    with click.progressbar(length=total, label=label, show_pos=True, file=sys.stderr) as bar:
        for item in items:
            bar.update(1)
            yield item


def _summary(report_of: Callable[[Container, Principal, MoneyFilter], S], sheet: Callable[[S], Iterable[list[object]]],
             header: list[str], label: str) -> Export:
    """The export of a summary report: its lines, then its total line; the lines counted."""
    def export(rt: Container, p: Principal, flt: MoneyFilter, target: Path) -> int:
        report_ = report_of(rt, p, flt)
        write_sheet(target, header, _counted(sheet(report_), len(report_.lines) + 1, label))
        return len(report_.lines)

    return export


def _run(start: datetime, end: datetime, institution_id: str | None, out: Path, fmt: str | None,
         export: Export, what: str) -> None:
    target = sheet_target(out, fmt)
    principal = system_principal(operator())
    with runtime() as rt:
        flt = money.money_filter(rt, principal, start.date(), end.date(), institution_id)
        written = export(rt, principal, flt, target)
    click.echo(f"已导出 {written} 条{what}到 {target}")


@report.command("splits")
@period_options
def splits_cmd(start: datetime, end: datetime, institution_id: str | None, out: Path, fmt: str | None) -> None:
    """订单分账明细: one line per completed order and how it was shared (seller, suppliers, platform fee)."""
    def export(rt: Container, p: Principal, flt: MoneyFilter, target: Path) -> int:
        total = money.split_count(rt, p, flt)
        rows = _counted(money.split_rows(rt, p, flt), total, "生成订单分账明细")
        write_sheet(target, money.SPLIT_HEADER, money.split_sheet(rows))
        return total

    _run(start, end, institution_id, out, fmt, export, "分账记录")


@report.command("settlement")
@period_options
@click.option("--detail", is_flag=True, help="导出明细（服务券流水与家床补贴订单），而非各机构汇总")
def settlement_cmd(start: datetime, end: datetime, institution_id: str | None, out: Path, fmt: str | None,
                   detail: bool) -> None:
    """政府结算报表: per institution, vouchers taken net of refunds and home-bed subsidies (or, with --detail,
    every voucher movement and subsidised order, with totals per institution)."""
    def export(rt: Container, p: Principal, flt: MoneyFilter, target: Path) -> int:
        if detail:
            total = money.settlement_detail_count(rt, p, flt)
            rows = _counted(money.settlement_detail_rows(rt, p, flt), total, "生成政府结算明细")
            write_sheet(target, money.SETTLEMENT_DETAIL_HEADER, money.settlement_detail_sheet(rows))
            return total
        return _summary(money.settlement_report, money.settlement_sheet, money.SETTLEMENT_HEADER,
                        "生成政府结算报表")(rt, p, flt, target)

    _run(start, end, institution_id, out, fmt, export, "结算明细" if detail else "机构结算记录")


@report.command("income")
@period_options
def income_cmd(start: datetime, end: datetime, institution_id: str | None, out: Path, fmt: str | None) -> None:
    """销售收支汇总: every institution (and its subordinates) — income, refunds, supplier shares, platform fees."""
    export = _summary(money.income_report, money.income_sheet, money.INCOME_HEADER, "生成销售收支汇总")
    _run(start, end, institution_id, out, fmt, export, "机构收支记录")


@report.command("supplier")
@period_options
def supplier_cmd(start: datetime, end: datetime, institution_id: str | None, out: Path, fmt: str | None) -> None:
    """供应商收支汇总: shares received as a supplier, per client, and what refunds took back."""
    export = _summary(money.supplier_report, money.supplier_sheet, money.SUPPLIER_HEADER, "生成供应商收支汇总")
    _run(start, end, institution_id, out, fmt, export, "服务商收支记录")


__all__ = ["income_cmd", "settlement_cmd", "splits_cmd", "supplier_cmd"]
