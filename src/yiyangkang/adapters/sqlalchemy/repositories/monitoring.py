"""Monitoring repositories: device and alarm documents, and the high-volume rows of ingestion."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from yiyangkang.adapters.sqlalchemy import tables as t
from yiyangkang.adapters.sqlalchemy import tables_monitoring as m
from yiyangkang.adapters.sqlalchemy.base import SqlContext, keyword_clause
from yiyangkang.adapters.sqlalchemy.documents import converter
from yiyangkang.adapters.sqlalchemy.repositories.homebed import DocumentRepository
from yiyangkang.domain.homebed.contracts import IN_TERM
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.errors import ConcurrentUpdate
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.monitoring.alarms import Alarm, AlarmStatus
from yiyangkang.domain.monitoring.devices import Device, DeviceModel, DeviceStatus, SimCard, SimStatus
from yiyangkang.domain.monitoring.duty import DutySettings
from yiyangkang.domain.monitoring.notices import AlarmNotice, NoticeStatus
from yiyangkang.domain.monitoring.records import CallRequest, CheckupReport, DeadLetter, Reading
from yiyangkang.domain.monitoring.rules import AlarmKind, AlarmRule, RuleOverride, RuleState, Severity
from yiyangkang.domain.monitoring.vitals import Vital
from yiyangkang.ports.monitoring import Latest, Liveness, Silent


def _insert(ctx: SqlContext, table: Any) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (SQLite 3.24+ and PostgreSQL speak the same clause)."""
    return (postgresql if ctx.conn.dialect.name == "postgresql" else sqlite).insert(table)


def _inserted(result: Any) -> int:
    """Rows an INSERT … ON CONFLICT DO NOTHING wrote. Counted through RETURNING: psycopg reports rowcount -1
    for it."""
    return len(result.all())


class SqlDeviceModels(DocumentRepository[DeviceModel]):
    table, model = m.mon_device_models, DeviceModel
    conflicts = {"name": ("DEVICE_MODEL_NAME_TAKEN", "已有同名设备型号")}

    def columns(self, item: DeviceModel) -> dict[str, Any]:
        return {"name": item.name, "active": item.active}

    def all(self, *, active: bool | None = None) -> Sequence[DeviceModel]:
        c = self.table.c
        stmt = select(self.table).order_by(c.created_at, c.id)
        return self._rows(stmt if active is None else stmt.where(c.active == active))


class SqlDevices(DocumentRepository[Device]):
    table, model = m.mon_devices, Device
    conflicts = {"serial": ("DEVICE_SERIAL_TAKEN", "该序列号/IMEI的设备已登记")}

    def columns(self, d: Device) -> dict[str, Any]:
        return {"institution_id": d.institution_id, "serial": d.serial, "model_id": d.model_id,
                "status": d.status.value, "elder_id": d.elder_id}

    def add(self, item: Device) -> None:
        super().add(item)
        self._write_bindings(item)

    def save(self, item: Device) -> None:
        super().save(item)
        self._write_bindings(item)

    def _write_bindings(self, d: Device) -> None:
        b = m.mon_device_bindings
        self.conn.execute(delete(b).where(b.c.device_id == d.id))
        if d.bindings:
            self.conn.execute(b.insert(), [
                {"device_id": d.id, "seq": i, "elder_id": x.elder_id, "start": x.start, "end": x.end}
                for i, x in enumerate(d.bindings)
            ])

    def by_serials(self, serials: Iterable[str]) -> dict[str, Device]:
        wanted = sorted(set(serials))
        if not wanted:
            return {}
        return {d.serial: d for d in self._rows(select(self.table).where(self.table.c.serial.in_(wanted)))}

    def list(
        self, visibility: Visibility, page: PageRequest, *, elder_id: str | None = None, model_id: str | None = None,
        status: DeviceStatus | None = None, keyword: str | None = None,
    ) -> Page[Device]:
        stmt = self._owned(visibility, elder_id=elder_id, model_id=model_id, status=status)
        return self._page(stmt.where(keyword_clause(keyword, self.table.c.serial)), page)

    def ever_bound_to(self, elder_id: str) -> Sequence[Device]:
        b = m.mon_device_bindings.c
        ids = select(b.device_id).where(b.elder_id == elder_id)
        return self._rows(select(self.table).where(self.table.c.id.in_(ids)).order_by(self.table.c.created_at))


