"""Alarm use cases (告警处置, D-02, S-09, M-12): the dispatch feed, one alarm's card, acknowledge and close,
and the mini-program's one-tap SOS with its video-call request."""

from __future__ import annotations

from datetime import datetime

from attrs import frozen

from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import FieldError, ValidationFailed
from yiyangkang.domain.kernel.masking import mask_phone
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.timekeeping import instant_problem
from yiyangkang.domain.monitoring.alarms import Alarm, AlarmStatus, CloseReason
from yiyangkang.domain.monitoring.messages import SignalSource
from yiyangkang.domain.monitoring.records import CallRequest
from yiyangkang.domain.monitoring.rules import AlarmKind, Severity
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import allows, load_elder, owner_target, visibility
from yiyangkang.services.monitoring.delivery import deliver_notices
from yiyangkang.services.monitoring.desk import AlarmDesk
from yiyangkang.services.monitoring.views import (
    AlarmView,
    DispatchCard,
    mask_contact,
    mask_where,
    vitals_of,
)
from yiyangkang.services.objects import events_of, load_owned
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.views import AuditEventView

KIND = "告警"
MAX_NOTE = 500


@frozen
class AlarmFilter:
    status: AlarmStatus | None = None
    open_only: bool = False
    kinds: frozenset[AlarmKind] | None = None
    severity: Severity | None = None
    elder_id: str | None = None
    homebed_only: bool = False  # S-09/D-02: alarms of elders with a home bed
    since: datetime | None = None


def _names(uow: UnitOfWork, alarms: list[Alarm]) -> dict[str, str]:
    names = {}
    for elder_id in {a.elder_id for a in alarms}:
        elder = uow.elders.get(elder_id)
        names[elder_id] = elder.name if elder else ""
    return names


def list_alarms(rt: Runtime, principal: Principal, page: PageRequest, flt: AlarmFilter) -> Page[AlarmView]:
    """Alarms in scope, newest first; `open_only` gives the dispatch order (most severe, then oldest)."""
    if flt.since is not None and (problem := instant_problem(flt.since)):
        raise ValidationFailed([FieldError("since", problem, "BAD_TIME")])
    with rt.uow() as uow:
        found = uow.alarms.list(
            visibility(principal, Operation.ALARM_READ), page, status=flt.status, open_only=flt.open_only,
            kinds=flt.kinds, severity=flt.severity, elder_id=flt.elder_id, homebed_only=flt.homebed_only,
            since=flt.since)
        names = _names(uow, list(found.items))
        return found.map(lambda a: AlarmView.of(a, names[a.elder_id]))


def _load(uow: UnitOfWork, principal: Principal, op: Operation, ident: str, *, lock: bool = False) -> Alarm:
    item = uow.alarms.lock(ident) if lock else uow.alarms.get(ident)
    return load_owned(uow, principal, op, item, KIND, ident)


def dispatch_card(rt: Runtime, principal: Principal, alarm_id: str) -> DispatchCard:
    """One alarm with the elder's phone, address, contacts, doctor, device and latest vitals. Those who answer
    alarms see them in full; the elder and family see their own; anyone else gets them masked."""
    with rt.uow() as uow:
        return _card(uow, principal, _load(uow, principal, Operation.ALARM_READ, alarm_id))


def dispatch_feed(rt: Runtime, principal: Principal, page: PageRequest, *,
                  homebed_only: bool = False) -> Page[DispatchCard]:
    """The dispatch centre's feed (调度队列): open alarms, most severe first, then oldest, each as a card."""
    with rt.uow() as uow:
        found = uow.alarms.list(visibility(principal, Operation.ALARM_READ), page, open_only=True,
                                homebed_only=homebed_only)
        return found.map(lambda a: _card(uow, principal, a))


