"""Institutions (机构) and their staff (员工)."""

from litestar import Controller, get, patch, post
from litestar.params import Parameter

from apps.api.deps import form_of
from apps.api.schemas import InstitutionIn, InstitutionPatch, PageOut, StaffIn, StaffPatch
from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.orgs.institutions import InstitutionType
from yiyangkang.domain.orgs.staff import Profession
from yiyangkang.services import institutions, staff
from yiyangkang.services.institutions import InstitutionForm
from yiyangkang.services.staff import StaffForm
from yiyangkang.services.views import InstitutionView, StaffView


class InstitutionController(Controller):
    path = "/api/v1/institutions"
    tags = ["机构"]

    @get("/", operation_id="listInstitutions", sync_to_thread=True, summary="机构列表（权限范围内）")
    def list_institutions(
        self, rt: Container, principal: Principal, paging: PageRequest,
        keyword: str | None = Parameter(default=None, max_length=64),
        region_code: str | None = Parameter(default=None, max_length=12),
        type: InstitutionType | None = None,
        parent_id: str | None = Parameter(default=None, max_length=64),
    ) -> PageOut[InstitutionView]:
        found = institutions.list_institutions(rt, principal, paging, keyword=keyword, region_code=region_code,
                                               type=type, parent_id=parent_id)
        return PageOut.of(found)

    @post("/", operation_id="registerInstitution", sync_to_thread=True, summary="登记机构（含下级机构）")
    def register(self, rt: Container, principal: Principal, data: InstitutionIn) -> InstitutionView:
        form, _ = form_of(InstitutionForm, data)
        return institutions.register_institution(rt, principal, form)

    @get("/{institution_id:str}", operation_id="getInstitution", sync_to_thread=True, summary="机构详情")
    def get_institution(self, rt: Container, principal: Principal, institution_id: str) -> InstitutionView:
        return institutions.get_institution(rt, principal, institution_id)

    @patch("/{institution_id:str}", operation_id="updateInstitution", sync_to_thread=True, summary="修改机构信息")
    def update(
        self, rt: Container, principal: Principal, institution_id: str, data: InstitutionPatch
    ) -> InstitutionView:
        form, version = form_of(InstitutionForm, data)
        return institutions.update_institution(rt, principal, institution_id, form, version)


class StaffController(Controller):
    path = "/api/v1/staff"
    tags = ["员工"]

    @get("/", operation_id="listStaff", sync_to_thread=True, summary="员工列表（权限范围内）")
    def list_staff(
        self, rt: Container, principal: Principal, paging: PageRequest,
        institution_id: str | None = Parameter(default=None, max_length=64),
        profession: Profession | None = None,
        keyword: str | None = Parameter(default=None, max_length=64),
    ) -> PageOut[StaffView]:
        found = staff.list_staff(rt, principal, paging, institution_id=institution_id, profession=profession,
                                 keyword=keyword)
        return PageOut.of(found)

    @post("/", operation_id="hireStaff", sync_to_thread=True, summary="新增员工")
    def hire(self, rt: Container, principal: Principal, data: StaffIn) -> StaffView:
        form, _ = form_of(StaffForm, data)
        return staff.hire_staff(rt, principal, form)

    @get("/{staff_id:str}", operation_id="getStaff", sync_to_thread=True, summary="员工详情")
    def get_staff(self, rt: Container, principal: Principal, staff_id: str) -> StaffView:
        return staff.get_staff(rt, principal, staff_id)

    @patch("/{staff_id:str}", operation_id="updateStaff", sync_to_thread=True, summary="修改员工信息")
    def update(self, rt: Container, principal: Principal, staff_id: str, data: StaffPatch) -> StaffView:
        form, version = form_of(StaffForm, data)
        return staff.update_staff(rt, principal, staff_id, form, version)