class SqlSimCards(DocumentRepository[SimCard]):
    table, model = m.mon_sim_cards, SimCard
    conflicts = {"iccid": ("SIM_ICCID_TAKEN", "该ICCID的通信卡已登记"),
                 "device_id": ("SIM_DEVICE_TAKEN", "该设备已装有通信卡")}

    def columns(self, s: SimCard) -> dict[str, Any]:
        return {"institution_id": s.institution_id, "iccid": s.iccid, "device_id": s.device_id,
                "status": s.status.value, "expires_on": s.expires_on}

    def by_iccid(self, iccid: str) -> SimCard | None:
        rows = self._rows(select(self.table).where(self.table.c.iccid == iccid))
        return rows[0] if rows else None

    def in_device(self, device_id: str) -> SimCard | None:
        rows = self._rows(select(self.table).where(self.table.c.device_id == device_id))
        return rows[0] if rows else None

    def list(
        self, visibility: Visibility, page: PageRequest, *, expiring_before: date | None = None,
        keyword: str | None = None,
    ) -> Page[SimCard]:
        c = self.table.c
        stmt = self._owned(visibility).where(keyword_clause(keyword, c.iccid))
        if expiring_before is not None:
            stmt = stmt.where(c.expires_on <= expiring_before)
        return self._page(stmt, page)

    def expiring(self, until: date) -> Sequence[SimCard]:
        c = self.table.c
        return self._rows(select(self.table).where(c.status == SimStatus.ACTIVE.value, c.expires_on <= until)
                          .order_by(c.expires_on, c.id))


class SqlAlarmRules(DocumentRepository[AlarmRule]):
    table, model = m.mon_alarm_rules, AlarmRule

    def columns(self, r: AlarmRule) -> dict[str, Any]:
        return {"vital": r.vital.value, "active": r.active}

    def all(self) -> Sequence[AlarmRule]:
        return self._rows(select(self.table).order_by(self.table.c.created_at, self.table.c.id))


class SqlRuleOverrides(DocumentRepository[RuleOverride]):
    table, model = m.mon_rule_overrides, RuleOverride
    conflicts = {"rule_elder": ("RULE_OVERRIDE_EXISTS", "该老人已有此规则的个性化阈值")}

    def columns(self, o: RuleOverride) -> dict[str, Any]:
        return {"institution_id": o.institution_id, "elder_id": o.elder_id, "rule_id": o.rule_id}

    def find(self, rule_id: str, elder_id: str) -> RuleOverride | None:
        c = self.table.c
        rows = self._rows(select(self.table).where(c.rule_id == rule_id, c.elder_id == elder_id))
        return rows[0] if rows else None

    def for_elders(self, elder_ids: Iterable[str]) -> dict[tuple[str, str], RuleOverride]:
        wanted = sorted(set(elder_ids))
        if not wanted:
            return {}
        rows = self._rows(select(self.table).where(self.table.c.elder_id.in_(wanted)))
        return {(o.rule_id, o.elder_id): o for o in rows}

    def list(self, visibility: Visibility, page: PageRequest, *, elder_id: str | None = None) -> Page[RuleOverride]:
        return self._page(self._owned(visibility, elder_id=elder_id), page)


