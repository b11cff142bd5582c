"""Check-up reports (体检报告, D-09) and the dead-letter store (死信) as the back office reads them."""

from __future__ import annotations

from datetime import datetime

from attrs import frozen

from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import NotFound
from yiyangkang.domain.kernel.files import FileRef
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.monitoring.messages import CheckupItem
from yiyangkang.domain.monitoring.records import CheckupReport
from yiyangkang.services.access import load_elder, require
from yiyangkang.services.monitoring.views import DeadLetterView
from yiyangkang.services.objects import load_owned, read_file
from yiyangkang.services.runtime import Runtime


@frozen
class CheckupView:
    id: str
    elder_id: str
    device_id: str
    taken_at: datetime
    items: list[CheckupItem]
    conclusion: str
    has_document: bool

    @classmethod
    def of(cls, r: CheckupReport) -> CheckupView:
        return cls(r.id, r.elder_id, r.device_id, r.taken_at, list(r.items), r.conclusion, r.document is not None)


def list_checkups(rt: Runtime, principal: Principal, elder_id: str, page: PageRequest) -> Page[CheckupView]:
    with rt.uow() as uow:
        load_elder(uow, principal, Operation.VITALS_READ, elder_id)
        return uow.checkups.for_elder(elder_id, page).map(CheckupView.of)


def checkup_document(rt: Runtime, principal: Principal, report_id: str) -> tuple[FileRef, bytes]:
    """The robot's original report (PDF or image)."""
    with rt.uow() as uow:
        report = load_owned(uow, principal, Operation.VITALS_READ, uow.checkups.get(report_id), "体检报告", report_id)
    return read_file(rt, report.document, report_id)


def list_dead_letters(rt: Runtime, principal: Principal, page: PageRequest, *, reason: str | None = None,
                      serial: str | None = None) -> Page[DeadLetterView]:
    require(principal, Operation.DEAD_LETTER_READ)
    with rt.uow() as uow:
        return uow.dead_letters.list(page, reason=reason, serial=serial).map(DeadLetterView.of)


def dead_letter_payload(rt: Runtime, principal: Principal, letter_id: str) -> bytes:
    require(principal, Operation.DEAD_LETTER_READ)
    with rt.uow() as uow:
        letter = uow.dead_letters.get(letter_id)
    if letter is None:
        raise NotFound("死信", letter_id)
    return letter.payload
