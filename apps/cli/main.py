"""`yyk`: the operators' command line.

    yyk db upgrade                 apply the Alembic migrations (SQLite or YYK_DATABASE_URL)
    yyk seed regions [FILE]        load administrative regions (bundled: Guangdong/Guangzhou)
    yyk seed demo [--if-empty]     the Guangzhou demo platform
    yyk users create ...           open an account
    yyk import elders FILE         bulk-import elders' files from CSV/XLSX
    yyk homebed roll-contracts     start/expire contracts by the calendar (daily)
    yyk homebed remind-expiring    contract-expiry reminders to institutions and families (daily)
    yyk homebed scan-exceptions    raise exception orders (dispatch timeout, late, overtime, too short)
    yyk report homebed-settlement  the government settlement report as XLSX/CSV
    yyk exceptions scan|export     exception orders of the home bed and the mall (one engine)
    yyk mall close-unpaid          close trades not paid in time, stock back
    yyk ledger reconcile           every balance equals the sum of its entries (exit 1 if not)
    yyk serve                      serve the REST API
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from apps.cli import reports as _money_reports  # noqa: F401  (yyk report splits|settlement|income|supplier)
from apps.cli.common import operator, runtime
from apps.cli.exceptions import exceptions
from apps.cli.homebed import homebed, report
from apps.cli.ledger import ledger_group
from apps.cli.mall import mall
from apps.cli.monitoring import bridge, monitoring
from apps.cli.payments import payments_group
from apps.cli.points import points
from apps.cli.vouchers import vouchers
from yiyangkang.bootstrap import UnreadableFile, read_region_file, read_sheet, write_sheet
from yiyangkang.services import accounts, regions
from yiyangkang.services.accounts import AccountForm
from yiyangkang.services.auth import system_principal
from yiyangkang.services.elder_import import import_elders
from yiyangkang.settings import Settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """医养康平台运维命令 (yiyangkang operators' CLI)."""


@cli.group()
def db() -> None:
    """数据库迁移。"""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations up to the newest (creates the schema on a new database)."""
    with runtime() as rt:
        revision = rt.upgrade_database()
        click.echo(f"数据库已迁移到版本 {revision}")


@db.command("current")
def db_current() -> None:
    """Show the database's revision and the newest one available."""
    with runtime() as rt:
        current, head = rt.database_revision()
        click.echo(f"当前版本 {current or '(空库)'}，最新版本 {head}")


@cli.group()
def seed() -> None:
    """基础数据与演示数据。"""


@seed.command("regions")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def seed_regions(file: Path | None) -> None:
    """Load regions from FILE (code,name,level,parent_code) or the bundled Guangdong list."""
    with runtime() as rt:
        added = regions.load_regions(rt, read_region_file(file) if file else read_region_file())
        click.echo(f"新增行政区划 {added} 条")


@seed.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds data.")
def seed_demo(if_empty: bool) -> None:
    """Create the Guangzhou demo platform (institutions, staff, 36 elders, families, logins)."""
    from apps.cli.demo import DEMO_PASSWORD, is_empty
    from apps.cli.demo import seed_demo as run

    with runtime() as rt:
        if not is_empty(rt):
            if if_empty:
                click.echo("已有数据，跳过演示数据。")
                return
            raise click.ClickException("数据库中已有数据；演示数据只能写入空库。")
        summary = run(rt, on_step=lambda msg: click.echo(f"  · {msg}"))
        click.echo(
            f"演示数据已就绪：区划 {summary.regions}，机构 {summary.institutions}，员工 {summary.staff}，"
            f"老人 {summary.elders}，家属 {summary.family_members}，账号 {summary.accounts}，"
            f"家床签约 {summary.contracts}，家床订单 {summary.orders}，监测设备 {summary.devices}，"
            f"4G通信卡 {summary.sims}，商城商品 {summary.products}，商城订单 {summary.trades}。\n"
            f"登录示例：operator / admin_yuexiu / elder01 / family01，密码 {DEMO_PASSWORD}"
        )


@cli.group()
def users() -> None:
    """账号管理。"""


@users.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(
    ["platform_operator", "gov_auditor", "institution_admin", "staff", "elder", "family", "partner"]))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when omitted.")