class SqlRuleStates:
    def __init__(self, ctx: SqlContext) -> None:
        self.ctx, self.conn = ctx, ctx.conn

    def get_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], RuleState]:
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        c = m.mon_rule_states.c
        rows = self.conn.execute(select(m.mon_rule_states).where(tuple_(c.rule_id, c.device_id).in_(wanted)))
        return {(r.rule_id, r.device_id): self._state(r) for r in rows}

    @staticmethod
    def _state(row: Any) -> RuleState:
        state = converter.structure(row.doc, RuleState)
        state.version = row.version
        return state

    def save_many(self, states: Iterable[RuleState]) -> None:
        table, c = m.mon_rule_states, m.mon_rule_states.c
        for s in states:
            doc = converter.unstructure(s)
            doc.pop("version")
            values = {"waiting": s.waiting, "doc": doc, "version": s.version + 1}
            if s.version == 0:
                stmt = _insert(self.ctx, table).values(rule_id=s.rule_id, device_id=s.device_id, **values)
                done = _inserted(self.conn.execute(stmt.on_conflict_do_nothing().returning(table.c.rule_id)))
            else:
                done = self.conn.execute(table.update().where(
                    c.rule_id == s.rule_id, c.device_id == s.device_id, c.version == s.version).values(values)).rowcount
            if done != 1:
                raise ConcurrentUpdate(details={"rule_id": s.rule_id, "device_id": s.device_id})
            s.version += 1

    def waiting(self) -> Sequence[RuleState]:
        c = m.mon_rule_states.c
        return [self._state(r) for r in self.conn.execute(select(m.mon_rule_states).where(c.waiting.is_(True)))]


class SqlReadings:
    def __init__(self, ctx: SqlContext) -> None:
        self.ctx, self.conn = ctx, ctx.conn

    def add_many(self, readings: Sequence[Reading]) -> None:
        if not readings:
            return
        self.conn.execute(m.mon_readings.insert(), [
            {"elder_id": r.elder_id, "device_id": r.device_id, "vital": r.vital.value, "value": r.value, "at": r.at,
             "received_at": r.received_at, "clamped": r.clamped} for r in readings
        ])
        newest: dict[tuple[str, str, str], Reading] = {}
        for r in readings:
            key = (r.elder_id, r.vital.value, r.device_id)
            if key not in newest or r.at >= newest[key].at:
                newest[key] = r
        table = m.mon_latest
        stmt = _insert(self.ctx, table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["elder_id", "vital", "device_id"],
            set_={"value": stmt.excluded.value, "at": stmt.excluded.at},
            where=table.c.at <= stmt.excluded.at,  # "latest" is the newest device time, not the newest arrival
        )
        self.conn.execute(stmt, [
            {"elder_id": e, "vital": v, "device_id": d, "value": r.value, "at": r.at}
            for (e, v, d), r in sorted(newest.items())
        ])

    def latest(self, elder_ids: Iterable[str], vitals: Iterable[Vital] | None = None) -> Sequence[Latest]:
        wanted = sorted(set(elder_ids))
        if not wanted:
            return []
        c = m.mon_latest.c
        stmt = select(m.mon_latest).where(c.elder_id.in_(wanted))
        if vitals is not None:
            stmt = stmt.where(c.vital.in_(sorted(v.value for v in vitals)))
        return [Latest(r.elder_id, r.device_id, Vital(r.vital), r.value, r.at)
                for r in self.conn.execute(stmt.order_by(c.elder_id, c.vital, c.at.desc()))]

    def _range(self, elder_id: str, vital: Vital, start: datetime, end: datetime, device_id: str | None) -> Any:
        c = m.mon_readings.c
        cond = and_(c.elder_id == elder_id, c.vital == vital.value, c.at >= start, c.at < end)
        return and_(cond, c.device_id == device_id) if device_id else cond

    def history(
        self, elder_id: str, vital: Vital, start: datetime, end: datetime, *, device_id: str | None = None,
        limit: int | None = None,
    ) -> Sequence[Reading]:
        c = m.mon_readings.c
        stmt = select(m.mon_readings).where(self._range(elder_id, vital, start, end, device_id)).order_by(c.at, c.id)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [Reading(r.elder_id, r.device_id, Vital(r.vital), r.value, r.at, r.received_at, r.clamped)
                for r in self.conn.execute(stmt)]

    def count(self, elder_id: str, vital: Vital, start: datetime, end: datetime,
              device_id: str | None = None) -> int:
        stmt = select(func.count()).select_from(m.mon_readings).where(
            self._range(elder_id, vital, start, end, device_id))
        return int(self.conn.execute(stmt).scalar_one())


