"""Request bodies of the home-bed endpoints (家庭病床). Amounts are integer fen (`*_fen`)."""

from datetime import date, datetime
from typing import Annotated

from msgspec import Meta

from apps.api.schemas import Body, Id, ShortText

Aware = Annotated[datetime, Meta(tz=True)]  # an instant with its offset: "2026-11-25T10:00:00+08:00"

Fen = Annotated[int, Meta(ge=0, le=1_000_000_000)]
Count = Annotated[int, Meta(ge=0, le=1_000_000)]
LongText = Annotated[str, Meta(max_length=1000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")]
Reason = Annotated[str, Meta(max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")]
Small = Annotated[int, Meta(ge=-1_000_000, le=1_000_000)]


class ServiceItemIn(Body):
    name: ShortText | None = None
    category: ShortText | None = None
    standard_minutes: Count | None = None
    price_fen: Fen | None = None
    subsidy_eligible: bool | None = None
    description: LongText | None = None
    active: bool | None = None
    version: int | None = None


class SubsidyTypeIn(Body):
    region_code: ShortText | None = None
    name: ShortText | None = None
    mode: ShortText | None = None
    amount_fen: Fen | None = None
    ratio_bp: Count | None = None
    cap_fen: Fen | None = None
    active: bool | None = None
    version: int | None = None


class RenovationItemIn(Body):
    name: ShortText | None = None
    unit: ShortText | None = None
    price_fen: Fen | None = None
    description: LongText | None = None
    active: bool | None = None
    version: int | None = None


class OptionIn(Body):
    label: ShortText
    score: Small


class ScaleItemIn(Body):
    code: ShortText
    question: ShortText
    options: Annotated[list[OptionIn], Meta(max_length=20)]


class LevelIn(Body):
    name: ShortText
    min_score: Small
    max_score: Small


class ScaleIn(Body):
    name: ShortText | None = None
    description: LongText | None = None
    items: Annotated[list[ScaleItemIn], Meta(max_length=100)] | None = None
    levels: Annotated[list[LevelIn], Meta(max_length=20)] | None = None
    active: bool | None = None
    version: int | None = None


class SettingsIn(Body):
    cancel_deadline_minutes: Count | None = None
    reminder_lead_days: Count | None = None
    dispatch_timeout_minutes: Count | None = None
    late_arrival_minutes: Count | None = None
    overtime_minutes: Count | None = None
    too_short_percent: Count | None = None
    version: int | None = None


class ApplyCodeIn(Body):
    institution_id: Id | None = None
    days: Annotated[int, Meta(ge=1, le=366)] | None = None


class ApplicationIn(Body):
    token: Annotated[str, Meta(max_length=2048, pattern=r"^[A-Za-z0-9_.-]*$")] | None = None
    institution_id: Id | None = None
    elder_name: ShortText | None = None
    id_card_no: ShortText | None = None
    gender: ShortText | None = None
    phone: ShortText | None = None
    region_code: ShortText | None = None
    address: ShortText | None = None
    condition: LongText | None = None
    applicant_name: ShortText | None = None
    applicant_phone: ShortText | None = None


class ApplicationPatch(Body):
    elder_name: ShortText | None = None
    id_card_no: ShortText | None = None
    gender: ShortText | None = None
    phone: ShortText | None = None
    region_code: ShortText | None = None
    address: ShortText | None = None
    condition: LongText | None = None
    applicant_name: ShortText | None = None
    applicant_phone: ShortText | None = None
    version: int | None = None


class ReviewIn(Body):
    approve: bool
    note: Reason = ""
    version: int | None = None


class ReasonIn(Body):
    reason: Reason = ""


class PlanLineIn(Body):
    service_item_id: Id
    times: Count
    per: ShortText


class RenovationLineIn(Body):
    renovation_item_id: Id
    quantity: Count


class TermsIn(Body):
    """On a change (变更) an omitted part stays as it is; `clear_subsidy` removes the subsidy."""

    start_date: date | None = None
    expiry_date: date | None = None
    service_plan: Annotated[list[PlanLineIn], Meta(max_length=50)] | None = None
    subsidy_type_id: Id | None = None
    clear_subsidy: bool = False
    renovation_plan: Annotated[list[RenovationLineIn], Meta(max_length=50)] | None = None
    notes: LongText | None = None


class AssessmentIn(Body):
    scale_id: Id
    answers: Annotated[dict[ShortText, Count], Meta(max_length=100)]
    note: Reason = ""


class SignIn(Body):
    terms: TermsIn
    sign_date: date | None = None
    assessment: AssessmentIn | None = None


class TerminateIn(Body):
    reason: Reason
    terminated_on: date | None = None
    version: int | None = None


class RenewIn(Body):
    expiry_date: date | None = None
    notes: LongText | None = None


class AmendIn(Body):
    terms: TermsIn
    reason: Reason
    version: int | None = None


class NewAssessmentIn(Body):
    scale_id: Id
    answers: Annotated[dict[ShortText, Count], Meta(max_length=100)]
    type: ShortText = "periodic"
    assessed_on: date | None = None
    note: Reason = ""


class RenovationDispatchIn(Body):
    contract_id: Id
    renovation_item_id: Id
    staff_id: Id


class StaffIdIn(Body):
    staff_id: Id
    version: int | None = None


class OrderIn(Body):
    contract_id: Id
    service_item_id: Id
    scheduled_at: Aware
    note: Reason | None = None


class RecordIn(Body):
    contract_id: Id
    service_item_id: Id
    staff_id: Id
    started_at: Aware
    completed_at: Aware
    note: Reason | None = None


class LocationIn(Body):
    lng: float | None = None
    lat: float | None = None


class NoteIn(Body):
    note: Reason = ""
