"""Bed applications (床位申请, HB-01/HB-02, S-04): the QR code that opens the form, filing, editing,
proof materials, withdrawal and review."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from attrs import frozen

from yiyangkang.domain.homebed.applications import ApplicantKind, ApplicationStatus, BedApplication
from yiyangkang.domain.homebed.contracts import IN_TERM, Contract
from yiyangkang.domain.identity.accounts import Role
from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import Conflict, FieldError, NotFound, ValidationFailed
from yiyangkang.domain.kernel.events import Actor
from yiyangkang.domain.kernel.files import FileRef
from yiyangkang.domain.kernel.identifiers import parse_mobile
from yiyangkang.domain.kernel.numbers import NumberKind
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.validation import Checks
from yiyangkang.domain.orgs.regions import region_prefix
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import allows, institution_of, load_institution, owner_target, require, visibility
from yiyangkang.services.elders import ElderForm, check_identity
from yiyangkang.services.homebed.common import (
    Upload,
    events_of,
    load_owned,
    next_number,
    read_file,
    store_upload,
    stored_uploads,
    today,
)
from yiyangkang.services.homebed.views import ApplicationView
from yiyangkang.services.institutions import check_region
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.views import AuditEventView

KIND = "床位申请"
CALENDAR = Actor.system("homebed-calendar")


@frozen
class ApplyCode:
    """申请二维码: what the QR code carries (`url`, with the signed token) and for whom."""

    token: str
    url: str
    institution_id: str
    institution_name: str
    region_code: str
    expires_at: datetime


@frozen
class ApplyFormInfo:
    """What a scanned code opens: whose form it is."""

    institution_id: str
    institution_name: str
    region_code: str
    region_name: str
    expires_at: datetime


@frozen(kw_only=True)
class ApplicationForm:
    token: str | None = None  # from the QR code: required for elders and families
    institution_id: str | None = None  # staff filing on an elder's behalf (S-04) may name it
    elder_name: str | None = None
    id_card_no: str | None = None
    gender: str | None = None
    phone: str | None = None
    region_code: str | None = None
    address: str | None = None
    condition: str | None = None
    applicant_name: str | None = None
    applicant_phone: str | None = None


def mint_apply_code(
    rt: Runtime, principal: Principal, institution_id: str | None, days: int | None = None
) -> ApplyCode:
    """An expiring, signed application code of an institution the caller works for."""
    ident = institution_of(principal, Operation.APPLY_CODE_CREATE, institution_id)
    days = rt.settings.apply_code_days if days is None else days
    if not 1 <= days <= 366:
        raise ValidationFailed([FieldError("days", "有效期应为1～366天", "OUT_OF_RANGE")])
    with rt.uow() as uow:
        inst = load_institution(uow, principal, Operation.APPLY_CODE_CREATE, ident)
        expires = rt.clock.now() + timedelta(days=days)
        token = rt.signer.sign({"inst": inst.id, "region": inst.region_code}, expires)
        url = f"{rt.settings.public_url}/api/v1/homebed/apply-form?token={token}"
        return ApplyCode(token, url, inst.id, inst.name, inst.region_code, expires)


def _claims(rt: Runtime, token: str) -> dict[str, str]:
    try:
        claims = rt.signer.verify(token, rt.clock.now())
    except ValueError:
        raise ValidationFailed([FieldError("token", "申请二维码无效或已过期，请向机构索取新的二维码",
                                           "INVALID_TOKEN")]) from None
    return {"inst": str(claims.get("inst")), "region": str(claims.get("region")), "exp": str(claims.get("exp"))}


def open_apply_form(rt: Runtime, token: str) -> ApplyFormInfo:
    """Scanning the code: anyone holding a valid token learns which institution's form it opens."""
    claims = _claims(rt, token)
    with rt.uow() as uow:
        inst = uow.institutions.get(claims["inst"])
        region = uow.regions.get(claims["region"])
        if inst is None:
            raise ValidationFailed([FieldError("token", "申请二维码对应的机构不存在", "INVALID_TOKEN")])
        return ApplyFormInfo(inst.id, inst.name, claims["region"], region.name if region else "",
                             datetime.fromtimestamp(int(claims["exp"]), tz=rt.clock.now().tzinfo))


