"""Read models of the home-bed context. Amounts are integer fen (`*_fen`); personal data of the elder
arrives masked unless the caller may see it (`reveal`)."""

from __future__ import annotations

from datetime import date, datetime

from attrs import frozen

from yiyangkang.domain.elders.elder import GENDER_LABELS
from yiyangkang.domain.homebed.applications import (
    APPLICANT_KIND_LABELS,
    APPLICATION_STATUS_LABELS,
    BedApplication,
)
from yiyangkang.domain.homebed.assessment import ASSESSMENT_KIND_LABELS, Assessment, AssessmentScale
from yiyangkang.domain.homebed.config import (
    SETTING_LIMITS,
    SUBSIDY_MODE_LABELS,
    BusinessSettings,
    RenovationItem,
    ServiceItem,
    SubsidyType,
)
from yiyangkang.domain.homebed.contracts import CONTRACT_STATUS_LABELS, FREQUENCY_LABELS, Contract, ContractTerms
from yiyangkang.domain.homebed.orders import ORDER_STATUS_LABELS, HomeBedOrder
from yiyangkang.domain.homebed.renovation import RENOVATION_STATUS_LABELS, RenovationTask
from yiyangkang.domain.kernel.masking import mask_address, mask_id_card, mask_name, mask_phone
from yiyangkang.services.views import ExceptionView as ExceptionView
from yiyangkang.services.views import FileView as FileView


@frozen
class ServiceItemView:
    id: str
    name: str
    category: str
    standard_minutes: int
    price_fen: int
    subsidy_eligible: bool
    description: str
    active: bool
    version: int

    @classmethod
    def of(cls, i: ServiceItem) -> ServiceItemView:
        return cls(i.id, i.name, i.category, i.standard_minutes, i.price.fen, i.subsidy_eligible, i.description,
                   i.active, i.version)


@frozen
class SubsidyTypeView:
    id: str
    region_code: str
    name: str
    mode: str
    mode_label: str
    amount_fen: int | None
    ratio_bp: int | None
    cap_fen: int | None
    active: bool
    version: int

    @classmethod
    def of(cls, s: SubsidyType) -> SubsidyTypeView:
        return cls(s.id, s.region_code, s.name, s.mode.value, SUBSIDY_MODE_LABELS[s.mode],
                   s.amount.fen if s.amount else None, s.ratio_bp, s.cap.fen if s.cap else None, s.active, s.version)


@frozen
class RenovationItemView:
    id: str
    name: str
    unit: str
    price_fen: int
    description: str
    pictures: list[FileView]
    active: bool
    version: int

    @classmethod
    def of(cls, r: RenovationItem) -> RenovationItemView:
        return cls(r.id, r.name, r.unit, r.price.fen, r.description, [FileView.of(p) for p in r.pictures],
                   r.active, r.version)


@frozen
class OptionView:
    label: str
    score: int


@frozen
class ScaleItemView:
    code: str
    question: str
    options: list[OptionView]


@frozen
class LevelView:
    name: str
    min_score: int
    max_score: int


@frozen
class ScaleView:
    id: str
    name: str
    description: str
    items: list[ScaleItemView]
    levels: list[LevelView]
    active: bool
    version: int

    @classmethod
    def of(cls, s: AssessmentScale) -> ScaleView:
        return cls(
            s.id, s.name, s.description,
            [ScaleItemView(i.code, i.question, [OptionView(o.label, o.score) for o in i.options]) for i in s.items],
            [LevelView(b.name, b.min_score, b.max_score) for b in s.levels], s.active, s.version,
        )


@frozen
class SettingsView:
    cancel_deadline_minutes: int
    reminder_lead_days: int
    dispatch_timeout_minutes: int
    late_arrival_minutes: int
    overtime_minutes: int
    too_short_percent: int
    version: int

    @classmethod
    def of(cls, s: BusinessSettings) -> SettingsView:
        return cls(**{name: getattr(s, name) for name in SETTING_LIMITS}, version=s.version)


