"""An elder's service addresses (服务地址, P-05): the elder, the family and the caring institution keep them."""

from __future__ import annotations

from attrs import frozen

from yiyangkang.domain.elders.addresses import Address
from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import NotFound
from yiyangkang.domain.kernel.identifiers import parse_mobile
from yiyangkang.domain.kernel.validation import Checks
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import load_elder
from yiyangkang.services.institutions import check_location, check_region
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.views import AddressView

MAX_ADDRESSES = 10


@frozen(kw_only=True)
class AddressForm:
    region_code: str | None = None
    detail: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    is_default: bool | None = None
    lng: float | None = None
    lat: float | None = None


def _fields(uow: UnitOfWork, form: AddressForm, checks: Checks, *, creating: bool) -> dict[str, object]:
    values: dict[str, object] = {}
    if creating or form.region_code is not None:
        values["region_code"] = check_region(uow, checks, "region_code", form.region_code)
    if creating or form.detail is not None:
        values["detail"] = checks.text("detail", form.detail, label="详细地址", max_len=200)
    if creating or form.contact_name is not None:
        values["contact_name"] = checks.text("contact_name", form.contact_name, label="联系人", max_len=32)
    if creating or form.contact_phone is not None:
        values["contact_phone"] = checks.parse("contact_phone", parse_mobile, form.contact_phone or "")
    if form.is_default is not None:
        values["is_default"] = form.is_default
    if form.lng is not None or form.lat is not None:
        values["location"] = check_location(checks, form.lng, form.lat)
    return values


def _only_default(uow: UnitOfWork, principal: Principal, keep: Address, rt: Runtime) -> None:
    """Setting one default clears the others; an elder has at most one default address."""
    for other in uow.addresses.for_elder(keep.elder_id):
        if other.id != keep.id and other.is_default:
            other.change({"is_default": False}, principal.actor, rt.clock.now())
            uow.addresses.save(other)


def _hold(uow: UnitOfWork, elder_id: str) -> None:
    """Address changes of one elder queue up: "first address" and "only one default" hold under races."""
    uow.elders.lock(elder_id)


def list_addresses(rt: Runtime, principal: Principal, elder_id: str) -> list[AddressView]:
    with rt.uow() as uow:
        load_elder(uow, principal, Operation.ADDRESS_READ, elder_id)
        return [AddressView.of(a) for a in uow.addresses.for_elder(elder_id)]


def add_address(rt: Runtime, principal: Principal, elder_id: str, form: AddressForm) -> AddressView:
    with rt.uow() as uow:
        _hold(uow, elder_id)
        load_elder(uow, principal, Operation.ADDRESS_WRITE, elder_id)
        existing = uow.addresses.for_elder(elder_id)
        checks = Checks()
        values = _fields(uow, form, checks, creating=True)
        checks.require("elder_id", len(existing) < MAX_ADDRESSES, f"每位老人最多{MAX_ADDRESSES}个地址",
                       code="TOO_MANY")
        checks.done()
        if not existing:
            values["is_default"] = True
        address = Address(id=rt.ids.new_id(), elder_id=elder_id, created_at=rt.clock.now(),
                          **values)  # type: ignore[arg-type]
        address.record_created(principal.actor, address.created_at)
        uow.addresses.add(address)
        if address.is_default:
            _only_default(uow, principal, address, rt)
        uow.commit()
        return AddressView.of(address)


def _load(uow: UnitOfWork, principal: Principal, elder_id: str, address_id: str) -> Address:
    _hold(uow, elder_id)
    load_elder(uow, principal, Operation.ADDRESS_WRITE, elder_id)
    address = uow.addresses.get(address_id)
    if address is None or address.elder_id != elder_id:
        raise NotFound("地址", address_id)
    return address


def update_address(
    rt: Runtime, principal: Principal, elder_id: str, address_id: str, form: AddressForm,
    expected_version: int | None = None,
) -> AddressView:
    with rt.uow() as uow:
        address = _load(uow, principal, elder_id, address_id)
        checks = Checks()
        values = _fields(uow, form, checks, creating=False)
        checks.done()
        address.expect_version(expected_version)
        if address.change(values, principal.actor, rt.clock.now()):
            uow.addresses.save(address)
            if address.is_default:
                _only_default(uow, principal, address, rt)
            uow.commit()
        return AddressView.of(address)


def remove_address(rt: Runtime, principal: Principal, elder_id: str, address_id: str) -> None:
    with rt.uow() as uow:
        address = _load(uow, principal, elder_id, address_id)
        address.note("removed", principal.actor, rt.clock.now(), before=address.snapshot())
        uow.addresses.remove(address)
        if address.is_default:
            rest = [a for a in uow.addresses.for_elder(elder_id) if a.id != address.id]
            if rest:
                rest[0].change({"is_default": True}, principal.actor, rt.clock.now())
                uow.addresses.save(rest[0])
        uow.commit()
