"""The device bridge through the real Mosquitto: every codec's frames end as readings and alarms; stopping
and restarting the bridge mid-stream loses nothing; a frame delivered twice is stored once (D-01…D-09)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

from apps.device_bridge.bridge import Bridge
from tests.bridge.conftest import Publisher, wait_until
from tests.conftest import FrozenClock, operator
from tests.monitoring.setup import BAND, RADAR, MonitoringWorld, build_monitoring, hub_sos, std
from yiyangkang.bootstrap import CODECS, Container
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.monitoring.rules import AlarmKind
from yiyangkang.domain.monitoring.vitals import Vital
from yiyangkang.services.monitoring import devices
from yiyangkang.services.monitoring.devices import ModelInput

STD = "STD-A-0001"


def count_readings(rt: Container, w: MonitoringWorld, vital: Vital) -> int:
    now = rt.clock.now()
    with rt.uow() as uow:
        return uow.readings.count(w.elder, vital, now - timedelta(days=2), now + timedelta(days=1))


def open_alarms(rt: Container) -> list:  # type: ignore[type-arg]
    with rt.uow() as uow:
        return list(uow.alarms.list(Visibility(everything=True), PageRequest(1, 100), open_only=True).items)


def dead_letters(rt: Container, serials: frozenset[str] | None = None) -> list:  # type: ignore[type-arg]
    """Dead letters of this test's devices (other processes may publish on the shared broker meanwhile)."""
    with rt.uow() as uow:
        letters = uow.dead_letters.list(PageRequest(1, 100)).items
    return [d for d in letters if serials is None or d.serial in serials]


def world(rt: Container, clock: FrozenClock) -> MonitoringWorld:
    w = build_monitoring(rt)
    op = operator()
    kinds = {"csu-air": "air_monitor", "sysu-care": "ai_care_sensor", "xiaoxin-robot": "health_robot",
             "thingsboard": "band", "csu-behaviour": "behaviour_sensor", "sysu-air": "air_monitor"}
    for serial, codec in (("AIR-CSU-01", "csu-air"), ("CARE-SYSU-01", "sysu-care"), ("ROBOT-XX-01", "xiaoxin-robot"),
                          ("GW-DEV-01", "thingsboard"), ("TB-DEV-01", "thingsboard"), ("BEH-CSU-01", "csu-behaviour"),
                          ("AIR-SYSU-01", "sysu-air")):
        if codec not in w.models:
            w.models[codec] = devices.create_model(rt, op, ModelInput(f"{codec} 型号", "测试厂商", kinds[codec], codec),
                                                   CODECS).id
        device = devices.register_device(rt, op, model_id=w.models[codec], serial=serial, location="客厅",
                                         institution_id=w.world.inst["A"])
        devices.bind_device(rt, op, device.id, w.elder)
        w.devices[serial] = device.id
    clock.advance(minutes=10)
    return w


