"""What every `yyk` command shares: the runtime with errors turned into messages, the operator's name, where a
report goes."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from yiyangkang.bootstrap import Container, build
from yiyangkang.domain.kernel.errors import DomainError, ValidationFailed
from yiyangkang.settings import Settings, SettingsError


@contextmanager
def runtime() -> Iterator[Container]:
    try:
        container = build(Settings.from_env())
    except SettingsError as exc:
        raise click.ClickException(f"配置错误：{exc}") from None
    try:
        yield container
    except ValidationFailed as exc:
        lines = "\n".join(f"  {e.field}: {e.message}" for e in exc.errors)
        raise click.ClickException(f"{exc.message}\n{lines}") from None
    except DomainError as exc:
        raise click.ClickException(f"{exc.message}（{exc.code}）") from None
    finally:
        container.dispose()


def operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli"




def sheet_target(out: Path, fmt: str | None) -> Path:
    """The file a report is written to: `out` with the suffix of `fmt` (xlsx or csv; by default `out`'s own)."""
    fmt = fmt or out.suffix.lstrip(".").lower()
    if fmt not in ("xlsx", "csv"):
        raise click.UsageError("请用 --format xlsx|csv，或以 .xlsx/.csv 结尾的 --out 文件名")
    if out.suffix.lower() != f".{fmt}":
        out = out.with_suffix(f".{fmt}")
    if not out.parent.is_dir():
        raise click.ClickException(f"输出目录不存在：{out.parent}")
    return out
