"""`yyk ledger reconcile`: prove the books (对账) — every stored balance equals the sum of its entries."""

from __future__ import annotations

import sys

import click

from apps.cli.common import runtime
from yiyangkang.services import ledger


@click.group(name="ledger")
def ledger_group() -> None:
    """账本。"""


@ledger_group.command("reconcile")
def reconcile_cmd() -> None:
    """Compare each account's balance with the sum of its entries; exit 1 when any differs."""
    with runtime() as rt:
        found = ledger.reconcile(rt)
    for d in found:
        click.echo(f"不符：{d.account} 余额 {d.stored}，分录合计 {d.summed}，差 {d.stored - d.summed}", err=True)
    click.echo(f"对账完成：{len(found)} 个账户不符。")
    if found:
        sys.exit(1)
