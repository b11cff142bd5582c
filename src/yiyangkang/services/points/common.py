"""What the points use cases share: the accounts points move between, booking a movement, names of elders."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TypeVar

from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import Conflict, NotFound
from yiyangkang.domain.money.ledger import Account, InsufficientBalance, Leg, Owner, Posting, Purse
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.objects import load_owned

T = TypeVar("T")

ACTIVITY_KIND, ENROLMENT_KIND, GOOD_KIND, EXCHANGE_KIND = "积分活动", "活动报名", "积分商品", "兑换记录"
ISSUER = Account(Owner.ISSUER, "platform", Purse.POINTS)  # the platform's points fund (may go negative)


def elder_points(elder_id: str) -> Account:
    return Account(Owner.ELDER, elder_id, Purse.POINTS)


def staff_points(staff_id: str) -> Account:
    return Account(Owner.STAFF, staff_id, Purse.POINTS)


def book(uow: UnitOfWork, *, reference: str, kind: str, source: Account, target: Account, points: int, at: datetime,
         memo: str) -> bool:
    """Move `points` from `source` to `target` once per `reference` (False: booked before, nothing changed).
    A holder short of points is a 409 POINTS_INSUFFICIENT that leaves everything as it was."""
    try:
        return uow.ledger.post(Posting(reference=reference, kind=kind, at=at, memo=memo,
                                       legs=(Leg(source, -points), Leg(target, points))))
    except InsufficientBalance:
        raise Conflict("积分不足", code="POINTS_INSUFFICIENT",
                       details={"balance": uow.ledger.balance(source), "needed": points}) from None


def elder_names(uow: UnitOfWork, elder_ids: Iterable[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for ident in sorted(set(elder_ids)):
        elder = uow.elders.get(ident)
        if elder is not None:
            names[ident] = elder.name
    return names


def not_found_code(kind: str) -> str:
    return {ACTIVITY_KIND: "POINTS_ACTIVITY_NOT_FOUND", ENROLMENT_KIND: "POINTS_ENROLMENT_NOT_FOUND",
            GOOD_KIND: "POINTS_GOOD_NOT_FOUND", EXCHANGE_KIND: "POINTS_EXCHANGE_NOT_FOUND"}[kind]


def load(uow: UnitOfWork, principal: Principal, op: Operation, item: T | None, kind: str, ident: str) -> T:
    """`item` if the caller may do `op` on it; otherwise a 404 with the kind's own code."""
    try:
        return load_owned(uow, principal, op, item, kind, ident)
    except NotFound:
        raise NotFound(kind, ident, code=not_found_code(kind)) from None
