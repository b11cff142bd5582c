"""Home-bed configuration (家床业务配置, HB-20): service items, subsidy types, renovation items with
pictures, assessment scales, business settings. Operators write; everyone signed in reads."""

from typing import Annotated, Any

from litestar import Controller, Response, delete, get, patch, post
from litestar.datastructures import UploadFile
from litestar.params import Parameter

from apps.api.deps import Multipart, file_response, form_of, upload_of
from apps.api.homebed_schemas import RenovationItemIn, ScaleIn, ServiceItemIn, SettingsIn, SubsidyTypeIn
from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.services.homebed import config
from yiyangkang.services.homebed.config import (
    LevelForm,
    OptionForm,
    RenovationItemForm,
    ScaleForm,
    ScaleItemForm,
    ServiceItemForm,
    SubsidyTypeForm,
)
from yiyangkang.services.homebed.views import (
    RenovationItemView,
    ScaleView,
    ServiceItemView,
    SettingsView,
    SubsidyTypeView,
)

Active = Parameter(default=None, description="只看启用（true）或停用（false）的")


def _scale_form(data: ScaleIn) -> tuple[ScaleForm, int | None]:
    items = None if data.items is None else [
        ScaleItemForm(code=i.code, question=i.question, options=[OptionForm(label=o.label, score=o.score)
                                                                 for o in i.options])
        for i in data.items
    ]
    levels = None if data.levels is None else [
        LevelForm(name=lv.name, min_score=lv.min_score, max_score=lv.max_score) for lv in data.levels
    ]
    return ScaleForm(name=data.name, description=data.description, items=items, levels=levels,
                     active=data.active), data.version