def _applicant_kind(principal: Principal) -> ApplicantKind:
    return {Role.ELDER: ApplicantKind.SELF, Role.FAMILY: ApplicantKind.FAMILY}.get(principal.role, ApplicantKind.STAFF)


def _fields(uow: UnitOfWork, checks: Checks, form: ApplicationForm, *, creating: bool, today_: date,
            region_scope: str | None) -> dict[str, object]:
    v: dict[str, object] = {}
    if creating or form.elder_name is not None:
        v["elder_name"] = checks.text("elder_name", form.elder_name, label="老人姓名", max_len=32)
    if creating or form.id_card_no is not None:
        identity = check_identity(checks, ElderForm(id_card_no=form.id_card_no, gender=form.gender), today_)
        v.update({k: identity[k] for k in ("id_card_no", "gender", "birth_date") if k in identity})
    if form.phone is not None:
        v["phone"] = checks.parse("phone", parse_mobile, form.phone) if form.phone.strip() else None
    if creating or form.region_code is not None:
        code = check_region(uow, checks, "region_code", form.region_code)
        if code and region_scope and not code.startswith(region_prefix(region_scope)):
            checks.fail("region_code", "老人居住地不在该机构的服务区域内", "OUTSIDE_SERVICE_AREA")
        v["region_code"] = code
    if creating or form.address is not None:
        v["address"] = checks.text("address", form.address, label="详细地址", max_len=200)
    if form.condition is not None:
        v["condition"] = checks.text("condition", form.condition, label="健康状况", max_len=500, required=False) or ""
    if form.applicant_name is not None:
        v["applicant_name"] = checks.text("applicant_name", form.applicant_name, label="申请人姓名", max_len=32)
    if form.applicant_phone is not None:
        v["applicant_phone"] = checks.parse("applicant_phone", parse_mobile, form.applicant_phone)
    return v


def submit_application(rt: Runtime, principal: Principal, form: ApplicationForm) -> ApplicationView:
    """File an application: elders and families through a scanned code, staff on the elder's behalf."""
    require(principal, Operation.BED_APPLY)
    kind = _applicant_kind(principal)
    with rt.uow() as uow:
        # The number first: it is this unit of work's first write, which SQLite needs before any read
        # (a rolled-back submission gives its number back).
        now = rt.clock.now()
        number = next_number(uow, NumberKind.APPLICATION, now)
        checks = Checks()
        if form.token:
            claims = _claims(rt, form.token)
            institution_id, region_scope = claims["inst"], claims["region"]
        elif kind is not ApplicantKind.STAFF:
            raise ValidationFailed([FieldError("token", "请扫描机构的床位申请二维码后填写", "REQUIRED")])
        else:
            institution_id, region_scope = institution_of(principal, Operation.BED_APPLY, form.institution_id), None
        if kind is ApplicantKind.STAFF:
            load_institution(uow, principal, Operation.BED_APPLY, institution_id)
        elif uow.institutions.get(institution_id) is None:
            raise ValidationFailed([FieldError("token", "申请二维码对应的机构不存在", "INVALID_TOKEN")])
        values = _fields(uow, checks, form, creating=True, today_=today(rt), region_scope=region_scope)
        if kind is ApplicantKind.SELF:  # 本人申请: the applicant is the elder
            values.setdefault("applicant_name", values.get("elder_name"))
            values.setdefault("applicant_phone", values.get("phone"))
        _own_card(uow, checks, principal, values.get("id_card_no"), kind)
        checks.require("applicant_name", bool(values.get("applicant_name")), "请填写申请人姓名", "REQUIRED")
        checks.require("applicant_phone", bool(values.get("applicant_phone")), "请填写申请人手机号", "REQUIRED")
        checks.done()
        id_card = str(values["id_card_no"])
        if uow.applications.open_for_id_card(id_card):
            raise Conflict("该老人已有待审核或待签约的床位申请", code="BED_APPLICATION_EXISTS")
        elder = uow.elders.by_id_card(id_card)
        if elder is not None and contracts_in_force(uow, elder.id, today(rt), now):
            raise Conflict("该老人已有生效中的家床签约", code="CONTRACT_ALREADY_IN_FORCE")
        app = BedApplication(
            id=rt.ids.new_id(), number=number, institution_id=institution_id,
            elder_id=elder.id if elder else None, applicant_kind=kind, applicant_account_id=principal.account_id,
            created_at=now, **values,  # type: ignore[arg-type]
        )
        app.record_created(principal.actor, now, name="submitted")
        uow.applications.add(app)
        uow.commit()
        return ApplicationView.of(app, reveal=True)


