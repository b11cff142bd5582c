"""Ledger tables (账本): postings with unique business references, their entries, and account balances that
a CHECK keeps from going negative (sources excepted) as the last line of defence."""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, String, Table, Text

from yiyangkang.adapters.sqlalchemy.tables import UtcDateTime, metadata

ledger_accounts = Table(
    "ledger_accounts",
    metadata,
    Column("key", String(120), primary_key=True),  # owner:owner_id:purse
    Column("owner", String(16), nullable=False),
    Column("owner_id", String(64), nullable=False),
    Column("purse", String(16), nullable=False),
    Column("balance", BigInteger, nullable=False),
    CheckConstraint("balance >= 0 OR owner IN ('provider', 'government', 'issuer')",
                    name="ck_ledger_accounts_balance"),
)

ledger_postings = Table(
    "ledger_postings",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("reference", String(120), nullable=False, unique=True),
    Column("kind", String(32), nullable=False, index=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("memo", Text, nullable=False),
    Index("ix_ledger_postings_kind_at", "kind", "at"),  # the money reports read a few kinds over a period
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("posting_id", String(36), ForeignKey("ledger_postings.id"), nullable=False),
    Column("account_key", String(120), ForeignKey("ledger_accounts.key"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_ledger_entries_account_at", "account_key", "at"),
    Index("ix_ledger_entries_posting", "posting_id"),
)
