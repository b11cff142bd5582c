"""The catalogue (商品库, A-01…A-03, M-02): the platform's category tree; institutions' products, their
revisions and review; listing, stock. A product (or a change to it) is orderable only once approved by a
reviewer of the configured level (审核权限配置)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from attrs import evolve, frozen

from yiyangkang.domain.identity.accounts import Role
from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from yiyangkang.domain.kernel.files import FileRef
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.validation import Checks, choice
from yiyangkang.domain.mall.catalogue import (
    MAX_ATTRIBUTES,
    MAX_IMAGES,
    MAX_TAGS,
    Category,
    Counters,
    Fulfilment,
    Product,
    ProductContent,
)
from yiyangkang.domain.mall.review import ReviewState, ReviewSubject, may_review
from yiyangkang.ports.mall import ProductQuery
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import institution_of, load_institution, require, visibility
from yiyangkang.services.mall.common import PRODUCT_KIND, mall_settings
from yiyangkang.services.mall.views import CategoryNode, CategoryView, SellerProductView
from yiyangkang.services.objects import Upload, load_owned, read_file, store_upload, stored_uploads
from yiyangkang.services.runtime import Runtime

MAX_STOCK = 1_000_000


# -- categories (operators) -------------------------------------------------------------------------
@frozen(kw_only=True)
class CategoryForm:
    name: str | None = None
    parent_id: str | None = None
    sort: int | None = None
    icon: str | None = None
    active: bool | None = None


def create_category(rt: Runtime, principal: Principal, form: CategoryForm) -> CategoryView:
    require(principal, Operation.MALL_CATEGORY_WRITE)
    with rt.uow() as uow:
        checks = Checks()
        name = checks.text("name", form.name, label="分类名称", max_len=20)
        parent = uow.mall_categories.get(form.parent_id) if form.parent_id else None
        checks.require("parent_id", form.parent_id is None or parent is not None, "上级分类不存在", "UNKNOWN_CATEGORY")
        checks.require("parent_id", parent is None or parent.path.count("/") <= 3, "分类最多三级", "TOO_DEEP")
        icon = checks.text("icon", form.icon, label="图标", max_len=200, required=False)
        checks.done()
        ident, now = rt.ids.new_id(), rt.clock.now()
        item = Category(id=ident, name=name or "", parent_id=form.parent_id, path=f"{parent.path if parent else '/'}"
                        f"{ident}/", sort=form.sort or 0, icon=icon or "", created_at=now)
        item.record_created(principal.actor, now)
        uow.mall_categories.add(item)
        uow.commit()
        return CategoryView.of(item)


def update_category(rt: Runtime, principal: Principal, ident: str, form: CategoryForm,
                    expected_version: int | None = None) -> CategoryView:
    require(principal, Operation.MALL_CATEGORY_WRITE)
    with rt.uow() as uow:
        item = uow.mall_categories.lock(ident)
        if item is None:
            raise NotFound("分类", ident)
        item.expect_version(expected_version)
        checks, changes = Checks(), dict[str, object]()
        if form.name is not None:
            changes["name"] = checks.text("name", form.name, label="分类名称", max_len=20)
        if form.icon is not None:
            changes["icon"] = checks.text("icon", form.icon, label="图标", max_len=200, required=False) or ""
        if form.sort is not None:
            changes["sort"] = form.sort
        if form.active is not None:
            changes["active"] = form.active
        checks.done()
        if item.change(changes, principal.actor, rt.clock.now()):
            uow.mall_categories.save(item)
            if "name" in changes:  # search finds products by their categories' names
                reindex_all(uow, ProductQuery(category_path=item.path))
            uow.commit()
        return CategoryView.of(item)


def all_on_sale(uow: UnitOfWork, query: ProductQuery) -> list[Product]:
    """Every product on sale matching `query` (a store's, a category's), page by page."""
    found: list[Product] = []
    n = 1
    while True:
        page = uow.products.search(query, PageRequest(n, 500))
        found += page.items
        if n * 500 >= page.total:
            return found
        n += 1


def list_categories(rt: Runtime, principal: Principal) -> list[CategoryView]:
    require(principal, Operation.MALL_BROWSE)
    with rt.uow() as uow:
        return [CategoryView.of(c) for c in uow.mall_categories.all()]


def category_tree(rt: Runtime, principal: Principal) -> list[CategoryNode]:
    """M-02: the active categories as a tree, in the operators' order ("more" shows it whole)."""
    require(principal, Operation.MALL_BROWSE)
    with rt.uow() as uow:
        items = sorted(uow.mall_categories.all(active=True), key=lambda c: (c.sort, c.name))
    children: dict[str | None, list[Category]] = {}
    for c in items:
        children.setdefault(c.parent_id, []).append(c)

    def grow(parent: str | None) -> list[CategoryNode]:
        return [CategoryNode(c.id, c.name, c.icon, grow(c.id)) for c in children.get(parent, [])]

    return grow(None)


