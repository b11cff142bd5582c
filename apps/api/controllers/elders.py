"""Elders' files (老年人档案), their addresses (P-05) and family links (家属)."""

from litestar import Controller, delete, get, patch, post
from litestar.params import Parameter

from apps.api.deps import form_of
from apps.api.schemas import AddressIn, AddressPatch, ElderIn, ElderPatch, FamilyLinkIn, PageOut
from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.services import addresses, elders, family
from yiyangkang.services.addresses import AddressForm
from yiyangkang.services.elders import ElderForm
from yiyangkang.services.family import FamilyLinkForm
from yiyangkang.services.views import AddressView, ElderView, FamilyLinkView


class ElderController(Controller):
    path = "/api/v1/elders"
    tags = ["老年人档案"]

    @get("/", operation_id="listElders", sync_to_thread=True, summary="老年人列表（权限范围内，身份证号与手机号脱敏）")
    def list_elders(
        self, rt: Container, principal: Principal, paging: PageRequest,
        keyword: str | None = Parameter(default=None, max_length=32, description="姓名关键字"),
        region_code: str | None = Parameter(default=None, max_length=12),
        institution_id: str | None = Parameter(default=None, max_length=64),
    ) -> PageOut[ElderView]:
        found = elders.list_elders(rt, principal, paging, keyword=keyword, region_code=region_code,
                                   institution_id=institution_id)
        return PageOut.of(found)

    @post("/", operation_id="registerElder", sync_to_thread=True, summary="老年人建档")
    def register(self, rt: Container, principal: Principal, data: ElderIn) -> ElderView:
        form, _ = form_of(ElderForm, data)
        return elders.register_elder(rt, principal, form)

    @get("/{elder_id:str}", operation_id="getElder", sync_to_thread=True, summary="老年人档案详情")
    def get_elder(self, rt: Container, principal: Principal, elder_id: str) -> ElderView:
        return elders.get_elder(rt, principal, elder_id)

    @patch("/{elder_id:str}", operation_id="updateElder", sync_to_thread=True, summary="修改老年人档案")
    def update(self, rt: Container, principal: Principal, elder_id: str, data: ElderPatch) -> ElderView:
        form, version = form_of(ElderForm, data)
        return elders.update_elder(rt, principal, elder_id, form, version)

    @get("/{elder_id:str}/addresses", operation_id="listAddresses", sync_to_thread=True, summary="服务地址列表")
    def list_addresses(self, rt: Container, principal: Principal, elder_id: str) -> list[AddressView]:
        return addresses.list_addresses(rt, principal, elder_id)

    @post("/{elder_id:str}/addresses", operation_id="addAddress", sync_to_thread=True, summary="新增服务地址")
    def add_address(self, rt: Container, principal: Principal, elder_id: str, data: AddressIn) -> AddressView:
        form, _ = form_of(AddressForm, data)
        return addresses.add_address(rt, principal, elder_id, form)

    @patch("/{elder_id:str}/addresses/{address_id:str}", operation_id="updateAddress", sync_to_thread=True,
           summary="修改服务地址")
    def update_address(
        self, rt: Container, principal: Principal, elder_id: str, address_id: str, data: AddressPatch
    ) -> AddressView:
        form, version = form_of(AddressForm, data)
        return addresses.update_address(rt, principal, elder_id, address_id, form, version)

    @delete("/{elder_id:str}/addresses/{address_id:str}", operation_id="removeAddress", sync_to_thread=True,
            summary="删除服务地址")
    def remove_address(self, rt: Container, principal: Principal, elder_id: str, address_id: str) -> None:
        addresses.remove_address(rt, principal, elder_id, address_id)

    @get("/{elder_id:str}/family", operation_id="listFamily", sync_to_thread=True, summary="家属列表")
    def list_family(self, rt: Container, principal: Principal, elder_id: str) -> list[FamilyLinkView]:
        return family.list_family(rt, principal, elder_id)

    @post("/{elder_id:str}/family", operation_id="linkFamily", sync_to_thread=True, summary="关联家属")
    def link_family(self, rt: Container, principal: Principal, elder_id: str, data: FamilyLinkIn) -> FamilyLinkView:
        form, _ = form_of(FamilyLinkForm, data)
        return family.link_family(rt, principal, elder_id, form)

    @delete("/{elder_id:str}/family/{link_id:str}", operation_id="unlinkFamily", sync_to_thread=True,
            summary="解除家属关联")
    def unlink_family(self, rt: Container, principal: Principal, elder_id: str, link_id: str) -> None:
        family.unlink_family(rt, principal, elder_id, link_id)