@click.option("--phone")
@click.option("--institution-id")
@click.option("--staff-id")
@click.option("--elder-id")
@click.option("--family-member-id")
def users_create(**options: str | None) -> None:
    """Open an account (as the platform operator at the console)."""
    with runtime() as rt:
        view = accounts.create_account(rt, system_principal(operator()), AccountForm(**options))  # type: ignore[arg-type]
        click.echo(f"已开通账号 {view.username}（{view.role_label}），id {view.id}")


@cli.group(name="import")
def import_() -> None:
    """批量导入。"""


@import_.command("elders")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--institution", "institution_id", required=True, help="建档机构 id")
@click.option("--skip-bad", is_flag=True, help="Import the good rows and report the bad ones.")
@click.option("--dry-run", is_flag=True, help="Only check the file; write nothing.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the problems to this file (.csv or .xlsx).")
def import_elders_cmd(file: Path, institution_id: str, skip_bad: bool, dry_run: bool, report: Path | None) -> None:
    """Import elders' files from FILE (.csv or .xlsx; columns 姓名, 身份证号, 行政区划代码 …).

    All-or-nothing by default: if any row is bad, nothing is imported."""
    if report is not None and not report.parent.is_dir():
        raise click.ClickException(f"报告文件所在目录不存在：{report.parent}")
    try:
        sheet = read_sheet(file)
    except UnreadableFile as exc:
        raise click.ClickException(str(exc)) from None
    steps = sheet.length * (1 if dry_run else 2)  # checking every row, then writing the good ones
    bar = click.progressbar(
        length=steps, label="导入老年人档案", show_pos=True, file=sys.stderr
    )
    with runtime() as rt, bar:
        result = import_elders(
            rt, system_principal(operator()), sheet.header, sheet.rows, institution_id=institution_id,
            skip_bad=skip_bad, dry_run=dry_run, progress=lambda _phase, n: bar.update(n),
        )
    for p in result.problems[:200]:
        click.echo(f"第{p.row}行 [{p.column}] {p.reason}", err=True)
    if len(result.problems) > 200:
        click.echo(f"……另有 {len(result.problems) - 200} 处问题（用 --report 导出全部）", err=True)
    if report:
        try:
            write_sheet(report, ["行号", "列", "原因"], [[p.row, p.column, p.reason] for p in result.problems])
        except OSError as exc:
            click.echo(f"问题报告未能写入 {report}：{exc.strerror}", err=True)
    bad = len(result.bad_rows)
    if dry_run:
        click.echo(f"检查完成：共 {result.total} 行，有问题 {bad} 行，未写入数据（--dry-run）。")
        if bad:
            raise SystemExit(1)
    elif result.imported == 0 and bad:
        hint = "" if skip_bad else "（可用 --skip-bad 跳过问题行）"
        click.echo(f"导入失败：共 {result.total} 行，有问题 {bad} 行，未导入任何数据{hint}。")
        raise SystemExit(1)
    else:
        click.echo(f"导入完成：共 {result.total} 行，导入 {result.imported} 行，跳过 {bad} 行。")


@cli.command()
@click.option("--host", default=None, help="Default: YYK_HOST or 127.0.0.1")
@click.option("--port", default=None, type=int, help="Default: YYK_PORT or 8000")
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
def serve(host: str | None, port: int | None, reload: bool) -> None:
    """Serve the REST API (OpenAPI docs at /schema)."""
    import uvicorn

    settings = Settings.from_env()
    uvicorn.run("apps.api.app:create_app", factory=True, host=host or settings.host, port=port or settings.port,
                reload=reload)


cli.add_command(homebed)
cli.add_command(monitoring)
cli.add_command(bridge)
cli.add_command(report)
cli.add_command(exceptions)
cli.add_command(mall)
cli.add_command(ledger_group)
cli.add_command(points)
cli.add_command(payments_group)
cli.add_command(vouchers)

if __name__ == "__main__":
    cli()
