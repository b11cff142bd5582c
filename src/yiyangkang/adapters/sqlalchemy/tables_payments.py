"""Payment tables (支付): every notification a provider sent (its outcome and the SHA-256 of its body — never the
body, which holds personal data) and the refunds a provider took but has not settled yet."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, String, Table

from yiyangkang.adapters.sqlalchemy.tables import UtcDateTime, metadata

payment_notices = Table(
    "payment_notices",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("trade_number", String(40), nullable=True, index=True),
    Column("outcome", String(16), nullable=False),
    Column("reason", String(64), nullable=False),
    Column("body_sha256", String(64), nullable=False),
    Index("ix_payment_notices_received", "received_at"),
)

payment_refunds = Table(
    "payment_refunds",
    metadata,
    Column("refund_number", String(40), primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("trade_number", String(40), nullable=False, index=True),
    Column("refund_id", String(64), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("reference", String(32), nullable=False),
    Column("message", String(200), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("checked_at", UtcDateTime(), nullable=False),
)