class SqlLiveness:
    def __init__(self, ctx: SqlContext) -> None:
        self.ctx, self.conn = ctx, ctx.conn

    def touch_many(self, updates: Sequence[Liveness]) -> None:
        if not updates:
            return
        table = m.mon_liveness
        stmt = _insert(self.ctx, table)
        ex, c = stmt.excluded, table.c
        stmt = stmt.on_conflict_do_update(index_elements=["device_id"], set_={
            # Times never move backwards; NULL means "nothing new of that sort in this batch".
            "last_data_at": self._later(c.last_data_at, ex.last_data_at),
            "last_seen_at": self._later(c.last_seen_at, ex.last_seen_at),
            "battery": func.coalesce(ex.battery, c.battery),
        })
        self.conn.execute(stmt, [
            {"device_id": u.device_id, "last_data_at": u.last_data_at, "last_seen_at": u.last_seen_at,
             "battery": u.battery} for u in sorted(updates, key=lambda u: u.device_id)])

    def _later(self, a: Any, b: Any) -> Any:
        # SQLite's two-argument max() is NULL when either is; PostgreSQL's greatest() skips NULLs.
        larger = func.max(a, b) if self.conn.dialect.name == "sqlite" else func.greatest(a, b)
        return func.coalesce(larger, a, b)

    def get_many(self, device_ids: Iterable[str]) -> dict[str, Liveness]:
        wanted = sorted(set(device_ids))
        if not wanted:
            return {}
        rows = self.conn.execute(select(m.mon_liveness).where(m.mon_liveness.c.device_id.in_(wanted)))
        return {r.device_id: Liveness(r.device_id, r.last_data_at, r.last_seen_at, r.battery) for r in rows}

    def silent(self, now: datetime) -> Sequence[Silent]:
        d, dm, lv, b = m.mon_devices.c, m.mon_device_models.c, m.mon_liveness.c, m.mon_device_bindings.c
        stmt = (
            select(d.id, d.institution_id, d.elder_id, dm.doc.label("model_doc"), lv.last_data_at,
                   b.start.label("bound_since"))
            .join(m.mon_device_models, dm.id == d.model_id)
            .join(m.mon_device_bindings, and_(b.device_id == d.id, b.end.is_(None)))  # the one open binding
            .outerjoin(m.mon_liveness, lv.device_id == d.id)
            .where(d.elder_id.is_not(None), d.status == DeviceStatus.ACTIVE.value)
        )
        found = []
        for r in self.conn.execute(stmt):
            interval = int(r.model_doc.get("data_interval_s") or 0)
            if interval <= 0:
                continue
            since = r.last_data_at if r.last_data_at and r.last_data_at > r.bound_since else r.bound_since
            if (now - since).total_seconds() > interval:
                found.append(Silent(r.id, r.institution_id, r.elder_id, r.last_data_at, r.bound_since, interval))
        return found


class SqlMessageLog:
    def __init__(self, ctx: SqlContext) -> None:
        self.ctx, self.conn = ctx, ctx.conn

    def claim(self, entries: Iterable[tuple[str, str, datetime]]) -> set[str]:
        rows = {k: {"key": k, "device_id": d, "received_at": at} for k, d, at in entries}
        if not rows:
            return set()
        # One statement, keys in a fixed order: a parallel writer of the same key waits for this transaction
        # and then finds it taken (PostgreSQL), so exactly one of them stores the message.
        stmt = _insert(self.ctx, m.mon_messages).on_conflict_do_nothing().returning(m.mon_messages.c.key)
        return set(self.conn.execute(stmt, [rows[k] for k in sorted(rows)]).scalars())

    def forget_before(self, cutoff: datetime) -> int:
        return int(self.conn.execute(delete(m.mon_messages).where(m.mon_messages.c.received_at < cutoff)).rowcount)


