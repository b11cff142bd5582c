"""Institutions (机构): register, change, read; scoped to the caller's institution subtree."""

from __future__ import annotations

import re

from attrs import frozen

from yiyangkang.domain.identity.policy import Operation, Scope, within
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import Conflict
from yiyangkang.domain.kernel.identifiers import parse_credit_code, parse_mobile, parse_region_code
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.validation import Checks, choice
from yiyangkang.domain.orgs.institutions import GeoPoint, Institution, InstitutionType
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import institution_target, load_institution, require, visibility
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.views import InstitutionView


@frozen(kw_only=True)
class InstitutionForm:
    """What a form may say about an institution; None leaves a field as it is (on change)."""

    name: str | None = None
    credit_code: str | None = None
    type: str | None = None
    region_code: str | None = None
    address: str | None = None
    parent_id: str | None = None
    lng: float | None = None
    lat: float | None = None
    contact_phone: str | None = None


def check_region(uow: UnitOfWork, checks: Checks, name: str, raw: str | None) -> str | None:
    """A region code that is well-formed *and* known."""
    code = checks.parse(name, parse_region_code, raw or "")
    if code is not None and uow.regions.get(code) is None:
        checks.fail(name, "行政区划代码不存在", code="UNKNOWN_REGION")
        return None
    return code


def check_location(checks: Checks, lng: float | None, lat: float | None) -> GeoPoint | None:
    """Longitude and latitude come together and within range (or neither comes)."""
    if lng is None and lat is None:
        return None
    if lng is None or lat is None:
        checks.fail("lng" if lng is None else "lat", "经纬度须同时填写")
        return None
    ok = checks.require("lng", -180 <= lng <= 180, "经度应在-180到180之间")
    ok = checks.require("lat", -90 <= lat <= 90, "纬度应在-90到90之间") and ok
    return GeoPoint(lng=lng, lat=lat) if ok else None


def _fields(uow: UnitOfWork, form: InstitutionForm, checks: Checks, *, creating: bool) -> dict[str, object]:
    """Validated values for the fields the form sets (all required ones when creating)."""
    values: dict[str, object] = {}
    if creating or form.name is not None:
        values["name"] = checks.text("name", form.name, label="机构名称", max_len=128)
    if creating or form.credit_code is not None:
        values["credit_code"] = checks.parse("credit_code", parse_credit_code, form.credit_code or "")
    if creating or form.type is not None:
        values["type"] = checks.parse("type", choice(InstitutionType, "机构类型不在可选范围内"), form.type or "")
    if creating or form.region_code is not None:
        values["region_code"] = check_region(uow, checks, "region_code", form.region_code)
    if creating or form.address is not None:
        values["address"] = checks.text("address", form.address, label="地址", max_len=256)
    if form.contact_phone is not None:
        values["contact_phone"] = checks.parse("contact_phone", _contact_phone, form.contact_phone)
    if form.lng is not None or form.lat is not None:
        values["location"] = check_location(checks, form.lng, form.lat)
    return values


def _contact_phone(raw: str) -> str:
    """A mobile number, or a landline such as 020-83456789."""
    try:
        return parse_mobile(raw)
    except ValueError:
        parts = [p for p in re.split(r"[\s-]+", raw.strip()) if p]
        digits = "".join(parts)
        if digits.isascii() and digits.isdigit() and 7 <= len(digits) <= 12:
            return "-".join(parts)  # 020-83456789, whatever spacing was typed
        raise ValueError("联系电话格式不正确") from None


def register_institution(rt: Runtime, principal: Principal, form: InstitutionForm) -> InstitutionView:
    """Register an institution; admins may only add subordinates inside their own subtree."""
    scope = require(principal, Operation.INSTITUTION_CREATE)
    with rt.uow() as uow:
        checks = Checks()
        values = _fields(uow, form, checks, creating=True)
        parent = None
        if form.parent_id:
            parent = uow.institutions.get(form.parent_id)
            if parent is None or not within(principal, scope, institution_target(parent)):
                checks.fail("parent_id", "上级机构不存在", code="UNKNOWN_PARENT")
        elif scope is not Scope.ALL:
            checks.fail("parent_id", "请指定上级机构（本机构或下级机构）", code="REQUIRED")
        checks.done()
        if uow.institutions.by_credit_code(str(values["credit_code"])):
            raise Conflict("该统一社会信用代码已登记", code="INSTITUTION_CREDIT_CODE_TAKEN")
        new_id = rt.ids.new_id()
        inst = Institution(
            id=new_id, parent_id=parent.id if parent else None,
            path=Institution.child_path(parent.path if parent else None, new_id),
            created_at=rt.clock.now(), **values,  # type: ignore[arg-type]
        )
        inst.record_created(principal.actor, inst.created_at, name="registered")
        uow.institutions.add(inst)
        uow.commit()
        return InstitutionView.of(inst)


def update_institution(
    rt: Runtime, principal: Principal, ident: str, form: InstitutionForm, expected_version: int | None = None
) -> InstitutionView:
    with rt.uow() as uow:
        inst = load_institution(uow, principal, Operation.INSTITUTION_UPDATE, ident)
        checks = Checks()
        if form.parent_id is not None and form.parent_id != inst.parent_id:
            checks.fail("parent_id", "暂不支持变更上级机构", code="IMMUTABLE")
        values = _fields(uow, form, checks, creating=False)
        checks.done()
        inst.expect_version(expected_version)
        renamed = "name" in values and values["name"] != inst.name
        if inst.change(values, principal.actor, rt.clock.now()):
            uow.institutions.save(inst)
            if renamed:  # the mall finds a store's products by the store's name too
                from yiyangkang.services.mall.catalogue import reindex_institution

                reindex_institution(uow, inst.id)
            uow.commit()
        return InstitutionView.of(inst)


def get_institution(rt: Runtime, principal: Principal, ident: str) -> InstitutionView:
    with rt.uow() as uow:
        return InstitutionView.of(load_institution(uow, principal, Operation.INSTITUTION_READ, ident))


def list_institutions(
    rt: Runtime, principal: Principal, page: PageRequest, *, keyword: str | None = None,
    region_code: str | None = None, type: InstitutionType | None = None, parent_id: str | None = None,
) -> Page[InstitutionView]:
    vis = visibility(principal, Operation.INSTITUTION_READ)
    with rt.uow() as uow:
        found = uow.institutions.list(vis, page, keyword=keyword, region_code=region_code, type=type,
                                      parent_id=parent_id)
        return found.map(InstitutionView.of)
