"""Contracts (建床签约, HB-03…HB-07, S-05): sign from an approved application, terminate, renew,
change; the daily roll of statuses and the expiry reminders."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta

from attrs import frozen

from yiyangkang.domain.elders.elder import Elder
from yiyangkang.domain.homebed.applications import BedApplication
from yiyangkang.domain.homebed.assessment import Assessment, AssessmentKind
from yiyangkang.domain.homebed.contracts import (
    IN_TERM,
    Contract,
    ContractStatus,
    ContractTerms,
    Frequency,
    PlanLine,
    RenovationLine,
)
from yiyangkang.domain.homebed.renovation import RenovationStatus, RenovationTask
from yiyangkang.domain.identity.accounts import Role
from yiyangkang.domain.identity.policy import Operation, Visibility
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import Conflict
from yiyangkang.domain.kernel.masking import mask_id_card, mask_name
from yiyangkang.domain.kernel.numbers import NumberKind
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.timekeeping import add_years, business_date
from yiyangkang.domain.kernel.validation import Checks, choice
from yiyangkang.domain.orgs.regions import region_prefix
from yiyangkang.ports.homebed import Notice
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import visibility
from yiyangkang.services.homebed.applications import CALENDAR, contracts_in_force
from yiyangkang.services.homebed.applications import KIND as APPLICATION
from yiyangkang.services.homebed.common import current_settings, events_of, load_owned, next_number, today
from yiyangkang.services.homebed.views import ContractView
from yiyangkang.services.notifying import send_all
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.views import AuditEventView

KIND = "签约"
BACKDATE_DAYS = 90
SYSTEM = CALENDAR
_PER = choice(Frequency, "频次应为 week（每周）、month（每月）或 term（签约期内）")


@frozen(kw_only=True)
class PlanLineForm:
    service_item_id: str
    times: int
    per: str


@frozen(kw_only=True)
class RenovationLineForm:
    renovation_item_id: str
    quantity: int


@frozen(kw_only=True)
class AssessmentForm:
    scale_id: str
    answers: Mapping[str, int]
    note: str = ""


@frozen(kw_only=True)
class TermsForm:
    """The terms as typed. On a change (变更), None keeps that part of the current terms."""

    start_date: date | None = None
    expiry_date: date | None = None
    service_plan: Sequence[PlanLineForm] | None = None
    subsidy_type_id: str | None = None
    clear_subsidy: bool = False  # 变更 to no subsidy at all
    renovation_plan: Sequence[RenovationLineForm] | None = None
    notes: str | None = None


@frozen(kw_only=True)
class SignForm:
    sign_date: date | None = None  # today by default
    terms: TermsForm
    assessment: AssessmentForm | None = None  # 老年评估 (may be skipped)


def load_contract(uow: UnitOfWork, principal: Principal, op: Operation, ident: str, *, lock: bool = False) -> Contract:
    item = uow.contracts.lock(ident) if lock else uow.contracts.get(ident)
    return load_owned(uow, principal, op, item, KIND, ident)


def rolled(uow: UnitOfWork, contract: Contract, day: date, at: datetime) -> Contract:
    """The contract with its status brought up to `day` (saved if the calendar moved it)."""
    if contract.roll(day, SYSTEM, at):
        uow.contracts.save(contract)
    return contract


def _terms(uow: UnitOfWork, checks: Checks, form: TermsForm, *, sign_date: date, region_code: str,
           assessment_id: str | None, keep: ContractTerms | None = None) -> ContractTerms:
    """The terms from the form, every reference checked against the configuration. When changing terms
    (`keep`), a part the form leaves out stays as it is; `clear_subsidy` removes the subsidy."""
    plan: list[PlanLine] = []
    for n, line in enumerate(form.service_plan or ()):
        item = uow.service_items.get(line.service_item_id)
        per = checks.parse(f"service_plan.{n}.per", _PER, line.per)
        if checks.require(f"service_plan.{n}.service_item_id", item is not None and item.active,
                          "服务项目不存在或已停用", "UNKNOWN_SERVICE_ITEM") and item and per:
            plan.append(PlanLine(item.id, item.name, line.times, per))
    renovation: list[RenovationLine] = []
    for n, r in enumerate(form.renovation_plan or ()):
        ritem = uow.renovation_items.get(r.renovation_item_id)
        if checks.require(f"renovation_plan.{n}.renovation_item_id", ritem is not None and ritem.active,
                          "改造项目不存在或已停用", "UNKNOWN_RENOVATION_ITEM") and ritem:
            renovation.append(RenovationLine(ritem.id, ritem.name, r.quantity))
    if form.subsidy_type_id:
        subsidy = uow.subsidy_types.get(form.subsidy_type_id)
        checks.require("subsidy_type_id", subsidy is not None and subsidy.active
                       and region_code.startswith(region_prefix(subsidy.region_code)),
                       "补贴类型不存在、已停用或不适用于老人所在地区", "UNKNOWN_SUBSIDY_TYPE")
    notes = checks.text("notes", form.notes, label="备注", max_len=500, required=False)
    start = form.start_date or (keep.start_date if keep else sign_date)
    subsidy_id = None if form.clear_subsidy else form.subsidy_type_id or (keep.subsidy_type_id if keep else None)
    terms = ContractTerms(
        # HB-03: one year from the sign date unless the parties agree another expiry.
        start_date=start, expiry_date=form.expiry_date or (keep.expiry_date if keep else add_years(sign_date, 1)),
        service_plan=tuple(plan) if form.service_plan is not None or keep is None else keep.service_plan,
        subsidy_type_id=subsidy_id,
        renovation_plan=tuple(renovation) if form.renovation_plan is not None or keep is None
        else keep.renovation_plan,
        assessment_id=assessment_id,
        notes=notes if notes is not None else (keep.notes if keep and form.notes is None else ""),
    )
    checks.errors.extend(terms.problems(sign_date))
    return terms


def _renovations_of(uow: UnitOfWork, contract_id: str) -> list[RenovationTask]:
    tasks: list[RenovationTask] = []
    while True:
        page = uow.renovation_tasks.list(Visibility(everything=True), PageRequest(len(tasks) // 100 + 1, 100),
                                         contract_id=contract_id)
        tasks += page.items
        if len(tasks) >= page.total or not page.items:
            return tasks


def _overlap(a: ContractTerms, b: ContractTerms) -> bool:
    return a.start_date <= b.expiry_date and b.start_date <= a.expiry_date


def _elder_for(uow: UnitOfWork, rt: Runtime, principal: Principal, app: BedApplication) -> Elder:
    """The elder's file: the one on record for the ID number, or a new one from the application (建档)."""
    elder = uow.elders.by_id_card(app.id_card_no)
    if elder is not None:
        return uow.elders.lock(elder.id) or elder
    now = rt.clock.now()
    elder = Elder(id=rt.ids.new_id(), institution_id=app.institution_id, name=app.elder_name, gender=app.gender,
                  birth_date=app.birth_date, id_card_no=app.id_card_no, phone=app.phone,
                  region_code=app.region_code, created_at=now)
    elder.record_created(principal.actor, now, name="registered", reason=f"家床签约建档（申请{app.number}）")
    uow.elders.add(elder)
    return elder


