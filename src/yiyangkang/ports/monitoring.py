"""Ports of the monitoring context: devices, readings, rules and their state, alarms and their outbox."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Protocol

from attrs import frozen

from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.monitoring.alarms import Alarm, AlarmStatus
from yiyangkang.domain.monitoring.devices import Device, DeviceModel, DeviceStatus, SimCard
from yiyangkang.domain.monitoring.duty import DutySettings
from yiyangkang.domain.monitoring.notices import AlarmNotice
from yiyangkang.domain.monitoring.records import CallRequest, CheckupReport, DeadLetter, Reading
from yiyangkang.domain.monitoring.rules import AlarmKind, AlarmRule, RuleOverride, RuleState, Severity
from yiyangkang.domain.monitoring.vitals import Vital
from yiyangkang.ports.repositories import Repository


class DeviceModelRepository(Repository[DeviceModel], Protocol):
    def all(self, *, active: bool | None = None) -> Sequence[DeviceModel]: ...


class DeviceRepository(Repository[Device], Protocol):
    def by_serials(self, serials: Iterable[str]) -> dict[str, Device]: ...

    def list(
        self, visibility: Visibility, page: PageRequest, *, elder_id: str | None = None, model_id: str | None = None,
        status: DeviceStatus | None = None, keyword: str | None = None,
    ) -> Page[Device]:
        """Devices in scope; LINKED visibility sees the devices bound now to the caller's elders."""
        ...

    def ever_bound_to(self, elder_id: str) -> Sequence[Device]:
        """Every device the elder has used (their readings stay theirs after unbinding)."""
        ...


class SimCardRepository(Repository[SimCard], Protocol):
    def by_iccid(self, iccid: str) -> SimCard | None: ...

    def in_device(self, device_id: str) -> SimCard | None: ...

    def list(
        self, visibility: Visibility, page: PageRequest, *, expiring_before: date | None = None,
        keyword: str | None = None,
    ) -> Page[SimCard]: ...

    def expiring(self, until: date) -> Sequence[SimCard]:
        """Active cards expiring on or before `until`."""
        ...


class AlarmRuleRepository(Repository[AlarmRule], Protocol):
    def all(self) -> Sequence[AlarmRule]: ...


class RuleOverrideRepository(Repository[RuleOverride], Protocol):
    def find(self, rule_id: str, elder_id: str) -> RuleOverride | None: ...

    def for_elders(self, elder_ids: Iterable[str]) -> dict[tuple[str, str], RuleOverride]:
        """Overrides keyed by (rule id, elder id)."""
        ...

    def list(self, visibility: Visibility, page: PageRequest, *, elder_id: str | None = None) -> Page[RuleOverride]: ...


class RuleStates(Protocol):
    """Per rule and device, what the rule has seen (survives restarts)."""

    def get_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], RuleState]: ...

    def save_many(self, states: Iterable[RuleState]) -> None:
        """Insert new and update changed states; ConcurrentUpdate when one changed meanwhile."""
        ...

    def waiting(self) -> Sequence[RuleState]:
        """States with a started, unfired duration condition (for the periodic re-check)."""
        ...


@frozen
class Latest:
    """The newest reading (by device time) of one vital from one device."""

    elder_id: str
    device_id: str
    vital: Vital
    value: float
    at: datetime


class ReadingStore(Protocol):
    def add_many(self, readings: Sequence[Reading]) -> None:
        """Store readings and move each (elder, vital, device) "latest" forward where they are newer."""
        ...

    def latest(self, elder_ids: Iterable[str], vitals: Iterable[Vital] | None = None) -> Sequence[Latest]: ...

    def history(
        self, elder_id: str, vital: Vital, start: datetime, end: datetime, *, device_id: str | None = None,
        limit: int | None = None,
    ) -> Sequence[Reading]:
        """Readings in [start, end) by device time, oldest first."""
        ...

    def count(self, elder_id: str, vital: Vital, start: datetime, end: datetime,
              device_id: str | None = None) -> int: ...


@frozen
class Liveness:
    device_id: str
    last_data_at: datetime | None
    last_seen_at: datetime | None
    battery: float | None


@frozen
class Silent:
    """A bound device that has sent no data for longer than its model allows."""

    device_id: str
    institution_id: str
    elder_id: str
    last_data_at: datetime | None
    bound_since: datetime
    interval_s: int


class DeviceLivenessStore(Protocol):
    def touch_many(self, updates: Sequence[Liveness]) -> None:
        """Move each device's last data / last contact forward (never back); None leaves a field as it is."""
        ...

    def get_many(self, device_ids: Iterable[str]) -> dict[str, Liveness]: ...

    def silent(self, now: datetime) -> Sequence[Silent]: ...


class MessageLog(Protocol):
    """Keys of device messages already stored (deduplication of redelivered frames)."""

    def claim(self, entries: Iterable[tuple[str, str, datetime]]) -> set[str]:
        """Record (key, device or serial, received at) and return the keys that were new: atomically, so of
        two units of work claiming one key exactly one gets it."""
        ...

    def forget_before(self, cutoff: datetime) -> int: ...


class DeadLetterStore(Protocol):
    def add(self, letter: DeadLetter) -> None: ...

    def get(self, ident: str) -> DeadLetter | None: ...

    def list(self, page: PageRequest, *, reason: str | None = None, serial: str | None = None) -> Page[DeadLetter]: ...


class AlarmRepository(Repository[Alarm], Protocol):
    def open_for(self, open_key: str) -> Alarm | None:
        """The open alarm of this elder, kind and subject, locked for the unit of work."""
        ...

    def open_for_elders(self, elder_ids: Iterable[str]) -> Sequence[Alarm]:
        """The open alarms of these elders (unlocked: a save still checks their version)."""
        ...

    def add_open(self, alarm: Alarm) -> bool:
        """Insert a new open alarm unless one with its key is open already (then False, nothing written)."""
        ...

    def list(
        self, visibility: Visibility, page: PageRequest, *, status: AlarmStatus | None = None,
        open_only: bool = False, kinds: frozenset[AlarmKind] | None = None, severity: Severity | None = None,
        elder_id: str | None = None, homebed_only: bool = False, since: datetime | None = None,
    ) -> Page[Alarm]:
        """Newest first; with `open_only`, the dispatch order: most severe, then oldest."""
        ...

    def unacknowledged(self) -> Sequence[Alarm]:
        """Open alarms nobody has acknowledged (for escalation)."""
        ...


class NoticeOutbox(Protocol):
    def add_many(self, notices: Sequence[AlarmNotice]) -> None: ...

    def claim(self, now: datetime, limit: int) -> Sequence[AlarmNotice]:
        """Mark up to `limit` deliverable notices as being sent by this caller, and return them."""
        ...

    def save(self, notice: AlarmNotice) -> None: ...

    def for_alarm(self, alarm_id: str) -> Sequence[AlarmNotice]: ...


class DutySettingsRepository(Repository[DutySettings], Protocol):
    def get_many(self, institution_ids: Iterable[str]) -> Mapping[str, DutySettings]: ...


class CheckupRepository(Repository[CheckupReport], Protocol):
    def for_elder(self, elder_id: str, page: PageRequest) -> Page[CheckupReport]: ...


class CallRequestRepository(Repository[CallRequest], Protocol):
    def for_alarm(self, alarm_id: str) -> Sequence[CallRequest]: ...