class SqlDeadLetters:
    def __init__(self, ctx: SqlContext) -> None:
        self.conn = ctx.conn

    def add(self, letter: DeadLetter) -> None:
        self.conn.execute(m.mon_dead_letters.insert().values(
            id=letter.id, received_at=letter.received_at, channel=letter.channel[:160], codec=letter.codec[:32],
            serial=letter.serial[:64] if letter.serial else None, reason=letter.reason[:32],
            message=letter.message, payload=letter.payload))

    @staticmethod
    def _letter(r: Any) -> DeadLetter:
        return DeadLetter(r.id, r.received_at, r.channel, r.codec, r.serial, r.reason, r.message, bytes(r.payload))

    def get(self, ident: str) -> DeadLetter | None:
        row = self.conn.execute(select(m.mon_dead_letters).where(m.mon_dead_letters.c.id == ident)).first()
        return None if row is None else self._letter(row)

    def list(self, page: PageRequest, *, reason: str | None = None, serial: str | None = None) -> Page[DeadLetter]:
        c = m.mon_dead_letters.c
        stmt = select(m.mon_dead_letters)
        if reason:
            stmt = stmt.where(c.reason == reason)
        if serial:
            stmt = stmt.where(c.serial == serial)
        total = self.conn.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        rows = self.conn.execute(stmt.order_by(c.received_at.desc(), c.id.desc()).limit(page.size).offset(page.offset))
        return Page([self._letter(r) for r in rows], total, page.page, page.size)


class SqlAlarms(DocumentRepository[Alarm]):
    table, model = m.mon_alarms, Alarm
    conflicts = {"number": ("NUMBER_TAKEN", "编号重复，请重试")}

    def columns(self, a: Alarm) -> dict[str, Any]:
        return {"number": a.number, "institution_id": a.institution_id, "elder_id": a.elder_id,
                "kind": a.alarm_kind.value, "open_key": a.open_key, "severity_rank": a.severity.rank,
                "status": a.status.value, "device_id": a.device_id, "first_at": a.first_at}

    def open_for(self, open_key: str) -> Alarm | None:
        c = self.table.c
        stmt = select(self.table).where(c.open_key == open_key, c.status != AlarmStatus.CLOSED.value)
        if self.conn.dialect.name != "sqlite":
            stmt = stmt.with_for_update()
        rows = self._rows(stmt)
        return rows[0] if rows else None

    def open_for_elders(self, elder_ids: Iterable[str]) -> Sequence[Alarm]:
        wanted = sorted(set(elder_ids))
        if not wanted:
            return []
        c = self.table.c
        return self._rows(select(self.table).where(c.elder_id.in_(wanted), c.status != AlarmStatus.CLOSED.value))

    def add_open(self, alarm: Alarm) -> bool:
        stmt = _insert(self.ctx, self.table).values(self.to_row(alarm)).on_conflict_do_nothing(
            index_elements=["open_key"], index_where=self.table.c.status != AlarmStatus.CLOSED.value)
        if not _inserted(self.conn.execute(stmt.returning(self.table.c.id))):
            return False
        self.ctx.touched.append(alarm)
        return True

    def list(
        self, visibility: Visibility, page: PageRequest, *, status: AlarmStatus | None = None,
        open_only: bool = False, kinds: frozenset[AlarmKind] | None = None, severity: Severity | None = None,
        elder_id: str | None = None, homebed_only: bool = False, since: datetime | None = None,
    ) -> Page[Alarm]:
        c = self.table.c
        stmt = self._owned(visibility, status=status, elder_id=elder_id)
        if open_only:
            stmt = stmt.where(c.status != AlarmStatus.CLOSED.value).order_by(None).order_by(
                c.severity_rank.desc(), c.first_at, c.id)
        if kinds:
            stmt = stmt.where(c.kind.in_(sorted(k.value for k in kinds)))
        if severity is not None:
            stmt = stmt.where(c.severity_rank == severity.rank)
        if since is not None:
            stmt = stmt.where(c.first_at >= since)
        if homebed_only:
            hc = t.hb_contracts.c
            in_bed = select(hc.elder_id).where(hc.status.in_(sorted(s.value for s in IN_TERM)))
            stmt = stmt.where(c.elder_id.in_(in_bed))
        return self._page(stmt, page)

    def unacknowledged(self) -> Sequence[Alarm]:
        return self._rows(select(self.table).where(self.table.c.status == AlarmStatus.OPEN.value))


