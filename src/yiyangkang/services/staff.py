"""Staff members (员工): hire, change, read; admins within their subtree, staff their own institution."""

from __future__ import annotations

from attrs import frozen

from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.identifiers import parse_mobile
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.validation import Checks, choice
from yiyangkang.domain.orgs.staff import Profession, StaffMember
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import allows, institution_of, load_institution, load_staff, owner_target, visibility
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.views import StaffView

_PROFESSION = choice(Profession, "职业不在可选范围内")


@frozen(kw_only=True)
class StaffForm:
    institution_id: str | None = None
    name: str | None = None
    phone: str | None = None
    profession: str | None = None
    license_no: str | None = None
    active: bool | None = None


def _fields(form: StaffForm, checks: Checks, current: StaffMember | None = None) -> dict[str, object]:
    """Validated values for the fields the form sets; `current` is the member being changed, if any."""
    creating = current is None
    values: dict[str, object] = {}
    if creating or form.name is not None:
        values["name"] = checks.text("name", form.name, label="姓名", max_len=32)
    if creating or form.phone is not None:
        values["phone"] = checks.parse("phone", parse_mobile, form.phone or "")
    if creating or form.profession is not None:
        values["profession"] = checks.parse("profession", _PROFESSION, form.profession or "")
    if form.license_no is not None:
        values["license_no"] = checks.text("license_no", form.license_no, label="执业证书编号", max_len=64,
                                           required=False)
    if form.active is not None:
        values["active"] = form.active
    # Doctors and nurses need a licence, whether hired as such or changed into one.
    profession = values.get("profession", current.profession if current else None)
    license_no = values.get("license_no", current.license_no if current else None)
    if profession in (Profession.DOCTOR, Profession.NURSE) and not license_no:
        checks.fail("license_no", "医生、护士须填写执业证书编号", code="REQUIRED")
    return values


def hire_staff(rt: Runtime, principal: Principal, form: StaffForm) -> StaffView:
    with rt.uow() as uow:
        checks = Checks()
        institution_id = institution_of(principal, Operation.STAFF_WRITE, form.institution_id)
        values = _fields(form, checks)
        checks.done()
        inst = load_institution(uow, principal, Operation.STAFF_WRITE, institution_id)
        member = StaffMember(id=rt.ids.new_id(), institution_id=inst.id, created_at=rt.clock.now(),
                             **values)  # type: ignore[arg-type]
        member.record_created(principal.actor, member.created_at, name="hired")
        uow.staff.add(member)
        uow.commit()
        return StaffView.of(member, reveal=True)


def update_staff(
    rt: Runtime, principal: Principal, ident: str, form: StaffForm, expected_version: int | None = None
) -> StaffView:
    with rt.uow() as uow:
        member = load_staff(uow, principal, Operation.STAFF_WRITE, ident)
        checks = Checks()
        checks.require("institution_id", form.institution_id in (None, member.institution_id),
                       "员工调动请办理离职后重新入职", code="IMMUTABLE")
        values = _fields(form, checks, member)
        checks.done()
        member.expect_version(expected_version)
        if member.change(values, principal.actor, rt.clock.now()):
            uow.staff.save(member)
            uow.commit()
        return StaffView.of(member, reveal=True)


def get_staff(rt: Runtime, principal: Principal, ident: str) -> StaffView:
    with rt.uow() as uow:
        member = load_staff(uow, principal, Operation.STAFF_READ, ident)
        # Work phones are shown in full to those who manage the staff member, and to the member.
        target = owner_target(uow, member.institution_id)
        reveal = allows(principal, Operation.STAFF_WRITE, target) or principal.staff_id == ident
        return StaffView.of(member, reveal=reveal)


def list_staff(
    rt: Runtime, principal: Principal, page: PageRequest, *, institution_id: str | None = None,
    profession: Profession | None = None, keyword: str | None = None,
) -> Page[StaffView]:
    vis = visibility(principal, Operation.STAFF_READ)
    with rt.uow() as uow:
        found = uow.staff.list(vis, page, institution_id=institution_id, profession=profession, keyword=keyword)
        return found.map(StaffView.of)


def check_worker(uow: UnitOfWork, checks: Checks, staff_id: str, institution_id: str,
                 field: str = "staff_id") -> None:
    """A serving worker (service, renovation) must be an active staff member of the institution."""
    member = uow.staff.get(staff_id)
    checks.require(field, member is not None and member.active and member.institution_id == institution_id,
                   "服务人员不存在或不属于该机构", "UNKNOWN_STAFF")
