"""Home-bed configuration (家床业务配置, HB-20): service items, subsidy types by region, renovation items
(with pictures), assessment scales and levels, business settings. Operators write; everyone reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from attrs import frozen

from yiyangkang.domain.homebed.assessment import AssessmentScale, LevelBand, ScaleItem, ScaleOption, scale_problems
from yiyangkang.domain.homebed.config import (
    MAX_PICTURES,
    SETTING_LIMITS,
    RenovationItem,
    ServiceItem,
    SubsidyMode,
    SubsidyType,
)
from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import FieldError, NotFound, ValidationFailed
from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.validation import Checks, choice
from yiyangkang.domain.orgs.regions import region_prefix
from yiyangkang.ports.homebed import CatalogRepository
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import require
from yiyangkang.services.homebed.common import Upload, current_settings, read_file, store_upload, stored_uploads
from yiyangkang.services.homebed.views import (
    RenovationItemView,
    ScaleView,
    ServiceItemView,
    SettingsView,
    SubsidyTypeView,
)
from yiyangkang.services.institutions import check_region
from yiyangkang.services.runtime import Runtime

V = TypeVar("V")
# -- forms ------------------------------------------------------------------------------------------
@frozen(kw_only=True)
class ServiceItemForm:
    name: str | None = None
    category: str | None = None
    standard_minutes: int | None = None
    price_fen: int | None = None
    subsidy_eligible: bool | None = None
    description: str | None = None
    active: bool | None = None


@frozen(kw_only=True)
class SubsidyTypeForm:
    region_code: str | None = None
    name: str | None = None
    mode: str | None = None
    amount_fen: int | None = None
    ratio_bp: int | None = None
    cap_fen: int | None = None
    active: bool | None = None


@frozen(kw_only=True)
class RenovationItemForm:
    name: str | None = None
    unit: str | None = None
    price_fen: int | None = None
    description: str | None = None
    active: bool | None = None


@frozen(kw_only=True)
class OptionForm:
    label: str
    score: int


@frozen(kw_only=True)
class ScaleItemForm:
    code: str
    question: str
    options: Sequence[OptionForm]


@frozen(kw_only=True)
class LevelForm:
    name: str
    min_score: int
    max_score: int


@frozen(kw_only=True)
class ScaleForm:
    name: str | None = None
    description: str | None = None
    items: Sequence[ScaleItemForm] | None = None
    levels: Sequence[LevelForm] | None = None
    active: bool | None = None


# -- checks ----------------------------------------------------------------------------------------
def _service_item(uow: UnitOfWork, checks: Checks, f: ServiceItemForm, creating: bool, current: Any) -> dict[str, Any]:
    v: dict[str, Any] = {}
    if creating or f.name is not None:
        v["name"] = checks.text("name", f.name, label="服务项目名称", max_len=64)
    if creating or f.category is not None:
        v["category"] = checks.text("category", f.category, label="服务类别", max_len=32)
    if creating or f.standard_minutes is not None:
        ok = f.standard_minutes is not None and 5 <= f.standard_minutes <= 24 * 60
        if checks.require("standard_minutes", ok, "标准服务时长应为5～1440分钟", "OUT_OF_RANGE"):
            v["standard_minutes"] = f.standard_minutes
    if creating or f.price_fen is not None:
        v["price"] = checks.money("price_fen", f.price_fen, label="价格")
    if f.description is not None:
        v["description"] = checks.text("description", f.description, label="说明", max_len=500, required=False) or ""
    v.update({k: getattr(f, k) for k in ("subsidy_eligible", "active") if getattr(f, k) is not None})
    return v


_MODE = choice(SubsidyMode, "补贴方式应为 amount（定额）或 ratio（比例）")


def _subsidy_type(uow: UnitOfWork, checks: Checks, f: SubsidyTypeForm, creating: bool, current: Any) -> dict[str, Any]:
    v: dict[str, Any] = {}
    if creating or f.region_code is not None:
        v["region_code"] = check_region(uow, checks, "region_code", f.region_code)
    if creating or f.name is not None:
        v["name"] = checks.text("name", f.name, label="补贴类型名称", max_len=64)
    mode = checks.parse("mode", _MODE, f.mode or "") if creating or f.mode is not None else current.mode
    v["mode"] = mode
    amount = f.amount_fen if f.amount_fen is not None else (None if creating else getattr(current.amount, "fen", None))
    ratio = f.ratio_bp if f.ratio_bp is not None else (None if creating else current.ratio_bp)
    if mode is SubsidyMode.AMOUNT:
        v["amount"], v["ratio_bp"] = checks.money("amount_fen", amount, label="补贴金额"), None
    elif mode is SubsidyMode.RATIO:
        valid = ratio is not None and 1 <= ratio <= 10_000
        if checks.require("ratio_bp", valid, "补贴比例应为1～10000（万分比）", "OUT_OF_RANGE"):
            v["ratio_bp"], v["amount"] = ratio, None
    if f.cap_fen is not None:
        v["cap"] = None if f.cap_fen == 0 else checks.money("cap_fen", f.cap_fen, label="封顶金额")
    if f.active is not None:
        v["active"] = f.active
    return v


def _renovation_item(uow: UnitOfWork, checks: Checks, f: RenovationItemForm, creating: bool,
                     current: Any) -> dict[str, Any]:
    v: dict[str, Any] = {}
    if creating or f.name is not None:
        v["name"] = checks.text("name", f.name, label="改造项目名称", max_len=64)
    if creating or f.unit is not None:
        v["unit"] = checks.text("unit", f.unit, label="计量单位", max_len=8)
    if creating or f.price_fen is not None:
        v["price"] = checks.money("price_fen", f.price_fen, label="单价")
    if f.description is not None:
        v["description"] = checks.text("description", f.description, label="说明", max_len=500, required=False) or ""
    if f.active is not None:
        v["active"] = f.active
    return v


def _scale(uow: UnitOfWork, checks: Checks, f: ScaleForm, creating: bool, current: Any) -> dict[str, Any]:
    v: dict[str, Any] = {}
    if creating or f.name is not None:
        v["name"] = checks.text("name", f.name, label="量表名称", max_len=64)
    if f.description is not None:
        v["description"] = checks.text("description", f.description, label="说明", max_len=500, required=False) or ""
    if creating or f.items is not None or f.levels is not None:
        items = tuple(
            ScaleItem(
                code=checks.text(f"items.{n}.code", i.code, label="评估项编码", max_len=16) or "",
                question=checks.text(f"items.{n}.question", i.question, label="评估项", max_len=200) or "",
                options=tuple(ScaleOption(checks.text(f"items.{n}.options.{m}.label", o.label, label="选项",
                                                      max_len=64) or "", o.score) for m, o in enumerate(i.options)),
            )
            for n, i in enumerate(f.items or [])
        ) if f.items is not None else (current.items if current else ())
        levels = tuple(
            LevelBand(checks.text(f"levels.{n}.name", lv.name, label="等级名称", max_len=32) or "", lv.min_score,
                      lv.max_score)
            for n, lv in enumerate(f.levels or [])
        ) if f.levels is not None else (current.levels if current else ())
        checks.errors.extend(scale_problems(items, levels))
        v["items"], v["levels"] = items, levels
    if f.active is not None:
        v["active"] = f.active
    return v


# -- the generic create/update/list of a catalogue ---------------------------------------------------
@frozen
class Catalog(Generic[V]):
    kind: str  # 服务项目 …
    repo: Callable[[UnitOfWork], CatalogRepository[Any]]
    model: type[Aggregate]
    check: Callable[[UnitOfWork, Checks, Any, bool, Any], dict[str, Any]]
    view: Callable[[Any], V]


SERVICE_ITEMS = Catalog("服务项目", lambda u: u.service_items, ServiceItem, _service_item, ServiceItemView.of)
SUBSIDY_TYPES = Catalog("补贴类型", lambda u: u.subsidy_types, SubsidyType, _subsidy_type, SubsidyTypeView.of)
RENOVATION_ITEMS = Catalog("改造项目", lambda u: u.renovation_items, RenovationItem, _renovation_item,
                           RenovationItemView.of)
SCALES = Catalog("评估量表", lambda u: u.scales, AssessmentScale, _scale, ScaleView.of)


def create_entry(rt: Runtime, principal: Principal, catalog: Catalog[V], form: Any) -> V:
    require(principal, Operation.HOMEBED_CONFIG_WRITE)
    with rt.uow() as uow:
        checks = Checks()
        values = catalog.check(uow, checks, form, True, None)
        checks.done()
        now = rt.clock.now()
        item = catalog.model(id=rt.ids.new_id(), created_at=now, **values)  # type: ignore[call-arg]
        item.record_created(principal.actor, now)
        catalog.repo(uow).add(item)
        uow.commit()
        return catalog.view(item)


def _get(uow: UnitOfWork, catalog: Catalog[Any], ident: str) -> Any:
    item = catalog.repo(uow).get(ident)
    if item is None:
        raise NotFound(catalog.kind, ident)
    return item


def update_entry(rt: Runtime, principal: Principal, catalog: Catalog[V], ident: str, form: Any,
                 expected_version: int | None = None) -> V:
    require(principal, Operation.HOMEBED_CONFIG_WRITE)
    with rt.uow() as uow:
        item = _get(uow, catalog, ident)
        checks = Checks()
        values = catalog.check(uow, checks, form, False, item)
        checks.done()
        item.expect_version(expected_version)
        if item.change(values, principal.actor, rt.clock.now()):
            catalog.repo(uow).save(item)
            uow.commit()
        return catalog.view(item)


def get_entry(rt: Runtime, principal: Principal, catalog: Catalog[V], ident: str) -> V:
    require(principal, Operation.HOMEBED_CONFIG_READ)
    with rt.uow() as uow:
        return catalog.view(_get(uow, catalog, ident))


def list_entries(rt: Runtime, principal: Principal, catalog: Catalog[V], *, active: bool | None = None,
                 region_code: str | None = None) -> list[V]:
    require(principal, Operation.HOMEBED_CONFIG_READ)
    with rt.uow() as uow:
        items = catalog.repo(uow).all(active=active)
        if region_code:  # subsidy types that apply to an address in this region
            items = [i for i in items if region_code.startswith(region_prefix(i.region_code))]
        return [catalog.view(i) for i in items]


# -- renovation item pictures ---------------------------------------------------------------------------
def add_picture(rt: Runtime, principal: Principal, ident: str, upload: Upload) -> RenovationItemView:
    require(principal, Operation.HOMEBED_CONFIG_WRITE)
    with rt.uow() as uow:
        item: RenovationItem = _get(uow, RENOVATION_ITEMS, ident)
        if len(item.pictures) >= MAX_PICTURES:
            raise ValidationFailed([FieldError("file", f"每个改造项目最多{MAX_PICTURES}张图片", "TOO_MANY")])
        with stored_uploads(rt) as refs:
            refs.append(ref := store_upload(rt, "renovation_items", upload))
            if ref.content_type == "application/pdf":
                raise ValidationFailed([FieldError("file", "改造项目图片只能是 JPG 或 PNG", "UNSUPPORTED_TYPE")])
            item.change({"pictures": (*item.pictures, ref)}, principal.actor, rt.clock.now(), name="picture_added")
            uow.renovation_items.save(item)
            uow.commit()
        return RenovationItemView.of(item)


def remove_picture(rt: Runtime, principal: Principal, ident: str, key: str) -> RenovationItemView:
    require(principal, Operation.HOMEBED_CONFIG_WRITE)
    with rt.uow() as uow:
        item: RenovationItem = _get(uow, RENOVATION_ITEMS, ident)
        if not any(p.key == key for p in item.pictures):
            raise NotFound("文件", key)
        item.change({"pictures": tuple(p for p in item.pictures if p.key != key)}, principal.actor, rt.clock.now(),
                    name="picture_removed")
        uow.renovation_items.save(item)
        uow.commit()
        rt.files.delete(key)
        return RenovationItemView.of(item)


def picture(rt: Runtime, principal: Principal, ident: str, key: str) -> tuple[Any, bytes]:
    require(principal, Operation.HOMEBED_CONFIG_READ)
    with rt.uow() as uow:
        item: RenovationItem = _get(uow, RENOVATION_ITEMS, ident)
        return read_file(rt, next((p for p in item.pictures if p.key == key), None), key)


# -- business settings -----------------------------------------------------------------------------------
def get_settings(rt: Runtime, principal: Principal) -> SettingsView:
    require(principal, Operation.HOMEBED_CONFIG_READ)
    with rt.uow() as uow:
        return SettingsView.of(current_settings(uow, rt.clock.now()))


def update_settings(rt: Runtime, principal: Principal, values: dict[str, int | None],
                    expected_version: int | None = None) -> SettingsView:
    require(principal, Operation.HOMEBED_CONFIG_WRITE)
    checks = Checks()
    changes: dict[str, int] = {}
    for name, value in values.items():
        if value is None:
            continue
        low, high, label = SETTING_LIMITS[name]
        if checks.require(name, low <= value <= high, f"{label}应在{low}～{high}之间", "OUT_OF_RANGE"):
            changes[name] = value
    checks.done()
    with rt.uow() as uow:
        now = rt.clock.now()
        settings = uow.homebed_settings.get(current_settings(uow, now).id)
        if settings is None:
            settings = current_settings(uow, now)
            settings.change(changes, principal.actor, now)
            uow.homebed_settings.add(settings)
        else:
            settings.expect_version(expected_version)
            if settings.change(changes, principal.actor, now):
                uow.homebed_settings.save(settings)
        uow.commit()
        return SettingsView.of(settings)
