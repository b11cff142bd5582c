"""Elders' files (老年人档案): register, change, read. One validation serves the form and the import."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import attrs
from attrs import frozen

from yiyangkang.domain.elders.elder import Elder, EmergencyContact, Gender
from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import Conflict
from yiyangkang.domain.kernel.identifiers import (
    id_card_birth_date,
    id_card_gender_digit,
    parse_id_card,
    parse_mobile,
    parse_region_code,
)
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.timekeeping import business_date
from yiyangkang.domain.kernel.validation import Checks, choice
from yiyangkang.domain.orgs.staff import Profession
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import (
    allows,
    elder_target,
    institution_of,
    load_elder,
    load_institution,
    owner_target,
    visibility,
)
from yiyangkang.services.institutions import check_region
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.views import ElderView

MAX_EMERGENCY_CONTACTS = 5
_GENDER = choice(Gender, "性别应为 male（男）或 female（女）")


@frozen(kw_only=True)
class EmergencyContactForm:
    name: str
    phone: str
    relation: str


@frozen(kw_only=True)
class ElderForm:
    """An elder's file as typed in; None leaves a field unchanged on update."""

    institution_id: str | None = None
    name: str | None = None
    id_card_no: str | None = None
    gender: str | None = None  # derived from the ID number when omitted
    birth_date: date | None = None  # derived from the ID number when omitted
    phone: str | None = None
    region_code: str | None = None
    emergency_contacts: Sequence[EmergencyContactForm] | None = None
    primary_doctor_id: str | None = None


def check_identity(checks: Checks, form: ElderForm, today: date) -> dict[str, object]:
    """ID number, and gender and birth date agreeing with it (GB 11643); nobody is born tomorrow."""
    values: dict[str, object] = {}
    id_card = checks.parse("id_card_no", parse_id_card, form.id_card_no or "")
    if id_card is None:
        return values
    values["id_card_no"] = id_card
    derived_gender = Gender.MALE if id_card_gender_digit(id_card) % 2 else Gender.FEMALE
    derived_birth = id_card_birth_date(id_card)
    if not checks.require("id_card_no", derived_birth <= today, "身份证号中的出生日期晚于今天"):
        return values
    gender = checks.parse("gender", _GENDER, form.gender) if form.gender else derived_gender
    if gender is not None and checks.require("gender", gender is derived_gender, "性别与身份证号不符"):
        values["gender"] = gender
    birth = form.birth_date or derived_birth
    if checks.require("birth_date", birth == derived_birth, "出生日期与身份证号不符"):
        values["birth_date"] = birth
    return values


def check_contacts(checks: Checks, contacts: Sequence[EmergencyContactForm]) -> tuple[EmergencyContact, ...]:
    checks.require("emergency_contacts", len(contacts) <= MAX_EMERGENCY_CONTACTS,
                   f"紧急联系人最多{MAX_EMERGENCY_CONTACTS}位", code="TOO_MANY")
    result = []
    for n, c in enumerate(contacts):
        name = checks.text(f"emergency_contacts.{n}.name", c.name, label="联系人姓名", max_len=32)
        phone = checks.parse(f"emergency_contacts.{n}.phone", parse_mobile, c.phone)
        relation = checks.text(f"emergency_contacts.{n}.relation", c.relation, label="关系", max_len=16)
        if name and phone and relation:
            result.append(EmergencyContact(name=name, phone=phone, relation=relation))
    return tuple(result)


def check_elder_fields(
    checks: Checks, form: ElderForm, *, creating: bool, today: date, known_region: bool | None = None
) -> dict[str, object]:
    """Everything about an elder's file that needs no database. `known_region` is the caller's
    verdict on the region code when it looked it up already (the import does so in bulk)."""
    values: dict[str, object] = {}
    if creating or form.name is not None:
        values["name"] = checks.text("name", form.name, label="姓名", max_len=32)
    if creating or form.id_card_no is not None:
        values.update(check_identity(checks, form, today))
    if form.phone is not None:
        values["phone"] = checks.parse("phone", parse_mobile, form.phone) if form.phone.strip() else None
    if creating or form.region_code is not None:
        code = checks.parse("region_code", parse_region_code, form.region_code or "")
        if code is not None and known_region is False:
            checks.fail("region_code", "行政区划代码不存在", code="UNKNOWN_REGION")
        values["region_code"] = code
    if form.emergency_contacts is not None:
        values["emergency_contacts"] = check_contacts(checks, form.emergency_contacts)
    return values