def sign_contract(rt: Runtime, principal: Principal, application_id: str, form: SignForm) -> ContractView:
    """建床签约 from an approved application; creates the elder's file when there is none."""
    with rt.uow() as uow:
        app = uow.applications.lock(application_id)
        app = load_owned(uow, principal, Operation.CONTRACT_WRITE, app, APPLICATION, application_id)
        app.ensure_signable()
        day, now = today(rt), rt.clock.now()
        sign_date = form.sign_date or day
        checks = Checks()
        checks.require("sign_date", sign_date <= day, "签约日期不能晚于今天", "IN_FUTURE")
        # Paper contracts are entered late, but not years late (a typo would burn the application).
        checks.require("sign_date", sign_date >= day - timedelta(days=BACKDATE_DAYS),
                       f"签约日期不能早于{BACKDATE_DAYS}天前", "TOO_OLD")
        scale = uow.scales.get(form.assessment.scale_id) if form.assessment else None
        if form.assessment:
            checks.require("assessment.scale_id", scale is not None and scale.active, "评估量表不存在或已停用",
                           "UNKNOWN_SCALE")
        assessment_id = rt.ids.new_id() if form.assessment else None
        terms = _terms(uow, checks, form.terms, sign_date=sign_date, region_code=app.region_code,
                       assessment_id=assessment_id)
        checks.done()
        elder = _elder_for(uow, rt, principal, app)
        if contracts_in_force(uow, elder.id, day, now):
            raise Conflict("该老人已有待生效或生效中的家床签约", code="CONTRACT_ALREADY_IN_FORCE")
        contract = Contract.sign(
            id=rt.ids.new_id(), number=next_number(uow, NumberKind.CONTRACT, now), institution_id=app.institution_id,
            elder_id=elder.id, application_id=app.id, region_code=app.region_code, elder_name=app.elder_name,
            elder_id_card_masked=mask_id_card(app.id_card_no) or "", sign_date=sign_date, terms=terms, today=day,
            actor=principal.actor, at=now,
        )
        uow.contracts.add(contract)
        if form.assessment and scale is not None and assessment_id:
            answers, total, level = scale.score(form.assessment.answers)
            assessment = Assessment(
                id=assessment_id, institution_id=contract.institution_id, elder_id=elder.id, contract_id=contract.id,
                scale_id=scale.id, scale_name=scale.name, type=AssessmentKind.SIGNING, answers=answers, total=total,
                level=level, assessed_on=sign_date, assessor_id=principal.account_id,
                remark=form.assessment.note.strip()[:500], created_at=now,
            )
            assessment.record_created(principal.actor, now, name="assessed")
            uow.assessments.add(assessment)
        app.mark_signed(contract.id, elder.id, principal.actor, now)
        uow.applications.save(app)
        uow.commit()
        return ContractView.of(contract)


