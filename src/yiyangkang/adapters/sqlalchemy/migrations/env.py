"""Alembic environment: runs against the URL (or connection) handed over by `migrate.py`."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import pool

from yiyangkang.adapters.sqlalchemy.engine import make_engine
from yiyangkang.adapters.sqlalchemy.tables import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    # Engineers' `alembic revision --autogenerate` runs against YYK_DATABASE_URL when it is set.
    url = os.environ.get("YYK_DATABASE_URL") or config.get_main_option("sqlalchemy.url") or ""
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
