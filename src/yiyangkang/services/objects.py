"""Helpers every context's use cases share for the objects they own: loading one within the caller's scope,
its history, and a stored file of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from yiyangkang.domain.identity.policy import Operation, Target
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import NotFound
from yiyangkang.domain.kernel.files import FileRef
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import load_authorized, owner_target
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.views import AuditEventView

T = TypeVar("T")


def load_owned(
    uow: UnitOfWork, principal: Principal, op: Operation, item: T | None, kind: str, ident: str,
    *, account_id: Callable[[T], str | None] | None = None,
) -> T:
    """An object owned by an institution (and an elder) if the caller may do `op` on it; else NotFound."""

    def target(obj: Any) -> Target:
        base = owner_target(uow, obj.institution_id, getattr(obj, "elder_id", None))
        return Target(institution_id=base.institution_id, institution_path=base.institution_path,
                      elder_id=base.elder_id, account_id=account_id(obj) if account_id else None)

    return load_authorized(principal, op, item, kind, ident, target)


def events_of(uow: UnitOfWork, aggregate_id: str) -> list[AuditEventView]:
    """The whole history of one object, oldest first (who, when, from, to, why)."""
    page = uow.audit.list(PageRequest(1, 100), aggregate_id=aggregate_id)
    events = list(page.items)
    n = 1
    while len(events) < page.total:
        n += 1
        events += uow.audit.list(PageRequest(n, 100), aggregate_id=aggregate_id).items
    return [AuditEventView.of(e) for e in reversed(events)]


def read_file(rt: Runtime, ref: FileRef | None, ident: str) -> tuple[FileRef, bytes]:
    data = rt.files.get(ref.key) if ref else None
    if ref is None or data is None:
        raise NotFound("文件", ident)
    return ref, data
