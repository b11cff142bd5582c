"""`yyk mall …`: the mall's housekeeping jobs (商城批处理), safe to re-run."""

from __future__ import annotations

import click

from apps.cli.common import runtime
from yiyangkang.services.mall import checkout


@click.group()
def mall() -> None:
    """服务商城批处理。"""


@mall.command("close-unpaid")
def close_unpaid_cmd() -> None:
    """Close the trades not paid within the time limit (mall settings) and give their stock back."""
    with runtime() as rt:
        closed = checkout.close_unpaid(rt)
    click.echo(f"已关闭超时未付款订单 {closed} 笔。")
