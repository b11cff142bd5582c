"""Elderly-care vouchers (养老服务券): the procurement list (A-11), batches, grants and consumption records
(A-12), an elder's own vouchers (P-06). Paying with vouchers is `POST /api/v1/mall/trades/{id}/pay` with
`use_vouchers`."""

from datetime import date
from typing import Literal

from litestar import Controller, Response, get, post, put

from apps.api.deps import OptionalId, sheet_response
from apps.api.homebed_schemas import ReasonIn
from apps.api.schemas import PageOut
from apps.api.voucher_schemas import BatchIn, GrantIn, ProcurementIn
from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.vouchers.batches import BatchStatus
from yiyangkang.domain.vouchers.vouchers import SpendStatus, VoucherStatus
from yiyangkang.ports.vouchers import SpendQuery
from yiyangkang.services.vouchers import admin, grants, records
from yiyangkang.services.vouchers.admin import BatchForm, ProcurementForm
from yiyangkang.services.vouchers.grants import GrantForm
from yiyangkang.services.vouchers.views import BatchView, ProcurementView, SpendView, VoucherView


class ProcurementController(Controller):
    path = "/api/v1/vouchers/institutions"
    tags = ["养老服务券"]

    @get("/", operation_id="listProcurementInstitutions", sync_to_thread=True,
         summary="政采机构列表（可使用服务券的机构）")
    def list_all(self, rt: Container, principal: Principal, paging: PageRequest, active: bool | None = None,
                 keyword: str | None = OptionalId) -> PageOut[ProcurementView]:
        return PageOut.of(admin.list_procurement(rt, principal, paging, active=active, keyword=keyword))

    @post("/", operation_id="addProcurementInstitution", sync_to_thread=True, summary="设为政采机构（平台）",
          status_code=200)
    def put_on(self, rt: Container, principal: Principal, data: ProcurementIn) -> ProcurementView:
        return admin.put_on_list(rt, principal, ProcurementForm(institution_id=data.institution_id,
                                                                contract_no=data.contract_no, remark=data.remark))

    @post("/{institution_id:str}/remove", operation_id="removeProcurementInstitution", sync_to_thread=True,
          summary="取消政采机构资格（平台；已发生的消费记录保留）", status_code=200)
    def take_off(self, rt: Container, principal: Principal, institution_id: str, data: ReasonIn) -> ProcurementView:
        return admin.take_off_list(rt, principal, institution_id, data.reason or "")


def _batch_form(data: BatchIn) -> BatchForm:
    return BatchForm(name=data.name, voucher_kind=data.voucher_kind, face_value_fen=data.face_value_fen,
                     category_ids=data.category_ids, valid_from=data.valid_from, valid_until=data.valid_until,
                     quota=data.quota, per_elder=data.per_elder, region_code=data.region_code,
                     description=data.description)


class VoucherBatchController(Controller):
    path = "/api/v1/vouchers/batches"
    tags = ["养老服务券"]

    @get("/", operation_id="listVoucherBatches", sync_to_thread=True, summary="服务券批次")
    def list_batches(self, rt: Container, principal: Principal, paging: PageRequest,
                     status: BatchStatus | None = None) -> PageOut[BatchView]:
        return PageOut.of(admin.list_batches(rt, principal, paging, status=status))

    @post("/", operation_id="createVoucherBatch", sync_to_thread=True, summary="新建服务券批次（平台）")
    def create(self, rt: Container, principal: Principal, data: BatchIn) -> BatchView:
        return admin.create_batch(rt, principal, _batch_form(data))

    @get("/{batch_id:str}", operation_id="getVoucherBatch", sync_to_thread=True, summary="服务券批次详情")
    def get_batch(self, rt: Container, principal: Principal, batch_id: str) -> BatchView:
        return admin.get_batch(rt, principal, batch_id)

    @put("/{batch_id:str}", operation_id="updateVoucherBatch", sync_to_thread=True,
         summary="修改服务券批次（发放后只能改说明和发放总量）")
    def update(self, rt: Container, principal: Principal, batch_id: str, data: BatchIn) -> BatchView:
        return admin.update_batch(rt, principal, batch_id, _batch_form(data), data.version)

    @post("/{batch_id:str}/issue", operation_id="issueVoucherBatch", sync_to_thread=True, summary="开始发放",
          status_code=200)
    def issue(self, rt: Container, principal: Principal, batch_id: str) -> BatchView:
        return admin.issue_batch(rt, principal, batch_id)

    @post("/{batch_id:str}/close", operation_id="closeVoucherBatch", sync_to_thread=True,
          summary="停止发放（已发放的券在有效期内仍可使用）", status_code=200)
    def close(self, rt: Container, principal: Principal, batch_id: str, data: ReasonIn) -> BatchView:
        return admin.close_batch(rt, principal, batch_id, data.reason or "")


