"""The alarm desk (告警台): raises, repeats and recovers alarms inside one unit of work and queues the
notices that go with them. Ingestion, the periodic scan and the mini-program's SOS all raise through it, so
"one open alarm per elder, kind and subject" and "who is told" are decided in one place."""

from __future__ import annotations

from datetime import datetime

from yiyangkang.domain.kernel.events import Actor
from yiyangkang.domain.kernel.numbers import NumberKind
from yiyangkang.domain.monitoring.alarms import Alarm, open_key
from yiyangkang.domain.monitoring.notices import AlarmNotice
from yiyangkang.domain.monitoring.rules import AlarmKind, Severity
from yiyangkang.ports.clock import IdGenerator
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.monitoring.recipients import notices_for
from yiyangkang.services.numbering import next_number


class AlarmDesk:
    def __init__(self, uow: UnitOfWork, ids: IdGenerator, now: datetime) -> None:
        self.uow, self.ids, self.now = uow, ids, now
        self._open: dict[str, Alarm | None] = {}  # None: known to have no open alarm
        self._known: set[str] = set()  # elders whose open alarms are all in `_open`
        self._locked: set[str] = set()  # keys read FOR UPDATE in this unit of work
        self._dirty: set[str] = set()
        self._where: dict[str, str] = {}
        self.raised: list[Alarm] = []
        self.notices: list[AlarmNotice] = []

    def prefetch(self, elder_ids: set[str]) -> None:
        """Load the open alarms of these elders at once, so that a batch of readings asks the database once
        rather than once per reading whether there is an alarm to repeat or clear."""
        wanted = elder_ids - self._known
        for alarm in self.uow.alarms.open_for_elders(wanted):
            self._open.setdefault(alarm.open_key, alarm)
        self._known |= wanted

    def _find(self, key: str) -> Alarm | None:
        if key not in self._open:
            if key.split("|", 1)[0] in self._known:
                return None
            self._open[key] = self.uow.alarms.open_for(key)
        return self._open[key]

    def _for_update(self, key: str) -> Alarm | None:
        """The open alarm of `key`, read again under its row lock before we change it: a prefetched copy may
        be stale when another worker repeats the same alarm right now."""
        if key not in self._locked:
            self._open[key] = self.uow.alarms.open_for(key)
            self._locked.add(key)
        return self._open[key]

    def raise_alarm(
        self, *, institution_id: str, elder_id: str, kind: AlarmKind, subject: str, severity: Severity, at: datetime,
        device_id: str | None, rule_id: str | None = None, source: str = "", detail: str = "",
        value: float | None = None, where: str = "", actor: Actor | None = None,
    ) -> Alarm:
        """Open a new alarm, or count a repeat of the open one (telling people again only if it got worse)."""
        key = open_key(elder_id, kind, subject)
        alarm = self._find(key)
        if alarm is not None and alarm.is_open:
            alarm = self._for_update(key)
        if alarm is None or not alarm.is_open:
            alarm = Alarm(
                id=self.ids.new_id(), number=next_number(self.uow, NumberKind.ALARM, self.now),
                institution_id=institution_id, elder_id=elder_id, alarm_kind=kind, subject=subject,
                severity=severity, device_id=device_id, rule_id=rule_id, source=source, detail=detail, value=value,
                first_at=at, last_at=at, created_at=self.now,
            )
            alarm.record_created(actor or Actor.system("devices"), self.now)
            if self.uow.alarms.add_open(alarm):  # a new open alarm: nobody else's race to lose
                self._open[key] = alarm
                self._locked.add(key)
                self.raised.append(alarm)
                self._tell(alarm, where)
                return alarm
            self._locked.discard(key)
            alarm = self._for_update(key)  # someone opened it a moment ago: theirs is the one
            if alarm is None:  # closed again meanwhile; vanishingly rare, and the next reading opens anew
                raise RuntimeError(f"open alarm {key} vanished while being raised")
        if alarm.repeat(severity, at, detail=detail, value=value):
            self._tell(alarm, where)
        self._dirty.add(key)
        return alarm

    def recover(self, key: str, at: datetime, detail: str, *, rule_id: str | None = None,
                device_id: str | None = None) -> Alarm | None:
        """Close the open alarm of `key` because its condition cleared — only an alarm raised by that rule on
        that device: "heart rate above 50" never clears a racing-heart alarm, and a calm radar by the bed does
        not overrule the band that saw the heart race."""
        alarm = self._find(key)
        if alarm is None or (rule_id is not None and alarm.rule_id != rule_id) or (
                device_id is not None and alarm.device_id != device_id):
            return None
        alarm = self._for_update(key)
        if alarm is None or not alarm.recover(at, detail):
            return None
        # written now, so that a new alarm of the same key later in this batch does not meet it as "open"
        self.uow.alarms.save(alarm)
        self._dirty.discard(key)
        self._open[key] = None
        return alarm

    def escalate(self, alarm: Alarm, where: str) -> None:
        alarm.escalate(self.now)
        self.uow.alarms.save(alarm)
        self.notices.extend(notices_for(self.uow, self.ids, alarm, self.now, where=where, escalated=True))

    def _tell(self, alarm: Alarm, where: str) -> None:
        self.notices.extend(notices_for(self.uow, self.ids, alarm, self.now, where=where))

    def flush(self) -> list[str]:
        """Write repeated and recovered alarms and the queued notices; the ids of the notices to deliver."""
        for key in sorted(self._dirty):
            alarm = self._open[key]
            assert alarm is not None
            self.uow.alarms.save(alarm)
        self._dirty.clear()
        self.uow.alarm_notices.add_many(self.notices)
        queued = [n.id for n in self.notices]
        self.notices = []
        return queued