def category_names(categories: Mapping[str, Category], category_id: str) -> list[str]:
    """The names from the root down to the category (searchable: "康复" finds products of its children)."""
    leaf = categories.get(category_id)
    if leaf is None:
        return []
    return [categories[i].name for i in leaf.path.strip("/").split("/") if i in categories]


# -- products ---------------------------------------------------------------------------------------
@frozen(kw_only=True)
class ProductForm:
    institution_id: str | None = None  # create only; default: the caller's institution
    fulfilment: str | None = None  # create only
    stock: int | None = None  # create only, goods
    name: str | None = None
    category_id: str | None = None
    price_fen: int | None = None
    unit: str | None = None
    tags: Sequence[str] | None = None
    attributes: Mapping[str, str] | None = None
    description: str | None = None
    standard_minutes: int | None = None


def _content(uow: UnitOfWork, checks: Checks, form: ProductForm, fulfilment: Fulfilment | None,
             base: ProductContent | None) -> ProductContent | None:
    """The new content: the form's fields over `base` (a new product has none), all checked."""
    def pick(value: object, current: object) -> object:
        return current if value is None else value

    name = checks.text("name", str(pick(form.name, base.name if base else None) or ""), label="商品名称", max_len=60)
    category_id = str(pick(form.category_id, base.category_id if base else None) or "")
    category = uow.mall_categories.get(category_id) if category_id else None
    checks.require("category_id", category is not None and category.active, "请选择有效的商品分类", "UNKNOWN_CATEGORY")
    price = checks.money("price_fen", form.price_fen if form.price_fen is not None else (
        base.price.fen if base else None), label="价格")
    unit = checks.text("unit", str(pick(form.unit, base.unit if base else "次")), label="单位", max_len=6)
    tags = [t.strip() for t in (form.tags if form.tags is not None else (base.tags if base else ())) if t.strip()]
    checks.require("tags", len(tags) <= MAX_TAGS and all(len(t) <= 12 for t in tags),
                   f"标签最多{MAX_TAGS}个，每个不超过12个字", "TOO_MANY")
    attributes = dict(form.attributes if form.attributes is not None else (base.attributes if base else {}))
    checks.require("attributes", len(attributes) <= MAX_ATTRIBUTES and all(
        0 < len(k.strip()) <= 12 and 0 < len(v.strip()) <= 40 for k, v in attributes.items()),
        f"属性最多{MAX_ATTRIBUTES}项，名称不超过12字、取值不超过40字", "INVALID_ATTRIBUTES")
    description = checks.text("description", str(pick(form.description, base.description if base else "")),
                              label="商品描述", max_len=5000, required=False)
    minutes = form.standard_minutes if form.standard_minutes is not None else (
        base.standard_minutes if base else None)
    if fulfilment is not None and fulfilment.is_service:
        checks.require("standard_minutes", minutes is not None and 5 <= minutes <= 24 * 60,
                       "服务类商品须填写标准服务时长（5～1440分钟）", "REQUIRED")
    elif minutes is not None:
        checks.fail("standard_minutes", "货物类商品没有服务时长", "NOT_APPLICABLE")
    if not name or price is None or not unit or checks.errors:
        return None
    return ProductContent(name=name, category_id=category_id, price=price, unit=unit, tags=tuple(tags),
                          attributes={k.strip(): v.strip() for k, v in sorted(attributes.items())},
                          images=base.images if base else (), description=description or "",
                          standard_minutes=minutes if fulfilment is None or fulfilment.is_service else None)


def create_product(rt: Runtime, principal: Principal, form: ProductForm) -> SellerProductView:
    """A-01: publish a product; it waits for review before anyone can order it."""
    institution_id = institution_of(principal, Operation.MALL_CATALOGUE_WRITE, form.institution_id)
    with rt.uow() as uow:
        load_institution(uow, principal, Operation.MALL_CATALOGUE_WRITE, institution_id)
        checks = Checks()
        fulfilment = checks.parse("fulfilment", choice(Fulfilment, "请选择履约方式：上门、到店、配送或自提"),
                                  form.fulfilment or "")
        if fulfilment is not None and fulfilment.is_goods:
            checks.require("stock", form.stock is not None and 0 <= form.stock <= MAX_STOCK,
                           f"货物须填写库存（0～{MAX_STOCK}）", "REQUIRED")
        elif form.stock is not None:
            checks.fail("stock", "服务类商品不计库存", "NOT_APPLICABLE")
        content = _content(uow, checks, form, fulfilment, None)
        checks.done()
        assert content is not None
        assert fulfilment is not None
        now = rt.clock.now()
        product = Product(id=rt.ids.new_id(), institution_id=institution_id, fulfilment=fulfilment, pending=content,
                          counters=Counters(stock=form.stock if fulfilment.is_goods else None),
                          created_by=principal.account_id, created_at=now)
        product.record_created(principal.actor, now)
        uow.products.add(product)
        uow.commit()
        return SellerProductView.of(product)


