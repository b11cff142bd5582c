"""Mall repositories: documents plus query columns; product counters and the keyword index beside them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, case, delete, func, insert, or_, select, true

from yiyangkang.adapters.sqlalchemy import tables_mall as m
from yiyangkang.adapters.sqlalchemy.base import visibility_clause
from yiyangkang.adapters.sqlalchemy.repositories.homebed import DocumentRepository, SqlExceptions
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.mall import search
from yiyangkang.domain.mall.aftersales import AfterSale, AfterSaleKind, AfterSaleStatus
from yiyangkang.domain.mall.catalogue import Category, Counters, Fulfilment, Product
from yiyangkang.domain.mall.config import MallConfig, MallSettings
from yiyangkang.domain.mall.offers import BuyGiftRule, ServicePackage
from yiyangkang.domain.mall.orders import SubOrder, SubStatus, TradeOrder, TradeStatus
from yiyangkang.domain.mall.ratings import Rating
from yiyangkang.domain.mall.review import ReviewState
from yiyangkang.ports.mall import ProductQuery, SortBy

_NUMBER = {"number": ("NUMBER_TAKEN", "编号重复，请重试")}
SETTLED = (SubStatus.COMPLETED, SubStatus.CANCELLED, SubStatus.CLOSED)


class SqlCategories(DocumentRepository[Category]):
    table, model = m.mall_categories, Category
    conflicts = {"parent_name": ("CATEGORY_NAME_TAKEN", "同一上级分类下已有同名分类"),
                 "parent_id": ("CATEGORY_NAME_TAKEN", "同一上级分类下已有同名分类")}

    def columns(self, c: Category) -> dict[str, Any]:
        return {"name": c.name, "parent_id": c.parent_id, "path": c.path, "active": c.active}

    def all(self, *, active: bool | None = None) -> Sequence[Category]:
        c = self.table.c
        stmt = select(self.table).order_by(c.path, c.id)
        return self._rows(stmt if active is None else stmt.where(c.active == active))


def attribute_term(key: str, value: str) -> str:
    return f"@{search.normalize(key)}={search.normalize(value)}"[:64]


class SqlProducts(DocumentRepository[Product]):
    table, model = m.mall_products, Product

    def columns(self, p: Product) -> dict[str, Any]:
        return {"institution_id": p.institution_id, "fulfilment": p.fulfilment.value, "review": p.review.value,
                "listed": p.listed, "orderable": p.orderable, "name": p.shown.name,
                "price_fen": p.live.price.fen if p.live else None}

    def to_row(self, item: Product) -> dict[str, Any]:
        row = super().to_row(item)
        row["doc"].pop("counters", None)
        return row

    def add(self, item: Product) -> None:
        row = {**self.to_row(item), "stock": item.counters.stock}
        self._write(lambda: self.conn.execute(self.table.insert().values(row)))
        self.ctx.touched.append(item)

    def from_row(self, row: Any) -> Product:
        item = super().from_row(row)
        item.counters = Counters(stock=row.stock, sales=row.sales, rating_sum=row.rating_sum,
                                 rating_count=row.rating_count)
        return item

    def many(self, ids: Iterable[str]) -> dict[str, Product]:
        wanted = sorted(set(ids))
        return {p.id: p for p in self._rows(select(self.table).where(self.table.c.id.in_(wanted)))} if wanted else {}

    def list(
        self, visibility: Visibility, page: PageRequest, *, institution_id: str | None = None,
        review: ReviewState | None = None, fulfilment: Fulfilment | None = None, keyword: str | None = None,
    ) -> Page[Product]:
        stmt = self._owned(visibility, institution_id=institution_id, review=review, fulfilment=fulfilment)
        if keyword:
            stmt = stmt.where(self.table.c.name.icontains(keyword.strip(), autoescape=True))
        return self._page(stmt, page)

    def search(self, query: ProductQuery, page: PageRequest) -> Page[Product]:
        c = self.table.c
        stmt = select(self.table).where(c.orderable == true())
        terms = set()
        if query.keyword is not None:
            terms = search.query_terms(query.keyword)
            if not terms:
                return Page([], 0, page.page, page.size)
            for phrase in search.phrases(query.keyword):
                stmt = stmt.where(c.search_text.contains(phrase, autoescape=True))
        terms |= {attribute_term(k, v) for k, v in query.attributes.items()}
        if terms:
            tt = m.mall_product_terms.c
            having = (select(tt.product_id).where(tt.term.in_(sorted(terms))).group_by(tt.product_id)
                      .having(func.count() == len(terms)))
            stmt = stmt.where(c.id.in_(having))
        if query.category_path:
            stmt = stmt.where(c.category_path.startswith(query.category_path, autoescape=True))
        for column, value in ((c.fulfilment, query.fulfilment and query.fulfilment.value),
                              (c.institution_id, query.institution_id)):
            if value:
                stmt = stmt.where(column == value)
        if query.min_price is not None:
            stmt = stmt.where(c.price_fen >= query.min_price.fen)
        if query.max_price is not None:
            stmt = stmt.where(c.price_fen <= query.max_price.fen)
        return self._page(stmt.order_by(*self._order(query.sort)), page)

    def _order(self, sort: SortBy) -> Sequence[Any]:
        c = self.table.c
        rating = case((c.rating_count > 0, c.rating_sum * 1.0 / c.rating_count), else_=0)
        first = {SortBy.SALES: [c.sales.desc()], SortBy.PRICE_ASC: [c.price_fen.asc()],
                 SortBy.PRICE_DESC: [c.price_fen.desc()], SortBy.NEWEST: [c.created_at.desc()],
                 SortBy.RATING: [rating.desc(), c.rating_count.desc()]}[sort]
        return [*first, c.id.desc()]

    def index(self, product: Product, texts: Sequence[str], category_path: str | None) -> None:
        tt = m.mall_product_terms.c
        self.conn.execute(delete(m.mall_product_terms).where(tt.product_id == product.id))
        live = product.live if product.orderable else None
        terms = search.index_terms(texts) if live else set()
        if live:
            terms |= {attribute_term(k, v) for k, v in live.attributes.items()}
        if terms:
            self.conn.execute(insert(m.mall_product_terms),
                              [{"term": term, "product_id": product.id} for term in sorted(terms)])
        self.conn.execute(self.table.update().where(self.table.c.id == product.id).values(
            search_text=search.search_text(texts) if live else "", category_path=category_path if live else None))

    def sales_by_institution(self, institution_ids: Iterable[str]) -> dict[str, int]:
        c, ids = self.table.c, sorted(set(institution_ids))
        if not ids:
            return {}
        stmt = select(c.institution_id, func.sum(c.sales)).where(c.institution_id.in_(ids)).group_by(c.institution_id)
        return {i: int(n or 0) for i, n in self.conn.execute(stmt)}

    def _bump(self, product_id: str, condition: Any = true(), **values: Any) -> bool:
        c = self.table.c
        stmt = self.table.update().where(c.id == product_id, condition).values(**values).returning(c.id)
        return self.conn.execute(stmt).first() is not None

    def take_stock(self, product_id: str, units: int) -> bool:
        c = self.table.c
        return self._bump(product_id, or_(c.stock.is_(None), c.stock >= units), stock=c.stock - units)

    def put_stock(self, product_id: str, units: int) -> None:
        self._bump(product_id, stock=self.table.c.stock + units)

    def add_sales(self, product_id: str, units: int) -> None:
        self._bump(product_id, sales=self.table.c.sales + units)

    def add_rating(self, product_id: str, stars: int, count: int = 1) -> None:
        c = self.table.c
        self._bump(product_id, rating_sum=c.rating_sum + stars, rating_count=c.rating_count + count)


class _Reviewed:
    """List filters shared by packages and buy-gift rules."""

    def _reviewed(self: Any, visibility: Visibility, institution_id: str | None, review: ReviewState | None,
                  ) -> Select[Any]:
        stmt: Select[Any] = self._owned(visibility, institution_id=institution_id, review=review)
        return stmt


class SqlPackages(DocumentRepository[ServicePackage], _Reviewed):
    table, model = m.mall_packages, ServicePackage

    def columns(self, p: ServicePackage) -> dict[str, Any]:
        return {"institution_id": p.institution_id, "name": p.name, "review": p.review.value, "active": p.active}

    def list(
        self, visibility: Visibility, page: PageRequest, *, institution_id: str | None = None,
        review: ReviewState | None = None, orderable: bool | None = None,
    ) -> Page[ServicePackage]:
        stmt = self._reviewed(visibility, institution_id, review)
        if orderable is not None:
            c = self.table.c
            live = and_(c.active == true(), c.review == ReviewState.APPROVED.value)
            stmt = stmt.where(live if orderable else ~live)
        return self._page(stmt, page)

    def many(self, ids: Iterable[str]) -> dict[str, ServicePackage]:
        wanted = sorted(set(ids))
        return {p.id: p for p in self._rows(select(self.table).where(self.table.c.id.in_(wanted)))} if wanted else {}


class SqlBuyGifts(DocumentRepository[BuyGiftRule], _Reviewed):
    table, model = m.mall_buy_gifts, BuyGiftRule

    def columns(self, r: BuyGiftRule) -> dict[str, Any]:
        return {"institution_id": r.institution_id, "buy_product_id": r.buy_product_id, "review": r.review.value,
                "active": r.active, "valid_from": r.valid_from, "valid_until": r.valid_until}

    def _in_force(self, today: date) -> Any:
        c = self.table.c
        return and_(c.active == true(), c.review == ReviewState.APPROVED.value, c.valid_from <= today,
                    c.valid_until >= today)

    def list(
        self, visibility: Visibility, page: PageRequest, *, institution_id: str | None = None,
        review: ReviewState | None = None, in_force_on: date | None = None,
    ) -> Page[BuyGiftRule]:
        stmt = self._reviewed(visibility, institution_id, review)
        return self._page(stmt.where(self._in_force(in_force_on)) if in_force_on else stmt, page)

    def in_force(self, buy_product_ids: Iterable[str], today: date) -> Sequence[BuyGiftRule]:
        ids, c = sorted(set(buy_product_ids)), self.table.c
        if not ids:
            return []
        return self._rows(select(self.table).where(c.buy_product_id.in_(ids), self._in_force(today))
                          .order_by(c.created_at, c.id))


class SqlMallConfigs(DocumentRepository[MallConfig]):
    table, model = m.mall_configs, MallConfig

    def columns(self, c: MallConfig) -> dict[str, Any]:
        return {"institution_id": c.id}

    def all(self) -> Sequence[MallConfig]:
        return self._rows(select(self.table).order_by(self.table.c.id))


class SqlMallSettings(DocumentRepository[MallSettings]):
    table, model = m.mall_settings, MallSettings


class SqlTrades(DocumentRepository[TradeOrder]):
    table, model = m.mall_trades, TradeOrder
    conflicts = _NUMBER

    def columns(self, o: TradeOrder) -> dict[str, Any]:
        return {"number": o.number, "elder_id": o.elder_id, "buyer_account_id": o.buyer_account_id,
                "status": o.status.value, "pay_deadline": o.pay_deadline}

    def list(
        self, visibility: Visibility, page: PageRequest, *, status: TradeStatus | None = None,
        elder_id: str | None = None,
    ) -> Page[TradeOrder]:
        c = self.table.c
        stmt = select(self.table).where(visibility_clause(visibility, elder_id=c.elder_id,
                                                          account_id=c.buyer_account_id))
        if status is not None:
            stmt = stmt.where(c.status == status.value)
        if elder_id is not None:
            stmt = stmt.where(c.elder_id == elder_id)
        return self._page(self._newest_first(stmt), page)

    def by_number(self, number: str) -> TradeOrder | None:
        ident = self.conn.execute(select(self.table.c.id).where(self.table.c.number == number)).scalar()
        return None if ident is None else self.lock(ident)

    def unpaid_due(self, now: datetime) -> Sequence[str]:
        c = self.table.c
        stmt = select(c.id).where(c.status == TradeStatus.UNPAID.value, c.pay_deadline < now).order_by(c.id)
        return list(self.conn.execute(stmt).scalars())


class SqlSubOrders(DocumentRepository[SubOrder]):
    table, model, sealed = m.mall_orders, SubOrder, True
    conflicts = {**_NUMBER, "code_hash": ("VERIFY_CODE_TAKEN", "核销码重复，请重试")}

    def columns(self, o: SubOrder) -> dict[str, Any]:
        settled = o.completed_at or (o.paid_at or o.created_at) if o.status in SETTLED else None
        return {"number": o.number, "trade_id": o.trade_id, "institution_id": o.institution_id,
                "elder_id": o.elder_id, "fulfilment": o.fulfilment.value, "status": o.status.value,
                "staff_id": o.staff_id, "code_hash": o.code_hash, "settled_at": settled}

    def list(
        self, visibility: Visibility, page: PageRequest, *, status: SubStatus | None = None,
        statuses: Sequence[SubStatus] = (), fulfilment: Fulfilment | None = None, goods: bool | None = None,
        institution_id: str | None = None, elder_id: str | None = None, staff_id: str | None = None,
        trade_id: str | None = None, keyword: str | None = None,
    ) -> Page[SubOrder]:
        c = self.table.c
        stmt = self._owned(visibility, status=status, fulfilment=fulfilment, institution_id=institution_id,
                           elder_id=elder_id, staff_id=staff_id, trade_id=trade_id)
        if statuses:
            stmt = stmt.where(c.status.in_([s.value for s in statuses]))
        if goods is not None:
            kinds = [f.value for f in Fulfilment if f.is_goods == goods]
            stmt = stmt.where(c.fulfilment.in_(kinds))
        if keyword:
            stmt = stmt.where(c.number.icontains(keyword.strip(), autoescape=True))
        return self._page(stmt, page)

    def of_trade(self, trade_id: str, *, lock: bool = False) -> Sequence[SubOrder]:
        c = self.table.c
        stmt = select(self.table).where(c.trade_id == trade_id).order_by(c.number)
        if lock and self.conn.dialect.name != "sqlite":
            stmt = stmt.with_for_update()
        return self._rows(stmt)

    def by_code(self, code_hash: str, *, lock: bool = False) -> SubOrder | None:
        c = self.table.c
        ident = self.conn.execute(select(c.id).where(c.code_hash == code_hash)).scalar()
        return None if ident is None else self.lock(ident) if lock else self.get(ident)

    def scan_candidates(self, since: datetime) -> Iterator[SubOrder]:
        c = self.table.c
        stmt = select(self.table).where(
            c.fulfilment.in_([Fulfilment.HOME_VISIT.value, Fulfilment.DELIVERY.value]),
            c.status != SubStatus.PENDING_PAYMENT.value,
            or_(c.settled_at.is_(None), c.settled_at >= since),
        ).order_by(c.created_at, c.id)
        for row in self.conn.execute(stmt.execution_options(yield_per=1000)):
            yield self.from_row(row)


class SqlAfterSales(DocumentRepository[AfterSale]):
    table, model = m.mall_after_sales, AfterSale
    conflicts = _NUMBER

    def columns(self, a: AfterSale) -> dict[str, Any]:
        return {"number": a.number, "sub_order_id": a.sub_order_id, "institution_id": a.institution_id,
                "elder_id": a.elder_id, "type": a.type.value, "status": a.status.value}

    def list(
        self, visibility: Visibility, page: PageRequest, *, status: AfterSaleStatus | None = None,
        type: AfterSaleKind | None = None, institution_id: str | None = None, sub_order_id: str | None = None,
        elder_id: str | None = None,
    ) -> Page[AfterSale]:
        return self._page(self._owned(visibility, status=status, type=type, institution_id=institution_id,
                                      sub_order_id=sub_order_id, elder_id=elder_id), page)


class SqlRatings(DocumentRepository[Rating]):
    table, model = m.mall_ratings, Rating
    conflicts = {"sub_order": ("MALL_ALREADY_RATED", "该订单已评价")}

    def columns(self, r: Rating) -> dict[str, Any]:
        return {"sub_order_id": r.sub_order_id, "institution_id": r.institution_id, "elder_id": r.elder_id,
                "staff_id": r.staff_id, "stars": r.stars, "hidden": r.hidden}

    def add(self, item: Rating) -> None:
        super().add(item)
        rows = [{"rating_id": item.id, "product_id": p} for p in sorted(set(item.product_ids))]
        if rows:
            self.conn.execute(insert(m.mall_rating_products), rows)

    def list(
        self, visibility: Visibility, page: PageRequest, *, institution_id: str | None = None,
        product_id: str | None = None, staff_id: str | None = None, include_hidden: bool = True,
    ) -> Page[Rating]:
        c = self.table.c
        stmt = self._owned(visibility, institution_id=institution_id, staff_id=staff_id)
        if product_id:
            rp = m.mall_rating_products.c
            stmt = stmt.where(c.id.in_(select(rp.rating_id).where(rp.product_id == product_id)))
        if not include_hidden:
            stmt = stmt.where(c.hidden == False)  # noqa: E712
        return self._page(stmt, page)

    def of_sub_order(self, sub_order_id: str) -> Rating | None:
        row = self.conn.execute(select(self.table).where(self.table.c.sub_order_id == sub_order_id)).first()
        return None if row is None else self.from_row(row)

    def institution_averages(self, institution_ids: Iterable[str]) -> dict[str, tuple[float, int]]:
        c, ids = self.table.c, sorted(set(institution_ids))
        if not ids:
            return {}
        stmt = (select(c.institution_id, func.avg(c.stars), func.count()).where(c.institution_id.in_(ids),
                c.hidden == False).group_by(c.institution_id))  # noqa: E712
        return {i: (round(float(a), 1), int(n)) for i, a, n in self.conn.execute(stmt)}


class SqlMallExceptions(SqlExceptions):
    table = m.mall_exceptions


__all__ = ["SqlAfterSales", "SqlBuyGifts", "SqlCategories", "SqlMallConfigs", "SqlMallExceptions",
           "SqlMallSettings", "SqlPackages", "SqlProducts", "SqlRatings", "SqlSubOrders", "SqlTrades"]
