"""Authorization inside use cases: consult the policy table, then the object's owner.

- no cell for (role, operation) → PermissionDenied (403);
- a cell, but the object lies outside the scope → NotFound (404), the same answer as a missing id,
  so nobody learns what exists in other institutions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from yiyangkang.domain.elders.elder import Elder
from yiyangkang.domain.identity.policy import Operation, Scope, Target, Visibility, scope_for, within
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from yiyangkang.domain.orgs.institutions import Institution
from yiyangkang.domain.orgs.staff import StaffMember
from yiyangkang.ports.uow import UnitOfWork

T = TypeVar("T")


def institution_of(principal: Principal, op: Operation, given: str | None) -> str:
    """The institution a new record goes to: the one named, else the caller's own; operators must name
    one. Callers who may not do `op` at all hear that first (403), not about a missing field."""
    require(principal, op)
    chosen = given or principal.institution_id
    if not chosen:
        raise ValidationFailed([FieldError("institution_id", "请指定所属机构", code="REQUIRED")])
    return chosen


def require(principal: Principal, op: Operation) -> Scope:
    scope = scope_for(principal.role, op)
    if scope is None:
        raise PermissionDenied(details={"operation": op.value, "role": principal.role.value})
    return scope


def visibility(principal: Principal, op: Operation) -> Visibility:
    return Visibility.of(principal, require(principal, op))


def allows(principal: Principal, op: Operation, target: Target) -> bool:
    scope = scope_for(principal.role, op)
    return scope is not None and within(principal, scope, target)


def authorize(principal: Principal, op: Operation, target: Target, kind: str, ident: str | None) -> None:
    if not within(principal, require(principal, op), target):
        raise NotFound(kind, ident)


def institution_target(inst: Institution) -> Target:
    return Target(institution_id=inst.id, institution_path=inst.path)


def owner_target(uow: UnitOfWork, institution_id: str, elder_id: str | None = None) -> Target:
    path = uow.institutions.paths([institution_id]).get(institution_id)
    return Target(institution_id=institution_id, institution_path=path, elder_id=elder_id)


def load_authorized(
    principal: Principal, op: Operation, item: T | None, kind: str, ident: str, target: Callable[[T], Target]
) -> T:
    """`item` if it exists and lies in the caller's scope for `op`; otherwise NotFound."""
    require(principal, op)
    if item is None:
        raise NotFound(kind, ident)
    authorize(principal, op, target(item), kind, ident)
    return item


def load_institution(uow: UnitOfWork, principal: Principal, op: Operation, ident: str) -> Institution:
    return load_authorized(principal, op, uow.institutions.get(ident), "机构", ident, institution_target)


def load_staff(uow: UnitOfWork, principal: Principal, op: Operation, ident: str) -> StaffMember:
    return load_authorized(principal, op, uow.staff.get(ident), "员工", ident,
                       lambda m: owner_target(uow, m.institution_id))


def load_elder(uow: UnitOfWork, principal: Principal, op: Operation, ident: str) -> Elder:
    return load_authorized(principal, op, uow.elders.get(ident), "老年人", ident, lambda e: elder_target(uow, e))


def elder_target(uow: UnitOfWork, elder: Elder) -> Target:
    return owner_target(uow, elder.institution_id, elder.id)
