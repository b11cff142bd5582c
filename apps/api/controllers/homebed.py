"""Home bed (家庭病床): application QR codes and applications (HB-01/02, S-04), contracts (HB-03…07,
S-05), assessments (HB-08) and renovation tasks (HB-09, S-07)."""

from dataclasses import dataclass, field
from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post
from litestar.datastructures import UploadFile
from litestar.params import Parameter

from apps.api.deps import Multipart, OptionalId, file_response, form_of, upload_of
from apps.api.homebed_schemas import (
    AmendIn,
    ApplicationIn,
    ApplicationPatch,
    ApplyCodeIn,
    NewAssessmentIn,
    ReasonIn,
    RenewIn,
    RenovationDispatchIn,
    ReviewIn,
    SignIn,
    StaffIdIn,
    TerminateIn,
    TermsIn,
)
from apps.api.schemas import PageOut
from yiyangkang.bootstrap import Container, qr_png
from yiyangkang.domain.homebed.applications import ApplicationStatus
from yiyangkang.domain.homebed.contracts import ContractStatus
from yiyangkang.domain.homebed.renovation import RenovationStatus
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.services.homebed import applications, assessments, contracts, renovation
from yiyangkang.services.homebed.applications import ApplicationForm, ApplyCode, ApplyFormInfo
from yiyangkang.services.homebed.contracts import (
    AssessmentForm,
    PlanLineForm,
    RenovationLineForm,
    SignForm,
    TermsForm,
)
from yiyangkang.services.homebed.views import (
    ApplicationView,
    AssessmentView,
    ContractView,
    RenovationTaskView,
)
from yiyangkang.services.views import AuditEventView


@dataclass
class ProgressIn:
    """改造跟进 as a multipart form: a note and up to nine photos."""

    note: str = ""
    photos: list[UploadFile] = field(default_factory=list)
Keyword = Parameter(default=None, max_length=32, description="编号或老人姓名关键字")


def terms_form(t: TermsIn) -> TermsForm:
    return TermsForm(
        start_date=t.start_date, expiry_date=t.expiry_date,
        service_plan=None if t.service_plan is None else [
            PlanLineForm(service_item_id=p.service_item_id, times=p.times, per=p.per) for p in t.service_plan],
        subsidy_type_id=t.subsidy_type_id, clear_subsidy=t.clear_subsidy,
        renovation_plan=None if t.renovation_plan is None else [
            RenovationLineForm(renovation_item_id=r.renovation_item_id, quantity=r.quantity)
            for r in t.renovation_plan],
        notes=t.notes,
    )


class ApplyFormController(Controller):
    """Reached by scanning the QR code: public, the signed token is the key."""

    path = "/api/v1/homebed/apply-form"
    tags = ["床位申请"]

    @get("/", operation_id="openApplyForm", sync_to_thread=True, summary="扫码打开床位申请表（无需登录）")
    def open_form(self, rt: Container,
                  token: str = Parameter(max_length=2048, pattern=r"^[A-Za-z0-9_.-]+$")) -> ApplyFormInfo:
        return applications.open_apply_form(rt, token)


