"""What the benchmarks share: the PostgreSQL server to make scratch databases on, a stopwatch, percentiles, and
the settings and SQLite files a run works with."""

from __future__ import annotations

import os
import statistics
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from time import perf_counter
from typing import TypeVar

from yiyangkang.settings import Settings

PG_ADMIN_URL = os.environ.get("YYK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """What `fn` returns, and the seconds it took."""
    start = perf_counter()
    result = fn()
    return result, perf_counter() - start


def pct(values: list[float], p: int) -> float:
    """The p-th percentile (inclusive method) of durations in seconds, in milliseconds."""
    if len(values) < 2:
        return values[0] * 1000 if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] * 1000


def settings(url: str, workdir: Path) -> Settings:
    """Cheap password hashing (accounts are set up, not measured) and files in the run's directory."""
    return Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=1024, files_dir=str(workdir / "files"),
                    notify_outbox="")


@contextmanager
def sqlite_database(workdir: Path, name: str) -> Iterator[str]:
    yield f"sqlite:///{workdir / f'bench-{name}-{uuid.uuid4().hex[:8]}.db'}"