class SqlNoticeOutbox:
    def __init__(self, ctx: SqlContext) -> None:
        self.ctx, self.conn = ctx, ctx.conn

    def _row(self, n: AlarmNotice) -> dict[str, Any]:
        doc = converter.unstructure(n)
        doc.pop("version")
        return {"id": n.id, "alarm_id": n.alarm_id, "status": n.status.value, "claimed_at": n.claimed_at,
                "created_at": n.created_at, "doc": self.ctx.seal_json(doc)}

    def _notice(self, r: Any) -> AlarmNotice:
        notice = converter.structure(self.ctx.open_json(r.doc), AlarmNotice)
        notice.version = r.version
        return notice

    def add_many(self, notices: Sequence[AlarmNotice]) -> None:
        if notices:
            self.conn.execute(m.mon_alarm_notices.insert(), [{**self._row(n), "version": 0} for n in notices])

    def claim(self, now: datetime, limit: int) -> Sequence[AlarmNotice]:
        c = m.mon_alarm_notices.c
        candidates = self.conn.execute(
            select(m.mon_alarm_notices).where(or_(c.status == NoticeStatus.PENDING.value,
                                                  c.status == NoticeStatus.SENDING.value))
            .order_by(c.created_at, c.id).limit(limit * 4)).all()
        claimed: list[AlarmNotice] = []
        for row in candidates:
            notice = self._notice(row)
            if len(claimed) >= limit or not notice.claimable(now):
                continue
            notice.status, notice.claimed_at = NoticeStatus.SENDING, now
            try:
                self.save(notice)  # the version check makes the claim exclusive
            except ConcurrentUpdate:
                continue
            claimed.append(notice)
        return claimed

    def save(self, notice: AlarmNotice) -> None:
        c = m.mon_alarm_notices.c
        values = {**self._row(notice), "version": notice.version + 1}
        done = self.conn.execute(m.mon_alarm_notices.update().where(
            c.id == notice.id, c.version == notice.version).values(values)).rowcount
        if done != 1:
            raise ConcurrentUpdate(details={"id": notice.id})
        notice.version += 1

    def for_alarm(self, alarm_id: str) -> Sequence[AlarmNotice]:
        c = m.mon_alarm_notices.c
        rows = self.conn.execute(select(m.mon_alarm_notices).where(c.alarm_id == alarm_id).order_by(c.created_at, c.id))
        return [self._notice(r) for r in rows]


class SqlDutySettings(DocumentRepository[DutySettings]):
    table, model = m.mon_duty_settings, DutySettings

    def get_many(self, institution_ids: Iterable[str]) -> Mapping[str, DutySettings]:
        wanted = sorted(set(institution_ids))
        if not wanted:
            return {}
        return {s.id: s for s in self._rows(select(self.table).where(self.table.c.id.in_(wanted)))}


class SqlCheckups(DocumentRepository[CheckupReport]):
    table, model = m.mon_checkups, CheckupReport

    def columns(self, r: CheckupReport) -> dict[str, Any]:
        return {"institution_id": r.institution_id, "elder_id": r.elder_id, "device_id": r.device_id,
                "taken_at": r.taken_at}

    def for_elder(self, elder_id: str, page: PageRequest) -> Page[CheckupReport]:
        c = self.table.c
        return self._page(select(self.table).where(c.elder_id == elder_id).order_by(c.taken_at.desc(), c.id), page)


class SqlCallRequests(DocumentRepository[CallRequest]):
    table, model = m.mon_call_requests, CallRequest

    def columns(self, r: CallRequest) -> dict[str, Any]:
        return {"institution_id": r.institution_id, "elder_id": r.elder_id, "alarm_id": r.alarm_id}

    def for_alarm(self, alarm_id: str) -> Sequence[CallRequest]:
        c = self.table.c
        return self._rows(select(self.table).where(c.alarm_id == alarm_id).order_by(c.created_at))
