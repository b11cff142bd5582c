"""Read models (视图) the use cases return. Personal data arrives here already masked unless the
caller's role needs the full value (`reveal`); shells only serialise these."""

from __future__ import annotations

from datetime import date, datetime

from attrs import frozen

from yiyangkang.domain.elders.addresses import Address
from yiyangkang.domain.elders.elder import GENDER_LABELS, Elder
from yiyangkang.domain.elders.family import FamilyLink, FamilyMember
from yiyangkang.domain.identity.accounts import ROLE_LABELS, UserAccount
from yiyangkang.domain.kernel.events import DomainEvent
from yiyangkang.domain.kernel.files import FileRef
from yiyangkang.domain.kernel.masking import mask_address, mask_id_card, mask_name, mask_phone
from yiyangkang.domain.kernel.timekeeping import age_on
from yiyangkang.domain.orgs.institutions import INSTITUTION_TYPE_LABELS, Institution
from yiyangkang.domain.orgs.regions import REGION_LEVEL_LABELS, Region
from yiyangkang.domain.orgs.staff import PROFESSION_LABELS, StaffMember
from yiyangkang.domain.quality.exceptions import EXCEPTION_KIND_LABELS, REVIEW_STATUS_LABELS, ExceptionOrder


def _phone(value: str | None, reveal: bool) -> str | None:
    return value if reveal else mask_phone(value)


@frozen
class RegionView:
    code: str
    name: str
    level: str
    level_label: str
    parent_code: str | None

    @classmethod
    def of(cls, r: Region) -> RegionView:
        return cls(r.code, r.name, r.level.value, REGION_LEVEL_LABELS[r.level], r.parent_code)


@frozen
class InstitutionView:
    id: str
    name: str
    credit_code: str
    type: str
    type_label: str
    region_code: str
    address: str
    parent_id: str | None
    lng: float | None
    lat: float | None
    contact_phone: str | None
    created_at: datetime
    version: int

    @classmethod
    def of(cls, i: Institution) -> InstitutionView:
        return cls(
            id=i.id, name=i.name, credit_code=i.credit_code, type=i.type.value,
            type_label=INSTITUTION_TYPE_LABELS[i.type], region_code=i.region_code, address=i.address,
            parent_id=i.parent_id, lng=i.location.lng if i.location else None,
            lat=i.location.lat if i.location else None, contact_phone=i.contact_phone,
            created_at=i.created_at, version=i.version,
        )


@frozen
class StaffView:
    id: str
    institution_id: str
    name: str
    phone: str | None
    profession: str
    profession_label: str
    license_no: str | None
    active: bool
    created_at: datetime
    version: int

    @classmethod
    def of(cls, s: StaffMember, reveal: bool = False) -> StaffView:
        return cls(
            id=s.id, institution_id=s.institution_id, name=s.name, phone=_phone(s.phone, reveal),
            profession=s.profession.value, profession_label=PROFESSION_LABELS[s.profession],
            license_no=s.license_no, active=s.active, created_at=s.created_at, version=s.version,
        )


@frozen
class EmergencyContactView:
    name: str | None
    phone: str | None
    relation: str


@frozen
class ElderView:
    """`masked` tells the client whether identity fields are masked (lists always are)."""

    id: str
    institution_id: str
    name: str
    gender: str
    gender_label: str
    birth_date: date | None  # masked views keep the age only: the date would complete a masked ID number
    age: int
    id_card_no: str | None
    phone: str | None
    region_code: str
    emergency_contacts: list[EmergencyContactView]
    primary_doctor_id: str | None
    created_at: datetime
    version: int
    masked: bool

    @classmethod
    def of(cls, e: Elder, today: date, reveal: bool = False) -> ElderView:
        return cls(
            id=e.id, institution_id=e.institution_id, name=e.name,
            gender=e.gender.value, gender_label=GENDER_LABELS[e.gender], birth_date=e.birth_date if reveal else None,
            age=age_on(e.birth_date, today),
            id_card_no=e.id_card_no if reveal else mask_id_card(e.id_card_no),
            phone=_phone(e.phone, reveal), region_code=e.region_code,
            emergency_contacts=[
                EmergencyContactView(c.name if reveal else mask_name(c.name), _phone(c.phone, reveal), c.relation)
                for c in e.emergency_contacts
            ],
            primary_doctor_id=e.primary_doctor_id, created_at=e.created_at, version=e.version,
            masked=not reveal,
        )