def _check_doctor(uow: UnitOfWork, principal: Principal, checks: Checks, doctor_id: str | None) -> None:
    """An active doctor the caller may see; anything else, existing elsewhere or not, reads the same."""
    if doctor_id:
        doctor = uow.staff.get(doctor_id)
        ok = (
            doctor is not None and doctor.active and doctor.profession is Profession.DOCTOR
            and allows(principal, Operation.STAFF_READ, owner_target(uow, doctor.institution_id))
        )
        checks.require("primary_doctor_id", ok, "家庭医生不存在", code="UNKNOWN_DOCTOR")


def register_elder(rt: Runtime, principal: Principal, form: ElderForm) -> ElderView:
    """建档: create an elder's file under an institution in the caller's scope."""
    with rt.uow() as uow:
        institution_id = institution_of(principal, Operation.ELDER_CREATE, form.institution_id)
        inst = load_institution(uow, principal, Operation.ELDER_CREATE, institution_id)
        checks = Checks()
        values = check_elder_fields(checks, form, creating=True, today=business_date(rt.clock.now()))
        if values.get("region_code"):
            values["region_code"] = check_region(uow, checks, "region_code", str(values["region_code"]))
        _check_doctor(uow, principal, checks, form.primary_doctor_id)
        checks.done()
        if uow.elders.by_id_card(str(values["id_card_no"])):
            raise Conflict("该身份证号已建档", code="ELDER_ID_CARD_TAKEN")
        now = rt.clock.now()
        elder = Elder(id=rt.ids.new_id(), institution_id=inst.id, primary_doctor_id=form.primary_doctor_id or None,
                      created_at=now, **values)  # type: ignore[arg-type]
        elder.record_created(principal.actor, now, name="registered")
        uow.elders.add(elder)
        uow.commit()
        return ElderView.of(elder, business_date(now), reveal=True)


def update_elder(
    rt: Runtime, principal: Principal, ident: str, form: ElderForm, expected_version: int | None = None
) -> ElderView:
    with rt.uow() as uow:
        elder = load_elder(uow, principal, Operation.ELDER_UPDATE, ident)
        checks = Checks()
        checks.require("institution_id", form.institution_id in (None, elder.institution_id),
                       "建档机构不能在此修改", code="IMMUTABLE")
        if form.id_card_no is None and (form.gender is not None or form.birth_date is not None):
            # Gender and birth date follow from the ID number: a change must agree with the one on file.
            form = attrs.evolve(form, id_card_no=elder.id_card_no)
        values = check_elder_fields(checks, form, creating=False, today=business_date(rt.clock.now()))
        if form.region_code is not None and values.get("region_code"):
            values["region_code"] = check_region(uow, checks, "region_code", str(values["region_code"]))
        if form.primary_doctor_id is not None:
            _check_doctor(uow, principal, checks, form.primary_doctor_id)
            values["primary_doctor_id"] = form.primary_doctor_id or None
        checks.done()
        elder.expect_version(expected_version)
        new_card = values.get("id_card_no")
        if new_card and new_card != elder.id_card_no and uow.elders.by_id_card(str(new_card)):
            raise Conflict("该身份证号已建档", code="ELDER_ID_CARD_TAKEN")
        now = rt.clock.now()
        if elder.change(values, principal.actor, now):
            uow.elders.save(elder)
            uow.commit()
        return ElderView.of(elder, business_date(now), reveal=allows(principal, Operation.ELDER_READ_IDENTITY,
                                                                     elder_target(uow, elder)))


def get_elder(rt: Runtime, principal: Principal, ident: str) -> ElderView:
    """Detail view: identity fields in full only for roles holding ELDER_READ_IDENTITY on this elder."""
    with rt.uow() as uow:
        elder = load_elder(uow, principal, Operation.ELDER_READ, ident)
        reveal = allows(principal, Operation.ELDER_READ_IDENTITY, elder_target(uow, elder))
        return ElderView.of(elder, business_date(rt.clock.now()), reveal=reveal)


def list_elders(
    rt: Runtime, principal: Principal, page: PageRequest, *, keyword: str | None = None,
    region_code: str | None = None, institution_id: str | None = None,
) -> Page[ElderView]:
    """Lists always mask identity fields."""
    vis = visibility(principal, Operation.ELDER_READ)
    today = business_date(rt.clock.now())
    with rt.uow() as uow:
        found = uow.elders.list(vis, page, keyword=keyword, region_code=region_code, institution_id=institution_id)
        return found.map(lambda e: ElderView.of(e, today))
