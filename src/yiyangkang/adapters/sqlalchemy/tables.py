"""The schema, one `Table` per aggregate. Alembic migrations are checked against this metadata.

Why Core tables plus explicit row mapping rather than imperative ORM mapping: personal data is
stored as ciphertext + keyed hash (two columns for one domain field), value objects are frozen and
aggregates are attrs classes; a repository that writes its rows explicitly keeps all of that in one
readable place, needs no instrumentation of domain classes, and makes the optimistic version check
an ordinary `UPDATE … WHERE version = :v`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every database (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime reached the database")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        instant: datetime = value
        return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def _id(**kw: Any) -> Column[str]:
    return Column("id", String(36), primary_key=True, **kw)


def _version() -> Column[int]:
    return Column("version", Integer, nullable=False, default=0)


def _created() -> Column[datetime]:
    return Column("created_at", UtcDateTime(), nullable=False)


regions = Table(
    "regions",
    metadata,
    Column("code", String(12), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("level", String(16), nullable=False),
    Column("parent_code", String(12), ForeignKey("regions.code"), nullable=True, index=True),
)

institutions = Table(
    "institutions",
    metadata,
    _id(),
    _version(),
    Column("name", String(128), nullable=False),
    Column("credit_code", String(18), nullable=False, unique=True),
    Column("type", String(32), nullable=False),
    Column("region_code", String(12), ForeignKey("regions.code"), nullable=False, index=True),
    Column("address", String(256), nullable=False),
    Column("parent_id", String(36), ForeignKey("institutions.id"), nullable=True, index=True),
    Column("path", String(512), nullable=False, index=True),
    Column("lng", Float, nullable=True),
    Column("lat", Float, nullable=True),
    Column("contact_phone", String(32), nullable=True),
    _created(),
)

staff = Table(
    "staff",
    metadata,
    _id(),
    _version(),
    Column("institution_id", String(36), ForeignKey("institutions.id"), nullable=False, index=True),
    Column("name", String(64), nullable=False),
    Column("phone_enc", LargeBinary, nullable=False),
    Column("phone_hash", String(64), nullable=False, index=True),
    Column("profession", String(32), nullable=False),
    Column("license_no", String(64), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    _created(),
)

elders = Table(
    "elders",
    metadata,
    _id(),
    _version(),
    Column("institution_id", String(36), ForeignKey("institutions.id"), nullable=False, index=True),
    Column("name", String(64), nullable=False, index=True),
    Column("gender", String(8), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("id_card_enc", LargeBinary, nullable=False),
    Column("id_card_hash", String(64), nullable=False, unique=True),
    Column("phone_enc", LargeBinary, nullable=True),
    Column("phone_hash", String(64), nullable=True, index=True),
    Column("region_code", String(12), ForeignKey("regions.code"), nullable=False, index=True),
    Column("emergency_contacts_enc", LargeBinary, nullable=True),
    Column("primary_doctor_id", String(36), ForeignKey("staff.id"), nullable=True),
    _created(),
    Index("ix_elders_created_at_id", "created_at", "id"),
)

addresses = Table(
    "addresses",
    metadata,
    _id(),
    _version(),
    Column("elder_id", String(36), ForeignKey("elders.id"), nullable=False, index=True),
    Column("region_code", String(12), ForeignKey("regions.code"), nullable=False),
    Column("detail", String(256), nullable=False),
    Column("contact_name", String(64), nullable=False),
    Column("contact_phone_enc", LargeBinary, nullable=False),
    Column("is_default", Boolean, nullable=False, default=False),
    Column("lng", Float, nullable=True),
    Column("lat", Float, nullable=True),
    _created(),
)

family_members = Table(
    "family_members",
    metadata,
    _id(),
    _version(),
    Column("name", String(64), nullable=False),
    Column("phone_enc", LargeBinary, nullable=False),
    Column("phone_hash", String(64), nullable=False, unique=True),
    _created(),
)

family_links = Table(
    "family_links",
    metadata,
    _id(),
    _version(),
    Column("family_member_id", String(36), ForeignKey("family_members.id"), nullable=False, index=True),
    Column("elder_id", String(36), ForeignKey("elders.id"), nullable=False, index=True),
    Column("relation", String(32), nullable=False),
    _created(),
    UniqueConstraint("family_member_id", "elder_id", name="uq_family_links_member_elder"),
)

accounts = Table(
    "accounts",
    metadata,
    _id(),
    _version(),
    Column("username", String(64), nullable=False, unique=True),
    Column("phone_enc", LargeBinary, nullable=True),
    Column("phone_hash", String(64), nullable=True, unique=True),
    Column("password_hash", String(256), nullable=False),
    Column("role", String(32), nullable=False),
    Column("institution_id", String(36), ForeignKey("institutions.id"), nullable=True, index=True),
    # One login per person (NULLs do not clash).
    Column("staff_id", String(36), ForeignKey("staff.id"), nullable=True, unique=True),
    Column("elder_id", String(36), ForeignKey("elders.id"), nullable=True, unique=True),
    Column("family_member_id", String(36), ForeignKey("family_members.id"), nullable=True, unique=True),
    Column("status", String(16), nullable=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", UtcDateTime(), nullable=True),
    Column("token_version", Integer, nullable=False, default=1),
    Column("password_changed_at", UtcDateTime(), nullable=False),
    Column("last_login_at", UtcDateTime(), nullable=True),
    _created(),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("aggregate", String(32), nullable=False),
    Column("aggregate_id", String(36), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("actor_role", String(32), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Column("reason", Text, nullable=False, default=""),
    Index("ix_audit_events_aggregate", "aggregate", "aggregate_id"),
)


# -- Home bed (家庭病床) ---------------------------------------------------------------------------
# Each aggregate is one row: the columns that queries, scopes and reports need, plus the whole
# aggregate as a document (`doc`, written by `documents.py`). Applications hold an elder's ID number and
# phone, so their document is sealed like every other column of personal data.


def _document(name: str, *columns: Any, sealed: bool = False) -> Table:
    return Table(
        name, metadata, _id(), _version(), *columns,
        Column("doc", LargeBinary if sealed else JSON, nullable=False), _created(),
    )


def _owner(*, elder: bool = True) -> list[Column[Any]]:
    cols: list[Column[Any]] = [
        Column("institution_id", String(36), ForeignKey("institutions.id"), nullable=False, index=True),
    ]
    if elder:
        cols.append(Column("elder_id", String(36), ForeignKey("elders.id"), nullable=False, index=True))
    return cols


sequences = Table(
    "sequences",
    metadata,
    Column("key", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

hb_service_items = _document(
    "hb_service_items",
    Column("name", String(64), nullable=False, unique=True),
    Column("active", Boolean, nullable=False),
)
hb_subsidy_types = _document(
    "hb_subsidy_types",
    Column("region_code", String(12), ForeignKey("regions.code"), nullable=False, index=True),
    Column("name", String(64), nullable=False),
    Column("active", Boolean, nullable=False),
    UniqueConstraint("region_code", "name", name="uq_hb_subsidy_types_region_name"),
)
hb_renovation_items = _document(
    "hb_renovation_items",
    Column("name", String(64), nullable=False, unique=True),
    Column("active", Boolean, nullable=False),
)
hb_scales = _document(
    "hb_scales",
    Column("name", String(64), nullable=False, unique=True),
    Column("active", Boolean, nullable=False),
)
hb_settings = _document("hb_settings")

hb_applications = _document(
    "hb_applications",
    Column("number", String(20), nullable=False, unique=True),
    *_owner(elder=False),
    Column("elder_id", String(36), ForeignKey("elders.id"), nullable=True, index=True),
    Column("status", String(16), nullable=False, index=True),
    Column("elder_name", String(64), nullable=False),
    Column("id_card_hash", String(64), nullable=False, index=True),
    Column("applicant_account_id", String(36), ForeignKey("accounts.id"), nullable=False, index=True),
    # One application on its way (submitted or approved) per ID number, whatever races the checks.
    Index("uq_hb_applications_open_id_card", "id_card_hash", unique=True,
          postgresql_where=text("status IN ('submitted', 'approved')"),
          sqlite_where=text("status IN ('submitted', 'approved')")),
    sealed=True,
)

hb_contracts = _document(
    "hb_contracts",
    Column("number", String(20), nullable=False, unique=True),
    *_owner(),
    Column("status", String(16), nullable=False, index=True),
    Column("region_code", String(12), nullable=False),
    Column("elder_name", String(64), nullable=False),
    Column("elder_id_card_masked", String(32), nullable=False),
    Column("sign_date", Date, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("expiry_date", Date, nullable=False, index=True),
    Column("terminated_on", Date, nullable=True),
    Column("subsidy_type_id", String(36), ForeignKey("hb_subsidy_types.id"), nullable=True),
    Column("renewed_by_id", String(36), nullable=True),
)

hb_assessments = _document(
    "hb_assessments",
    *_owner(),
    Column("contract_id", String(36), ForeignKey("hb_contracts.id"), nullable=True, index=True),
    Column("assessed_on", Date, nullable=False),
)

hb_orders = _document(
    "hb_orders",
    Column("number", String(20), nullable=False, unique=True),
    *_owner(),
    Column("contract_id", String(36), ForeignKey("hb_contracts.id"), nullable=False, index=True),
    Column("region_code", String(12), nullable=False),
    Column("subsidy_type_id", String(36), ForeignKey("hb_subsidy_types.id"), nullable=True),
    Column("service_item_id", String(36), ForeignKey("hb_service_items.id"), nullable=False),
    Column("item_name", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("staff_id", String(36), ForeignKey("staff.id"), nullable=True, index=True),
    Column("supplementary", Boolean, nullable=False),
    Column("scheduled_at", UtcDateTime(), nullable=False),
    Column("started_at", UtcDateTime(), nullable=True),
    Column("completed_at", UtcDateTime(), nullable=True),
    Column("price_fen", BigInteger, nullable=False),
    Column("subsidy_fen", BigInteger, nullable=False),
    Column("self_pay_fen", BigInteger, nullable=False),
    # The settlement report reads completed orders by the time they ended; the scan reads open ones.
    Index("ix_hb_orders_status_completed_at", "status", "completed_at"),
)

hb_exceptions = _document(
    "hb_exceptions",
    *_owner(),
    Column("order_id", String(36), ForeignKey("hb_orders.id"), nullable=False),
    Column("type", String(24), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    UniqueConstraint("order_id", "type", name="uq_hb_exceptions_order_type"),
)

hb_renovation_tasks = _document(
    "hb_renovation_tasks",
    Column("number", String(20), nullable=False, unique=True),
    *_owner(),
    Column("contract_id", String(36), ForeignKey("hb_contracts.id"), nullable=False, index=True),
    Column("staff_id", String(36), ForeignKey("staff.id"), nullable=False, index=True),
    Column("status", String(16), nullable=False),
)


# The monitoring context keeps its tables in a module of its own, registered on the same `metadata`.
from yiyangkang.adapters.sqlalchemy import tables_ledger as _ledger  # noqa: E402,F401
from yiyangkang.adapters.sqlalchemy import tables_mall as _mall  # noqa: E402,F401
from yiyangkang.adapters.sqlalchemy import tables_monitoring as _monitoring  # noqa: E402,F401
from yiyangkang.adapters.sqlalchemy import tables_payments as _payments  # noqa: E402,F401
from yiyangkang.adapters.sqlalchemy import tables_points as _points  # noqa: E402,F401
from yiyangkang.adapters.sqlalchemy import tables_settlement as _settlement  # noqa: E402,F401
from yiyangkang.adapters.sqlalchemy import tables_vouchers as _vouchers  # noqa: E402,F401
