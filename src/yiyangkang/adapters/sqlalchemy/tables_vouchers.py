"""Voucher tables (养老服务券): the procurement list, batches, vouchers and spends — documents beside their query
columns. A voucher's balance is not here: it is its ledger account (voucher:<id>:voucher)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, String

from yiyangkang.adapters.sqlalchemy.tables import UtcDateTime, _document, _owner

voucher_institutions = _document(
    "voucher_institutions",
    Column("name", String(100), nullable=False),
    Column("active", Boolean, nullable=False),
)

voucher_batches = _document(
    "voucher_batches",
    Column("name", String(60), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
)

vouchers = _document(
    "vouchers",
    *_owner(),
    Column("number", String(20), nullable=False, unique=True),
    Column("batch_id", String(36), ForeignKey("voucher_batches.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("valid_until", Date, nullable=False),
    Index("ix_vouchers_batch_elder", "batch_id", "elder_id"),
    Index("ix_vouchers_status_until", "status", "valid_until"),
)

voucher_spends = _document(
    "voucher_spends",
    *_owner(),
    Column("voucher_id", String(36), ForeignKey("vouchers.id"), nullable=False, index=True),
    Column("batch_id", String(36), nullable=False),
    Column("trade_id", String(36), nullable=False, index=True),
    Column("sub_order_id", String(36), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("spent_at", UtcDateTime(), nullable=True),
    Index("ix_voucher_spends_institution_spent", "institution_id", "spent_at"),
)
