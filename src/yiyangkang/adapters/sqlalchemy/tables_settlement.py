"""Settlement tables (结算): supplier relations (documents beside their query columns), order splits (one
per completed sub-order) and their shares as plain rows the reports sum."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Integer, PrimaryKeyConstraint, String, Table

from yiyangkang.adapters.sqlalchemy.tables import UtcDateTime, _document, metadata

settlement_relations = _document(
    "settlement_relations",
    Column("client_id", String(36), ForeignKey("institutions.id"), nullable=False, index=True),
    Column("supplier_id", String(36), ForeignKey("institutions.id"), nullable=False, index=True),
    Column("status", String(16), nullable=False, index=True),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
)

settlement_splits = _document(
    "settlement_splits",
    Column("sub_order_id", String(36), ForeignKey("mall_orders.id"), nullable=False, unique=True),
    Column("sub_order_number", String(20), nullable=False),
    Column("trade_number", String(20), nullable=False),
    Column("institution_id", String(36), ForeignKey("institutions.id"), nullable=False, index=True),
    Column("split_at", UtcDateTime(), nullable=False, index=True),
    Column("held_cash", BigInteger, nullable=False),
    Column("held_voucher", BigInteger, nullable=False),
)

# The shares of each split (a party's part of one line) as rows (the document holds them too): the
# split-detail report reads these.
settlement_split_shares = Table(
    "settlement_split_shares",
    metadata,
    Column("split_id", String(36), ForeignKey("settlement_splits.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("party", String(16), nullable=False),
    Column("institution_id", String(36), ForeignKey("institutions.id"), nullable=True, index=True),  # NULL: platform
    Column("relation_id", String(36), ForeignKey("settlement_relations.id"), nullable=False),
    Column("rate_bp", Integer, nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("cash", BigInteger, nullable=False),
    Column("voucher", BigInteger, nullable=False),
    Column("reversed_cash", BigInteger, nullable=False),
    Column("reversed_voucher", BigInteger, nullable=False),
    PrimaryKeyConstraint("split_id", "seq", name="pk_settlement_split_shares"),
)