class ApplicationController(Controller):
    path = "/api/v1/homebed"
    tags = ["床位申请"]

    @post("/apply-codes", operation_id="mintApplyCode", sync_to_thread=True,
          summary="生成机构床位申请二维码（签名、限时）")
    def mint(self, rt: Container, principal: Principal, data: ApplyCodeIn) -> ApplyCode:
        return applications.mint_apply_code(rt, principal, data.institution_id, data.days)

    @get("/apply-codes/qr.png", operation_id="applyCodePng", sync_to_thread=True, media_type="image/png",
         summary="床位申请二维码图片（PNG，可打印张贴）")
    def qr(
        self, rt: Container, principal: Principal,
        institution_id: str | None = OptionalId,
        days: int | None = Parameter(default=None, ge=1, le=366),
    ) -> Response[bytes]:
        code = applications.mint_apply_code(rt, principal, institution_id, days)
        return Response(content=qr_png(code.url), media_type="image/png",
                        headers={"Cache-Control": "no-store"})

    @get("/applications", operation_id="listApplications", sync_to_thread=True,
         summary="申请记录（按状态；列表脱敏）")
    def list_applications(
        self, rt: Container, principal: Principal, paging: PageRequest,
        status: ApplicationStatus | None = None, institution_id: str | None = OptionalId,
        keyword: str | None = Keyword,
    ) -> PageOut[ApplicationView]:
        return PageOut.of(applications.list_applications(rt, principal, paging, status=status,
                                                         institution_id=institution_id, keyword=keyword))

    @post("/applications", operation_id="submitApplication", sync_to_thread=True,
          summary="提交床位申请（老人/家属须带二维码令牌；工作人员可代申请）")
    def submit(self, rt: Container, principal: Principal, data: ApplicationIn) -> ApplicationView:
        form, _ = form_of(ApplicationForm, data)
        return applications.submit_application(rt, principal, form)

    @get("/applications/{app_id:str}", operation_id="getApplication", sync_to_thread=True, summary="申请详情")
    def get_application(self, rt: Container, principal: Principal, app_id: str) -> ApplicationView:
        return applications.get_application(rt, principal, app_id)

    @patch("/applications/{app_id:str}", operation_id="updateApplication", sync_to_thread=True,
           summary="修改申请（签约前；审核后修改须重新审核）")
    def update(self, rt: Container, principal: Principal, app_id: str, data: ApplicationPatch) -> ApplicationView:
        form, version = form_of(ApplicationForm, data)
        return applications.update_application(rt, principal, app_id, form, version)

    @post("/applications/{app_id:str}/materials", operation_id="attachMaterial", sync_to_thread=True,
          summary="上传证明材料（JPG/PNG/PDF，≤10MB，最多10份）")
    def attach(self, rt: Container, principal: Principal, app_id: str,
               data: Annotated[UploadFile, Multipart]) -> ApplicationView:
        return applications.attach_material(rt, principal, app_id, upload_of(data))

    @get("/applications/{app_id:str}/materials/{key:path}", operation_id="getMaterial", sync_to_thread=True,
         summary="下载证明材料", media_type="application/octet-stream")
    def material(self, rt: Container, principal: Principal, app_id: str, key: str) -> Response[bytes]:
        return file_response(*applications.material(rt, principal, app_id, key.lstrip("/")))

    @delete("/applications/{app_id:str}/materials/{key:path}", operation_id="removeMaterial", sync_to_thread=True,
            summary="删除证明材料", status_code=200)
    def remove_material(self, rt: Container, principal: Principal, app_id: str, key: str) -> ApplicationView:
        return applications.remove_material(rt, principal, app_id, key.lstrip("/"))

    @post("/applications/{app_id:str}/withdraw", operation_id="withdrawApplication", sync_to_thread=True,
          summary="撤回申请", status_code=200)
    def withdraw(self, rt: Container, principal: Principal, app_id: str, data: ReasonIn) -> ApplicationView:
        return applications.withdraw_application(rt, principal, app_id, data.reason)

    @post("/applications/{app_id:str}/review", operation_id="reviewApplication", sync_to_thread=True,
          summary="审核申请（通过/驳回并说明原因）", status_code=200)
    def review(self, rt: Container, principal: Principal, app_id: str, data: ReviewIn) -> ApplicationView:
        return applications.review_application(rt, principal, app_id, approve=data.approve, note=data.note,
                                               expected_version=data.version)

    @get("/applications/{app_id:str}/events", operation_id="applicationEvents", sync_to_thread=True,
         summary="申请的变更记录")
    def events(self, rt: Container, principal: Principal, app_id: str) -> list[AuditEventView]:
        return applications.application_events(rt, principal, app_id)

    @post("/applications/{app_id:str}/contract", operation_id="signContract", sync_to_thread=True,
          summary="建床签约（基本信息建档、评估可跳过、改造方案可跳过、服务计划、补贴类型、签约及到期日期）")
    def sign(self, rt: Container, principal: Principal, app_id: str, data: SignIn) -> ContractView:
        a = data.assessment
        form = SignForm(sign_date=data.sign_date, terms=terms_form(data.terms), assessment=None if a is None else
                        AssessmentForm(scale_id=a.scale_id, answers=dict(a.answers), note=a.note))
        return contracts.sign_contract(rt, principal, app_id, form)