def terminate_contract(rt: Runtime, principal: Principal, ident: str, *, reason: str, on: date | None = None,
                       expected_version: int | None = None) -> ContractView:
    """解约: the bed ends early; orders not started yet are cancelled, no new ones can be placed."""
    with rt.uow() as uow:
        contract = load_contract(uow, principal, Operation.CONTRACT_WRITE, ident, lock=True)
        contract.expect_version(expected_version)
        day, now = today(rt), rt.clock.now()
        contract.roll(day, SYSTEM, now)
        contract.terminate(on or day, reason.strip(), day, principal.actor, now)
        ended = [contract]
        # HB-05: no new orders for the elder afterwards, so a renewal waiting to start ends as well.
        successor = uow.contracts.lock(contract.renewed_by_id) if contract.renewed_by_id else None
        if successor is not None and successor.status in IN_TERM:
            successor.roll(day, SYSTEM, now)
            why = f"前期签约{contract.number}已解约：{reason.strip()}"
            successor.terminate(max(on or day, successor.sign_date), why, day, principal.actor, now)
            ended.append(successor)
        for item in ended:
            uow.contracts.save(item)
            for order in uow.homebed_orders.open_for_contract(item.id):
                order.cancel("家床签约已解约", 0, principal.actor, now, forced=True)
                uow.homebed_orders.save(order)
            for task in _renovations_of(uow, item.id):
                if task.status in (RenovationStatus.DISPATCHED, RenovationStatus.IN_PROGRESS):
                    task.cancel("家床签约已解约", principal.actor, now)
                    uow.renovation_tasks.save(task)
        uow.commit()
        return ContractView.of(contract)


