"""What the points use cases share: the accounts points move between, booking a movement, names of elders."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import Conflict, NotFound
from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.validation import Checks
from yiyangkang.domain.money.ledger import Account, InsufficientBalance, Leg, Owner, Posting, Purse
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import institution_of, load_institution
from yiyangkang.services.names import Names
from yiyangkang.services.objects import load_owned
from yiyangkang.services.runtime import Runtime

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)

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
    return Names(uow).elders(elder_ids)


def not_found_code(kind: str) -> str:
    return {ACTIVITY_KIND: "POINTS_ACTIVITY_NOT_FOUND", ENROLMENT_KIND: "POINTS_ENROLMENT_NOT_FOUND",
            GOOD_KIND: "POINTS_GOOD_NOT_FOUND", EXCHANGE_KIND: "POINTS_EXCHANGE_NOT_FOUND"}[kind]


def load(uow: UnitOfWork, principal: Principal, op: Operation, item: T | None, kind: str, ident: str) -> T:
    """`item` if the caller may do `op` on it; otherwise a 404 with the kind's own code."""
    try:
        return load_owned(uow, principal, op, item, kind, ident)
    except NotFound:
        raise NotFound(kind, ident, code=not_found_code(kind)) from None


def create_owned(rt: Runtime, principal: Principal, institution_id: str | None,
                 values: Callable[[Checks], dict[str, Any]], make: Callable[..., A],
                 add: Callable[[UnitOfWork, A], None]) -> A:
    """Create an activity or a good for an institution whose points the caller manages (their own one when
    `institution_id` is None): the fields `values` checks, `make(**…)` recorded as created, `add`ed, committed."""
    owner = institution_of(principal, Operation.POINTS_MANAGE, institution_id)
    with rt.uow() as uow:
        load_institution(uow, principal, Operation.POINTS_MANAGE, owner)
        checks = Checks()
        fields = values(checks)
        checks.done()
        now = rt.clock.now()
        item = make(id=rt.ids.new_id(), institution_id=owner, created_by=principal.account_id, created_at=now,
                    **fields)
        item.record_created(principal.actor, now)
        add(uow, item)
        uow.commit()
        return item
