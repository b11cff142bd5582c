"""The audit trail (审计日志): the persisted domain events, for operators and auditors."""

from __future__ import annotations

from yiyangkang.domain.identity.policy import Operation, Scope
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import PermissionDenied
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.services.access import require
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.views import AuditEventView


def list_audit_events(
    rt: Runtime, principal: Principal, page: PageRequest, *, aggregate: str | None = None,
    aggregate_id: str | None = None,
) -> Page[AuditEventView]:
    if require(principal, Operation.AUDIT_READ) is not Scope.ALL:
        raise PermissionDenied()
    with rt.uow() as uow:
        return uow.audit.list(page, aggregate=aggregate, aggregate_id=aggregate_id).map(AuditEventView.of)
