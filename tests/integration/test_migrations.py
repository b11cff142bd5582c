"""`yyk db upgrade` builds the schema from Alembic migrations, and the migrations match the tables."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from yiyangkang.adapters.sqlalchemy import migrate
from yiyangkang.adapters.sqlalchemy.engine import make_engine
from yiyangkang.adapters.sqlalchemy.tables import metadata


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrate.db'}"
    return request.getfixturevalue("pg_database")


def test_migrations_create_exactly_the_mapped_schema(empty_database: str) -> None:
    engine = make_engine(empty_database)
    try:
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
        assert diff == [], f"migrations and tables.py disagree: {diff}"
        assert set(inspect(engine).get_table_names()) >= {t.name for t in metadata.sorted_tables}
        # Down and up again: the migration is reversible.
        migrate.downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()
