"""`yyk monitoring …` and `yyk bridge`: the monitoring jobs (健康监测批处理) and the device bridge.

The bridge runs the scan by itself every few seconds; `yyk monitoring scan` is for cron on deployments that
run the bridge elsewhere, and for operators who want to look. Every job is safe to re-run."""

from __future__ import annotations

import logging
import signal
import sys

import click

from apps.cli.common import runtime
from yiyangkang.services.monitoring import devices
from yiyangkang.services.monitoring.delivery import deliver_notices
from yiyangkang.services.monitoring.scan import monitoring_scan


@click.group()
def monitoring() -> None:
    """健康监测批处理。"""


@monitoring.command("scan")
def scan_cmd() -> None:
    """Duration rules without new data, devices gone silent, unanswered alarms to escalate; then notify."""
    with runtime() as rt:
        report = monitoring_scan(rt)
        sent = deliver_notices(rt)
    click.echo(f"巡检完成：持续条件告警 {report.timers} 条，设备离线 {report.offline} 台，升级 {report.escalated} 条，"
               f"发出通知 {sent} 条，清理过期消息键 {report.forgotten} 个。")


@monitoring.command("deliver")
def deliver_cmd() -> None:
    """Send alarm notices still waiting (after a notifier outage)."""
    with runtime() as rt:
        total = 0
        with click.progressbar(length=0, label="发送告警通知", file=sys.stderr, show_pos=True) as bar:
            while sent := deliver_notices(rt):
                total += sent
                bar.update(sent)
    click.echo(f"已发送 {total} 条告警通知。")


@monitoring.command("remind-sims")
@click.option("--lead-days", default=devices.SIM_REMINDER_DAYS, show_default=True, type=click.IntRange(1, 366))
def remind_sims_cmd(lead_days: int) -> None:
    """Tell institution admins about 4G SIM plans expiring soon (once per card and expiry date, D-06)."""
    with runtime() as rt:
        sent = devices.remind_sim_expiry(rt, lead_days)
    click.echo(f"通信卡到期提醒：发出 {sent} 条通知。")


@click.command("bridge")
@click.option("--client-id", default=None, help="Default: YYK_MQTT_CLIENT_ID. Fixed per instance: its session.")
@click.option("--workers", default=None, type=click.IntRange(1, 64), help="Default: YYK_BRIDGE_WORKERS")
def bridge(client_id: str | None, workers: int | None) -> None:
    """Run the MQTT device bridge until interrupted (several instances split the load)."""
    from apps.device_bridge.bridge import Bridge

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with runtime() as rt:
        running = Bridge(rt, client_id=client_id, workers=workers)
        signal.signal(signal.SIGTERM, lambda *_: running.stopping.set())
        click.echo(f"设备网关桥已连接 {rt.settings.mqtt_host}:{rt.settings.mqtt_port}，按 Ctrl+C 退出。", err=True)
        try:
            running.run_forever()
        except KeyboardInterrupt:
            running.stop()