class ContractController(Controller):
    path = "/api/v1/homebed/contracts"
    tags = ["建床签约"]

    @get("/", operation_id="listContracts", sync_to_thread=True, summary="签约记录")
    def list_contracts(
        self, rt: Container, principal: Principal, paging: PageRequest, status: ContractStatus | None = None,
        institution_id: str | None = OptionalId,
        elder_id: str | None = OptionalId, keyword: str | None = Keyword,
    ) -> PageOut[ContractView]:
        return PageOut.of(contracts.list_contracts(rt, principal, paging, status=status, institution_id=institution_id,
                                                   elder_id=elder_id, keyword=keyword))

    @get("/{contract_id:str}", operation_id="getContract", sync_to_thread=True, summary="签约详情（含历史版本）")
    def get_contract(self, rt: Container, principal: Principal, contract_id: str) -> ContractView:
        return contracts.get_contract(rt, principal, contract_id)

    @get("/{contract_id:str}/events", operation_id="contractEvents", sync_to_thread=True, summary="签约的变更记录")
    def events(self, rt: Container, principal: Principal, contract_id: str) -> list[AuditEventView]:
        return contracts.contract_events(rt, principal, contract_id)

    @post("/{contract_id:str}/terminate", operation_id="terminateContract", sync_to_thread=True,
          summary="解约（提前终止；未开始的订单同时取消）", status_code=200)
    def terminate(self, rt: Container, principal: Principal, contract_id: str, data: TerminateIn) -> ContractView:
        return contracts.terminate_contract(rt, principal, contract_id, reason=data.reason, on=data.terminated_on,
                                            expected_version=data.version)

    @post("/{contract_id:str}/renew", operation_id="renewContract", sync_to_thread=True,
          summary="续约（生成衔接的新一期签约）")
    def renew(self, rt: Container, principal: Principal, contract_id: str, data: RenewIn) -> ContractView:
        return contracts.renew_contract(rt, principal, contract_id, expiry_date=data.expiry_date, notes=data.notes)

    @post("/{contract_id:str}/amend", operation_id="amendContract", sync_to_thread=True,
          summary="变更签约（生成新版本，保留历史版本）", status_code=200)
    def amend(self, rt: Container, principal: Principal, contract_id: str, data: AmendIn) -> ContractView:
        return contracts.amend_contract(rt, principal, contract_id, terms_form(data.terms), reason=data.reason,
                                        expected_version=data.version)

    @post("/{contract_id:str}/assessments", operation_id="assessElder", sync_to_thread=True,
          summary="新增评估（周期/临时）")
    def assess(self, rt: Container, principal: Principal, contract_id: str, data: NewAssessmentIn) -> AssessmentView:
        return assessments.assess(rt, principal, contract_id, scale_id=data.scale_id, answers=dict(data.answers),
                                  type=data.type, assessed_on=data.assessed_on, note=data.note)