def _load_product(uow: UnitOfWork, principal: Principal, op: Operation, ident: str, *, lock: bool = True) -> Product:
    item = uow.products.lock(ident) if lock else uow.products.get(ident)
    return load_owned(uow, principal, op, item, PRODUCT_KIND, ident)


def _resubmit(rt: Runtime, uow: UnitOfWork, principal: Principal, product: Product, content: ProductContent) -> None:
    if content == (product.pending or product.live):
        return
    product.submit(content, principal.actor, rt.clock.now())
    uow.products.save(product)
    uow.commit()


def update_product(rt: Runtime, principal: Principal, ident: str, form: ProductForm,
                   expected_version: int | None = None) -> SellerProductView:
    """Edit: a new revision for review; what is on sale stays on sale, unchanged, until it is approved."""
    with rt.uow() as uow:
        product = _load_product(uow, principal, Operation.MALL_CATALOGUE_WRITE, ident)
        product.expect_version(expected_version)
        checks = Checks()
        for name in ("institution_id", "fulfilment", "stock"):
            checks.require(name, getattr(form, name) is None, "该项创建后不能修改（库存请用库存调整）", "IMMUTABLE")
        content = _content(uow, checks, form, product.fulfilment, product.shown)
        checks.done()
        assert content is not None
        _resubmit(rt, uow, principal, product, content)
        return SellerProductView.of(product)


def attach_image(rt: Runtime, principal: Principal, ident: str, upload: Upload) -> SellerProductView:
    with rt.uow() as uow:
        product = _load_product(uow, principal, Operation.MALL_CATALOGUE_WRITE, ident)
        if len(product.shown.images) >= MAX_IMAGES:
            raise Conflict(f"商品图片最多{MAX_IMAGES}张", code="MALL_TOO_MANY_IMAGES")
        with stored_uploads(rt) as refs:
            refs.append(store_upload(rt, "products", upload))
            _resubmit(rt, uow, principal, product, evolve(product.shown, images=(*product.shown.images, refs[0])))
        return SellerProductView.of(product)


def remove_image(rt: Runtime, principal: Principal, ident: str, key: str) -> SellerProductView:
    with rt.uow() as uow:
        product = _load_product(uow, principal, Operation.MALL_CATALOGUE_WRITE, ident)
        images = tuple(i for i in product.shown.images if i.key != key)
        if len(images) == len(product.shown.images):
            raise NotFound("图片", key)
        _resubmit(rt, uow, principal, product, evolve(product.shown, images=images))
        return SellerProductView.of(product)


def product_image(rt: Runtime, principal: Principal, ident: str, key: str) -> tuple[FileRef, bytes]:
    """An image of what is on sale (anyone), or of a revision (the seller and reviewers)."""
    require(principal, Operation.MALL_BROWSE)
    with rt.uow() as uow:
        product = uow.products.get(ident)
        if product is None:
            raise NotFound(PRODUCT_KIND, ident)
        images = list(product.live.images) if product.live and product.orderable else []
        if product.pending is not None or not images:
            try:
                load_owned(uow, principal, Operation.MALL_CATALOGUE_READ, product, PRODUCT_KIND, ident)
                images += [*(product.live.images if product.live else ()), *product.shown.images]
            except (NotFound, PermissionDenied):
                pass
        return read_file(rt, next((i for i in images if i.key == key), None), key)


def set_listed(rt: Runtime, principal: Principal, ident: str, listed: bool) -> SellerProductView:
    """上架 / 下架: a delisted product disappears from search and cannot be ordered."""
    with rt.uow() as uow:
        product = _load_product(uow, principal, Operation.MALL_CATALOGUE_WRITE, ident)
        product.set_listed(listed, principal.actor, rt.clock.now())
        uow.products.save(product)
        reindex(uow, product)
        uow.commit()
        return SellerProductView.of(product)


