"""Who is told about an alarm (告警通知对象, M-12): the elder's family and emergency contacts, the primary
doctor and the institution's duty staff; on escalation the institution's admins as well."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from yiyangkang.domain.elders.elder import Elder
from yiyangkang.domain.identity.accounts import Role
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.monitoring.alarms import Alarm
from yiyangkang.domain.monitoring.duty import DutySettings
from yiyangkang.domain.monitoring.notices import AlarmNotice, Recipient, alarm_text
from yiyangkang.ports.clock import IdGenerator
from yiyangkang.ports.uow import UnitOfWork


def duty_settings(uow: UnitOfWork, institution_id: str, now: datetime) -> DutySettings:
    return uow.duty_settings.get(institution_id) or DutySettings(id=institution_id, created_at=now)


def _people(uow: UnitOfWork, alarm: Alarm, elder: Elder | None, escalated: bool, now: datetime,
            ) -> Iterator[tuple[Recipient, str, str | None, str | None]]:
    """(recipient kind, person id, account id, phone) of everyone to tell, possibly with repeats."""
    if elder is not None:
        for link in uow.family_links.for_elder(elder.id):
            member = uow.family_members.get(link.family_member_id)
            if member is not None:
                account = uow.accounts.of_person(family_member_id=member.id)
                yield Recipient.FAMILY, member.id, account.id if account else None, member.phone
        for contact in elder.emergency_contacts:
            yield Recipient.FAMILY, f"contact:{contact.phone}", None, contact.phone
        if elder.primary_doctor_id:
            yield from _staff(uow, Recipient.DOCTOR, elder.primary_doctor_id)
    for staff_id in duty_settings(uow, alarm.institution_id, now).duty_staff_ids:
        yield from _staff(uow, Recipient.DUTY, staff_id)
    if escalated:
        admins = uow.accounts.list(Visibility(institution_id=alarm.institution_id), PageRequest(page=1, size=100),
                                   role=Role.INSTITUTION_ADMIN)
        for account in admins.items:
            yield Recipient.ADMIN, account.id, account.id, account.phone


def _staff(uow: UnitOfWork, recipient: Recipient, staff_id: str,
           ) -> Iterator[tuple[Recipient, str, str | None, str | None]]:
    member = uow.staff.get(staff_id)
    if member is not None and member.active:
        account = uow.accounts.of_person(staff_id=member.id)
        yield recipient, member.id, account.id if account else None, member.phone


def notices_for(uow: UnitOfWork, ids: IdGenerator, alarm: Alarm, now: datetime, *, where: str,
                escalated: bool = False) -> list[AlarmNotice]:
    """One notice per person (a person reachable two ways, e.g. family member and emergency contact with the
    same phone, is told once)."""
    elder = uow.elders.get(alarm.elder_id)
    title, body = alarm_text(kind=alarm.alarm_kind, severity=alarm.severity, elder_name=elder.name if elder else "",
                             at=alarm.last_at, where=where, detail=alarm.detail, number=alarm.number,
                             escalated=escalated)
    notices: list[AlarmNotice] = []
    told: set[str] = set()
    for recipient, person_id, account_id, phone in _people(uow, alarm, elder, escalated, now):
        marks = {f"p:{person_id}", f"a:{account_id}", f"t:{phone}"} - {"a:None", "t:None"}
        if marks & told or not (account_id or phone):
            continue
        told |= marks
        notices.append(AlarmNotice(
            id=ids.new_id(), alarm_id=alarm.id, institution_id=alarm.institution_id, recipient=recipient,
            person_id=person_id, account_id=account_id, phone=phone, title=title, body=body,
            personal=(elder.name,) if elder else (), created_at=now))
    return notices
