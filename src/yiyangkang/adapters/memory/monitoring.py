"""In-memory monitoring repositories: the same rules as the SQL ones (one open alarm per key, latest by
device time, liveness never moving back, exclusive notice claims) over plain objects."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, ClassVar, Generic, TypeVar

from yiyangkang.adapters.memory.homebed import _Owned
from yiyangkang.adapters.memory.repositories import MemoryRepository, _has, _page
from yiyangkang.adapters.memory.store import MemoryStore
from yiyangkang.domain.homebed.contracts import IN_TERM, Contract
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.errors import ConcurrentUpdate
from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.monitoring.alarms import Alarm, AlarmStatus
from yiyangkang.domain.monitoring.devices import Device, DeviceModel, DeviceStatus, SimCard, SimStatus
from yiyangkang.domain.monitoring.duty import DutySettings
from yiyangkang.domain.monitoring.notices import AlarmNotice, NoticeStatus
from yiyangkang.domain.monitoring.records import CallRequest, CheckupReport, DeadLetter, Reading
from yiyangkang.domain.monitoring.rules import AlarmKind, AlarmRule, RuleOverride, RuleState, Severity
from yiyangkang.domain.monitoring.vitals import Vital
from yiyangkang.ports.monitoring import Latest, Liveness, Silent

R = TypeVar("R")


class _Rows(Generic[R]):
    """Plain rows (not aggregates) keyed by any hashable, with changes applied on commit."""

    name: ClassVar[str]

    def __init__(self, store: MemoryStore, touched: list[Aggregate], committed: MemoryStore) -> None:
        self.rows: dict[Any, R] = store.table(self.name)
        self.committed: dict[Any, R] = committed.table(self.name)
        self.changes: dict[Any, R] = {}

    def _put(self, key: Any, row: R) -> None:
        self.rows[key] = self.changes[key] = copy.deepcopy(row)

    def _remove(self, key: Any) -> None:
        self.rows.pop(key, None)
        self.changes[key] = None  # type: ignore[assignment]

    def apply(self) -> None:
        for key, row in self.changes.items():
            if row is None:
                self.committed.pop(key, None)
            else:
                self.committed[key] = copy.deepcopy(row)
        self.changes.clear()


class MemoryDeviceModels(MemoryRepository[DeviceModel]):
    name = "mon_device_models"
    unique = ((lambda d: d.name, "DEVICE_MODEL_NAME_TAKEN", "已有同名设备型号"),)

    def all(self, *, active: bool | None = None) -> Sequence[DeviceModel]:
        items = [i for i in self._all() if active is None or i.active == active]
        return sorted(items, key=lambda i: (i.created_at, i.id))


class MemoryDevices(_Owned[Device]):
    name = "mon_devices"
    unique = ((lambda d: d.serial, "DEVICE_SERIAL_TAKEN", "该序列号/IMEI的设备已登记"),)

    def by_serials(self, serials: Iterable[str]) -> dict[str, Device]:
        wanted = set(serials)
        return {d.serial: d for d in self._all() if d.serial in wanted}

    def list(
        self, visibility: Visibility, page: PageRequest, *, elder_id: str | None = None, model_id: str | None = None,
        status: DeviceStatus | None = None, keyword: str | None = None,
    ) -> Page[Device]:
        return self._find(visibility, page, lambda d: _has(keyword, d.serial), elder_id=elder_id, model_id=model_id,
                          status=status)

    def ever_bound_to(self, elder_id: str) -> Sequence[Device]:
        found = [d for d in self._all() if any(b.elder_id == elder_id for b in d.bindings)]
        return sorted(found, key=lambda d: d.created_at)


class MemorySimCards(_Owned[SimCard]):
    name = "mon_sim_cards"
    unique = ((lambda s: s.iccid, "SIM_ICCID_TAKEN", "该ICCID的通信卡已登记"),
              (lambda s: s.device_id, "SIM_DEVICE_TAKEN", "该设备已装有通信卡"))

    def by_iccid(self, iccid: str) -> SimCard | None:
        return next((s for s in self._all() if s.iccid == iccid), None)

    def in_device(self, device_id: str) -> SimCard | None:
        return next((s for s in self._all() if s.device_id == device_id), None)

    def list(
        self, visibility: Visibility, page: PageRequest, *, expiring_before: date | None = None,
        keyword: str | None = None,
    ) -> Page[SimCard]:
        return self._find(visibility, page, lambda s: _has(keyword, s.iccid) and (
            expiring_before is None or s.expires_on <= expiring_before))

    def expiring(self, until: date) -> Sequence[SimCard]:
        found = [s for s in self._all() if s.status is SimStatus.ACTIVE and s.expires_on <= until]
        return sorted(found, key=lambda s: (s.expires_on, s.id))


class MemoryAlarmRules(MemoryRepository[AlarmRule]):
    name = "mon_alarm_rules"

    def all(self) -> Sequence[AlarmRule]:
        return sorted(self._all(), key=lambda r: (r.created_at, r.id))


class MemoryRuleOverrides(_Owned[RuleOverride]):
    name = "mon_rule_overrides"
    unique = ((lambda o: (o.rule_id, o.elder_id), "RULE_OVERRIDE_EXISTS", "该老人已有此规则的个性化阈值"),)

    def find(self, rule_id: str, elder_id: str) -> RuleOverride | None:
        return next((o for o in self._all() if o.rule_id == rule_id and o.elder_id == elder_id), None)

    def for_elders(self, elder_ids: Iterable[str]) -> dict[tuple[str, str], RuleOverride]:
        wanted = set(elder_ids)
        return {(o.rule_id, o.elder_id): o for o in self._all() if o.elder_id in wanted}

    def list(self, visibility: Visibility, page: PageRequest, *, elder_id: str | None = None) -> Page[RuleOverride]:
        return self._find(visibility, page, lambda o: True, elder_id=elder_id)


class MemoryRuleStates(_Rows[RuleState]):
    name = "mon_rule_states"

    def get_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], RuleState]:
        return {k: copy.deepcopy(self.rows[k]) for k in set(keys) if k in self.rows}

    def save_many(self, states: Iterable[RuleState]) -> None:
        for s in states:
            current = self.rows.get(s.key)
            committed = self.committed.get(s.key)
            if (current.version if current else 0) != s.version or (committed and committed.version > s.version):
                raise ConcurrentUpdate(details={"rule_id": s.rule_id, "device_id": s.device_id})
            s.version += 1
            self._put(s.key, s)

    def waiting(self) -> Sequence[RuleState]:
        return [copy.deepcopy(s) for s in self.rows.values() if s.waiting]


class MemoryReadings(_Rows[Any]):
    name = "mon_readings"

    def add_many(self, readings: Sequence[Reading]) -> None:
        for r in readings:
            self._put(("r", len(self.rows)), r)
            key = ("latest", r.elder_id, r.vital.value, r.device_id)
            known = self.rows.get(key)
            if known is None or known.at <= r.at:
                self._put(key, Latest(r.elder_id, r.device_id, r.vital, r.value, r.at))

    def latest(self, elder_ids: Iterable[str], vitals: Iterable[Vital] | None = None) -> Sequence[Latest]:
        wanted, only = set(elder_ids), None if vitals is None else set(vitals)
        found = [v for k, v in self.rows.items() if k[0] == "latest" and v.elder_id in wanted
                 and (only is None or v.vital in only)]
        return sorted(found, key=lambda x: (x.elder_id, x.vital.value, -x.at.timestamp()))

    def _range(self, elder_id: str, vital: Vital, start: datetime, end: datetime,
               device_id: str | None) -> list[Reading]:
        found = [r for k, r in self.rows.items() if k[0] == "r" and r.elder_id == elder_id and r.vital is vital
                 and start <= r.at < end and (device_id is None or r.device_id == device_id)]
        return sorted(found, key=lambda r: r.at)

    def history(
        self, elder_id: str, vital: Vital, start: datetime, end: datetime, *, device_id: str | None = None,
        limit: int | None = None,
    ) -> Sequence[Reading]:
        return self._range(elder_id, vital, start, end, device_id)[:limit]

    def count(self, elder_id: str, vital: Vital, start: datetime, end: datetime,
              device_id: str | None = None) -> int:
        return len(self._range(elder_id, vital, start, end, device_id))


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return max(a, b) if a is not None and b is not None else a or b


class MemoryLiveness(_Rows[Liveness]):
    name = "mon_liveness"

    def __init__(self, store: MemoryStore, touched: list[Aggregate], committed: MemoryStore) -> None:
        super().__init__(store, touched, committed)
        self.devices: dict[str, Device] = store.table("mon_devices")
        self.models: dict[str, DeviceModel] = store.table("mon_device_models")

    def touch_many(self, updates: Sequence[Liveness]) -> None:
        for u in updates:
            old = self.rows.get(u.device_id)
            self._put(u.device_id, Liveness(
                u.device_id, _later(old.last_data_at if old else None, u.last_data_at),
                _later(old.last_seen_at if old else None, u.last_seen_at),
                u.battery if u.battery is not None else (old.battery if old else None)))

    def get_many(self, device_ids: Iterable[str]) -> dict[str, Liveness]:
        return {d: self.rows[d] for d in set(device_ids) if d in self.rows}

    def silent(self, now: datetime) -> Sequence[Silent]:
        found = []
        for d in self.devices.values():
            binding, model = d.current_binding, self.models.get(d.model_id)
            if binding is None or model is None or model.data_interval_s <= 0 or d.status is not DeviceStatus.ACTIVE:
                continue
            live = self.rows.get(d.id)
            last = live.last_data_at if live else None
            since = last if last and last > binding.start else binding.start
            if (now - since).total_seconds() > model.data_interval_s:
                found.append(Silent(d.id, d.institution_id, binding.elder_id, last, binding.start,
                                    model.data_interval_s))
        return found


class MemoryMessageLog(_Rows[tuple[str, datetime]]):
    name = "mon_messages"

    def claim(self, entries: Iterable[tuple[str, str, datetime]]) -> set[str]:
        new = set()
        for key, device_id, at in entries:
            if key not in self.rows and key not in self.committed:
                self._put(key, (device_id, at))
                new.add(key)
        return new

    def forget_before(self, cutoff: datetime) -> int:
        old = [k for k, (_, at) in self.rows.items() if at < cutoff]
        for k in old:
            self._remove(k)
        return len(old)


class MemoryDeadLetters(_Rows[DeadLetter]):
    name = "mon_dead_letters"

    def add(self, letter: DeadLetter) -> None:
        self._put(letter.id, letter)

    def get(self, ident: str) -> DeadLetter | None:
        return self.rows.get(ident)

    def list(self, page: PageRequest, *, reason: str | None = None, serial: str | None = None) -> Page[DeadLetter]:
        found = [d for d in self.rows.values() if (not reason or d.reason == reason)
                 and (not serial or d.serial == serial)]
        found.sort(key=lambda d: (d.received_at, d.id), reverse=True)
        return Page(found[page.offset: page.offset + page.size], len(found), page.page, page.size)


class MemoryAlarms(_Owned[Alarm]):
    name = "mon_alarms"
    unique = ((lambda a: a.open_key if a.is_open else None, "ALARM_OPEN", "该告警已存在"),)

    def __init__(self, store: MemoryStore, touched: list[Aggregate], committed: MemoryStore) -> None:
        super().__init__(store, touched, committed)
        self.contracts: dict[str, Contract] = store.table("hb_contracts")

    def open_for(self, open_key: str) -> Alarm | None:
        return next((self.get(a.id) for a in self._all() if a.is_open and a.open_key == open_key), None)

    def open_for_elders(self, elder_ids: Iterable[str]) -> Sequence[Alarm]:
        wanted = set(elder_ids)
        return [a for a in self._all() if a.is_open and a.elder_id in wanted]

    def add_open(self, alarm: Alarm) -> bool:
        others = [*self.rows.values(), *(o for i, o in self.committed.items() if i not in self.changes)]
        if any(o.is_open and o.open_key == alarm.open_key for o in others):
            return False
        self.add(alarm)
        return True

    def list(
        self, visibility: Visibility, page: PageRequest, *, status: AlarmStatus | None = None,
        open_only: bool = False, kinds: frozenset[AlarmKind] | None = None, severity: Severity | None = None,
        elder_id: str | None = None, homebed_only: bool = False, since: datetime | None = None,
    ) -> Page[Alarm]:
        in_bed = {c.elder_id for c in self.contracts.values() if c.status in IN_TERM}

        def keep(a: Alarm) -> bool:
            return ((not open_only or a.is_open) and (not kinds or a.alarm_kind in kinds)
                    and (severity is None or a.severity is severity) and (since is None or a.first_at >= since)
                    and (not homebed_only or a.elder_id in in_bed))

        found = self._find(visibility, PageRequest(page=1, size=10**9), keep, status=status, elder_id=elder_id).items
        if open_only:
            found = sorted(found, key=lambda a: (-a.severity.rank, a.first_at, a.id))
        return _page(found, page)

    def unacknowledged(self) -> Sequence[Alarm]:
        return [a for a in self._all() if a.status is AlarmStatus.OPEN]


class MemoryNoticeOutbox(_Rows[AlarmNotice]):
    name = "mon_alarm_notices"

    def add_many(self, notices: Sequence[AlarmNotice]) -> None:
        for n in notices:
            self._put(n.id, n)

    def claim(self, now: datetime, limit: int) -> Sequence[AlarmNotice]:
        found = sorted((n for n in self.rows.values() if n.claimable(now)), key=lambda n: (n.created_at, n.id))
        claimed = []
        for n in found[:limit]:
            mine = copy.deepcopy(n)
            mine.status, mine.claimed_at = NoticeStatus.SENDING, now
            self.save(mine)
            claimed.append(mine)
        return claimed

    def save(self, notice: AlarmNotice) -> None:
        current, committed = self.rows.get(notice.id), self.committed.get(notice.id)
        if current is None or current.version != notice.version or (committed and committed.version > notice.version):
            raise ConcurrentUpdate(details={"id": notice.id})
        notice.version += 1
        self._put(notice.id, notice)

    def for_alarm(self, alarm_id: str) -> Sequence[AlarmNotice]:
        return sorted((copy.deepcopy(n) for n in self.rows.values() if n.alarm_id == alarm_id),
                      key=lambda n: (n.created_at, n.id))


class MemoryDutySettings(MemoryRepository[DutySettings]):
    name = "mon_duty_settings"

    def get_many(self, institution_ids: Iterable[str]) -> Mapping[str, DutySettings]:
        return {i: s for i in set(institution_ids) if (s := self.get(i)) is not None}


class MemoryCheckups(_Owned[CheckupReport]):
    name = "mon_checkups"

    def for_elder(self, elder_id: str, page: PageRequest) -> Page[CheckupReport]:
        found = sorted((c for c in self._all() if c.elder_id == elder_id), key=lambda c: (c.taken_at, c.id),
                       reverse=True)
        return _page(found, page)


class MemoryCallRequests(_Owned[CallRequest]):
    name = "mon_call_requests"

    def for_alarm(self, alarm_id: str) -> Sequence[CallRequest]:
        return sorted((c for c in self._all() if c.alarm_id == alarm_id), key=lambda c: c.created_at)