def adjust_stock(rt: Runtime, principal: Principal, ident: str, delta: int, reason: str = "") -> SellerProductView:
    """Restock (+) or write off (−) goods; stock never goes below zero."""
    with rt.uow() as uow:
        product = _load_product(uow, principal, Operation.MALL_CATALOGUE_WRITE, ident)
        checks = Checks()
        checks.require("delta", product.fulfilment.is_goods, "服务类商品不计库存", "NOT_APPLICABLE")
        after = (product.counters.stock or 0) + delta
        checks.require("delta", delta != 0 and after <= MAX_STOCK, f"调整数量应为非零，调整后库存不超过{MAX_STOCK}",
                       "OUT_OF_RANGE")
        checks.done()
        if delta > 0:
            uow.products.put_stock(product.id, delta)
        elif not uow.products.take_stock(product.id, -delta):
            raise Conflict("库存不足，不能减少这么多", code="MALL_OUT_OF_STOCK")
        product.note("stock_adjusted", principal.actor, rt.clock.now(), after={"delta": delta}, reason=reason[:200])
        uow.products.save(product)
        uow.commit()
        fresh = uow.products.get(product.id)
        return SellerProductView.of(fresh or product)


def list_products(rt: Runtime, principal: Principal, page: PageRequest, *, institution_id: str | None = None,
                  review: ReviewState | None = None, fulfilment: Fulfilment | None = None,
                  keyword: str | None = None) -> Page[SellerProductView]:
    vis = visibility(principal, Operation.MALL_CATALOGUE_READ)
    with rt.uow() as uow:
        return uow.products.list(vis, page, institution_id=institution_id, review=review, fulfilment=fulfilment,
                                 keyword=keyword).map(SellerProductView.of)


def get_seller_product(rt: Runtime, principal: Principal, ident: str) -> SellerProductView:
    with rt.uow() as uow:
        return SellerProductView.of(_load_product(uow, principal, Operation.MALL_CATALOGUE_READ, ident, lock=False))


# -- review (A-03) ----------------------------------------------------------------------------------
def check_reviewer(uow: UnitOfWork, principal: Principal, subject: ReviewSubject, institution_id: str,
                   submitter: str, note: str, approve: bool, now: datetime) -> None:
    """The caller may review this seller's submission at the configured level; nobody reviews their own;
    a refusal says why."""
    if not approve and not note.strip():
        raise ValidationFailed([FieldError("note", "驳回须填写原因", "REQUIRED")])
    level = mall_settings(uow, now).reviewer_for(subject)
    seller_path = uow.institutions.paths([institution_id]).get(institution_id, "")
    if submitter == principal.account_id and principal.role is not Role.PLATFORM_OPERATOR:
        raise PermissionDenied("不能审核自己提交的内容", code="MALL_REVIEW_OWN_SUBMISSION")
    if not may_review(level, is_platform=principal.role is Role.PLATFORM_OPERATOR,
                      reviewer_path=principal.institution_path, seller_path=seller_path):
        raise PermissionDenied("按审核权限配置，本机构无权审核该内容", code="MALL_REVIEW_NOT_ALLOWED",
                               details={"reviewer": level.value})


def review_product(rt: Runtime, principal: Principal, ident: str, *, approve: bool, note: str = "",
                   expected_version: int | None = None) -> SellerProductView:
    with rt.uow() as uow:
        product = _load_product(uow, principal, Operation.MALL_REVIEW, ident)
        product.expect_version(expected_version)
        now = rt.clock.now()
        check_reviewer(uow, principal, ReviewSubject.PRODUCT, product.institution_id, product.submitter, note,
                       approve, now)
        product.decide(approve, note.strip()[:500], principal.actor, now)
        uow.products.save(product)
        reindex(uow, product)
        uow.commit()
        return SellerProductView.of(product)


def reindex_institution(uow: UnitOfWork, institution_id: str) -> None:
    """After a store was renamed: its products on sale are found by the new name."""
    reindex_all(uow, ProductQuery(institution_id=institution_id))


def reindex_all(uow: UnitOfWork, query: ProductQuery) -> None:
    """Re-index every product on sale matching `query`, reading the category tree once."""
    categories = {c.id: c for c in uow.mall_categories.all()}
    for product in all_on_sale(uow, query):
        reindex(uow, product, categories)


def reindex(uow: UnitOfWork, product: Product, categories: Mapping[str, Category] | None = None) -> None:
    """Keep search in step with what is on sale: name, category path, tags and the store's name."""
    live = product.live
    if live is None or not product.orderable:
        uow.products.index(product, [], None)
        return
    categories = categories if categories is not None else {c.id: c for c in uow.mall_categories.all()}
    institution = uow.institutions.get(product.institution_id)
    texts = [live.name, *category_names(categories, live.category_id), *live.tags,
             institution.name if institution else ""]
    leaf = categories.get(live.category_id)
    uow.products.index(product, texts, leaf.path if leaf else None)
