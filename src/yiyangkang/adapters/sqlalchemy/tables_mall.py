"""Mall tables (服务商城): categories, products with their search terms and counters, packages, buy-gift
rules, mall configuration and settings, trades, sub-orders, after-sales requests, ratings, exceptions.

Aggregates are documents beside their query columns, like the home-bed tables. A product's counters
(stock, sales, ratings) are plain columns outside the document: checkouts change them with one atomic
`UPDATE … WHERE stock >= n`, never by rewriting the document, so a seller's edit and a sale never race.
Sub-order documents hold the delivery address and phone: they are sealed like bed applications."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from yiyangkang.adapters.sqlalchemy.tables import UtcDateTime, _document, _owner, metadata

mall_categories = _document(
    "mall_categories",
    Column("name", String(40), nullable=False),
    Column("parent_id", String(36), ForeignKey("mall_categories.id"), nullable=True, index=True),
    Column("path", String(400), nullable=False, index=True),
    Column("active", Boolean, nullable=False),
    UniqueConstraint("parent_id", "name", name="uq_mall_categories_parent_name"),
)

mall_products = _document(
    "mall_products",
    *_owner(elder=False),
    Column("fulfilment", String(16), nullable=False),
    Column("review", String(16), nullable=False, index=True),
    Column("listed", Boolean, nullable=False),
    Column("orderable", Boolean, nullable=False),
    Column("name", String(60), nullable=False),  # the latest revision's, for the back office
    Column("category_path", String(400), nullable=True),  # the live content's
    Column("price_fen", BigInteger, nullable=True),  # the live content's
    Column("stock", Integer, nullable=True),
    Column("sales", Integer, nullable=False, default=0),
    Column("rating_sum", Integer, nullable=False, default=0),
    Column("rating_count", Integer, nullable=False, default=0),
    Column("search_text", Text, nullable=False, default=""),
    Index("ix_mall_products_orderable_sales", "orderable", "sales"),
    Index("ix_mall_products_orderable_category", "orderable", "category_path"),
)

# The keyword index: one row per term of a product on sale (see `domain.mall.search`).
mall_product_terms = Table(
    "mall_product_terms",
    metadata,
    Column("term", String(64), nullable=False),
    Column("product_id", String(36), ForeignKey("mall_products.id"), nullable=False, index=True),
    PrimaryKeyConstraint("term", "product_id", name="pk_mall_product_terms"),
)

mall_packages = _document(
    "mall_packages",
    *_owner(elder=False),
    Column("name", String(60), nullable=False),
    Column("review", String(16), nullable=False, index=True),
    Column("active", Boolean, nullable=False),
)

mall_buy_gifts = _document(
    "mall_buy_gifts",
    *_owner(elder=False),
    Column("buy_product_id", String(36), ForeignKey("mall_products.id"), nullable=False, index=True),
    Column("review", String(16), nullable=False, index=True),
    Column("active", Boolean, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
)

mall_configs = _document(
    "mall_configs",
    Column("institution_id", String(36), ForeignKey("institutions.id"), nullable=False, unique=True),
)

mall_settings = _document("mall_settings")

mall_trades = _document(
    "mall_trades",
    Column("number", String(20), nullable=False, unique=True),
    Column("elder_id", String(36), ForeignKey("elders.id"), nullable=False, index=True),
    Column("buyer_account_id", String(36), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("pay_deadline", UtcDateTime(), nullable=False),
    Index("ix_mall_trades_status_deadline", "status", "pay_deadline"),
)

mall_orders = _document(
    "mall_orders",
    Column("number", String(20), nullable=False, unique=True),
    Column("trade_id", String(36), ForeignKey("mall_trades.id"), nullable=False, index=True),
    *_owner(),
    Column("fulfilment", String(16), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("staff_id", String(36), ForeignKey("staff.id"), nullable=True, index=True),
    Column("code_hash", String(64), nullable=True, unique=True),
    Column("settled_at", UtcDateTime(), nullable=True),  # completed, cancelled or closed
    sealed=True,
)

mall_after_sales = _document(
    "mall_after_sales",
    Column("number", String(20), nullable=False, unique=True),
    Column("sub_order_id", String(36), ForeignKey("mall_orders.id"), nullable=False, index=True),
    *_owner(),
    Column("type", String(16), nullable=False),
    Column("status", String(20), nullable=False, index=True),
)

mall_ratings = _document(
    "mall_ratings",
    Column("sub_order_id", String(36), ForeignKey("mall_orders.id"), nullable=False, unique=True),
    *_owner(),
    Column("staff_id", String(36), ForeignKey("staff.id"), nullable=True, index=True),
    Column("stars", Integer, nullable=False),
    Column("hidden", Boolean, nullable=False),
)

mall_rating_products = Table(
    "mall_rating_products",
    metadata,
    Column("rating_id", String(36), ForeignKey("mall_ratings.id"), nullable=False),
    Column("product_id", String(36), ForeignKey("mall_products.id"), nullable=False, index=True),
    PrimaryKeyConstraint("rating_id", "product_id", name="pk_mall_rating_products"),
)

mall_exceptions = _document(
    "mall_exceptions",
    *_owner(),
    Column("order_id", String(36), ForeignKey("mall_orders.id"), nullable=False),
    Column("type", String(24), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    UniqueConstraint("order_id", "type", name="uq_mall_exceptions_order_type"),
)
