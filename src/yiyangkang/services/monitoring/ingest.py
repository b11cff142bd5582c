"""Ingestion (数据接入): decoded device messages become readings, rule verdicts and alarms, in one unit of
work per batch, so the bridge acknowledges a batch only once everything in it is stored.

Per message: drop it if its key was stored before (a redelivery); refuse it to the dead-letter store when the
device is unknown or retired, when it was not bound to anyone at the message's time, or when a value is
impossible; otherwise store the readings (device time, clamped to the arrival time when it lies in the
future), move the device's liveness forward, feed the rules in device-time order, and raise the alarms its
signals (SOS, fall, low battery) stand for. Readings older than what a rule has already seen are kept but
not evaluated: rules see each device's data in order."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime

from attrs import define, field, frozen

from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import ConcurrentUpdate, NotFound
from yiyangkang.domain.kernel.events import Actor
from yiyangkang.domain.kernel.files import ALLOWED_TYPES, MAX_FILE_BYTES, FileRef, sniff_content_type
from yiyangkang.domain.monitoring.alarms import alarm_subject, open_key
from yiyangkang.domain.monitoring.devices import Device, DeviceModel, DeviceStatus
from yiyangkang.domain.monitoring.messages import Decoded, DeviceMessage, Signal, SignalKind, SignalSource
from yiyangkang.domain.monitoring.records import CheckupReport, DeadLetter, Reading
from yiyangkang.domain.monitoring.rules import (
    AlarmKind,
    AlarmRule,
    RuleOverride,
    RuleState,
    Severity,
    by_vital,
    effective,
    rule_applies,
)
from yiyangkang.domain.monitoring.vitals import VITALS, Vital, implausible
from yiyangkang.ports.monitoring import Liveness
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import authorize, owner_target, require
from yiyangkang.services.monitoring.delivery import deliver_notices
from yiyangkang.services.monitoring.desk import AlarmDesk
from yiyangkang.services.runtime import Runtime

log = logging.getLogger(__name__)
_DEVICES = Actor.system("devices")
MAX_DEAD_PAYLOAD = 64 * 1024
STANDARD = "standard"  # the platform's own protocol: any device (or a partner for it) may speak it
RETRIES = 3

SIGNAL_ALARMS = {
    SignalKind.SOS: (AlarmKind.SOS, Severity.CRITICAL),
    SignalKind.FALL: (AlarmKind.FALL, Severity.CRITICAL),
    SignalKind.LOW_BATTERY: (AlarmKind.LOW_BATTERY, Severity.MINOR),
}
SOURCE_LABELS = {
    SignalSource.BAND_KEY: "手环SOS键", SignalSource.HUB_KEY: "一键通SOS键", SignalSource.PULL_CORD: "拉绳呼救",
    SignalSource.VOICE: "语音呼救", SignalSource.APP: "小程序一键呼救", SignalSource.RADAR: "毫米波雷达",
    SignalSource.SENSOR: "智能传感器", SignalSource.DEVICE: "设备上报",
}


@frozen
class Frame:
    """One payload as it arrived, with what its codec made of it (or why it could not)."""

    channel: str  # MQTT topic, or "http:<codec>"
    codec: str
    payload: bytes
    received_at: datetime
    decoded: Decoded | None = None
    reason: str = ""  # when `decoded` is None: the codec's rejection code
    message: str = ""
    serial: str | None = None
    redelivered: bool = False  # the transport says it sent this before (MQTT DUP)


@define
class IngestReport:
    stored: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    readings: int = 0
    alarms: list[str] = field(factory=list)  # ids of alarms opened
    notices: list[str] = field(factory=list)  # ids of notices to deliver
    refused: set[str] = field(factory=set)  # keys of messages sent to the dead-letter store


class _Refused(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason)
        self.reason, self.message = reason, message


@define
class _Accepted:
    message: DeviceMessage
    device: Device
    model: DeviceModel
    readings: list[Reading]
    signals: list[tuple[Signal, datetime, str]]  # signal, time, elder
    received_at: datetime


class _Batch:
    def __init__(self, rt: Runtime, uow: UnitOfWork, now: datetime) -> None:
        self.rt, self.uow, self.now = rt, uow, now
        self.desk = AlarmDesk(uow, rt.ids, now)
        self.report = IngestReport()
        self.stored_files: list[str] = []
        self.evaluated: set[tuple[str, str]] = set()
        self.readings: list[Reading] = []  # written once per batch
        self.liveness: dict[str, Liveness] = {}

    # -- refusing ---------------------------------------------------------------------------------
    def dead_letter(self, frame: Frame, reason: str, message: str, serial: str | None) -> None:
        self.uow.dead_letters.add(DeadLetter(
            id=self.rt.ids.new_id(), received_at=frame.received_at, channel=frame.channel, codec=frame.codec,
            serial=serial, reason=reason, message=message, payload=frame.payload[:MAX_DEAD_PAYLOAD]))
        self.report.dead_letters += 1

    # -- accepting --------------------------------------------------------------------------------
    def accept(self, frame: Frame, msg: DeviceMessage, device: Device | None,
               models: dict[str, DeviceModel]) -> _Accepted:
        if device is None:
            raise _Refused("UNKNOWN_DEVICE", f"设备 {msg.serial} 未登记")
        if device.status is DeviceStatus.RETIRED:
            raise _Refused("DEVICE_RETIRED", f"设备 {msg.serial} 已停用")
        model = models[device.model_id]
        if frame.codec not in (model.codec, STANDARD):
            # A device speaks its model's protocol (or ours): a frame for it in another protocol comes from
            # somewhere else — e.g. a gateway topic naming a device that is not behind any gateway.
            raise _Refused("CODEC_MISMATCH",
                           f"设备 {msg.serial} 的型号使用 {model.codec} 协议，不接受 {frame.codec} 报文")
        received = frame.received_at
        readings: list[Reading] = []
        for m in msg.measurements:
            if problem := implausible(m.vital, m.value):
                raise _Refused("IMPLAUSIBLE_VALUE", problem)
            at, clamped = _device_time(m.at, received)
            elder = self._holder(device, at)
            readings.append(Reading(elder, device.id, m.vital, float(m.value), at, received, clamped))
        signals = []
        for s in msg.signals:
            at, _ = _device_time(s.at, received)
            signals.append((s, at, self._holder(device, at)))
        if not (readings or signals or msg.checkup):  # a bare heartbeat belongs to whoever has the device now
            self._holder(device, received)
        readings.sort(key=lambda r: r.at)
        return _Accepted(msg, device, model, readings, signals, received)

    @staticmethod
    def _holder(device: Device, at: datetime) -> str:
        elder = device.holder_at(at)
        if elder is None:
            raise _Refused("UNBOUND_DEVICE", f"设备 {device.serial} 在 {at.isoformat()} 未绑定老人")
        return elder

    def store(self, item: _Accepted, rules: dict[Vital, list[AlarmRule]], states: dict[tuple[str, str], RuleState],
              overrides: dict[tuple[str, str], RuleOverride]) -> None:
        device, model = item.device, item.model
        self.readings.extend(item.readings)
        self.report.readings += len(item.readings)
        # A heartbeat proves a device alive only where it is all the device sends (a hub between calls).
        carries_data = (model.heartbeat_is_data or not item.message.keepalive) and bool(
            item.readings or item.signals or item.message.checkup or model.heartbeat_is_data)
        battery = next((r.value for r in reversed(item.readings) if r.vital is Vital.BATTERY), None)
        data_at = max((r.at for r in item.readings), default=item.received_at) if carries_data else None
        self._touch(Liveness(device.id, data_at, item.received_at, battery))
        if carries_data and device.elder_id:
            back = open_key(device.elder_id, AlarmKind.OFFLINE, device.id)
            self.desk.recover(back, item.received_at, "设备恢复上报数据")
        for reading in item.readings:
            self._evaluate(reading, device, model, rules, states, overrides)
        for signal, at, elder in item.signals:
            kind, severity = SIGNAL_ALARMS[signal.kind]
            detail = SOURCE_LABELS[signal.source] + (f"：{signal.detail}" if signal.detail else "")
            self.desk.raise_alarm(
                institution_id=device.institution_id, elder_id=elder, kind=kind,
                subject=alarm_subject(kind, device_id=device.id), severity=severity, at=at, device_id=device.id,
                source=signal.source.value, detail=detail, where=device.location)
        if item.message.checkup is not None:
            self._checkup(item)

    def _touch(self, update: Liveness) -> None:
        known = self.liveness.get(update.device_id)
        if known is not None:
            update = Liveness(update.device_id, _later(known.last_data_at, update.last_data_at),
                              _later(known.last_seen_at, update.last_seen_at),
                              update.battery if update.battery is not None else known.battery)
        self.liveness[update.device_id] = update

    def flush(self) -> None:
        self.uow.readings.add_many(self.readings)
        self.uow.device_liveness.touch_many(list(self.liveness.values()))
        self.readings, self.liveness = [], {}

    def _evaluate(self, reading: Reading, device: Device, model: DeviceModel, rules: dict[Vital, list[AlarmRule]],
                  states: dict[tuple[str, str], RuleState], overrides: dict[tuple[str, str], RuleOverride]) -> None:
        for rule in rules.get(reading.vital, ()):
            if not rule_applies(rule, model.id, reading.vital):
                continue
            thresholds = effective(rule, overrides.get((rule.id, reading.elder_id)))
            if thresholds is None:
                continue
            state = states.setdefault((rule.id, device.id), RuleState(rule_id=rule.id, device_id=device.id,
                                                                       elder_id=reading.elder_id))
            state.hand_to(reading.elder_id)
            self.evaluated.add(state.key)
            verdict = state.evaluate(thresholds, rule.schedule, reading.value, reading.at)
            subject = alarm_subject(rule.alarm_kind, vital=reading.vital.value, device_id=device.id)
            spec = VITALS[reading.vital]
            if verdict.severity is not None:
                self.desk.raise_alarm(
                    institution_id=device.institution_id, elder_id=reading.elder_id, kind=rule.alarm_kind,
                    subject=subject, severity=verdict.severity, at=reading.at, device_id=device.id, rule_id=rule.id,
                    source=model.device_kind.value, detail=f"{rule.name}：{spec.label} {reading.value:g} {spec.unit}",
                    value=reading.value, where=device.location)
            elif verdict.clear:
                self.desk.recover(open_key(reading.elder_id, rule.alarm_kind, subject), reading.at,
                                  f"{spec.label}恢复至 {reading.value:g} {spec.unit}", rule_id=rule.id,
                                  device_id=device.id)

    def _checkup(self, item: _Accepted) -> None:
        checkup = item.message.checkup
        assert checkup is not None
        at, _ = _device_time(checkup.at, item.received_at)
        elder = self._holder(item.device, at)
        report_id = self.rt.ids.new_id()
        document = None
        if checkup.document:
            kind = sniff_content_type(checkup.document[:16])
            if kind not in ALLOWED_TYPES or len(checkup.document) > MAX_FILE_BYTES:
                raise _Refused("BAD_DOCUMENT", "体检报告原件须为不超过10MB的PDF、JPG或PNG")
            key = f"checkups/{report_id}.{ALLOWED_TYPES[kind]}"
            self.rt.files.put(key, checkup.document)
            self.stored_files.append(key)
            document = FileRef(key=key, name=f"体检报告.{ALLOWED_TYPES[kind]}", content_type=kind,
                               size=len(checkup.document), sha256=hashlib.sha256(checkup.document).hexdigest(),
                               uploaded_at=self.now)
        report = CheckupReport(id=report_id, institution_id=item.device.institution_id, elder_id=elder,
                               device_id=item.device.id, taken_at=at, items=checkup.items,
                               conclusion=checkup.conclusion, document=document, created_at=self.now)
        report.record_created(_DEVICES, self.now)
        self.uow.checkups.add(report)


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return max(a, b) if a is not None and b is not None else a or b


def _device_time(at: datetime | None, received: datetime) -> tuple[datetime, bool]:
    """The device's time, or the arrival time when it gave none or one in the future (clamped)."""
    if at is None:
        return received, False
    if at > received:
        return received, True
    return at, False


