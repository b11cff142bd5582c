"""Shared fixtures.

`backend` runs a test three times: on the in-memory fakes, on SQLite and on PostgreSQL. PostgreSQL
tests skip only when the server is unreachable *and* CI is not set; under CI=true they fail instead.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import hypothesis
import pytest

from yiyangkang.adapters.sqlalchemy import migrate
from yiyangkang.adapters.sqlalchemy.engine import make_engine
from yiyangkang.adapters.sqlalchemy.scratch import reachable, scratch_database
from yiyangkang.adapters.sqlalchemy.tables import metadata
from yiyangkang.bootstrap import Container, build, read_region_file
from yiyangkang.domain.identity.accounts import Role
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.services.regions import load_regions
from yiyangkang.settings import Settings

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# CI replays the same examples every run (a red CI always means a real regression); local runs explore
# new examples each time, which is where new bugs are found.
hypothesis.settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis.settings.register_profile("dev", deadline=None)
hypothesis.settings.load_profile("ci" if IN_CI else "dev")
PG_ADMIN_URL = os.environ.get("YYK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


class FrozenClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 25, 2, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kw: float) -> None:
        self.current += timedelta(**kw)


# Uploaded files of every container in this run live under one directory, removed when the run ends.
FILES_ROOT = tempfile.mkdtemp(prefix="yyk-test-files-")
atexit.register(shutil.rmtree, FILES_ROOT, ignore_errors=True)


def test_settings(database_url: str = "sqlite://") -> Settings:
    # Cheap argon2 parameters: the suite hashes hundreds of passwords.
    return Settings(database_url=database_url, argon2_time_cost=1, argon2_memory_kib=1024,
                    lockout_threshold=5, lockout_minutes=15, files_dir=tempfile.mkdtemp(dir=FILES_ROOT),
                    notify_outbox="")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


# --- databases -----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("db") / "yyk-test.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def require_postgres() -> None:
    if not reachable(PG_ADMIN_URL):
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI=true but {PG_ADMIN_URL} is unreachable")
        pytest.skip("PostgreSQL unreachable (set CI=true to make this a failure)")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session, dropped at the end."""
    require_postgres()
    with scratch_database(PG_ADMIN_URL, "yyk_test") as url:
        yield url


@pytest.fixture(scope="session")
def pg_url(pg_database: str) -> str:
    engine = make_engine(pg_database)
    migrate.upgrade(engine)
    engine.dispose()
    return pg_database


def _wipe(container: Container) -> None:
    assert container.engine is not None
    with container.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


SQL = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _container(request: pytest.FixtureRequest, clock: FrozenClock) -> Iterator[Container]:
    kind = request.param
    if kind == "memory":
        container = build(test_settings(), clock=clock, in_memory=True)
    else:
        url = request.getfixturevalue("sqlite_url" if kind == "sqlite" else "pg_url")
        container = build(test_settings(url), clock=clock)
        _wipe(container)
    load_regions(container, REGIONS)
    try:
        yield container
    finally:
        if container.engine is not None:
            _wipe(container)
        container.dispose()


@pytest.fixture(params=["memory", *SQL])
def backend(request: pytest.FixtureRequest, clock: FrozenClock) -> Iterator[Container]:
    """A container on each persistence backend, empty but for the Guangdong regions."""
    yield from _container(request, clock)


@pytest.fixture(params=SQL)
def sql_backend(request: pytest.FixtureRequest, clock: FrozenClock) -> Iterator[Container]:
    """The same on the real databases only (races, data at rest)."""
    yield from _container(request, clock)


@pytest.fixture
def memory(clock: FrozenClock) -> Container:
    """The in-memory container alone, for fast use-case tests."""
    container = build(test_settings(), clock=clock, in_memory=True)
    load_regions(container, REGIONS)
    return container


REGIONS = read_region_file()


def operator() -> Principal:
    return Principal(account_id="test-operator", role=Role.PLATFORM_OPERATOR, username="operator")
