"""Request bodies and the page envelope of the API.

Request bodies are msgspec Structs with `forbid_unknown_fields`: Litestar decodes and type-checks
them natively and documents them exactly in OpenAPI, and a misspelt or extra field is refused (400)
instead of silently ignored. Business rules (ID checksum, known region …) are checked by the use
cases and answered with field-level 422s.
"""

from datetime import date
from typing import Annotated, Generic, TypeVar

import msgspec
from msgspec import Meta, Struct

from yiyangkang.domain.kernel.paging import Page

T = TypeVar("T")

# No control characters anywhere (PostgreSQL refuses NUL in text; nobody types them on purpose).
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
Id = Annotated[str, Meta(min_length=1, max_length=64, pattern=PRINTABLE)]
ShortText = Annotated[str, Meta(max_length=256, pattern=PRINTABLE)]
Secret = Annotated[str, Meta(max_length=128, pattern=PRINTABLE)]


class Body(Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies."""

    def fields(self) -> dict[str, object]:
        return msgspec.structs.asdict(self)


class PageOut(Struct, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int

    @classmethod
    def of(cls, page: Page[T]) -> "PageOut[T]":
        return cls(items=list(page.items), total=page.total, page=page.page, page_size=page.size)


class LoginIn(Body):
    login: ShortText  # user name or mobile number
    password: Secret


class LoginOut(Struct):
    access_token: str
    token_type: str
    expires_in: int
    account_id: str
    role: str


class ChangePasswordIn(Body):
    old_password: Secret
    new_password: Secret


class ResetPasswordIn(Body):
    new_password: Secret


class DisableIn(Body):
    reason: ShortText = ""


class InstitutionIn(Body):
    name: ShortText
    credit_code: ShortText
    type: ShortText
    region_code: ShortText
    address: ShortText
    parent_id: Id | None = None
    lng: float | None = None
    lat: float | None = None
    contact_phone: ShortText | None = None


class InstitutionPatch(Body):
    name: ShortText | None = None
    credit_code: ShortText | None = None
    type: ShortText | None = None
    region_code: ShortText | None = None
    address: ShortText | None = None
    parent_id: Id | None = None
    lng: float | None = None
    lat: float | None = None
    contact_phone: ShortText | None = None
    version: int | None = None


class StaffIn(Body):
    name: ShortText
    phone: ShortText
    profession: ShortText
    institution_id: Id | None = None
    license_no: ShortText | None = None


class StaffPatch(Body):
    name: ShortText | None = None
    phone: ShortText | None = None
    profession: ShortText | None = None
    institution_id: Id | None = None
    license_no: ShortText | None = None
    active: bool | None = None
    version: int | None = None


class EmergencyContactIn(Body):
    name: ShortText
    phone: ShortText
    relation: ShortText


class ElderIn(Body):
    name: ShortText
    id_card_no: ShortText
    region_code: ShortText
    institution_id: Id | None = None
    gender: ShortText | None = None
    birth_date: date | None = None
    phone: ShortText | None = None
    emergency_contacts: Annotated[list[EmergencyContactIn], Meta(max_length=20)] = []
    primary_doctor_id: Id | None = None


class ElderPatch(Body):
    name: ShortText | None = None
    id_card_no: ShortText | None = None
    region_code: ShortText | None = None
    institution_id: Id | None = None
    gender: ShortText | None = None
    birth_date: date | None = None
    phone: ShortText | None = None
    emergency_contacts: Annotated[list[EmergencyContactIn], Meta(max_length=20)] | None = None
    primary_doctor_id: ShortText | None = None
    version: int | None = None


class AddressIn(Body):
    region_code: ShortText
    detail: ShortText
    contact_name: ShortText
    contact_phone: ShortText
    is_default: bool | None = None
    lng: float | None = None
    lat: float | None = None


class AddressPatch(Body):
    region_code: ShortText | None = None
    detail: ShortText | None = None
    contact_name: ShortText | None = None
    contact_phone: ShortText | None = None
    is_default: bool | None = None
    lng: float | None = None
    lat: float | None = None
    version: int | None = None


class FamilyLinkIn(Body):
    name: ShortText
    phone: ShortText
    relation: ShortText


class AccountIn(Body):
    username: ShortText
    password: Secret
    role: ShortText
    phone: ShortText | None = None
    institution_id: Id | None = None
    staff_id: Id | None = None
    elder_id: Id | None = None
    family_member_id: Id | None = None


class Health(Struct):
    status: str
    database: str
    revision: str | None
