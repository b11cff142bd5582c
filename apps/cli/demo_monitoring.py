"""The monitoring part of the demo (健康监测演示数据): the device catalogue, the default alarm rules, bands and
guardian hubs for twenty elders (D-04, D-05), radars and air monitors in four homes (D-07, D-08), a health
robot (D-09), 45 SIM cards (D-06), a day of readings sent through the real codecs, and the alarms a
dispatcher would find on the morning of 25 November 2026: an open pull-cord SOS, a fall handled overnight,
a racing heart and a band that went silent."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta

import attrs

from apps.cli.demo_homebed import DemoClock
from yiyangkang.bootstrap import CODECS, Container, decode_topic, encode_radar_frame
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.kernel.timekeeping import SHANGHAI
from yiyangkang.domain.monitoring.alarms import CloseReason
from yiyangkang.domain.monitoring.rules import AlarmKind
from yiyangkang.domain.orgs.staff import Profession
from yiyangkang.services.auth import principal_of, system_principal
from yiyangkang.services.monitoring import alarms, devices, rules
from yiyangkang.services.monitoring.delivery import deliver_notices
from yiyangkang.services.monitoring.devices import ModelInput, SimInput
from yiyangkang.services.monitoring.ingest import Frame, ingest
from yiyangkang.services.monitoring.rules import ConditionInput, RuleInput, ScheduleInput, ThresholdsInput
from yiyangkang.services.monitoring.scan import monitoring_scan

MORNING = datetime(2026, 11, 25, 8, 30, tzinfo=SHANGHAI)
DAY_BEFORE = MORNING - timedelta(hours=24)

MODELS = {  # the catalogue: what each model measures, its codec, how long it may stay silent
    "band": ModelInput("颐康守护4G手环 W8", "深圳颐康科技", "band", "watch",
                       ("heart_rate", "systolic", "diastolic", "spo2", "steps", "lat", "lon", "battery"), 1800),
    "hub": ModelInput("守护一键通 G1", "广东颐年科技", "guardian_hub", "guardian-hub", ("battery",), 4 * 3600, True),
    "sleep": ModelInput("睡眠监测毫米波雷达 MR60BHA1", "中南大学护理学院", "sleep_radar", "radar",
                        ("in_bed", "presence", "resp_rate", "heart_rate", "sleep_stage", "sleep_score"), 600),
    "fall": ModelInput("跌倒检测毫米波雷达 MR60FDA1", "中南大学护理学院", "fall_radar", "radar", ("presence",), 600),
    "air": ModelInput("室内空气质量监测仪 AQ-1", "中南大学护理学院", "air_monitor", "csu-air",
                      ("pm25", "co2", "tvoc", "room_temp", "humidity"), 3600),
    "care": ModelInput("AI辅助康养传感器", "中山大学国家数字家庭工程技术研究中心", "ai_care_sensor", "sysu-care",
                       ("presence", "resp_rate", "heart_rate", "room_temp", "humidity"), 1800),
    "robot": ModelInput("小新智能健康机器人", "爱吉特（深圳）机器人", "health_robot", "xiaoxin-robot",
                        ("systolic", "diastolic", "heart_rate", "spo2", "body_temp", "glucose", "weight"), 0),
}


def _c(severity: str, op: str, value: float, *, seconds: int = 0, repeats: int = 1) -> ConditionInput:
    return ConditionInput(severity, op, value, seconds, repeats)


RULES = [  # the platform's default rules (D-03); institutions override them per elder
    RuleInput("心率过快", "heart_rate", "vital", ThresholdsInput(
        (_c("major", ">", 120, seconds=300), _c("critical", ">", 150)), "<", 110)),
    RuleInput("心率过缓", "heart_rate", "vital", ThresholdsInput((_c("major", "<", 45, seconds=120),), ">", 50)),
    RuleInput("血压过高", "systolic", "vital", ThresholdsInput(
        (_c("minor", ">=", 160, repeats=2), _c("major", ">=", 180, repeats=2)), "<", 150)),
    RuleInput("血氧偏低", "spo2", "vital", ThresholdsInput(
        (_c("major", "<", 90, seconds=120), _c("critical", "<", 85)), ">=", 93)),
    RuleInput("体温升高", "body_temp", "vital", ThresholdsInput(
        (_c("minor", ">=", 38.5), _c("major", ">=", 39.5)), "<", 37.8)),
    RuleInput("呼吸暂停", "resp_rate", "no_breathing", ThresholdsInput(
        (_c("critical", "<=", 0, seconds=60),), ">=", 6)),
    RuleInput("夜间离床未归", "in_bed", "out_of_bed", ThresholdsInput(
        (_c("major", "<", 1, seconds=1800),), ">=", 1), schedule=ScheduleInput(start="22:00", end="06:00")),
    RuleInput("PM2.5 超标", "pm25", "air", ThresholdsInput(
        (_c("minor", ">", 75, seconds=600), _c("major", ">", 150, seconds=600)), "<", 50)),
    RuleInput("二氧化碳浓度过高", "co2", "air", ThresholdsInput((_c("minor", ">", 1500, seconds=600),), "<", 1000)),
    RuleInput("设备电量低", "battery", "low_battery", ThresholdsInput(
        (_c("warning", "<=", 20), _c("minor", "<=", 10)), ">=", 30)),
]


def _frame(topic: str, payload: bytes, at: datetime) -> Frame:
    codec, decoded = decode_topic(topic, payload, at)
    return Frame(channel=topic, codec=codec, payload=payload, received_at=at, decoded=decoded)


def _watch(serial: str, content: str) -> bytes:
    return f"[3G*{serial}*{len(content.encode()):04X}*{content}]".encode()


def _ud(at: datetime, lat: float, lng: float, battery: int, steps: int) -> str:
    t = at.astimezone(UTC)
    return (f"UD,{t:%d%m%y},{t:%H%M%S},A,{lat:.6f},N,{lng:.6f},E,0.00,0,12.0,9,80,{battery},{steps},0,00000000,"
            "0,0,460,0")


def seed_monitoring(base: Container, elder_ids: list[str]) -> dict[str, int]:
    """Devices for `elder_ids` (the first twenty get a band and a hub) and a day of their data."""
    rng = random.Random(20261125)
    clock = DemoClock(DAY_BEFORE - timedelta(days=30))
    rt = attrs.evolve(base, clock=clock)
    op = system_principal("seed-demo")
    models = {key: devices.create_model(rt, op, spec, CODECS).id for key, spec in MODELS.items()}
    for rule in RULES:
        rules.create_rule(rt, op, rule)
    with rt.uow() as uow:
        homes = {e: uow.elders.get(e) for e in elder_ids}
    placed: dict[str, list[tuple[str, str]]] = {}  # elder -> (kind, serial)

    def install(kind: str, serial: str, elder_id: str, location: str) -> str:
        elder = homes[elder_id]
        assert elder is not None
        device = devices.register_device(rt, op, model_id=models[kind], serial=serial, location=location,
                                         institution_id=elder.institution_id)
        devices.bind_device(rt, op, device.id, elder_id)
        placed.setdefault(elder_id, []).append((kind, serial))
        return str(device.id)

    bands = []
    for n, elder_id in enumerate(elder_ids[:20]):
        bands.append((elder_id, f"86{rng.randrange(10**12, 10**13):013d}"))
        install("band", bands[-1][1], elder_id, "随身佩戴")
        install("hub", f"GH{n + 1:04d}", elder_id, "客厅")
    for n, elder_id in enumerate(elder_ids[:4]):
        install("sleep", f"MR60BHA-{n + 1:03d}", elder_id, "卧室床头")
        install("fall", f"MR60FDA-{n + 1:03d}", elder_id, "卫生间")
        install("air", f"CSU-AQ-{n + 1:03d}", elder_id, "卧室")
    for n, elder_id in enumerate(elder_ids[4:6]):
        install("care", f"SYSU-CARE-{n + 1:03d}", elder_id, "卧室")
    install("robot", "XX-ROBOT-001", elder_ids[6], "客厅")
    institutions = {h.institution_id for h in homes.values() if h is not None}
    with rt.uow() as uow:
        duty = {i: [s.id for s in uow.staff.list(Visibility(institution_id=i), PageRequest(1, 50)).items
                    if s.profession in (Profession.DISPATCHER, Profession.NURSE)] for i in institutions}
    for institution_id, staff_ids in sorted(duty.items()):
        rules.set_duty(rt, op, institution_id, duty_staff_ids=tuple(staff_ids[:3]))
    sims = _sims(rt, op, rng)

    # A day of readings: every band reports its position and health every half hour.
    frames = []
    for _, serial in bands:
        lat, lng = 23.10 + rng.random() * 0.08, 113.25 + rng.random() * 0.12
        rest = rng.randrange(62, 80)
        for slot in range(48):
            at = DAY_BEFORE + timedelta(minutes=30 * slot, seconds=rng.randrange(0, 120))
            if serial == bands[3][1] and slot >= 44:  # this band stops sending two hours before morning
                break
            hr = rest + rng.randrange(-5, 9)
            if serial == bands[1][1] and slot >= 46:  # a racing heart in the last hour
                hr = 128 + slot
            systolic = rng.randrange(118, 152)
            frames.append((at, f"watch/{serial}/up", _watch(serial, f"BPHRT,{systolic},{systolic - 45},{hr}")))
            frames.append((at, f"watch/{serial}/up", _watch(serial, _ud(at, lat, lng, 90 - slot, 150 * slot))))
    for kinds in list(placed.values())[:4]:
        air = next(s for k, s in kinds if k == "air")
        for slot in range(48):
            at = DAY_BEFORE + timedelta(minutes=30 * slot)
            body = {"devId": air, "time": int(at.timestamp()), "data": {
                "pm25": rng.randrange(18, 60), "co2": rng.randrange(450, 900), "tvoc": round(rng.random() * 0.4, 2),
                "temp": round(21 + rng.random() * 4, 1), "humi": rng.randrange(45, 70)}}
            frames.append((at, f"vendor/csu-air/{air}/up", json.dumps(body).encode()))
        for slot in range(0, 24 * 60, 5):  # the radars by the bed and in the bathroom, every five minutes
            at = DAY_BEFORE + timedelta(minutes=slot)
            night = not 7 * 60 <= (at.astimezone(SHANGHAI).hour * 60) < 22 * 60
            sleep = next(s for k, s in kinds if k == "sleep")
            fall_radar = next(s for k, s in kinds if k == "fall")
            uart = (encode_radar_frame(0x80, 0x01, bytes([1])) + encode_radar_frame(0x84, 0x01, bytes([int(night)]))
                    + encode_radar_frame(0x81, 0x02, bytes([rng.randrange(13, 19)]))
                    + encode_radar_frame(0x85, 0x02, bytes([rng.randrange(58, 76)])))
            frames.append((at, f"radar/{sleep}/up", uart))
            frames.append((at, f"radar/{fall_radar}/up", encode_radar_frame(0x80, 0x01, bytes([1]))))
    for kinds in list(placed.values())[4:6]:
        care = next(s for k, s in kinds if k == "care")
        for slot in range(0, 24 * 60, 10):
            at = DAY_BEFORE + timedelta(minutes=slot)
            body = {"sn": care, "timestamp": int(at.timestamp() * 1000), "alarm": "none", "person": 1,
                    "vital": {"br": rng.randrange(13, 19), "hr": rng.randrange(60, 78)},
                    "env": {"temp": round(22 + rng.random() * 3, 1), "humi": rng.randrange(50, 68)}}
            frames.append((at, f"vendor/sysu-care/{care}/up", json.dumps(body).encode()))
    for _, kinds in placed.items():
        hub_serial = next((s for k, s in kinds if k == "hub"), None)
        for hour in range(24) if hub_serial else ():
            at = DAY_BEFORE + timedelta(hours=hour, minutes=7)
            body = {"imei": hub_serial, "time": int(at.timestamp()), "msgType": "heartbeat", "battery": 96 - hour}
            frames.append((at, f"vendor/guardian-hub/{hub_serial}/up", json.dumps(body).encode()))
    frames.sort(key=lambda f: f[0])
    stored = 0
    for start in range(0, len(frames), 200):
        chunk = frames[start:start + 200]
        clock.to(chunk[-1][0])
        stored += ingest(rt, [_frame(topic, payload, at) for at, topic, payload in chunk]).stored

    # Overnight a fall radar saw a fall; the duty nurse took it and closed it.
    fall_serial = next(s for k, s in placed[elder_ids[2]] if k == "fall")
    clock.to(MORNING - timedelta(hours=5))
    ingest(rt, [_frame(f"radar/{fall_serial}/up", bytes.fromhex("53 59 83 01 00 01 01 32 54 43"), clock.now())])
    fall = alarms.list_alarms(rt, op, PageRequest(1, 10), alarms.AlarmFilter(
        open_only=True, kinds=frozenset({AlarmKind.FALL}))).items[0]
    nurse = _duty_principal(rt, duty[fall.institution_id][0])
    clock.to(MORNING - timedelta(hours=4, minutes=57))
    alarms.acknowledge_alarm(rt, nurse, fall.id, "已电话联系家属，值班护士上门查看")
    clock.to(MORNING - timedelta(hours=4, minutes=20))
    alarms.close_alarm(rt, nurse, fall.id, CloseReason.HANDLED, "老人起夜滑倒，无明显外伤，已扶回床上，建议白天复查")
    # This morning someone pulled the cord of a guardian hub and nobody has answered yet.
    clock.to(MORNING - timedelta(minutes=6))
    hub = next(s for k, s in placed[elder_ids[0]] if k == "hub")
    body = {"imei": hub, "time": int(clock.now().timestamp()), "msgType": "alarm", "trigger": "cord"}
    ingest(rt, [_frame(f"vendor/guardian-hub/{hub}/up", json.dumps(body).encode(), clock.now())])
    clock.to(MORNING)
    monitoring_scan(rt)
    deliver_notices(rt, limit=1000)
    return {"devices": sum(len(v) for v in placed.values()), "sims": sims, "readings_frames": stored}


def _duty_principal(rt: Container, staff_id: str) -> Principal:
    with rt.uow() as uow:
        account = uow.accounts.of_person(staff_id=staff_id)
        assert account is not None
        return principal_of(uow, account)


def _sims(rt: Container, op: Principal, rng: random.Random) -> int:
    """45 SIM cards (D-06): one in each band and hub, five on the shelf; two expire within the month."""
    with rt.uow() as uow:
        targets = [(d.id, d.institution_id) for d in uow.devices.list(Visibility(everything=True),
                                                                       PageRequest(1, 100)).items
                   if d.serial.startswith(("86", "GH"))]
    first = next(iter(i for _, i in targets))
    cards = [(device_id, institution_id) for device_id, institution_id in sorted(targets)] + [(None, first)] * 5
    for n, (device_id, institution_id) in enumerate(cards[:45]):
        expires = date(2027, 3, 1) + timedelta(days=7 * n) if n >= 2 else date(2026, 12, 10) + timedelta(days=n)
        sim = devices.add_sim(rt, op, SimInput(
            iccid=f"898604{rng.randrange(10**12, 10**13):013d}", msisdn=f"1440{rng.randrange(10**8, 10**9):09d}",
            carrier="中国移动", plan_minutes=100, plan_data_mb=2048, activated_on=date(2026, 3, 1), expires_on=expires,
        ), institution_id)
        if device_id is not None:
            devices.attach_sim(rt, op, sim.id, device_id)
    return len(cards[:45])