class HomeBedConfigController(Controller):
    path = "/api/v1/homebed/config"
    tags = ["家床业务配置"]

    # -- service items ---------------------------------------------------------------------------
    @get("/service-items", operation_id="listServiceItems", sync_to_thread=True, summary="家床服务项目列表")
    def list_service_items(self, rt: Container, principal: Principal,
                           active: bool | None = Active) -> list[ServiceItemView]:
        return config.list_entries(rt, principal, config.SERVICE_ITEMS, active=active)

    @post("/service-items", operation_id="createServiceItem", sync_to_thread=True, summary="新增家床服务项目")
    def create_service_item(self, rt: Container, principal: Principal, data: ServiceItemIn) -> ServiceItemView:
        form, _ = form_of(ServiceItemForm, data)
        return config.create_entry(rt, principal, config.SERVICE_ITEMS, form)

    @patch("/service-items/{item_id:str}", operation_id="updateServiceItem", sync_to_thread=True,
           summary="修改家床服务项目")
    def update_service_item(self, rt: Container, principal: Principal, item_id: str,
                            data: ServiceItemIn) -> ServiceItemView:
        form, version = form_of(ServiceItemForm, data)
        return config.update_entry(rt, principal, config.SERVICE_ITEMS, item_id, form, version)

    # -- subsidy types ---------------------------------------------------------------------------
    @get("/subsidy-types", operation_id="listSubsidyTypes", sync_to_thread=True,
         summary="补贴类型列表（可按老人所在地区筛选适用的）")
    def list_subsidy_types(
        self, rt: Container, principal: Principal, active: bool | None = Active,
        region_code: str | None = Parameter(default=None, max_length=12, description="适用于该地区的补贴"),
    ) -> list[SubsidyTypeView]:
        return config.list_entries(rt, principal, config.SUBSIDY_TYPES, active=active, region_code=region_code)

    @post("/subsidy-types", operation_id="createSubsidyType", sync_to_thread=True, summary="新增补贴类型")
    def create_subsidy_type(self, rt: Container, principal: Principal, data: SubsidyTypeIn) -> SubsidyTypeView:
        form, _ = form_of(SubsidyTypeForm, data)
        return config.create_entry(rt, principal, config.SUBSIDY_TYPES, form)

    @patch("/subsidy-types/{item_id:str}", operation_id="updateSubsidyType", sync_to_thread=True,
           summary="修改补贴类型")
    def update_subsidy_type(self, rt: Container, principal: Principal, item_id: str,
                            data: SubsidyTypeIn) -> SubsidyTypeView:
        form, version = form_of(SubsidyTypeForm, data)
        return config.update_entry(rt, principal, config.SUBSIDY_TYPES, item_id, form, version)

    # -- renovation items --------------------------------------------------------------------------
    @get("/renovation-items", operation_id="listRenovationItems", sync_to_thread=True, summary="改造项目列表")
    def list_renovation_items(self, rt: Container, principal: Principal,
                              active: bool | None = Active) -> list[RenovationItemView]:
        return config.list_entries(rt, principal, config.RENOVATION_ITEMS, active=active)

    @post("/renovation-items", operation_id="createRenovationItem", sync_to_thread=True, summary="新增改造项目")
    def create_renovation_item(self, rt: Container, principal: Principal,
                               data: RenovationItemIn) -> RenovationItemView:
        form, _ = form_of(RenovationItemForm, data)
        return config.create_entry(rt, principal, config.RENOVATION_ITEMS, form)

    @patch("/renovation-items/{item_id:str}", operation_id="updateRenovationItem", sync_to_thread=True,
           summary="修改改造项目")
    def update_renovation_item(self, rt: Container, principal: Principal, item_id: str,
                               data: RenovationItemIn) -> RenovationItemView:
        form, version = form_of(RenovationItemForm, data)
        return config.update_entry(rt, principal, config.RENOVATION_ITEMS, item_id, form, version)

    @post("/renovation-items/{item_id:str}/pictures", operation_id="addRenovationPicture", sync_to_thread=True,
          summary="上传改造项目图片（JPG/PNG，≤10MB）")
    def add_picture(self, rt: Container, principal: Principal, item_id: str,
                    data: Annotated[UploadFile, Multipart]) -> RenovationItemView:
        return config.add_picture(rt, principal, item_id, upload_of(data))

    @get("/renovation-items/{item_id:str}/pictures/{key:path}", operation_id="getRenovationPicture",
         sync_to_thread=True, summary="下载改造项目图片", media_type="application/octet-stream")
    def get_picture(self, rt: Container, principal: Principal, item_id: str, key: str) -> Response[bytes]:
        return file_response(*config.picture(rt, principal, item_id, key.lstrip("/")))

    @delete("/renovation-items/{item_id:str}/pictures/{key:path}", operation_id="removeRenovationPicture",
            sync_to_thread=True, summary="删除改造项目图片", status_code=200)
    def remove_picture(self, rt: Container, principal: Principal, item_id: str, key: str) -> RenovationItemView:
        return config.remove_picture(rt, principal, item_id, key.lstrip("/"))

    # -- scales -----------------------------------------------------------------------------------
    @get("/scales", operation_id="listScales", sync_to_thread=True, summary="评估量表列表")
    def list_scales(self, rt: Container, principal: Principal, active: bool | None = Active) -> list[ScaleView]:
        return config.list_entries(rt, principal, config.SCALES, active=active)

    @get("/scales/{item_id:str}", operation_id="getScale", sync_to_thread=True, summary="评估量表详情")
    def get_scale(self, rt: Container, principal: Principal, item_id: str) -> ScaleView:
        return config.get_entry(rt, principal, config.SCALES, item_id)

    @post("/scales", operation_id="createScale", sync_to_thread=True, summary="新增评估量表（评估项、选项分值、等级）")
    def create_scale(self, rt: Container, principal: Principal, data: ScaleIn) -> ScaleView:
        return config.create_entry(rt, principal, config.SCALES, _scale_form(data)[0])

    @patch("/scales/{item_id:str}", operation_id="updateScale", sync_to_thread=True, summary="修改评估量表")
    def update_scale(self, rt: Container, principal: Principal, item_id: str, data: ScaleIn) -> ScaleView:
        form, version = _scale_form(data)
        return config.update_entry(rt, principal, config.SCALES, item_id, form, version)

    # -- settings ---------------------------------------------------------------------------------
    @get("/settings", operation_id="getHomeBedSettings", sync_to_thread=True, summary="家床业务设置")
    def get_settings(self, rt: Container, principal: Principal) -> SettingsView:
        return config.get_settings(rt, principal)

    @patch("/settings", operation_id="updateHomeBedSettings", sync_to_thread=True,
           summary="修改家床业务设置（取消截止、到期提醒、异常阈值）")
    def update_settings(self, rt: Container, principal: Principal, data: SettingsIn) -> SettingsView:
        values: dict[str, Any] = data.fields()
        version = values.pop("version", None)
        return config.update_settings(rt, principal, values, version)
