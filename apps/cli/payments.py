"""`yyk payments …`: reconciliation with the payment providers (支付对账) and the operators' lists, safe to re-run."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from apps.cli.common import operator, runtime
from yiyangkang.bootstrap import write_sheet
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.ports.payments import NoticeOutcome, RefundState
from yiyangkang.services import payments
from yiyangkang.services.auth import system_principal

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOTICE_HEADER = ["接收时间", "支付通道", "交易单号", "结果", "原因", "报文摘要(SHA-256)"]


def _local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


@click.group(name="payments")
def payments_group() -> None:
    """支付对账。"""


@payments_group.command("reconcile-pending")
def reconcile_pending_cmd() -> None:
    """Ask the providers about unpaid trades with a code out (paid there: confirmed here; past their deadline:
    closed there) and about refunds still in process."""
    with runtime() as rt, click.progressbar(length=1, label="查询支付平台", show_pos=True, file=sys.stderr) as bar:
        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        report = payments.reconcile_pending(rt, progress)
    click.echo(f"支付对账：查询待付款订单 {report.checked} 笔，补记已付款 {report.paid} 笔，在支付平台关闭 "
               f"{report.closed} 笔；退款完成 {report.refunds_settled} 笔，退款失败 {report.refunds_failed} 笔；"
               f"查询失败 {report.errors} 次（下次重试）。")
    if report.refunds_failed:
        click.echo("有退款失败，请用 `yyk payments refunds --state failed` 查看并人工处理。", err=True)


@payments_group.command("refunds")
@click.option("--state", type=click.Choice([s.value for s in RefundState]), default=None, help="只看某种状态")
def refunds_cmd(state: str | None) -> None:
    """Refunds the providers took but had not settled, and those that failed there."""
    with runtime() as rt:
        found = payments.list_refunds(rt, system_principal(operator()), RefundState(state) if state else None)
    for r in found:
        click.echo(f"{r.refund_number}  {r.channel}  交易 {r.trade_number}  ¥{r.amount_fen / 100:.2f}  "
                   f"{r.state_label}  {_local(r.created_at)}")
    click.echo(f"共 {len(found)} 笔。")


@payments_group.command("notices")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="导出文件（.csv 或 .xlsx）")
@click.option("--outcome", type=click.Choice([o.value for o in NoticeOutcome]), default=None)
@click.option("--channel", default=None, help="wechat / alipay / unionpay / sandbox")
def notices_cmd(out: Path, outcome: str | None, channel: str | None) -> None:
    """Export the notifications received (never their bodies: the SHA-256 of each) for a spreadsheet."""
    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise click.UsageError("导出文件须为 .csv 或 .xlsx")
    principal = system_principal(operator())
    rows: list[list[object]] = []
    with runtime() as rt, click.progressbar(length=1, label="导出支付通知", show_pos=True, file=sys.stderr) as bar:
        page_no = 1
        while True:
            page = payments.list_notices(rt, principal, PageRequest(page_no, 100), channel=channel,
                                         outcome=NoticeOutcome(outcome) if outcome else None)
            bar.length = max(page.total, 1)
            rows += [[_local(n.received_at), n.channel, n.trade_number or "", n.outcome_label, n.reason,
                      n.body_sha256] for n in page.items]
            bar.update(len(page.items))
            if page_no * 100 >= page.total:
                break
            page_no += 1
    write_sheet(out, NOTICE_HEADER, rows)
    click.echo(f"已导出 {len(rows)} 条支付通知到 {out}。")