def _card(uow: UnitOfWork, principal: Principal, alarm: Alarm) -> DispatchCard:
    elder = uow.elders.get(alarm.elder_id)
    handles = allows(principal, Operation.ALARM_HANDLE, owner_target(uow, alarm.institution_id, alarm.elder_id))
    reveal = handles or alarm.elder_id in principal.elder_ids
    addresses = uow.addresses.for_elder(alarm.elder_id)
    home = next((a for a in addresses if a.is_default), addresses[0] if addresses else None)
    contacts = [mask_contact(c.relation, c.name, c.phone, reveal) for c in (elder.emergency_contacts if elder else ())]
    for link in uow.family_links.for_elder(alarm.elder_id):
        member = uow.family_members.get(link.family_member_id)
        if member is not None:
            contacts.append(mask_contact(link.relation, member.name, member.phone, reveal))
    doctor = uow.staff.get(elder.primary_doctor_id) if elder and elder.primary_doctor_id else None
    device = uow.devices.get(alarm.device_id) if alarm.device_id else None
    latest = list(uow.readings.latest([alarm.elder_id]))
    return DispatchCard(
        alarm=AlarmView.of(alarm, elder.name if elder else "", reveal=reveal),
        elder_phone=(elder.phone if reveal else mask_phone(elder.phone)) if elder else None,
        address=mask_where(home.detail, reveal) if home else None, contacts=contacts,
        doctor_name=doctor.name if doctor else None,
        doctor_phone=(doctor.phone if reveal else mask_phone(doctor.phone)) if doctor else None,
        device_serial=device.serial if device else None, device_location=device.location if device else None,
        latest_vitals=vitals_of(latest), masked=not reveal,
    )


def _note(note: str | None) -> str:
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise ValidationFailed([FieldError("note", f"备注不能超过{MAX_NOTE}个字", "TOO_LONG")])
    return text


def acknowledge_alarm(rt: Runtime, principal: Principal, alarm_id: str, note: str | None = None) -> AlarmView:
    """接警: someone takes the alarm on; escalation stops."""
    with rt.uow() as uow:
        alarm = _load(uow, principal, Operation.ALARM_HANDLE, alarm_id, lock=True)
        alarm.acknowledge(principal.actor, rt.clock.now(), _note(note))
        uow.alarms.save(alarm)
        uow.commit()
        return AlarmView.of(alarm, _names(uow, [alarm])[alarm.elder_id], reveal=True)


def close_alarm(rt: Runtime, principal: Principal, alarm_id: str, reason: CloseReason,
                note: str | None = None) -> AlarmView:
    """结束告警 after seeing to the elder (handled) or finding nothing wrong (false alarm)."""
    with rt.uow() as uow:
        alarm = _load(uow, principal, Operation.ALARM_HANDLE, alarm_id, lock=True)
        alarm.close(principal.actor, rt.clock.now(), reason, _note(note))
        uow.alarms.save(alarm)
        uow.commit()
        return AlarmView.of(alarm, _names(uow, [alarm])[alarm.elder_id], reveal=True)


def alarm_events(rt: Runtime, principal: Principal, alarm_id: str) -> list[AuditEventView]:
    with rt.uow() as uow:
        _load(uow, principal, Operation.ALARM_READ, alarm_id)
        return events_of(uow, alarm_id)


@frozen
class SosResult:
    alarm: AlarmView
    call_request_id: str
    invitees: int


def raise_sos(rt: Runtime, principal: Principal, elder_id: str, note: str | None = None) -> SosResult:
    """One-tap SOS from the mini-program (视频急救, M-12): the same SOS alarm a pull cord raises, the same
    people told, plus a video-call request to the elder's family and primary doctor."""
    now = rt.clock.now()
    with rt.uow() as uow:
        elder = load_elder(uow, principal, Operation.SOS_RAISE, elder_id)
        desk = AlarmDesk(uow, rt.ids, now)
        alarm = desk.raise_alarm(
            institution_id=elder.institution_id, elder_id=elder.id, kind=AlarmKind.SOS, subject="",
            severity=Severity.CRITICAL, at=now, device_id=None, source=SignalSource.APP.value,
            detail="小程序一键呼救" + (f"：{_note(note)}" if note and note.strip() else ""), actor=principal.actor)
        desk.flush()
        invitees = []
        for link in uow.family_links.for_elder(elder.id):
            account = uow.accounts.of_person(family_member_id=link.family_member_id)
            if account is not None and account.id != principal.account_id:
                invitees.append(account.id)
        if elder.primary_doctor_id:
            account = uow.accounts.of_person(staff_id=elder.primary_doctor_id)
            if account is not None:
                invitees.append(account.id)
        call = CallRequest(id=rt.ids.new_id(), institution_id=elder.institution_id, elder_id=elder.id,
                           alarm_id=alarm.id, requested_by=principal.account_id, invitees=tuple(invitees),
                           created_at=now)
        call.record_created(principal.actor, now, name="requested")
        uow.call_requests.add(call)
        uow.commit()
        view = AlarmView.of(alarm, elder.name, reveal=True)
    deliver_notices(rt)
    return SosResult(alarm=view, call_request_id=call.id, invitees=len(invitees))
