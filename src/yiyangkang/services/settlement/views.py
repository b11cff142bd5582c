"""Read models of settlement: supplier relations with both institutions' names. Rates in basis points."""

from __future__ import annotations

from datetime import date, datetime

from attrs import frozen

from yiyangkang.domain.settlement.relations import RELATION_STATUS_LABELS, SupplierRelation


@frozen
class RelationView:
    id: str
    client_id: str
    client_name: str
    supplier_id: str
    supplier_name: str
    supplier_rate_bp: int
    platform_rate_bp: int
    product_ids: list[str]
    valid_from: date
    valid_to: date | None
    status: str
    status_label: str
    note: str
    review_note: str
    reviewed_at: datetime | None
    terminated_on: date | None
    terminate_reason: str
    created_at: datetime
    version: int

    @classmethod
    def of(cls, r: SupplierRelation, names: dict[str, str]) -> RelationView:
        return cls(
            id=r.id, client_id=r.client_id, client_name=names.get(r.client_id, ""), supplier_id=r.supplier_id,
            supplier_name=names.get(r.supplier_id, ""), supplier_rate_bp=r.supplier_rate_bp,
            platform_rate_bp=r.platform_rate_bp, product_ids=list(r.product_ids), valid_from=r.valid_from,
            valid_to=r.valid_to, status=r.status.value, status_label=RELATION_STATUS_LABELS[r.status],
            note=r.application_note, review_note=r.review_note, reviewed_at=r.reviewed_at,
            terminated_on=r.terminated_on, terminate_reason=r.terminate_reason, created_at=r.created_at,
            version=r.version)
