"""What every `yyk` command shares: the runtime with errors turned into messages, the operator's name."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager

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