def _own_card(uow: UnitOfWork, checks: Checks, principal: Principal, card: object, kind: ApplicantKind) -> None:
    """An elder applies for themselves, a family member for the elders linked to them: the ID number must be
    one of theirs. (Answering the same whether or not the number is on file keeps strangers' files and
    beds unknown to them.)"""
    own = [uow.elders.get(e) for e in principal.elder_ids]
    ok = any(e and e.id_card_no == card for e in own)
    if kind is ApplicantKind.SELF:
        checks.require("id_card_no", ok, "本人申请须填写本人的身份证号", "NOT_SELF")
    elif kind is ApplicantKind.FAMILY:
        checks.require("id_card_no", ok, "家属只能为已关联的老人申请，请先由机构关联家属", "NOT_LINKED")


def contracts_in_force(uow: UnitOfWork, elder_id: str, day: date, now: datetime,
                       besides: str | None = None) -> list[Contract]:
    """The elder's contracts pending start or active *today* (other than `besides`, which the caller holds):
    stored statuses are rolled first, so a contract that expired overnight does not block a new application
    before the daily job runs."""
    found = []
    for contract in uow.contracts.in_term_for_elder(elder_id):
        if contract.id == besides:
            continue
        if contract.roll(day, CALENDAR, now):
            uow.contracts.save(contract)
        if contract.status in IN_TERM:
            found.append(contract)
    return found


def _load(uow: UnitOfWork, principal: Principal, op: Operation, ident: str, *, lock: bool = False) -> BedApplication:
    item = uow.applications.lock(ident) if lock else uow.applications.get(ident)
    return load_owned(uow, principal, op, item, KIND, ident, account_id=lambda a: a.applicant_account_id)


def _reveal(uow: UnitOfWork, principal: Principal, app: BedApplication) -> bool:
    return app.applicant_account_id == principal.account_id or allows(
        principal, Operation.ELDER_READ_IDENTITY, owner_target(uow, app.institution_id))


def update_application(rt: Runtime, principal: Principal, ident: str, form: ApplicationForm,
                       expected_version: int | None = None) -> ApplicationView:
    with rt.uow() as uow:
        app = _load(uow, principal, Operation.BED_APPLY, ident, lock=True)
        checks = Checks()
        region = uow.institutions.get(app.institution_id)
        values = _fields(uow, checks, form, creating=False, today_=today(rt),
                         region_scope=region.region_code if region and app.applicant_kind is not ApplicantKind.STAFF
                         else None)
        card = values.get("id_card_no")
        changed_card = bool(card) and card != app.id_card_no
        if changed_card:
            _own_card(uow, checks, principal, card, app.applicant_kind)
        checks.done()
        app.expect_version(expected_version)
        if changed_card:
            if uow.applications.open_for_id_card(str(card)):
                raise Conflict("该老人已有待审核或待签约的床位申请", code="BED_APPLICATION_EXISTS")
            elder = uow.elders.by_id_card(str(card))  # the file the new number belongs to, if any
            values["elder_id"] = elder.id if elder else None
        if app.edit(values, principal.actor, rt.clock.now()):
            uow.applications.save(app)
            uow.commit()
        return ApplicationView.of(app, reveal=_reveal(uow, principal, app))