def _run(rt: Runtime, frames: Sequence[Frame]) -> IngestReport:
    now = rt.clock.now()
    with rt.uow() as uow:
        uow.write_first()
        batch = _Batch(rt, uow, now)
        try:
            _process(batch, uow, frames)
            batch.report.notices = batch.desk.flush()
            uow.commit()
        except BaseException:
            for key in batch.stored_files:
                rt.files.delete(key)
            raise
        batch.report.alarms = [a.id for a in batch.desk.raised]
        return batch.report


def _process(batch: _Batch, uow: UnitOfWork, frames: Sequence[Frame]) -> None:
    messages = [(f, m) for f in frames if f.decoded for m in f.decoded.messages]
    devices = uow.devices.by_serials(m.serial for _, m in messages)
    models = {d.model_id: m for d in devices.values() if (m := uow.device_models.get(d.model_id)) is not None}
    for frame in frames:
        if frame.decoded is None:
            batch.dead_letter(frame, frame.reason or "UNDECODABLE", frame.message or "无法解析", frame.serial)
    checked: list[tuple[Frame, _Accepted]] = []
    for frame, msg in messages:
        try:
            checked.append((frame, batch.accept(frame, msg, devices.get(msg.serial), models)))
        except _Refused as refused:
            # A refused message claims no key: the same id, sent again once the device is registered or bound,
            # is a new message, not a duplicate of one nobody stored.
            batch.dead_letter(frame, refused.reason, refused.message, msg.serial)
            batch.report.refused.add(msg.key)
    new = uow.device_messages.claim((a.message.key, a.device.id, f.received_at) for f, a in checked)
    accepted: list[tuple[Frame, _Accepted]] = []
    taken: set[str] = set()
    for frame, item in checked:
        key = item.message.key
        # A key seen before (or earlier in this batch) is a duplicate when it is the device's own message id,
        # or when the transport says it is resending; a digest of a frame may honestly come again.
        if (key not in new or key in taken) and (item.message.own_key or frame.redelivered):
            batch.report.duplicates += 1
            continue
        taken.add(key)
        accepted.append((frame, item))
    rules = by_vital({r.id: r for r in uow.alarm_rules.all() if r.active})
    keys = {(rule.id, a.device.id) for _, a in accepted for r in a.readings for rule in rules.get(r.vital, ())}
    states = uow.rule_states.get_many(keys)
    elders = {r.elder_id for _, a in accepted for r in a.readings} | {
        e for _, a in accepted for _, _, e in a.signals} | {a.device.elder_id for _, a in accepted if a.device.elder_id}
    overrides = uow.rule_overrides.for_elders(elders)
    batch.desk.prefetch(elders)
    for frame, item in accepted:
        try:
            batch.store(item, rules, states, overrides)
        except _Refused as refused:  # a check-up with a document we cannot keep
            batch.dead_letter(frame, refused.reason, refused.message, item.message.serial)
            batch.report.refused.add(item.message.key)
            continue
        batch.report.stored += 1
    batch.flush()
    uow.rule_states.save_many(states[k] for k in sorted(batch.evaluated))


