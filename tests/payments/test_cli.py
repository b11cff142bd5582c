"""`yyk payments reconcile-pending|refunds|notices` (PAY): the reconciliation reports what it did and never drops a
refund that failed at the provider (it is listed for an operator); the notifications export for a spreadsheet with
their digests, never their bodies."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook

from tests.cli.conftest import Yyk, container, db_url, migrated, runner, yyk  # noqa: F401  (the CLI's fixtures)
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.money import Money
from yiyangkang.ports.payments import NoticeOutcome, NoticeRecord, PendingRefund, RefundState


def test_reconcile_lists_a_refund_that_failed(yyk: Yyk, migrated: None, container: Container) -> None:  # noqa: F811
    """PAY: a refund in process that the provider reports failed is counted, hinted on stderr and listed."""
    now = container.clock.now()
    with container.uow() as uow:
        uow.payments.add_refund(PendingRefund(
            refund_number="RF-UNKNOWN", channel="sandbox", trade_number="T20261125000001", refund_id="",
            amount=Money(8000), state=RefundState.PROCESSING, created_at=now, checked_at=now))
        uow.commit()
    result = yyk("payments", "reconcile-pending")
    assert result.exit_code == 0, result.output
    assert "查询待付款订单 0 笔" in result.stdout and "退款失败 1 笔" in result.stdout
    assert "yyk payments refunds --state failed" in result.stderr
    listed = yyk("payments", "refunds", "--state", "failed")
    assert listed.exit_code == 0, listed.output
    assert "RF-UNKNOWN" in listed.stdout and "¥80.00" in listed.stdout and "共 1 笔" in listed.stdout
    assert "共 0 笔" in yyk("payments", "refunds", "--state", "processing").stdout


def test_notices_export(yyk: Yyk, migrated: None, container: Container, tmp_path: Path) -> None:  # noqa: F811
    """PAY: the notifications as XLSX and CSV (Shanghai times, outcome labels, reasons, SHA-256 digests)."""
    now = container.clock.now()
    with container.uow() as uow:
        for n, outcome in enumerate([NoticeOutcome.ACCEPTED, NoticeOutcome.REFUSED]):
            uow.payments.record_notice(NoticeRecord(
                id=f"N{n}", channel="alipay", received_at=now + timedelta(seconds=n), trade_number="T1",
                outcome=outcome, reason="" if n == 0 else "BAD_SIGNATURE", body_sha256=f"{n}" * 64))
        uow.commit()
    xlsx = tmp_path / "notices.xlsx"
    result = yyk("payments", "notices", "--out", str(xlsx))
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(xlsx, read_only=True).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0] == ("接收时间", "支付通道", "交易单号", "结果", "原因", "报文摘要(SHA-256)")
    assert [r[3:5] for r in rows[1:]] == [("已拒绝", "BAD_SIGNATURE"), ("已入账", None)]
    out = tmp_path / "refused.csv"
    assert yyk("payments", "notices", "--out", str(out), "--outcome", "refused").exit_code == 0
    with out.open(encoding="utf-8-sig", newline="") as fh:
        found = list(csv.reader(fh))
    assert len(found) == 2 and found[1][4] == "BAD_SIGNATURE" and found[1][5] == "1" * 64
    bad = yyk("payments", "notices", "--out", str(tmp_path / "notices.txt"))
    assert bad.exit_code != 0
