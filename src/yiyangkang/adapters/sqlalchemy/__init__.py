"""SQLAlchemy 2 persistence: Core tables, explicit row mapping, the unit of work, Alembic migrations."""