def ingest(rt: Runtime, frames: Sequence[Frame]) -> IngestReport:
    """Store a batch atomically. A batch that collides with a concurrent writer is retried. A batch that fails
    for another reason is split, so one poisoned frame cannot block its neighbours: a single frame that fails
    twice goes to the dead-letter store (twice, so that a passing database hiccup does not condemn a good
    frame; if the database is really away, writing the dead letter fails too and the caller retries later)."""
    failures = 0
    last: Exception | None = None
    for _ in range(RETRIES):
        try:
            return _run(rt, frames)
        except ConcurrentUpdate as exc:
            last = exc
        except Exception as exc:
            last, failures = exc, failures + 1
            if len(frames) > 1:
                break
            if failures >= 2:
                log.exception("ingestion failed twice for one frame on %s", frames[0].channel)
                return _run(rt, [_poisoned(frames[0])])
    if len(frames) == 1:
        assert last is not None
        raise last
    report = IngestReport()
    for frame in frames:
        _merge(report, ingest(rt, [frame]))
    return report


def _poisoned(frame: Frame) -> Frame:
    return Frame(channel=frame.channel, codec=frame.codec, payload=frame.payload, received_at=frame.received_at,
                 reason="INTERNAL_ERROR", message="处理该消息时出错，已转入死信以免阻塞后续消息",
                 serial=frame.serial or next((m.serial for m in (frame.decoded.messages if frame.decoded else ())),
                                             None))


