"""Home-bed contracts (建床签约, HB-03…HB-07, S-05): sign, terminate early, renew, change.

States: pending_start (待生效) → active (生效中) → expired (已到期); pending_start/active → terminated
(已解约). Only an active contract accepts new home-bed orders. Status follows the calendar through
`roll(today)`, which the use cases call on every load and the daily job calls for all contracts, so a
contract is never "active" past its expiry date however late the job runs.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from attrs import define, evolve, frozen

from yiyangkang.domain.kernel.errors import Conflict, FieldError, ValidationFailed
from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.kernel.lifecycle import Lifecycle
from yiyangkang.domain.kernel.masking import mask_name
from yiyangkang.domain.kernel.timekeeping import add_years

MAX_TERM_YEARS = 5
MAX_START_DELAY_DAYS = 366  # a renewal starts at most a year ahead


class ContractStatus(StrEnum):
    PENDING_START = "pending_start"  # 待生效
    ACTIVE = "active"  # 生效中
    EXPIRED = "expired"  # 已到期
    TERMINATED = "terminated"  # 已解约


CONTRACT_STATUS_LABELS = {
    ContractStatus.PENDING_START: "待生效", ContractStatus.ACTIVE: "生效中",
    ContractStatus.EXPIRED: "已到期", ContractStatus.TERMINATED: "已解约",
}

C = ContractStatus
CONTRACT_LIFECYCLE = Lifecycle.of("contract", {
    C.PENDING_START: {C.ACTIVE, C.TERMINATED},
    C.ACTIVE: {C.EXPIRED, C.TERMINATED},
})
IN_TERM = frozenset({C.PENDING_START, C.ACTIVE})


class Frequency(StrEnum):
    WEEK = "week"  # 每周
    MONTH = "month"  # 每月
    TERM = "term"  # 整个签约期


FREQUENCY_LABELS = {Frequency.WEEK: "每周", Frequency.MONTH: "每月", Frequency.TERM: "签约期内"}


@frozen
class PlanLine:
    """One line of the service plan (服务计划): this item, so many times per period."""

    service_item_id: str
    item_name: str
    times: int
    per: Frequency


@frozen
class RenovationLine:
    """One line of the renovation plan (改造方案)."""

    renovation_item_id: str
    item_name: str
    quantity: int


@frozen
class ContractTerms:
    """What the parties agreed; a change (变更) replaces it with a new version and keeps the old one."""

    start_date: date
    expiry_date: date
    service_plan: tuple[PlanLine, ...]
    subsidy_type_id: str | None = None
    renovation_plan: tuple[RenovationLine, ...] = ()
    assessment_id: str | None = None
    notes: str = ""

    def problems(self, sign_date: date) -> list[FieldError]:
        found: list[FieldError] = []
        if self.start_date < sign_date:
            found.append(FieldError("start_date", "开始日期不能早于签约日期", "BEFORE_SIGN_DATE"))
        if (self.start_date - sign_date).days > MAX_START_DELAY_DAYS:
            found.append(FieldError("start_date", f"开始日期不能晚于签约后{MAX_START_DELAY_DAYS}天", "TOO_LATE"))
            return found  # the term checks below would count years from a date that makes no sense
        if self.expiry_date <= sign_date or self.expiry_date <= self.start_date:
            found.append(FieldError("expiry_date", "到期日期必须晚于签约日期和开始日期", "NOT_AFTER_SIGN_DATE"))
        elif self.expiry_date > add_years(self.start_date, MAX_TERM_YEARS):
            found.append(FieldError("expiry_date", f"签约期限最长{MAX_TERM_YEARS}年", "TOO_LONG"))
        if not self.service_plan:
            found.append(FieldError("service_plan", "请至少选择一个服务项目", "REQUIRED"))
        ids = [line.service_item_id for line in self.service_plan]
        if len(set(ids)) != len(ids):
            found.append(FieldError("service_plan", "服务项目不能重复", "DUPLICATE"))
        for n, line in enumerate(self.service_plan):
            if not 1 <= line.times <= 99:
                found.append(FieldError(f"service_plan.{n}.times", "服务次数应为1～99", "OUT_OF_RANGE"))
        for n, r in enumerate(self.renovation_plan):
            if not 1 <= r.quantity <= 999:
                found.append(FieldError(f"renovation_plan.{n}.quantity", "改造数量应为1～999", "OUT_OF_RANGE"))
        return found

    def summary(self) -> dict[str, Any]:
        return {
            "start_date": self.start_date.isoformat(), "expiry_date": self.expiry_date.isoformat(),
            "service_plan": [f"{p.item_name}×{p.times}/{p.per.value}" for p in self.service_plan],
            "subsidy_type_id": self.subsidy_type_id, "assessment_id": self.assessment_id,
            "renovation_plan": [f"{r.item_name}×{r.quantity}" for r in self.renovation_plan], "notes": self.notes,
        }


@frozen
class TermsVersion:
    """An earlier version of the terms, readable for ever (变更记录)."""

    number: int
    terms: ContractTerms
    replaced_at: datetime
    replaced_by: str
    reason: str


class ContractNotActive(Conflict):
    code = "HOMEBED_CONTRACT_NOT_ACTIVE"
    message = "该老人的家床签约未生效（已到期、已解约或尚未开始），不能下单"


@define(slots=False, kw_only=True)
class Contract(Aggregate):
    """建床签约: one period of one elder's home bed with one institution. A renewal (续约) is a new
    contract for the following period, linked both ways to the one it continues."""

    kind = "contract"
    masked_fields = {"elder_name": mask_name}

    number: str  # 签约编号, e.g. QY2026112600001
    institution_id: str
    elder_id: str
    application_id: str | None  # None for renewals: they continue a contract, not an application
    region_code: str  # the elder's region: decides the subsidy types that apply
    elder_name: str
    elder_id_card_masked: str  # as printed on reports; the full number stays in the elder's file
    sign_date: date
    status: ContractStatus
    terms: ContractTerms
    terms_version: int = 1
    history: tuple[TermsVersion, ...] = ()
    renews_id: str | None = None  # the contract this one continues
    renewed_by_id: str | None = None  # the contract continuing this one
    terminated_on: date | None = None
    termination_reason: str = ""
    reminded_expiry: date | None = None  # the expiry date an expiry reminder went out for
    signed_by: str  # account
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"number": self.number, "elder_name": self.elder_name, "sign_date": self.sign_date.isoformat(),
                "terms_version": self.terms_version, **self.terms.summary()}

    @classmethod
    def sign(
        cls, *, id: str, number: str, institution_id: str, elder_id: str, application_id: str | None,
        region_code: str, elder_name: str, elder_id_card_masked: str, sign_date: date, terms: ContractTerms,
        today: date, actor: Actor, at: datetime, renews_id: str | None = None,
    ) -> Contract:
        problems = terms.problems(sign_date)
        if problems:
            raise ValidationFailed(problems)
        contract = cls(
            id=id, number=number, institution_id=institution_id, elder_id=elder_id,
            application_id=application_id, region_code=region_code, elder_name=elder_name,
            elder_id_card_masked=elder_id_card_masked, sign_date=sign_date, status=C.PENDING_START,
            terms=terms, renews_id=renews_id, signed_by=actor.id, created_at=at,
        )
        contract.record_created(actor, at, name="renewed_from" if renews_id else "signed")
        contract.roll(today, actor, at)
        return contract

    # -- the calendar ---------------------------------------------------------------------------
    def roll(self, today: date, actor: Actor, at: datetime) -> bool:
        """Bring the status up to `today`: start when the start date comes, expire after the expiry date."""
        moved = False
        if self.status is C.PENDING_START and self.terms.start_date <= today:
            CONTRACT_LIFECYCLE.move(self, C.ACTIVE, actor=actor, at=at, reason="到达开始日期")
            moved = True
        if self.status is C.ACTIVE and self.terms.expiry_date < today:
            CONTRACT_LIFECYCLE.move(self, C.EXPIRED, actor=actor, at=at, reason="签约到期")
            moved = True
        return moved

    def ensure_accepts_orders(self) -> None:
        if self.status is not C.ACTIVE:
            raise ContractNotActive(details={"contract_id": self.id, "status": self.status.value})

    def covers(self, day: date) -> bool:
        """Whether the bed was in force on `day` (for services recorded afterwards, 补录)."""
        if self.status is C.PENDING_START or day < self.terms.start_date or day > self.terms.expiry_date:
            return False
        return self.terminated_on is None or day <= self.terminated_on

    def plan_line(self, service_item_id: str) -> PlanLine | None:
        return next((p for p in self.terms.service_plan if p.service_item_id == service_item_id), None)

    # -- commands ---------------------------------------------------------------------------------
    def terminate(self, on: date, reason: str, today: date, actor: Actor, at: datetime) -> None:
        """解约: ends the bed early; no new home-bed order can be placed afterwards."""
        checks = []
        if not reason.strip():
            checks.append(FieldError("reason", "请填写解约原因", "REQUIRED"))
        if on > today:
            checks.append(FieldError("terminated_on", "解约日期不能晚于今天", "IN_FUTURE"))
        if on < self.sign_date:
            checks.append(FieldError("terminated_on", "解约日期不能早于签约日期", "BEFORE_SIGN_DATE"))
        if checks:
            raise ValidationFailed(checks)
        CONTRACT_LIFECYCLE.move(self, C.TERMINATED, actor=actor, at=at, reason=reason, event="terminated")
        self.terminated_on, self.termination_reason = on, reason

    def amend(self, terms: ContractTerms, reason: str, actor: Actor, at: datetime) -> None:
        """变更: new terms as a new version; the earlier version stays in `history`."""
        if self.status not in IN_TERM:
            raise Conflict("只有待生效或生效中的签约可以变更", code="CONTRACT_NOT_CHANGEABLE",
                           details={"status": self.status.value})
        problems = terms.problems(self.sign_date)
        if not reason.strip():
            problems.append(FieldError("reason", "请填写变更原因", "REQUIRED"))
        if self.status is C.ACTIVE and terms.start_date != self.terms.start_date:
            problems.append(FieldError("start_date", "生效中的签约不能修改开始日期", "ACTIVE_START_FIXED"))
        if self.renewed_by_id and terms.expiry_date != self.terms.expiry_date:
            problems.append(FieldError("expiry_date", "已续约的签约不能再改到期日期", "RENEWED"))
        if problems:
            raise ValidationFailed(problems)
        if terms == self.terms:
            return
        before = self.terms.summary()
        self.history = (*self.history, TermsVersion(self.terms_version, self.terms, at, actor.id, reason))
        self.terms, self.terms_version = terms, self.terms_version + 1
        after = self.terms.summary()
        keys = [k for k in after if before[k] != after[k]]
        self.note("changed", actor, at, before={k: before[k] for k in keys},
                  after={"terms_version": self.terms_version, **{k: after[k] for k in keys}}, reason=reason)

    def renewal_terms(self, today: date, expiry: date | None) -> ContractTerms:
        """The next period's terms: the same plan, from the day after this expiry (or today, if the
        contract expired a while ago), one year by default."""
        if self.status not in (C.ACTIVE, C.EXPIRED):
            raise Conflict("只有生效中或已到期的签约可以续约", code="CONTRACT_NOT_RENEWABLE",
                           details={"status": self.status.value})
        if self.renewed_by_id:
            raise Conflict("该签约已续约", code="CONTRACT_ALREADY_RENEWED",
                           details={"renewed_by_id": self.renewed_by_id})
        start = max(self.terms.expiry_date + timedelta(days=1), today)
        return evolve(self.terms, start_date=start, expiry_date=expiry or add_years(start, 1), assessment_id=None,
                      renovation_plan=())

    def mark_renewed(self, successor: Contract, actor: Actor, at: datetime) -> None:
        self.renewed_by_id = successor.id
        self.note("renewed", actor, at, after={"renewed_by": successor.number})

    def due_for_reminder(self, today: date, lead_days: int) -> bool:
        """到期提醒: in force, expiring within `lead_days`, not renewed, and not reminded for this expiry."""
        expiry = self.terms.expiry_date
        return (self.status is C.ACTIVE and self.renewed_by_id is None and today <= expiry
                and (expiry - today).days <= lead_days and self.reminded_expiry != expiry)

    def mark_reminded(self, actor: Actor, at: datetime) -> None:
        self.reminded_expiry = self.terms.expiry_date
        self.note("expiry_reminded", actor, at, after={"expiry_date": self.terms.expiry_date.isoformat()})