@frozen
class ApplicationView:
    id: str
    number: str
    institution_id: str
    status: str
    status_label: str
    elder_name: str | None
    gender: str
    gender_label: str
    birth_date: date | None
    id_card_no: str | None
    phone: str | None
    region_code: str
    address: str | None
    condition: str
    elder_id: str | None
    applicant_kind: str
    applicant_kind_label: str
    applicant_name: str | None
    applicant_phone: str | None
    materials: list[FileView]
    review_note: str
    reviewed_at: datetime | None
    contract_id: str | None
    created_at: datetime
    version: int
    masked: bool

    @classmethod
    def of(cls, a: BedApplication, reveal: bool = False) -> ApplicationView:
        def hide(value: str | None, how: object) -> str | None:
            return value if reveal else how(value)  # type: ignore[operator]

        return cls(
            id=a.id, number=a.number, institution_id=a.institution_id, status=a.status.value,
            status_label=APPLICATION_STATUS_LABELS[a.status], elder_name=hide(a.elder_name, mask_name),
            gender=a.gender.value, gender_label=GENDER_LABELS[a.gender], birth_date=a.birth_date if reveal else None,
            id_card_no=hide(a.id_card_no, mask_id_card), phone=hide(a.phone, mask_phone), region_code=a.region_code,
            address=hide(a.address, mask_address), condition=a.condition if reveal else "", elder_id=a.elder_id,
            applicant_kind=a.applicant_kind.value, applicant_kind_label=APPLICANT_KIND_LABELS[a.applicant_kind],
            applicant_name=hide(a.applicant_name, mask_name), applicant_phone=hide(a.applicant_phone, mask_phone),
            materials=[FileView.of(m) for m in a.materials] if reveal else [], review_note=a.review_note,
            reviewed_at=a.reviewed_at, contract_id=a.contract_id, created_at=a.created_at, version=a.version,
            masked=not reveal,
        )


@frozen
class PlanLineView:
    service_item_id: str
    item_name: str
    times: int
    per: str
    per_label: str


@frozen
class RenovationLineView:
    renovation_item_id: str
    item_name: str
    quantity: int


@frozen
class TermsView:
    start_date: date
    expiry_date: date
    service_plan: list[PlanLineView]
    subsidy_type_id: str | None
    renovation_plan: list[RenovationLineView]
    assessment_id: str | None
    notes: str

    @classmethod
    def of(cls, t: ContractTerms) -> TermsView:
        return cls(
            t.start_date, t.expiry_date,
            [PlanLineView(p.service_item_id, p.item_name, p.times, p.per.value, FREQUENCY_LABELS[p.per])
             for p in t.service_plan],
            t.subsidy_type_id,
            [RenovationLineView(r.renovation_item_id, r.item_name, r.quantity) for r in t.renovation_plan],
            t.assessment_id, t.notes,
        )


@frozen
class TermsVersionView:
    number: int
    terms: TermsView
    replaced_at: datetime
    replaced_by: str
    reason: str


@frozen
class ContractView:
    id: str
    number: str
    institution_id: str
    elder_id: str
    elder_name: str | None
    elder_id_card: str
    application_id: str | None
    region_code: str
    status: str
    status_label: str
    sign_date: date
    terms: TermsView
    terms_version: int
    history: list[TermsVersionView]
    renews_id: str | None
    renewed_by_id: str | None
    terminated_on: date | None
    termination_reason: str
    created_at: datetime
    version: int

    @classmethod
    def of(cls, c: Contract, detail: bool = True) -> ContractView:
        return cls(
            id=c.id, number=c.number, institution_id=c.institution_id, elder_id=c.elder_id,
            elder_name=c.elder_name if detail else mask_name(c.elder_name), elder_id_card=c.elder_id_card_masked,
            application_id=c.application_id, region_code=c.region_code, status=c.status.value,
            status_label=CONTRACT_STATUS_LABELS[c.status], sign_date=c.sign_date, terms=TermsView.of(c.terms),
            terms_version=c.terms_version,
            history=[TermsVersionView(h.number, TermsView.of(h.terms), h.replaced_at, h.replaced_by, h.reason)
                     for h in c.history] if detail else [],
            renews_id=c.renews_id, renewed_by_id=c.renewed_by_id, terminated_on=c.terminated_on,
            termination_reason=c.termination_reason, created_at=c.created_at, version=c.version,
        )