def _merge(total: IngestReport, part: IngestReport) -> None:
    total.stored += part.stored
    total.duplicates += part.duplicates
    total.dead_letters += part.dead_letters
    total.readings += part.readings
    total.alarms += part.alarms
    total.notices += part.notices
    total.refused |= part.refused


@frozen
class PushResult:
    """What a device or partner pushing over HTTP hears back (the standard device-alarm interface, I-04)."""

    stored: int
    duplicates: int
    dead_letters: int
    alarms: int
    replies: list[str]


def ingest_pushed(rt: Runtime, principal: Principal, frame: Frame) -> PushResult:
    """A frame pushed over HTTP by a signed-in partner system or gateway account: every device it names (in the
    URL or in the payload) must be registered to the caller's institutions — a partner neither feeds another
    institution's elders nor fills the dead-letter store with strangers' serials; then the same ingestion
    as MQTT."""
    require(principal, Operation.DEVICE_INGEST)
    serials = {m.serial for m in frame.decoded.messages} if frame.decoded is not None else set()
    if frame.serial:
        serials.add(frame.serial)
    with rt.uow() as uow:
        found = uow.devices.by_serials(serials)
        for serial in sorted(serials):
            device = found.get(serial)
            if device is None:
                raise NotFound("设备", serial)
            authorize(principal, Operation.DEVICE_INGEST, owner_target(uow, device.institution_id), "设备", serial)
    report = ingest(rt, [frame])
    if report.notices:
        deliver_notices(rt)
    replies = [] if frame.decoded is None or report.refused else [
        r.payload.decode("utf-8", "replace") for r in frame.decoded.replies]
    return PushResult(report.stored, report.duplicates, report.dead_letters, len(report.alarms), replies)