def test_every_codec_through_mosquitto_into_the_database(
    sql_backend: Container, clock: FrozenClock, names: tuple[str, str], publisher: Publisher,
) -> None:
    rt = sql_backend
    w = world(rt, clock)
    now = clock.now()
    ms = int(now.timestamp() * 1000)
    bridge = Bridge(rt, client_id=names[0], group=names[1], workers=2, batch=50, scan_seconds=0)
    bridge.start()
    try:
        assert bridge.connected.wait(10)
        bp = "BPHRT,128,82,75"
        frames = [
            std(STD, "golden-1", now, values={Vital.SPO2: 97.0}),
            ("v1/gateway/telemetry", json.dumps({"GW-DEV-01": [{"ts": ms, "values": {"heart_rate": 66}}]}).encode()),
            (f"watch/{BAND}/up", f"[3G*{BAND}*{len(bp):04X}*{bp}]".encode()),
            (f"radar/{RADAR}/up", bytes.fromhex("53 59 83 01 00 01 01 32 54 43")),  # fall detected
            hub_sos(now),
            ("vendor/csu-air/AIR-CSU-01/up",
             json.dumps({"devId": "AIR-CSU-01", "time": ms // 1000, "data": {"pm25": 35, "co2": 620}}).encode()),
            ("vendor/sysu-care/CARE-SYSU-01/up",
             json.dumps({"sn": "CARE-SYSU-01", "timestamp": ms, "person": 1, "vital": {"br": 16, "hr": 71}}).encode()),
            ("v1/devices/TB-DEV-01/telemetry", json.dumps({"ts": ms, "values": {"bodyTemperature": 36.7}}).encode()),
            ("vendor/csu-behaviour/BEH-CSU-01/up",
             json.dumps({"devId": "BEH-CSU-01", "time": ms // 1000, "event": "presence", "present": 1}).encode()),
            ("vendor/sysu-air/AIR-SYSU-01/up",
             json.dumps({"sn": "AIR-SYSU-01", "timestamp": ms, "PM2_5": 41, "CO2": 700}).encode()),
            ("vendor/xiaoxin-robot/ROBOT-XX-01/up",
             json.dumps({"deviceNo": "ROBOT-XX-01", "reportTime": ms,
                         "result": {"sbp": 131, "dbp": 84, "glucose": 5.6}}).encode()),
        ]
        for topic, payload in frames:
            publisher.send(topic, payload)
        expected = {Vital.SPO2: 1, Vital.SYSTOLIC: 2, Vital.PM25: 2, Vital.RESPIRATORY_RATE: 1,
                    Vital.BLOOD_GLUCOSE: 1, Vital.BODY_TEMPERATURE: 1, Vital.PRESENCE: 2}
        assert wait_until(lambda: all(count_readings(rt, w, v) >= n for v, n in expected.items())), (
            {v: count_readings(rt, w, v) for v in expected}, dead_letters(rt))
        assert count_readings(rt, w, Vital.HEART_RATE) == 3  # gateway, band, care sensor
        assert wait_until(lambda: {a.alarm_kind for a in open_alarms(rt)} == {AlarmKind.FALL, AlarmKind.SOS})
        assert len(open_alarms(rt)) == 2  # one fall, one SOS: exactly once each
        assert dead_letters(rt, frozenset(w.devices)) == []
        # family (son), the primary doctor and the duty staff are told of each
        sent = wait_until(lambda: len(rt.notifier.sent) >= 6)  # type: ignore[attr-defined]
        assert sent
        by_alarm: dict[str, set[str]] = {}
        for notice in rt.notifier.sent:  # type: ignore[attr-defined]
            by_alarm.setdefault(notice.ref, set()).add(notice.phone)
        assert list(by_alarm.values()) == [{"13800000300", "13800000400", "13800000100"}] * 2
    finally:
        bridge.stop()


def test_bad_frames_reach_the_dead_letter_store_and_the_bridge_carries_on(
    sql_backend: Container, clock: FrozenClock, names: tuple[str, str], publisher: Publisher,
) -> None:
    rt = sql_backend
    w = world(rt, clock)
    bridge = Bridge(rt, client_id=names[0], group=names[1], workers=2, batch=20, scan_seconds=0)
    bridge.start()
    try:
        assert bridge.connected.wait(10)
        publisher.send(f"radar/{RADAR}/up", bytes.fromhex("53 59 83 01 00 01 01 33 54 43"))  # bad checksum
        publisher.send("yyk/v1/dev/UNKNOWN-9/up", b'{"v":1,"id":"a","type":"telemetry","values":{"heart_rate":70}}')
        publisher.send(f"watch/{BAND}/up", b"\xff\xfe garbage")
        publisher.send(*std(STD, "after-garbage", clock.now(), values={Vital.SPO2: 95.0}))
        ours = frozenset({RADAR, "UNKNOWN-9", BAND})
        assert wait_until(lambda: len(dead_letters(rt, ours)) == 3 and count_readings(rt, w, Vital.SPO2) == 1)
        assert {d.reason for d in dead_letters(rt, ours)} >= {"BAD_CHECKSUM", "UNKNOWN_DEVICE"}
    finally:
        bridge.stop()


def test_restart_mid_stream_loses_nothing_and_duplicates_store_once(
    sql_backend: Container, clock: FrozenClock, names: tuple[str, str], publisher: Publisher,
) -> None:
    """QoS 1 with a persistent session: what arrives while the bridge is down is delivered when it is back;
    what it received but had not stored is delivered again and stored once."""
    rt = sql_backend
    w = world(rt, clock)
    start = clock.now() - timedelta(minutes=5)
    total = 300
    payloads = [std(STD, f"r{i}", start + timedelta(milliseconds=i), values={Vital.HEART_RATE: 60 + i % 30})
                for i in range(total)]
    bridge = Bridge(rt, client_id=names[0], group=names[1], workers=2, batch=20, scan_seconds=0)
    bridge.start()
    assert bridge.connected.wait(10)
    done = threading.Event()

    def publish() -> None:
        for topic, payload in payloads:
            publisher.send(topic, payload)
        done.set()

    sender = threading.Thread(target=publish)
    sender.start()
    assert wait_until(lambda: count_readings(rt, w, Vital.HEART_RATE) > 20, timeout=20)
    bridge.stop()  # mid-stream
    stopped_at = count_readings(rt, w, Vital.HEART_RATE)
    sender.join(timeout=60)
    assert done.is_set()
    for topic, payload in payloads[:10]:  # and some sent twice
        publisher.send(topic, payload)
    again = Bridge(rt, client_id=names[0], group=names[1], workers=2, batch=20, scan_seconds=0)
    again.start()
    try:
        assert wait_until(lambda: count_readings(rt, w, Vital.HEART_RATE) >= total, timeout=60)
        assert wait_until(lambda: False, timeout=1.0) is False  # let stragglers arrive
        assert count_readings(rt, w, Vital.HEART_RATE) == total
        assert stopped_at < total
    finally:
        again.stop()
