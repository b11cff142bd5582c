"""Granting vouchers to elders (充值/兑换, A-12) and reading them (A-12 lists, P-06 my vouchers).

A grant moves the face value from the batch's government fund to the new voucher's own account: one posting
per voucher, referenced by the voucher's number. The batch row is locked for the whole grant, so parallel
grants queue on it and never pass its quota or the per-elder limit."""

from __future__ import annotations

from collections.abc import Sequence

from attrs import frozen

from yiyangkang.domain.identity.accounts import Role
from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import FieldError, NotFound, ValidationFailed
from yiyangkang.domain.kernel.numbers import NumberKind
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.money.ledger import Leg, Posting
from yiyangkang.domain.vouchers.vouchers import Voucher, VoucherStatus, grant_refusals
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import load_elder, require, visibility
from yiyangkang.services.ledger import voucher_account, voucher_fund
from yiyangkang.services.mall.common import today
from yiyangkang.services.names import Names
from yiyangkang.services.numbering import next_number
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.vouchers.views import VoucherView

MAX_ELDERS = 500  # one grant call
VOUCHER = "服务券"


@frozen(kw_only=True)
class GrantForm:
    batch_id: str
    elder_ids: Sequence[str]


def grant(rt: Runtime, principal: Principal, form: GrantForm) -> list[VoucherView]:
    """Grant one voucher of the batch to each elder named (an elder named twice gets two, within the
    per-elder limit). All or nothing: any elder who may not have one fails the whole call, naming why."""
    require(principal, Operation.VOUCHER_GRANT)
    if not 1 <= len(form.elder_ids) <= MAX_ELDERS:
        raise ValidationFailed([FieldError("elder_ids", f"每次发放应选择1～{MAX_ELDERS}位老人", "OUT_OF_RANGE")])
    with rt.uow() as uow:
        uow.write_first()
        batch = uow.voucher_batches.lock(form.batch_id)
        if batch is None:
            raise NotFound("服务券批次", form.batch_id)
        now, day = rt.clock.now(), today(rt)
        errors: list[FieldError] = []
        granted: list[Voucher] = []
        extra: dict[str, int] = {}
        for n, elder_id in enumerate(form.elder_ids):
            elder = load_elder(uow, principal, Operation.VOUCHER_GRANT, elder_id)
            refusals = grant_refusals(batch, elder_regions=_regions_of(uow, elder.region_code), day=day,
                                      held=uow.vouchers.held(batch.id, elder.id) + extra.get(elder.id, 0))
            if refusals:
                errors += [FieldError(f"elder_ids.{n}" if e.field == "elder_id" else e.field, e.message, e.code)
                           for e in refusals]
                continue
            extra[elder.id] = extra.get(elder.id, 0) + 1
            voucher = Voucher(
                id=rt.ids.new_id(), number=next_number(uow, NumberKind.VOUCHER, now), batch_id=batch.id,
                batch_name=batch.name, voucher_kind=batch.voucher_kind, elder_id=elder.id,
                institution_id=elder.institution_id, face_value=batch.face_value, category_ids=batch.category_ids,
                valid_from=batch.valid_from, valid_until=batch.valid_until, granted_by=principal.account_id,
                created_at=now)
            voucher.record_created(principal.actor, now, name="granted")
            uow.vouchers.add(voucher)
            uow.ledger.post(Posting(reference=f"voucher-grant:{voucher.number}", kind="voucher_grant", at=now,
                                    memo=batch.name, legs=(Leg(voucher_fund(batch.id), -batch.face_value.fen),
                                                           Leg(voucher_account(voucher.id), batch.face_value.fen))))
            batch.granted += 1
            granted.append(voucher)
        if errors:
            raise ValidationFailed(list(dict.fromkeys(errors)))
        batch.note("granted", principal.actor, now, after={"granted": batch.granted, "count": len(granted)})
        uow.voucher_batches.save(batch)
        uow.commit()
        return [_view(uow, principal, v, Names(uow)) for v in granted]


def _regions_of(uow: UnitOfWork, code: str) -> set[str]:
    """The region and all regions above it (street → district → city → province)."""
    found: set[str] = set()
    current: str | None = code
    while current and current not in found:
        found.add(current)
        region = uow.regions.get(current)
        current = region.parent_code if region else None
    return found


def _view(uow: UnitOfWork, principal: Principal, voucher: Voucher, names: Names) -> VoucherView:
    reveal = principal.role in (Role.ELDER, Role.FAMILY)
    return VoucherView.of(voucher, uow.ledger.balance(voucher_account(voucher.id)), names.elder(voucher.elder_id),
                          reveal=reveal)


def list_vouchers(rt: Runtime, principal: Principal, page: PageRequest, *, elder_id: str | None = None,
                  batch_id: str | None = None, status: VoucherStatus | None = None) -> Page[VoucherView]:
    """充值明细: vouchers granted within the caller's scope (elders and families: their own elders')."""
    vis = visibility(principal, Operation.VOUCHER_READ)
    with rt.uow() as uow:
        names = Names(uow)
        found = uow.vouchers.list(vis, page, elder_id=elder_id, batch_id=batch_id, status=status)
        return found.map(lambda v: _view(uow, principal, v, names))


def elder_vouchers(rt: Runtime, principal: Principal, elder_id: str) -> list[VoucherView]:
    """P-06 我的养老服务券: an elder's vouchers, soonest to expire first, with what is left on each."""
    with rt.uow() as uow:
        load_elder(uow, principal, Operation.VOUCHER_READ, elder_id)
        names = Names(uow)
        return [_view(uow, principal, v, names) for v in uow.vouchers.of_elder(elder_id)]


def get_voucher(rt: Runtime, principal: Principal, ident: str) -> VoucherView:
    with rt.uow() as uow:
        voucher = uow.vouchers.get(ident)
        if voucher is None:
            raise NotFound(VOUCHER, ident)
        load_elder(uow, principal, Operation.VOUCHER_READ, voucher.elder_id)
        return _view(uow, principal, voucher, Names(uow))