def renew_contract(rt: Runtime, principal: Principal, ident: str, *, expiry_date: date | None = None,
                   notes: str | None = None) -> ContractView:
    """续约: the next period as a new contract with the same plan, linked both ways to this one."""
    with rt.uow() as uow:
        old = load_contract(uow, principal, Operation.CONTRACT_WRITE, ident, lock=True)
        day, now = today(rt), rt.clock.now()
        old.roll(day, SYSTEM, now)
        terms = old.renewal_terms(day, expiry_date)
        if contracts_in_force(uow, old.elder_id, day, now, besides=old.id):
            raise Conflict("该老人已有其他待生效或生效中的家床签约", code="CONTRACT_ALREADY_IN_FORCE")
        checks = Checks()
        for n, line in enumerate(terms.service_plan):
            item = uow.service_items.get(line.service_item_id)
            checks.require(f"service_plan.{n}.service_item_id", item is not None and item.active,
                           f"服务项目“{line.item_name}”已停用，请先变更服务计划再续约", "INACTIVE_SERVICE_ITEM")
        subsidy = uow.subsidy_types.get(terms.subsidy_type_id) if terms.subsidy_type_id else None
        checks.require("subsidy_type_id", terms.subsidy_type_id is None or (subsidy is not None and subsidy.active),
                       "补贴类型已停用，请先变更签约再续约", "UNKNOWN_SUBSIDY_TYPE")
        checks.done()
        if notes is not None:
            text = checks.text("notes", notes, label="备注", max_len=500, required=False)
            checks.done()
            terms = ContractTerms(terms.start_date, terms.expiry_date, terms.service_plan, terms.subsidy_type_id,
                                  (), None, text or "")
        new = Contract.sign(
            id=rt.ids.new_id(), number=next_number(uow, NumberKind.CONTRACT, now), institution_id=old.institution_id,
            elder_id=old.elder_id, application_id=None, region_code=old.region_code, elder_name=old.elder_name,
            elder_id_card_masked=old.elder_id_card_masked, sign_date=day, terms=terms, today=day,
            actor=principal.actor, at=now, renews_id=old.id,
        )
        old.mark_renewed(new, principal.actor, now)
        uow.contracts.save(old)
        uow.contracts.add(new)
        uow.commit()
        return ContractView.of(new)


def amend_contract(rt: Runtime, principal: Principal, ident: str, form: TermsForm, *, reason: str,
                   expected_version: int | None = None) -> ContractView:
    """变更: new terms as a new version; every earlier version stays readable."""
    with rt.uow() as uow:
        contract = load_contract(uow, principal, Operation.CONTRACT_WRITE, ident, lock=True)
        contract.expect_version(expected_version)
        day, now = today(rt), rt.clock.now()
        contract.roll(day, SYSTEM, now)
        checks = Checks()
        terms = _terms(uow, checks, form, sign_date=contract.sign_date, region_code=contract.region_code,
                       assessment_id=contract.terms.assessment_id, keep=contract.terms)
        others = [c for c in uow.contracts.in_term_for_elder(contract.elder_id) if c.id != contract.id]
        checks.require("start_date", not any(_overlap(terms, c.terms) for c in others),
                       "签约期与该老人的其他签约（如续约）重叠", "OVERLAPS")
        checks.done()
        contract.amend(terms, reason.strip(), principal.actor, now)
        contract.roll(day, SYSTEM, now)  # a pending contract whose start was moved to today starts now
        uow.contracts.save(contract)
        for order in uow.homebed_orders.open_for_contract(contract.id):
            if business_date(order.scheduled_at) > contract.terms.expiry_date:  # an earlier expiry
                order.cancel("签约变更：预约时间晚于新的到期日", 0, principal.actor, now, forced=True)
                uow.homebed_orders.save(order)
        uow.commit()
        return ContractView.of(contract)


def get_contract(rt: Runtime, principal: Principal, ident: str) -> ContractView:
    with rt.uow() as uow:
        contract = load_contract(uow, principal, Operation.CONTRACT_READ, ident)
        return ContractView.of(as_of_today(rt, contract))


def contract_events(rt: Runtime, principal: Principal, ident: str) -> list[AuditEventView]:
    with rt.uow() as uow:
        load_contract(uow, principal, Operation.CONTRACT_READ, ident)
        return events_of(uow, ident)