def _spend_query(institution_id: str | None, elder_id: str | None, batch_id: str | None,
                 status: SpendStatus | None, date_from: date | None, date_to: date | None) -> SpendQuery:
    since, until = records.period(date_from, date_to)
    return SpendQuery(institution_id=institution_id, elder_id=elder_id, batch_id=batch_id, status=status,
                      since=since, until=until)


class VoucherController(Controller):
    path = "/api/v1/vouchers"
    tags = ["养老服务券"]

    @post("/grants", operation_id="grantVouchers", sync_to_thread=True,
          summary="服务券充值/兑换：向权限内的老人发放本批次服务券（全部成功或全部不发）")
    def grant(self, rt: Container, principal: Principal, data: GrantIn) -> list[VoucherView]:
        return grants.grant(rt, principal, GrantForm(batch_id=data.batch_id, elder_ids=data.elder_ids))

    @get("/", operation_id="listVouchers", sync_to_thread=True, summary="服务券充值明细（权限内）")
    def list_vouchers(self, rt: Container, principal: Principal, paging: PageRequest,
                      elder_id: str | None = OptionalId, batch_id: str | None = OptionalId,
                      status: VoucherStatus | None = None) -> PageOut[VoucherView]:
        return PageOut.of(grants.list_vouchers(rt, principal, paging, elder_id=elder_id, batch_id=batch_id,
                                               status=status))

    @get("/elders/{elder_id:str}", operation_id="elderVouchers", sync_to_thread=True,
         summary="老人的养老服务券（余额、有效期；小程序“我的养老消费券”）")
    def of_elder(self, rt: Container, principal: Principal, elder_id: str) -> list[VoucherView]:
        return grants.elder_vouchers(rt, principal, elder_id)

    @get("/spends", operation_id="listVoucherSpends", sync_to_thread=True, summary="居家消费明细（服务券消费记录）")
    def spends(self, rt: Container, principal: Principal, paging: PageRequest,
               institution_id: str | None = OptionalId, elder_id: str | None = OptionalId,
               batch_id: str | None = OptionalId, status: SpendStatus | None = None,
               date_from: date | None = None, date_to: date | None = None) -> PageOut[SpendView]:
        query = _spend_query(institution_id, elder_id, batch_id, status, date_from, date_to)
        return PageOut.of(records.list_spends(rt, principal, paging, query))

    @get("/spends/export", operation_id="exportVoucherSpends", sync_to_thread=True,
         summary="导出居家消费明细（CSV 或 XLSX，老人姓名脱敏）", media_type="application/octet-stream")
    def export(self, rt: Container, principal: Principal, format: Literal["csv", "xlsx"] = "xlsx",
               institution_id: str | None = OptionalId, elder_id: str | None = OptionalId,
               batch_id: str | None = OptionalId, status: SpendStatus | None = None,
               date_from: date | None = None, date_to: date | None = None) -> Response[bytes]:
        query = _spend_query(institution_id, elder_id, batch_id, status, date_from, date_to)
        return sheet_response(records.EXPORT_HEADER, list(records.export_spends(rt, principal, query)), format,
                              "voucher-spends")

    @get("/{voucher_id:str}", operation_id="getVoucher", sync_to_thread=True, summary="服务券详情")
    def get_voucher(self, rt: Container, principal: Principal, voucher_id: str) -> VoucherView:
        return grants.get_voucher(rt, principal, voucher_id)