def attach_material(rt: Runtime, principal: Principal, ident: str, upload: Upload) -> ApplicationView:
    with rt.uow() as uow:
        app = _load(uow, principal, Operation.BED_APPLY, ident, lock=True)
        with stored_uploads(rt) as refs:
            refs.append(store_upload(rt, "materials", upload))
            app.attach(refs[0], principal.actor, rt.clock.now())
            uow.applications.save(app)
            uow.commit()
        return ApplicationView.of(app, reveal=_reveal(uow, principal, app))


def remove_material(rt: Runtime, principal: Principal, ident: str, key: str) -> ApplicationView:
    with rt.uow() as uow:
        app = _load(uow, principal, Operation.BED_APPLY, ident, lock=True)
        if app.detach(key, principal.actor, rt.clock.now()) is None:
            raise NotFound("文件", key)
        uow.applications.save(app)
        uow.commit()
        rt.files.delete(key)  # an ID-card scan the user removed is not kept
        return ApplicationView.of(app, reveal=_reveal(uow, principal, app))


def material(rt: Runtime, principal: Principal, ident: str, key: str) -> tuple[FileRef, bytes]:
    """A proof material, for the applicant and those who may see the elder's identity."""
    with rt.uow() as uow:
        app = _load(uow, principal, Operation.BED_APPLICATION_READ, ident)
        ref = next((m for m in app.materials if m.key == key), None) if _reveal(uow, principal, app) else None
        return read_file(rt, ref, key)


def withdraw_application(rt: Runtime, principal: Principal, ident: str, reason: str = "") -> ApplicationView:
    with rt.uow() as uow:
        app = _load(uow, principal, Operation.BED_APPLY, ident, lock=True)
        app.withdraw(reason.strip(), principal.actor, rt.clock.now())
        uow.applications.save(app)
        uow.commit()
        return ApplicationView.of(app, reveal=_reveal(uow, principal, app))


def review_application(rt: Runtime, principal: Principal, ident: str, *, approve: bool, note: str = "",
                       expected_version: int | None = None) -> ApplicationView:
    """审核: approve (the elder may be signed) or reject with a reason."""
    with rt.uow() as uow:
        app = _load(uow, principal, Operation.BED_APPLICATION_REVIEW, ident, lock=True)
        app.expect_version(expected_version)
        now = rt.clock.now()
        if approve:
            app.approve(note.strip(), principal.actor, now)
        else:
            app.reject(note.strip(), principal.actor, now)
        uow.applications.save(app)
        uow.commit()
        return ApplicationView.of(app, reveal=_reveal(uow, principal, app))


def get_application(rt: Runtime, principal: Principal, ident: str) -> ApplicationView:
    with rt.uow() as uow:
        app = _load(uow, principal, Operation.BED_APPLICATION_READ, ident)
        return ApplicationView.of(app, reveal=_reveal(uow, principal, app))


def application_events(rt: Runtime, principal: Principal, ident: str) -> list[AuditEventView]:
    with rt.uow() as uow:
        _load(uow, principal, Operation.BED_APPLICATION_READ, ident)
        return events_of(uow, ident)


def list_applications(
    rt: Runtime, principal: Principal, page: PageRequest, *, status: ApplicationStatus | None = None,
    institution_id: str | None = None, keyword: str | None = None,
) -> Page[ApplicationView]:
    """申请记录 by status; lists are masked."""
    vis = visibility(principal, Operation.BED_APPLICATION_READ)
    with rt.uow() as uow:
        return uow.applications.list(vis, page, status=status, institution_id=institution_id,
                                     keyword=keyword).map(ApplicationView.of)
