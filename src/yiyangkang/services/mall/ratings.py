"""Ratings (评价, A-06): the elder's side rates a completed sub-order once; the stars count for its products
and, for a home visit, for the worker who served. Operators hide a rating from the mini-program without
deleting it; institutions always see their ratings."""

from __future__ import annotations

from attrs import frozen

from yiyangkang.domain.identity.policy import Operation, Visibility
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import Conflict
from yiyangkang.domain.kernel.files import FileRef
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.validation import Checks
from yiyangkang.domain.mall.orders import SubStatus
from yiyangkang.domain.mall.ratings import MAX_STARS, Rating
from yiyangkang.services.access import allows, owner_target, require, visibility
from yiyangkang.services.mall.common import load_order
from yiyangkang.services.mall.views import RatingView
from yiyangkang.services.objects import Upload, load_owned, read_file, store_upload, stored_uploads
from yiyangkang.services.runtime import Runtime

KIND = "评价"
MAX_IMAGES = 6


@frozen(kw_only=True)
class RatingForm:
    sub_order_id: str
    stars: int
    text: str = ""


def rate(rt: Runtime, principal: Principal, form: RatingForm) -> RatingView:
    with rt.uow() as uow:
        uow.write_first()
        order = load_order(uow, principal, Operation.MALL_RATE, form.sub_order_id, lock=True)
        checks = Checks()
        checks.require("stars", 1 <= form.stars <= MAX_STARS, f"评分应为1～{MAX_STARS}星", "OUT_OF_RANGE")
        text = checks.text("text", form.text, label="评价内容", max_len=500, required=False)
        checks.done()
        if order.status is not SubStatus.COMPLETED:
            raise Conflict("订单完成后才能评价", code="MALL_NOT_COMPLETED", details={"status": order.status.value})
        if order.rated:
            raise Conflict("该订单已评价", code="MALL_ALREADY_RATED")
        now = rt.clock.now()
        elder = uow.elders.get(order.elder_id)
        products = tuple(dict.fromkeys(ln.product_id for ln in order.lines if not ln.gift))
        item = Rating(id=rt.ids.new_id(), sub_order_id=order.id, sub_order_number=order.number,
                      institution_id=order.institution_id, elder_id=order.elder_id, product_ids=products,
                      staff_id=order.staff_id, stars=form.stars, text=text or "",
                      author_account_id=principal.account_id, author_name=elder.name if elder else "", created_at=now)
        item.record_created(principal.actor, now, name="rated")
        order.rated = True
        order.note("rated", principal.actor, now, after={"stars": form.stars})
        uow.ratings.add(item)
        uow.mall_orders.save(order)
        for product_id in products:
            uow.products.add_rating(product_id, form.stars)
        uow.commit()
        return RatingView.of(item)


def attach_image(rt: Runtime, principal: Principal, ident: str, upload: Upload) -> RatingView:
    with rt.uow() as uow:
        item = load_owned(uow, principal, Operation.MALL_RATE, uow.ratings.lock(ident), KIND, ident)
        if len(item.images) >= MAX_IMAGES:
            raise Conflict(f"评价图片最多{MAX_IMAGES}张", code="MALL_TOO_MANY_IMAGES")
        with stored_uploads(rt) as refs:
            refs.append(store_upload(rt, "ratings", upload))
            item.images = (*item.images, refs[0])
            item.note("image_added", principal.actor, rt.clock.now())
            uow.ratings.save(item)
            uow.commit()
        return RatingView.of(item)


def rating_image(rt: Runtime, principal: Principal, ident: str, key: str) -> tuple[FileRef, bytes]:
    require(principal, Operation.MALL_BROWSE)
    with rt.uow() as uow:
        item = uow.ratings.get(ident)
        if item is not None and item.hidden:  # hidden: only for those who manage ratings, 404 for the rest
            item = item if allows(principal, Operation.MALL_RATING_READ,
                                  owner_target(uow, item.institution_id, item.elder_id)) else None
        return read_file(rt, next((i for i in item.images if i.key == key), None) if item else None, key)


def product_ratings(rt: Runtime, principal: Principal, product_id: str, page: PageRequest) -> Page[RatingView]:
    """M-04: what buyers see under a product (hidden ratings left out)."""
    require(principal, Operation.MALL_BROWSE)
    with rt.uow() as uow:
        return uow.ratings.list(Visibility(everything=True), page, product_id=product_id,
                                include_hidden=False).map(RatingView.of)


def list_ratings(rt: Runtime, principal: Principal, page: PageRequest, *, institution_id: str | None = None,
                 product_id: str | None = None, staff_id: str | None = None) -> Page[RatingView]:
    """A-06: an institution's ratings, hidden ones included (marked)."""
    vis = visibility(principal, Operation.MALL_RATING_READ)
    with rt.uow() as uow:
        return uow.ratings.list(vis, page, institution_id=institution_id, product_id=product_id,
                                staff_id=staff_id).map(RatingView.of)


def set_hidden(rt: Runtime, principal: Principal, ident: str, hidden: bool, reason: str = "") -> RatingView:
    with rt.uow() as uow:
        item = load_owned(uow, principal, Operation.MALL_RATING_HIDE, uow.ratings.lock(ident), KIND, ident)
        checks = Checks()
        why = checks.text("reason", reason, label="隐藏原因", max_len=200, required=hidden)
        checks.done()
        if item.hidden != hidden:  # a hidden rating no longer counts in the products' stars
            sign = -1 if hidden else 1
            for product_id in item.product_ids:
                uow.products.add_rating(product_id, sign * item.stars, sign)
        item.set_hidden(hidden, why or "", principal.actor, rt.clock.now())
        uow.ratings.save(item)
        uow.commit()
        return RatingView.of(item)