@frozen
class AddressView:
    id: str
    elder_id: str
    region_code: str
    detail: str | None
    contact_name: str | None
    contact_phone: str | None
    is_default: bool
    lng: float | None
    lat: float | None
    version: int

    @classmethod
    def of(cls, a: Address, reveal: bool = True) -> AddressView:
        return cls(
            id=a.id, elder_id=a.elder_id, region_code=a.region_code,
            detail=a.detail if reveal else mask_address(a.detail),
            contact_name=a.contact_name if reveal else mask_name(a.contact_name),
            contact_phone=_phone(a.contact_phone, reveal), is_default=a.is_default,
            lng=a.location.lng if a.location else None, lat=a.location.lat if a.location else None,
            version=a.version,
        )


@frozen
class FamilyLinkView:
    id: str
    elder_id: str
    family_member_id: str
    name: str | None
    phone: str | None
    relation: str
    has_account: bool

    @classmethod
    def of(cls, link: FamilyLink, member: FamilyMember, has_account: bool, reveal: bool) -> FamilyLinkView:
        return cls(
            id=link.id, elder_id=link.elder_id, family_member_id=member.id,
            name=member.name if reveal else mask_name(member.name), phone=_phone(member.phone, reveal),
            relation=link.relation, has_account=has_account,
        )


@frozen
class AccountView:
    id: str
    username: str
    phone: str | None
    role: str
    role_label: str
    institution_id: str | None
    staff_id: str | None
    elder_id: str | None
    family_member_id: str | None
    status: str
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, a: UserAccount, reveal: bool = False) -> AccountView:
        return cls(
            id=a.id, username=a.username, phone=_phone(a.phone, reveal), role=a.role.value,
            role_label=ROLE_LABELS[a.role], institution_id=a.institution_id, staff_id=a.staff_id,
            elder_id=a.elder_id, family_member_id=a.family_member_id, status=a.status.value,
            locked_until=a.locked_until, last_login_at=a.last_login_at, created_at=a.created_at,
        )


@frozen
class AuditEventView:
    name: str
    aggregate: str
    aggregate_id: str
    actor_id: str
    actor_role: str
    occurred_at: datetime
    before: dict[str, object] | None
    after: dict[str, object] | None
    reason: str

    @classmethod
    def of(cls, e: DomainEvent) -> AuditEventView:
        return cls(
            name=e.name, aggregate=e.aggregate, aggregate_id=e.aggregate_id, actor_id=e.actor.id,
            actor_role=e.actor.role, occurred_at=e.occurred_at,
            before=dict(e.before) if e.before is not None else None,
            after=dict(e.after) if e.after is not None else None, reason=e.reason,
        )


@frozen
class FileView:
    key: str
    name: str
    content_type: str
    size: int
    uploaded_at: datetime

    @classmethod
    def of(cls, f: FileRef) -> FileView:
        return cls(f.key, f.name, f.content_type, f.size, f.uploaded_at)


@frozen
class ExceptionView:
    id: str
    order_id: str
    order_number: str
    institution_id: str
    elder_id: str
    staff_id: str | None
    type: str
    type_label: str
    detail: str
    detected_at: datetime
    status: str
    status_label: str
    review_note: str
    reviewed_at: datetime | None
    version: int

    @classmethod
    def of(cls, e: ExceptionOrder) -> ExceptionView:
        return cls(
            e.id, e.order_id, e.order_number, e.institution_id, e.elder_id, e.staff_id, e.type.value,
            EXCEPTION_KIND_LABELS[e.type], e.detail, e.detected_at, e.status.value, REVIEW_STATUS_LABELS[e.status],
            e.review_note, e.reviewed_at, e.version,
        )
