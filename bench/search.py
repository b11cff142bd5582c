"""Mall keyword search benchmark (M-01/M-02): `python -m bench search --products 100000`.

On a fresh database (a SQLite file in a temporary directory, and/or a scratch PostgreSQL database), migrated
with Alembic, it registers institutions and the category tree through the use cases, then bulk-loads N
products of 20 institutions: names composed from Chinese service and goods vocabularies (上门护理（专业护士）,
到店中医理疗套餐, 安耐康成人纸尿裤 L码 …), 2 tags each, attributes, prices, sales and ratings; about 93 % on
sale, the rest awaiting review or delisted. The rows are the repository's own (`SqlProducts.to_row`) and
the terms and search text are computed exactly as `catalogue.reindex` computes them, inserted with Core
executemany in batches of 5,000 products, one transaction per batch, through a unit of work (the terms with
COPY on PostgreSQL); then ANALYZE (SQLite) or VACUUM ANALYZE (PostgreSQL, as autovacuum would after a load).
Before measuring, the bench checks the data: 20 random products re-indexed by `catalogue.reindex` keep
exactly the terms loaded, and every query's total equals a count made in Python over the generated texts.

Then it measures, each call in its own unit of work as a request would make it, a round-robin of queries
through `SqlProducts.search` (first page of 20, with its total): 助浴, 康复, 上门护理, 理疗, 纸尿裤, two
keywords (康复 上门), a keyword within a category (护理 in 居家照护 and below), a price-sorted keyword with
a price cap, and a category browse without keyword. Latency p50/p95/p99, throughput (one client), and
baselines measured in the same run: a page of 20 products by an indexed equality (institution_id = :id
LIMIT 20, decoded like the search's), and a product by primary key (`SqlProducts.get`). Peak memory: max RSS
and the tracemalloc peak of one untimed pass of every query. Nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import platform
import random
import resource
import sys
import tempfile
import tracemalloc
import unicodedata
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy
from attrs import define
from sqlalchemy import Connection, func, insert, select, text
from sqlalchemy.engine import make_url

from bench.common import PG_ADMIN_URL, pct, settings, sqlite_database, timed
from yiyangkang.adapters.sqlalchemy import migrate
from yiyangkang.adapters.sqlalchemy import tables_mall as m
from yiyangkang.adapters.sqlalchemy.repositories.mall import SqlProducts, attribute_term
from yiyangkang.adapters.sqlalchemy.scratch import reachable, scratch_database
from yiyangkang.bootstrap import Container, build, read_region_file
from yiyangkang.domain.kernel.identifiers import credit_code_check_char
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.mall import search
from yiyangkang.domain.mall.catalogue import Category, Counters, Fulfilment, Product, ProductContent
from yiyangkang.domain.mall.review import ReviewState
from yiyangkang.ports.mall import ProductQuery, SortBy
from yiyangkang.services.auth import system_principal
from yiyangkang.services.institutions import InstitutionForm, register_institution
from yiyangkang.services.mall import catalogue
from yiyangkang.services.mall.catalogue import CategoryForm
from yiyangkang.services.regions import load_regions

OPERATOR = system_principal("bench")
BATCH = 5_000
PAGE = PageRequest(1, 20)
SETTLE = {"postgresql": "VACUUM ANALYZE", "sqlite": "ANALYZE"}
T = TypeVar("T")

# --- vocabularies ----------------------------------------------------------------------------------

DISTRICTS = [("440104", "越秀"), ("440103", "荔湾"), ("440105", "海珠"), ("440106", "天河"), ("440111", "白云"),
             ("440112", "黄埔"), ("440113", "番禺"), ("440114", "花都"), ("440115", "南沙"), ("440118", "增城")]
BRANDS = ["颐康", "康宁", "福寿", "长乐", "松鹤", "乐龄", "安康", "慈航", "仁爱", "惠民"]
KINDS = ["居家养老服务中心", "社区卫生服务中心", "护理站", "长者综合服务中心", "康复医院", "医养结合服务中心"]
INSTITUTIONS = 20

TREE = {"居家照护": ["助浴服务", "上门护理", "助餐服务", "生活照料"],
        "康复服务": ["康复训练", "中医理疗", "康复辅具"],
        "医疗护理": ["陪诊服务", "慢病管理", "伤口护理"],
        "生活用品": ["纸尿裤护理垫", "营养食品", "日用品"]}

HOME, STORE = Fulfilment.HOME_VISIT, Fulfilment.IN_STORE
# (what, leaf category, fulfilments, tags it may carry)
SERVICES: list[tuple[str, str, tuple[Fulfilment, ...], tuple[str, ...]]] = [
    ("助浴", "助浴服务", (HOME,), ("助浴", "失能老人", "擦身")),
    ("助浴擦身", "助浴服务", (HOME,), ("助浴", "卧床老人")),
    ("护理", "上门护理", (HOME,), ("上门护理", "护士", "失能老人")),
    ("导尿护理", "上门护理", (HOME,), ("上门护理", "护士")),
    ("压疮护理", "伤口护理", (HOME,), ("护士", "卧床老人")),
    ("伤口换药", "伤口护理", (HOME, STORE), ("换药", "护士")),
    ("口腔护理", "生活照料", (HOME,), ("护理员",)),
    ("助餐", "助餐服务", (STORE, HOME), ("助餐", "长者饭堂")),
    ("康复训练", "康复训练", (STORE, HOME), ("康复", "中风", "偏瘫")),
    ("认知训练", "康复训练", (STORE,), ("认知症", "康复")),
    ("中医理疗", "中医理疗", (STORE,), ("理疗", "中医")),
    ("推拿按摩", "中医理疗", (STORE, HOME), ("推拿", "颈椎")),
    ("针灸", "中医理疗", (STORE,), ("中医", "针灸")),
    ("艾灸", "中医理疗", (STORE,), ("艾灸", "中医")),
    ("陪诊", "陪诊服务", (HOME,), ("陪同就医", "挂号")),
    ("血压监测", "慢病管理", (HOME, STORE), ("高血压", "慢病")),
    ("理发", "生活照料", (HOME, STORE), ("理发",)),
    ("保洁", "生活照料", (HOME,), ("家政",)),
    ("足疗", "中医理疗", (STORE,), ("泡脚", "足浴")),
    ("心理慰藉", "生活照料", (HOME,), ("聊天", "独居老人")),
]
PREFIXES = {HOME: ["上门", "居家", ""], STORE: ["到店", "社区", ""]}
SUFFIXES = ["服务", "（专业护士）", "（60分钟）", "套餐", "（两人协助）", "（夜间）", "（周卡）", ""]
GOODS: list[tuple[str, str, tuple[str, ...]]] = [
    ("成人纸尿裤", "纸尿裤护理垫", ("纸尿裤", "失禁护理")), ("护理垫", "纸尿裤护理垫", ("失禁护理", "一次性")),
    ("拉拉裤", "纸尿裤护理垫", ("纸尿裤",)), ("助行器", "康复辅具", ("助行", "防跌倒")),
    ("轮椅", "康复辅具", ("轮椅", "出行")), ("护理床", "康复辅具", ("护理床", "卧床老人")),
    ("助浴椅", "日用品", ("助浴", "防滑")), ("坐便椅", "日用品", ("如厕", "防跌倒")),
    ("防滑拖鞋", "日用品", ("防滑", "防跌倒")), ("拐杖", "康复辅具", ("助行",)),
    ("血压计", "日用品", ("高血压", "家用")), ("血糖仪", "日用品", ("糖尿病", "家用")),
    ("制氧机", "康复辅具", ("吸氧", "家用")), ("按摩仪", "日用品", ("颈椎", "按摩")),
    ("营养米粉", "营养食品", ("营养", "无糖")), ("蛋白粉", "营养食品", ("营养", "增强免疫")),
    ("无糖饼干", "营养食品", ("无糖", "零食")),
]
GOODS_BRANDS = ["安耐康", "颐年", "康乐", "福寿", "银龄", "乐护"]
SPECS = ["L码", "XL码", "M码", "10片装", "30片装", "铝合金", "折叠款", "电动款", "500g", ""]
COMMON_TAGS = ["医保定点", "长者优惠", "新品", "热销", "政府补贴"]
STAFF = ["护士", "护理员", "康复师", "医师"]


# --- the world --------------------------------------------------------------------------------------

@define
class Shelf:
    """What the queries need to know of the generated data: per product on sale, its search text, category
    path and price (to count the expected matches in Python)."""

    institutions: list[str]
    paths: dict[str, str]  # category name -> path
    on_sale: list[tuple[str, str, int]]
    ids: list[str]
    products: int = 0
    terms: int = 0


def setup_world(rt: Container) -> tuple[list[tuple[str, str]], dict[str, Category]]:
    """Institutions and the category tree, through the use cases."""
    load_regions(rt, read_region_file())
    names: list[tuple[str, str]] = []
    for n in range(INSTITUTIONS):
        code, district = DISTRICTS[n % len(DISTRICTS)]
        name = f"{district}区{BRANDS[n % len(BRANDS)]}{KINDS[n % len(KINDS)]}"
        body = f"91440101MA5CK{n:04d}"
        inst = register_institution(rt, OPERATOR, InstitutionForm(
            name=name, credit_code=body + credit_code_check_char(body), type="home_care_provider",
            region_code=code, address=f"广州市{district}区中山路{n + 1}号"))
        names.append((inst.id, inst.name))
    for top, children in TREE.items():
        parent = catalogue.create_category(rt, OPERATOR, CategoryForm(name=top))
        for child in children:
            catalogue.create_category(rt, OPERATOR, CategoryForm(name=child, parent_id=parent.id))
    with rt.uow() as uow:
        categories = {c.id: c for c in uow.mall_categories.all()}
    return names, categories


def make_product(rng: random.Random, n: int, institution: str, by_name: dict[str, Category],
                 now: datetime) -> Product:
    if rng.random() < 0.6:
        what, leaf, ways, pool = rng.choice(SERVICES)
        way = rng.choice(ways)
        name = f"{rng.choice(PREFIXES[way])}{what}{rng.choice(SUFFIXES)}"
        price, unit, minutes = rng.randrange(30, 400) * 100, "次", rng.choice([30, 45, 60, 90, 120])
        attributes = {"服务人员": rng.choice(STAFF)}
        stock = None
    else:
        what, leaf, pool = rng.choice(GOODS)
        way = rng.choice([Fulfilment.DELIVERY, Fulfilment.DELIVERY, Fulfilment.PICKUP])
        spec = rng.choice(SPECS)
        name = f"{rng.choice(GOODS_BRANDS)}{what}{' ' + spec if spec else ''}"
        price, unit, minutes = rng.randrange(5, 3000) * 100 + rng.choice([0, 80, 90]), "件", None
        attributes = {"规格": spec} if spec else {}
        stock = rng.randrange(0, 500)
    tags = tuple(dict.fromkeys(rng.sample([*pool, *COMMON_TAGS], 2)))
    content = ProductContent(name=name, category_id=by_name[leaf].id, price=Money(price), unit=unit, tags=tags,
                             attributes=attributes, description=f"{name}。服务对象：居家老人；详情请咨询门店。",
                             standard_minutes=minutes)
    count = min(int(rng.expovariate(1 / 8)), 500)
    counters = Counters(stock=stock, sales=min(int(rng.expovariate(1 / 60)), 20_000), rating_count=count,
                        rating_sum=sum(rng.choice((3, 4, 5, 5, 5)) for _ in range(count)))
    fate = rng.random()
    live, pending, review = content, None, ReviewState.APPROVED
    if fate < 0.04:  # awaiting its first review
        live, pending, review = None, content, ReviewState.PENDING
    return Product(id=f"{uuid.UUID(int=rng.getrandbits(128))}", institution_id=institution, fulfilment=way,
                   live=live, pending=pending, review=review, listed=not 0.04 <= fate < 0.07, counters=counters,
                   created_by="bench", created_at=now - timedelta(minutes=n))


def insert_terms(conn: Connection, rows: list[tuple[str, str]]) -> None:
    """Core executemany; on PostgreSQL, COPY (psycopg's pipelined executemany sends one statement per row:
    about 5 minutes for 100,000 products' 4.9 million terms, against about 1 with COPY)."""
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection  # psycopg's, inside the unit of work's transaction
        assert raw is not None
        with raw.cursor() as cur, cur.copy("COPY mall_product_terms (term, product_id) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        conn.execute(insert(m.mall_product_terms), [{"term": t, "product_id": p} for t, p in rows])


def load(rt: Container, products: int, names: list[tuple[str, str]], categories: dict[str, Category]) -> Shelf:
    """Bulk-load `products` products and their terms; returns what the checks need."""
    by_name = {c.name: c for c in categories.values()}
    shelf = Shelf([i for i, _ in names], {c.name: c.path for c in categories.values()}, [], [])
    inst_names = dict(names)
    rng = random.Random(20261125)
    now = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    for start in range(0, products, BATCH):
        rows: list[dict[str, Any]] = []
        term_rows: list[tuple[str, str]] = []
        with rt.uow() as uow:
            repo = uow.products
            assert isinstance(repo, SqlProducts)
            for n in range(start, min(start + BATCH, products)):
                p = make_product(rng, n, shelf.institutions[n % INSTITUTIONS], by_name, now)
                row = {**repo.to_row(p), "stock": p.counters.stock, "sales": p.counters.sales,
                       "rating_sum": p.counters.rating_sum, "rating_count": p.counters.rating_count,
                       "search_text": "", "category_path": None}
                live = p.live
                if live is not None and p.orderable:
                    # exactly what catalogue.reindex indexes: name, category path names, tags, store name
                    texts = [live.name, *catalogue.category_names(categories, live.category_id), *live.tags,
                             inst_names[p.institution_id]]
                    terms = search.index_terms(texts) | {attribute_term(k, v) for k, v in live.attributes.items()}
                    row["search_text"] = search.search_text(texts)
                    row["category_path"] = categories[live.category_id].path
                    term_rows += [(t, p.id) for t in sorted(terms)]
                    shelf.on_sale.append((row["search_text"], row["category_path"], live.price.fen))
                rows.append(row)
                shelf.ids.append(p.id)
            repo.conn.execute(insert(m.mall_products), rows)
            insert_terms(repo.conn, term_rows)
            uow.commit()
        shelf.products += len(rows)
        shelf.terms += len(term_rows)
    settle(rt)
    return shelf


def settle(rt: Container) -> None:
    """What a database in service has done by itself after a bulk load: statistics for the planner, and on
    PostgreSQL the visibility map that autovacuum sets (without it no index-only scan of the terms)."""
    assert rt.engine is not None
    if rt.engine.dialect.name == "postgresql":
        with rt.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with rt.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def index_state(repo: SqlProducts, ident: str) -> tuple[set[str], tuple[Any, ...]]:
    tt, c = m.mall_product_terms.c, m.mall_products.c
    terms = set(repo.conn.execute(select(tt.term).where(tt.product_id == ident)).scalars())
    row = repo.conn.execute(select(c.search_text, c.category_path).where(c.id == ident)).one()
    return terms, tuple(row)


def check_index(rt: Container, shelf: Shelf) -> int:
    """20 random products re-indexed by `catalogue.reindex` keep the terms and text loaded (rolled back)."""
    sample = random.Random(7).sample(shelf.ids, min(20, len(shelf.ids)))
    with rt.uow() as uow:  # left without commit: the re-indexing is rolled back
        repo = uow.products
        assert isinstance(repo, SqlProducts)
        for ident in sample:
            before = index_state(repo, ident)
            product = repo.get(ident)
            assert product is not None
            catalogue.reindex(uow, product)
            if index_state(repo, ident) != before:
                raise SystemExit(f"bulk-loaded index of {ident} differs from catalogue.reindex")
    return len(sample)


# --- queries ---------------------------------------------------------------------------------------

def queries(shelf: Shelf) -> list[tuple[str, ProductQuery]]:
    care, rehab = shelf.paths["居家照护"], shelf.paths["康复服务"]
    return [
        ("助浴", ProductQuery(keyword="助浴")),
        ("康复", ProductQuery(keyword="康复")),
        ("上门护理", ProductQuery(keyword="上门护理")),
        ("理疗", ProductQuery(keyword="理疗")),
        ("纸尿裤", ProductQuery(keyword="纸尿裤")),
        ("康复 上门", ProductQuery(keyword="康复 上门")),
        ("护理 in 居家照护", ProductQuery(keyword="护理", category_path=care)),
        ("康复 ≤¥200 by price", ProductQuery(keyword="康复", max_price=Money(20000), sort=SortBy.PRICE_ASC)),
        ("category 康复服务", ProductQuery(category_path=rehab)),
    ]


def expected_total(shelf: Shelf, q: ProductQuery) -> int:
    """The count made in Python over the generated texts (these keywords are Chinese: the index finds
    exactly what `search.matches` accepts)."""
    return sum(1 for text_, path, price in shelf.on_sale
               if (q.keyword is None or search.matches(q.keyword, text_))
               and (q.category_path is None or path.startswith(q.category_path))
               and (q.max_price is None or price <= q.max_price.fen))


def run_search(rt: Container, q: ProductQuery) -> tuple[int, list[Product]]:
    with rt.uow() as uow:
        page = uow.products.search(q, PAGE)
        return page.total, list(page.items)


def check_queries(rt: Container, shelf: Shelf, kinds: list[tuple[str, ProductQuery]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for label, q in kinds:
        total, items = run_search(rt, q)
        if total != expected_total(shelf, q) or len(items) != min(total, PAGE.size):
            raise SystemExit(f"search {label!r}: {total} found, {expected_total(shelf, q)} expected")
        if q.sort is SortBy.PRICE_ASC:
            prices = [p.live.price.fen for p in items if p.live]
            if prices != sorted(prices):
                raise SystemExit(f"search {label!r}: not sorted by price")
        totals[label] = total
    return totals


def page_by_institution(rt: Container, institution_id: str) -> list[Product]:
    """Baseline: a page of 20 products by an indexed equality, decoded as the search decodes them."""
    with rt.uow() as uow:
        repo = uow.products
        assert isinstance(repo, SqlProducts)
        c = m.mall_products.c
        stmt = select(m.mall_products).where(c.institution_id == institution_id).limit(20)
        return [repo.from_row(r) for r in repo.conn.execute(stmt)]


def get_by_id(rt: Container, ident: str) -> Product | None:
    with rt.uow() as uow:
        return uow.products.get(ident)


def pad(label: str, width: int) -> str:
    """`label` left-aligned in `width` terminal columns (Chinese characters take two)."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in label)
    return label + " " * max(width - used, 1)


def latency(values: list[float]) -> str:
    return (f"p50 {pct(values, 50):7.2f} ms   p95 {pct(values, 95):7.2f} ms   p99 {pct(values, 99):7.2f} ms   "
            f"{len(values) / sum(values):>7,.0f} q/s")


# --- runs ------------------------------------------------------------------------------------------

def run_backend(label: str, database: Callable[[], AbstractContextManager[str]], products: int, n_queries: int,
                workdir: Path) -> None:
    print(f"\n{label}")
    with database() as url:
        rt = build(settings(url, workdir))
        try:
            assert rt.engine is not None
            migrate.upgrade(rt.engine)
            (names, categories), setup_s = timed(lambda: setup_world(rt))
            shelf, load_s = timed(lambda: load(rt, products, names, categories))
            rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            with rt.engine.connect() as conn:
                on_sale = conn.execute(select(func.count()).select_from(m.mall_products)
                                       .where(m.mall_products.c.orderable == sqlalchemy.true())).scalar_one()
            print(f"  setup         regions, {len(names)} institutions, {len(categories)} categories (use cases) "
                  f"in {setup_s:.2f} s")
            settled = SETTLE[rt.engine.dialect.name]
            print(f"  data          {shelf.products:>9,} products ({on_sale:,} on sale), {shelf.terms:,} terms "
                  f"loaded in {load_s:7.2f} s {shelf.products / load_s:>9,.0f} products/s (+ {settled})")
            checked = check_index(rt, shelf)
            kinds = queries(shelf)
            totals = check_queries(rt, shelf, kinds)  # also the warm-up
            print(f"  checked       {checked} products re-indexed by catalogue.reindex: same terms; "
                  f"{len(kinds)} query totals agree with a count in Python")

            per_kind: dict[str, list[float]] = {label: [] for label, _ in kinds}
            for i in range(n_queries):
                kind, q = kinds[i % len(kinds)]
                _, s = timed(partial(run_search, rt, q))
                per_kind[kind].append(s)
            rng = random.Random(11)
            pages: list[float] = []
            gets: list[float] = []
            for _ in range(n_queries):
                inst = rng.choice(shelf.institutions)
                _, s = timed(partial(page_by_institution, rt, inst))
                pages.append(s)
                _, s = timed(partial(get_by_id, rt, rng.choice(shelf.ids)))
                gets.append(s)
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            tracemalloc.start()
            try:
                for _, q in kinds:
                    run_search(rt, q)
                traced_peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
        finally:
            rt.dispose()

    for kind, values in per_kind.items():
        print(f"  {pad(kind, 20)}{totals[kind]:>8,} found   p50 {pct(values, 50):7.2f} ms   ({len(values)} runs)")
    every = [s for values in per_kind.values() for s in values]
    print(f"  search        {latency(every)}   ({len(every)} queries, first page of 20 + total)")
    print(f"  baseline      {latency(pages)}   (institution_id = :id LIMIT 20, decoded)")
    print(f"  by id         {latency(gets)}   (SqlProducts.get by primary key)")
    slower = (sum(every) / len(every)) / (sum(pages) / len(pages))
    print(f"  ratio vs baseline: p50 {pct(every, 50) / pct(pages, 50):.1f}x, "
          f"p95 {pct(every, 95) / pct(pages, 95):.1f}x, mean {slower:.1f}x (throughput {slower:.1f}x lower)")
    print(f"  memory        max RSS {rss_after / 1024:.0f} MiB ({rss_loaded / 1024:.0f} MiB after loading); "
          f"search pass peak {traced_peak / 2**20:.1f} MiB (tracemalloc, one untimed run of each query)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench search",
                                     description="Benchmark the mall's Chinese keyword search (M-01/M-02).")
    parser.add_argument("--products", type=int, default=100_000, help="products to load (default 100,000)")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both",
                        help="which database to measure (default both)")
    parser.add_argument("--queries", type=int, default=300, help="timed searches per database (default 300)")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="PostgreSQL server to create a scratch database on")
    args = parser.parse_args(argv)
    if args.products < 100:
        parser.error("--products must be at least 100")
    if args.queries < 1:
        parser.error("--queries must be at least 1")

    print(f"Mall search benchmark: {args.products:,} products of {INSTITUTIONS} institutions, "
          f"{args.queries:,} searches per database")
    print(f"Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, {platform.machine()}")
    status = 0
    with tempfile.TemporaryDirectory(prefix="yyk-bench-") as tmp:
        workdir = Path(tmp)
        if args.database in ("sqlite", "both"):
            run_backend("SQLite (temporary file)", lambda: sqlite_database(workdir, "search"), args.products,
                        args.queries, workdir)
        if args.database in ("postgres", "both"):
            shown = make_url(args.pg_url).render_as_string(hide_password=True)
            if reachable(args.pg_url):
                run_backend(f"PostgreSQL (temporary database on {shown})",
                            lambda: scratch_database(args.pg_url, "yyk_bench"), args.products, args.queries, workdir)
            else:
                print(f"\nPostgreSQL: {'unreachable' if args.database == 'postgres' else 'skipped'} ({shown})")
                status = 1 if args.database == "postgres" else 0
    return status


if __name__ == "__main__":
    sys.exit(main())