class AssessmentController(Controller):
    path = "/api/v1/homebed/assessments"
    tags = ["家床评估"]

    @get("/", operation_id="listAssessments", sync_to_thread=True, summary="评估记录")
    def list_assessments(
        self, rt: Container, principal: Principal, paging: PageRequest,
        elder_id: str | None = OptionalId,
        contract_id: str | None = OptionalId,
    ) -> PageOut[AssessmentView]:
        return PageOut.of(assessments.list_assessments(rt, principal, paging, elder_id=elder_id,
                                                       contract_id=contract_id))

    @get("/{assessment_id:str}", operation_id="getAssessment", sync_to_thread=True, summary="评估详情")
    def get_assessment(self, rt: Container, principal: Principal, assessment_id: str) -> AssessmentView:
        return assessments.get_assessment(rt, principal, assessment_id)


class RenovationController(Controller):
    path = "/api/v1/homebed/renovations"
    tags = ["家床改造"]

    @get("/", operation_id="listRenovations", sync_to_thread=True, summary="改造记录（mine=true 为我的改造任务）")
    def list_tasks(
        self, rt: Container, principal: Principal, paging: PageRequest, status: RenovationStatus | None = None,
        contract_id: str | None = OptionalId,
        staff_id: str | None = OptionalId, mine: bool = False,
    ) -> PageOut[RenovationTaskView]:
        return PageOut.of(renovation.list_renovations(rt, principal, paging, status=status, contract_id=contract_id,
                                                      staff_id=staff_id, mine=mine))

    @post("/", operation_id="dispatchRenovation", sync_to_thread=True, summary="按改造项目派工")
    def dispatch(self, rt: Container, principal: Principal, data: RenovationDispatchIn) -> RenovationTaskView:
        return renovation.dispatch_renovation(rt, principal, data.contract_id, data.renovation_item_id, data.staff_id)

    @get("/{task_id:str}", operation_id="getRenovation", sync_to_thread=True, summary="改造详情")
    def get_task(self, rt: Container, principal: Principal, task_id: str) -> RenovationTaskView:
        return renovation.get_renovation(rt, principal, task_id)

    @get("/{task_id:str}/events", operation_id="renovationEvents", sync_to_thread=True, summary="改造任务变更记录")
    def events(self, rt: Container, principal: Principal, task_id: str) -> list[AuditEventView]:
        return renovation.renovation_events(rt, principal, task_id)

    @post("/{task_id:str}/reassign", operation_id="reassignRenovation", sync_to_thread=True, summary="改派",
          status_code=200)
    def reassign(self, rt: Container, principal: Principal, task_id: str, data: StaffIdIn) -> RenovationTaskView:
        return renovation.reassign_renovation(rt, principal, task_id, data.staff_id)

    @post("/{task_id:str}/progress", operation_id="renovationProgress", sync_to_thread=True,
          summary="改造跟进（说明与现场照片，multipart：note + photos）")
    def progress(
        self, rt: Container, principal: Principal, task_id: str, data: Annotated[ProgressIn, Multipart],
    ) -> RenovationTaskView:
        return renovation.record_progress(rt, principal, task_id, data.note, [upload_of(p) for p in data.photos])

    @post("/{task_id:str}/finish", operation_id="finishRenovation", sync_to_thread=True, summary="确认完工",
          status_code=200)
    def finish(self, rt: Container, principal: Principal, task_id: str) -> RenovationTaskView:
        return renovation.finish_renovation(rt, principal, task_id)

    @post("/{task_id:str}/cancel", operation_id="cancelRenovation", sync_to_thread=True, summary="取消改造任务",
          status_code=200)
    def cancel(self, rt: Container, principal: Principal, task_id: str, data: ReasonIn) -> RenovationTaskView:
        return renovation.cancel_renovation(rt, principal, task_id, data.reason)

    @get("/{task_id:str}/photos/{key:path}", operation_id="getRenovationPhoto", sync_to_thread=True,
         summary="下载现场照片", media_type="application/octet-stream")
    def photo(self, rt: Container, principal: Principal, task_id: str, key: str) -> Response[bytes]:
        return file_response(*renovation.renovation_photo(rt, principal, task_id, key.lstrip("/")))


