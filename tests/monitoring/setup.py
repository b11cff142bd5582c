"""A monitoring world on top of `tests.world`: device models, elder A's band, guardian hub, fall radar and air
monitor, a doctor, duty staff, the default rules; helpers that build frames the way devices send them."""

from __future__ import annotations

import json
from datetime import datetime

from attrs import define

from tests.conftest import FrozenClock, operator
from tests.world import World, build_world, phone
from yiyangkang.adapters.notify.sandbox import SandboxNotifier
from yiyangkang.bootstrap import Container, codec_of, decode_topic, encode_standard
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.monitoring.alarms import Alarm
from yiyangkang.domain.monitoring.messages import (
    DeviceMessage,
    FrameRejected,
    Measurement,
    Signal,
    SignalKind,
    SignalSource,
)
from yiyangkang.domain.monitoring.records import DeadLetter
from yiyangkang.domain.monitoring.vitals import Vital
from yiyangkang.ports.homebed import Notice
from yiyangkang.services import elders, staff
from yiyangkang.services.elders import ElderForm
from yiyangkang.services.monitoring import devices, rules
from yiyangkang.services.monitoring.devices import ModelInput
from yiyangkang.services.monitoring.ingest import Frame, IngestReport, ingest
from yiyangkang.services.monitoring.rules import ConditionInput, RuleInput, ScheduleInput, ThresholdsInput
from yiyangkang.services.staff import StaffForm

BAND, HUB, RADAR, AIR = "860000000000001", "HUB-A-0001", "RADAR-A-0001", "AIR-A-0001"


@define
class MonitoringWorld:
    world: World
    models: dict[str, str]
    devices: dict[str, str]  # serial -> device id
    doctor: str
    duty: str
    rules: dict[str, str]

    @property
    def rt(self) -> Container:
        return self.world.rt

    @property
    def elder(self) -> str:
        return self.world.elders["A"]


def build_monitoring(rt: Container, *, bind: bool = True) -> MonitoringWorld:
    world = build_world(rt)
    op = operator()
    codecs = ["standard", "watch", "radar", "guardian-hub", "csu-air", "thingsboard"]
    models = {
        "band": devices.create_model(rt, op, ModelInput("HW-B10 4G手环", "华为", "band", "watch",
                                                        ("heart_rate", "systolic", "diastolic", "spo2", "steps"),
                                                        600), codecs).id,
        "hub": devices.create_model(rt, op, ModelInput("守护一键通 G1", "颐年科技", "guardian_hub", "guardian-hub",
                                                       ("battery",), 3600), codecs).id,
        "radar": devices.create_model(rt, op, ModelInput("MR60FDA1 跌倒雷达", "中南大学", "fall_radar", "radar",
                                                         ("presence", "resp_rate", "heart_rate"), 300), codecs).id,
        "std": devices.create_model(rt, op, ModelInput("YYK 标准体征仪", "医养康", "band", "standard",
                                                       ("heart_rate", "spo2", "body_temp"), 600), codecs).id,
    }
    doctor = staff.hire_staff(rt, op, StaffForm(institution_id=world.inst["A"], name="李医生", phone=phone(400),
                                                profession="doctor", license_no="110440100012345")).id
    elders.update_elder(rt, op, world.elders["A"], ElderForm(primary_doctor_id=doctor))
    duty = world.staff["A"]
    rules.set_duty(rt, op, world.inst["A"], duty_staff_ids=(duty,))
    ids = {}
    for serial, model in ((BAND, "band"), (HUB, "hub"), (RADAR, "radar"), ("STD-A-0001", "std")):
        ids[serial] = devices.register_device(rt, op, model_id=models[model], serial=serial, location="卧室",
                                              institution_id=world.inst["A"]).id
        if bind:
            devices.bind_device(rt, op, ids[serial], world.elders["A"])
    hr = rules.create_rule(rt, op, RuleInput(
        name="心率过快", vital="heart_rate", alarm_kind="vital",
        thresholds=ThresholdsInput(
            (ConditionInput("major", ">", 120, duration_s=300), ConditionInput("critical", ">", 150)), "<", 110))).id
    bed = rules.create_rule(rt, op, RuleInput(
        name="夜间离床未归", vital="presence", alarm_kind="out_of_bed",
        thresholds=ThresholdsInput((ConditionInput("major", "<", 1, duration_s=1800),), ">=", 1),
        schedule=ScheduleInput(start="22:00", end="06:00"))).id
    spo2 = rules.create_rule(rt, op, RuleInput(
        name="血氧偏低", vital="spo2", alarm_kind="vital",
        thresholds=ThresholdsInput((ConditionInput("major", "<", 90, repeats=2),), ">=", 93))).id
    return MonitoringWorld(world, models, ids, doctor, duty, {"hr": hr, "bed": bed, "spo2": spo2})


def frame(topic: str, payload: bytes, at: datetime) -> Frame:
    """What the bridge hands to ingestion for one MQTT message."""
    try:
        codec, decoded = decode_topic(topic, payload, at)
    except FrameRejected as rejected:
        return Frame(channel=topic, codec=codec_of(topic), payload=payload, received_at=at,
                     reason=rejected.reason, message=rejected.message, serial=rejected.serial)
    return Frame(channel=topic, codec=codec, payload=payload, received_at=at, decoded=decoded)


def std(serial: str, key: str, at: datetime, *, values: dict[Vital, float] | None = None,
        signal: SignalKind | None = None, source: SignalSource = SignalSource.DEVICE,
        keepalive: bool = False) -> tuple[str, bytes]:
    message = DeviceMessage(
        serial=serial, key=f"std:{serial}:{key}",
        measurements=tuple(Measurement(v, x, at) for v, x in (values or {}).items()),
        signals=(Signal(signal, source, at),) if signal else (), keepalive=keepalive)
    return encode_standard(message, at=at)


def feed(rt: Container, *frames: Frame) -> IngestReport:
    return ingest(rt, list(frames))


def hub_sos(at: datetime, trigger: str = "cord", serial: str = HUB) -> tuple[str, bytes]:
    """The guardian hub's pull cord (拉绳), as its vendor JSON says it."""
    body = {"imei": serial, "time": int(at.timestamp()), "msgType": "alarm", "trigger": trigger}
    return f"vendor/guardian-hub/{serial}/up", json.dumps(body).encode()


def ready(rt: Container, clock: FrozenClock) -> MonitoringWorld:
    """The world, an hour after the devices were bound (so buffered readings have an owner)."""
    world = build_monitoring(rt)
    clock.advance(hours=1)
    return world


def outbox(rt: Container) -> list[Notice]:
    """What the sandbox notifier has 'sent' so far (its list, growing as notices go out)."""
    notifier = rt.notifier
    assert isinstance(notifier, SandboxNotifier)
    sent: list[Notice] = notifier.sent
    return sent


def all_alarms(rt: Container) -> list[Alarm]:
    """Every alarm, newest first."""
    with rt.uow() as uow:
        return list(uow.alarms.list(Visibility(everything=True), PageRequest(1, 100)).items)


def dead_letters(rt: Container) -> list[DeadLetter]:
    with rt.uow() as uow:
        return list(uow.dead_letters.list(PageRequest(1, 100)).items)
