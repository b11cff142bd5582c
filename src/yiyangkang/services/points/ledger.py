"""The elder's points ledger (积分明细, P-07): the balance and its entries, newest first, straight from the
ledger (the balance is the sum of the entries; `yyk ledger reconcile` proves it)."""

from __future__ import annotations

from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.services.access import load_elder
from yiyangkang.services.points.common import elder_points
from yiyangkang.services.points.views import EntryView, PointsLedgerView
from yiyangkang.services.runtime import Runtime


def elder_ledger(rt: Runtime, principal: Principal, elder_id: str, page: PageRequest) -> PointsLedgerView:
    """The elder and family (linked), the elder's institution, operators."""
    with rt.uow() as uow:
        elder = load_elder(uow, principal, Operation.POINTS_READ, elder_id)
        account = elder_points(elder.id)
        found = uow.ledger.entries(account, page)
        return PointsLedgerView(elder.id, uow.ledger.balance(account), [EntryView.of(e) for e in found.items],
                                found.total, found.page, found.size)