def list_contracts(
    rt: Runtime, principal: Principal, page: PageRequest, *, status: ContractStatus | None = None,
    institution_id: str | None = None, elder_id: str | None = None, keyword: str | None = None,
) -> Page[ContractView]:
    vis = visibility(principal, Operation.CONTRACT_READ)
    with rt.uow() as uow:
        found = uow.contracts.list(vis, page, status=status, institution_id=institution_id, elder_id=elder_id,
                                   keyword=keyword)
        return found.map(lambda c: ContractView.of(as_of_today(rt, c), detail=False))


def as_of_today(rt: Runtime, contract: Contract) -> Contract:
    """The contract as the calendar has it today, for reading only: a view must not show yesterday's
    "active" for a contract that expired overnight, and a read must not write (the locked commands and
    the daily roll do that)."""
    contract.roll(today(rt), SYSTEM, rt.clock.now())
    contract.pull_events()
    return contract


# -- batch jobs ----------------------------------------------------------------------------------------------
def roll_contracts(rt: Runtime) -> int:
    """Start the contracts whose start date came and expire those past their expiry; returns how many moved.
    Safe to re-run: a contract already up to date is not touched."""
    day = today(rt)
    with rt.uow() as uow:
        due = uow.contracts.due_to_roll(day)
    moved = 0
    for ident in due:
        with rt.uow() as uow:
            contract = uow.contracts.lock(ident)
            if contract is not None and contract.roll(day, SYSTEM, rt.clock.now()):
                uow.contracts.save(contract)
                uow.commit()
                moved += 1
    return moved


@frozen
class ReminderReport:
    contracts: int  # reminded now
    notices: int  # messages sent


def _recipients(uow: UnitOfWork, contract: Contract) -> list[tuple[str | None, str | None]]:
    """The institution's admins and the elder's family (and the elder) who have accounts or phones."""
    admins = uow.accounts.list(Visibility(institution_id=contract.institution_id), PageRequest(1, 100),
                               role=Role.INSTITUTION_ADMIN).items
    people: list[tuple[str | None, str | None]] = [(a.id, a.phone) for a in admins]
    for link in uow.family_links.for_elder(contract.elder_id):
        member = uow.family_members.get(link.family_member_id)
        account = uow.accounts.of_person(family_member_id=link.family_member_id)
        people.append((account.id if account else None, member.phone if member else None))
    elder_account = uow.accounts.of_person(elder_id=contract.elder_id)
    if elder_account is not None:
        people.append((elder_account.id, elder_account.phone))
    return people


def remind_expiring(rt: Runtime, progress: Callable[[int, int], None] | None = None) -> ReminderReport:
    """到期提醒: tell the institution and the family N days ahead (N from the settings), once per contract and
    expiry date. Each contract is marked in its own transaction right after its notices, so a second run
    sends nothing again; only a crash between sending and that commit could repeat one contract's notices
    (at least once, never lost)."""
    roll_contracts(rt)
    day, now = today(rt), rt.clock.now()
    with rt.uow() as uow:
        lead = current_settings(uow, now).reminder_lead_days
        due = [c.id for c in uow.contracts.expiring(day, day + timedelta(days=lead)) if c.due_for_reminder(day, lead)]
    reminded = notices = 0
    for n, ident in enumerate(due, 1):
        with rt.uow() as uow:
            contract = uow.contracts.lock(ident)
            if contract is not None and contract.due_for_reminder(day, lead):
                left = (contract.terms.expiry_date - day).days
                people = _recipients(uow, contract)
                sent, _ = send_all(rt.notifier, (Notice(
                    account_id=account_id, phone=phone, title="家庭病床签约即将到期",
                    body=f"{mask_name(contract.elder_name)}的家床签约（{contract.number}）将于"
                         f"{contract.terms.expiry_date:%Y年%m月%d日}到期（还有{left}天），如需继续服务请及时续约。",
                    topic="homebed.contract_expiring", ref=contract.id,
                ) for account_id, phone in people))
                notices += sent
                if sent or not people:  # nobody reached: left for the next run
                    contract.mark_reminded(SYSTEM, now)
                    uow.contracts.save(contract)
                    uow.commit()
                    reminded += 1
        if progress:
            progress(n, len(due))
    return ReminderReport(reminded, notices)