@frozen
class AnswerView:
    item_code: str
    question: str
    option: str
    score: int


@frozen
class AssessmentView:
    id: str
    institution_id: str
    elder_id: str
    contract_id: str | None
    scale_id: str
    scale_name: str
    type: str
    type_label: str
    answers: list[AnswerView]
    total: int
    level: str
    assessed_on: date
    assessor_id: str
    note: str
    created_at: datetime

    @classmethod
    def of(cls, a: Assessment) -> AssessmentView:
        return cls(
            a.id, a.institution_id, a.elder_id, a.contract_id, a.scale_id, a.scale_name, a.type.value,
            ASSESSMENT_KIND_LABELS[a.type], [AnswerView(x.item_code, x.question, x.option, x.score) for x in a.answers],
            a.total, a.level, a.assessed_on, a.assessor_id, a.remark, a.created_at,
        )


@frozen
class ProgressView:
    at: datetime
    staff_id: str
    note: str
    photos: list[FileView]


@frozen
class RenovationTaskView:
    id: str
    number: str
    institution_id: str
    contract_id: str
    elder_id: str
    renovation_item_id: str
    item_name: str
    quantity: int
    unit_price_fen: int
    amount_fen: int
    staff_id: str
    status: str
    status_label: str
    progress: list[ProgressView]
    completed_at: datetime | None
    cancel_reason: str
    created_at: datetime
    version: int

    @classmethod
    def of(cls, t: RenovationTask) -> RenovationTaskView:
        return cls(
            t.id, t.number, t.institution_id, t.contract_id, t.elder_id, t.renovation_item_id, t.item_name,
            t.quantity, t.unit_price.fen, t.amount.fen, t.staff_id, t.status.value,
            RENOVATION_STATUS_LABELS[t.status],
            [ProgressView(p.at, p.staff_id, p.note, [FileView.of(f) for f in p.photos]) for p in t.progress],
            t.completed_at, t.cancel_reason, t.created_at, t.version,
        )


@frozen
class OrderView:
    id: str
    number: str
    institution_id: str
    elder_id: str
    contract_id: str
    service_item_id: str
    item_name: str
    standard_minutes: int
    price_fen: int
    subsidy_fen: int
    self_pay_fen: int
    scheduled_at: datetime
    note: str
    status: str
    status_label: str
    staff_id: str | None
    dispatched_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    duration_minutes: int | None
    start_lng: float | None
    start_lat: float | None
    end_lng: float | None
    end_lat: float | None
    return_count: int
    return_reason: str
    cancel_reason: str
    supplementary: bool
    confirmation_note: str
    created_at: datetime
    version: int

    @classmethod
    def of(cls, o: HomeBedOrder) -> OrderView:
        s, e = o.start_location, o.end_location
        return cls(
            id=o.id, number=o.number, institution_id=o.institution_id, elder_id=o.elder_id,
            contract_id=o.contract_id, service_item_id=o.service_item_id, item_name=o.item_name,
            standard_minutes=o.standard_minutes, price_fen=o.price.fen, subsidy_fen=o.subsidy.fen,
            self_pay_fen=o.self_pay.fen, scheduled_at=o.scheduled_at, note=o.remark, status=o.status.value,
            status_label=ORDER_STATUS_LABELS[o.status], staff_id=o.staff_id, dispatched_at=o.dispatched_at,
            started_at=o.started_at, completed_at=o.completed_at, duration_minutes=o.duration_minutes,
            start_lng=s.lng if s else None, start_lat=s.lat if s else None, end_lng=e.lng if e else None,
            end_lat=e.lat if e else None, return_count=o.return_count, return_reason=o.return_reason,
            cancel_reason=o.cancel_reason, supplementary=o.supplementary, confirmation_note=o.confirmation_note,
            created_at=o.created_at, version=o.version,
        )
