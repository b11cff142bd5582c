"""Supplier relations (服务商管理, A-10): apply to become another institution's supplier, the client reviews,
either party terminates; admins list their institution's relations (as client or supplier), the platform
lists all of them."""

from litestar import Controller, get, post

from apps.api.deps import OptionalId, form_of
from apps.api.homebed_schemas import ReasonIn, ReviewIn
from apps.api.schemas import PageOut
from apps.api.settlement_schemas import SupplierApplyIn
from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.settlement.relations import RelationStatus
from yiyangkang.services.settlement import relations
from yiyangkang.services.settlement.relations import ApplyForm
from yiyangkang.services.settlement.views import RelationView
from yiyangkang.services.views import AuditEventView


class SupplierController(Controller):
    path = "/api/v1/suppliers"
    tags = ["服务商管理"]

    @post("/", operation_id="applySupplier", sync_to_thread=True,
          summary="申请成为其他机构的服务商（分成比例、平台服务费、供应的商品、有效期）")
    def apply(self, rt: Container, principal: Principal, data: SupplierApplyIn) -> RelationView:
        form, _ = form_of(ApplyForm, data)
        return relations.apply(rt, principal, form)

    @get("/", operation_id="listSuppliers", sync_to_thread=True,
         summary="服务商关系列表（本机构作为被服务方或服务商；平台可查看全部）")
    def list_relations(self, rt: Container, principal: Principal, paging: PageRequest,
                       status: RelationStatus | None = None, client_id: str | None = OptionalId,
                       supplier_id: str | None = OptionalId) -> PageOut[RelationView]:
        return PageOut.of(relations.list_relations(rt, principal, paging, status=status, client_id=client_id,
                                                   supplier_id=supplier_id))

    @get("/{relation_id:str}", operation_id="getSupplier", sync_to_thread=True, summary="服务商关系详情")
    def get_relation(self, rt: Container, principal: Principal, relation_id: str) -> RelationView:
        return relations.get_relation(rt, principal, relation_id)

    @get("/{relation_id:str}/events", operation_id="supplierEvents", sync_to_thread=True, summary="审核与变更记录")
    def events(self, rt: Container, principal: Principal, relation_id: str) -> list[AuditEventView]:
        return relations.relation_events(rt, principal, relation_id)

    @post("/{relation_id:str}/review", operation_id="reviewSupplier", sync_to_thread=True, status_code=200,
          summary="审核服务商申请（被申请的机构：通过 / 驳回并说明原因）")
    def review(self, rt: Container, principal: Principal, relation_id: str, data: ReviewIn) -> RelationView:
        return relations.review(rt, principal, relation_id, approve=data.approve, note=data.note,
                                expected_version=data.version)

    @post("/{relation_id:str}/terminate", operation_id="terminateSupplier", sync_to_thread=True, status_code=200,
          summary="终止服务商关系（合作双方；此后完成的订单不再分账给该服务商）")
    def terminate(self, rt: Container, principal: Principal, relation_id: str, data: ReasonIn) -> RelationView:
        return relations.terminate(rt, principal, relation_id, data.reason)
