"""Vendor JSON devices: one golden frame (or more) per vendor table, rejections, fuzzing every vendor."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.devices import FUZZ, T0, T0_MS, check_decoded, decodes_or_rejects, json_payloads, mutated, rejection
from yiyangkang.adapters.devices.router import CODECS
from yiyangkang.adapters.devices.vendor import SPECS, decode_vendor
from yiyangkang.domain.monitoring.messages import (
    Checkup,
    CheckupItem,
    DeviceMessage,
    Measurement,
    Signal,
    SignalKind,
    SignalSource,
)
from yiyangkang.domain.monitoring.vitals import Vital

T0_S = T0_MS // 1000
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 16 + b"\xff\xd9"


def payload(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def only(codec: str, serial: str, value: object) -> DeviceMessage:
    decoded = decode_vendor(codec, serial, payload(value))
    check_decoded(decoded)
    assert decoded.replies == ()
    (message,) = decoded.messages
    assert message.key.startswith(f"{codec}:") and len(message.key) == len(codec) + 33
    return message


GOLDEN: dict[str, list[tuple[str, dict[str, object]]]] = {
    "csu-air": [
        (
            "CSUA0001",
            {
                "devId": "CSUA0001",
                "time": T0_S,
                "data": {"pm25": 35, "co2": 612, "tvoc": 0.12, "temp": 22.5, "humi": 48},
            },
        ),
    ],
    "csu-behaviour": [
        ("CSUB0001", {"devId": "CSUB0001", "time": T0_S, "event": "fall", "score": 93}),
        ("CSUB0001", {"devId": "CSUB0001", "time": T0_S, "event": "help"}),
        ("CSUB0001", {"devId": "CSUB0001", "time": T0_S, "event": "presence", "present": 1}),
        ("CSUB0001", {"devId": "CSUB0001", "time": T0_S, "event": "heartbeat"}),
    ],
    "sysu-air": [
        (
            "SYSUA01",
            {
                "sn": "SYSUA01",
                "timestamp": T0_MS,
                "PM2_5": "35.0",
                "CO2": 612,
                "TVOC": 0.12,
                "Temperature": 22.5,
                "Humidity": 48.0,
                "signal": -71,
            },
        ),
    ],
    "sysu-care": [
        ("SYSUC01", {"sn": "SYSUC01", "timestamp": T0_MS, "alarm": "fall", "person": 1}),
        ("SYSUC01", {"sn": "SYSUC01", "timestamp": T0_MS, "alarm": "voice_help", "person": True}),
        (
            "SYSUC01",
            {
                "sn": "SYSUC01",
                "timestamp": T0_MS,
                "alarm": "none",
                "person": 1,
                "vital": {"br": 16, "hr": 68},
                "env": {"temp": 24.1, "humi": 55},
            },
        ),
    ],
    "guardian-hub": [
        (
            "861234567890123",
            {"imei": "861234567890123", "msgType": "alarm", "trigger": "cord", "battery": 87, "time": T0_S},
        ),
        ("861234567890123", {"imei": "861234567890123", "msgType": "heartbeat", "battery": 86, "time": T0_S}),
    ],
    "xiaoxin-robot": [
        (
            "XX-0001",
            {
                "deviceNo": "XX-0001",
                "reportTime": T0_MS,
                "type": "measure",
                "result": {"sbp": 132, "dbp": 85, "pulse": 71, "spo2": 97, "temperature": 36.4},
            },
        ),
    ],
}


def test_every_vendor_codec_has_a_table_and_golden_frames() -> None:
    assert tuple(SPECS) == CODECS[4:]
    assert set(GOLDEN) == set(SPECS)


def test_csu_air() -> None:
    serial, value = GOLDEN["csu-air"][0]
    assert only("csu-air", serial, value).measurements == (
        Measurement(Vital.PM25, 35.0, T0),
        Measurement(Vital.CO2, 612.0, T0),
        Measurement(Vital.TVOC, 0.12, T0),
        Measurement(Vital.ROOM_TEMPERATURE, 22.5, T0),
        Measurement(Vital.HUMIDITY, 48.0, T0),
    )


def test_csu_behaviour_events() -> None:
    (serial, fall), (_, help_), (_, presence), (_, heartbeat) = GOLDEN["csu-behaviour"]
    assert only("csu-behaviour", serial, fall).signals == (Signal(SignalKind.FALL, SignalSource.SENSOR, T0),)
    assert only("csu-behaviour", serial, help_).signals == (Signal(SignalKind.SOS, SignalSource.SENSOR, T0),)
    message = only("csu-behaviour", serial, presence)
    assert (message.signals, message.measurements) == ((), (Measurement(Vital.PRESENCE, 1.0, T0),))
    assert only("csu-behaviour", serial, heartbeat) == DeviceMessage(
        serial, only("csu-behaviour", serial, heartbeat).key, keepalive=True
    )


def test_sysu_air_uses_its_own_field_names_and_milliseconds() -> None:
    serial, value = GOLDEN["sysu-air"][0]
    assert only("sysu-air", serial, value).measurements == (
        Measurement(Vital.PM25, 35.0, T0),
        Measurement(Vital.CO2, 612.0, T0),
        Measurement(Vital.TVOC, 0.12, T0),
        Measurement(Vital.ROOM_TEMPERATURE, 22.5, T0),
        Measurement(Vital.HUMIDITY, 48.0, T0),
    )


def test_sysu_care() -> None:
    (serial, fall), (_, voice), (_, quiet) = GOLDEN["sysu-care"]
    message = only("sysu-care", serial, fall)
    assert message.signals == (Signal(SignalKind.FALL, SignalSource.SENSOR, T0),)
    assert message.measurements == (Measurement(Vital.PRESENCE, 1.0, T0),)
    assert only("sysu-care", serial, voice).signals == (Signal(SignalKind.SOS, SignalSource.VOICE, T0),)
    message = only("sysu-care", serial, quiet)
    assert message.signals == ()
    assert message.measurements == (
        Measurement(Vital.PRESENCE, 1.0, T0),
        Measurement(Vital.RESPIRATORY_RATE, 16.0, T0),
        Measurement(Vital.HEART_RATE, 68.0, T0),
        Measurement(Vital.ROOM_TEMPERATURE, 24.1, T0),
        Measurement(Vital.HUMIDITY, 55.0, T0),
    )


@pytest.mark.parametrize(
    ("trigger", "source", "detail"),
    [
        ("key", SignalSource.HUB_KEY, ""),
        ("cord", SignalSource.PULL_CORD, ""),
        ("voice", SignalSource.VOICE, ""),
        ("remote", SignalSource.HUB_KEY, "trigger='remote' 未定义，按 hub_key 处理"),
        (None, SignalSource.HUB_KEY, "trigger='None' 未定义，按 hub_key 处理"),
    ],
)
def test_guardian_hub_sos_sources(trigger: str | None, source: SignalSource, detail: str) -> None:
    value = {"imei": "8612", "msgType": "alarm", "trigger": trigger, "battery": 87, "time": T0_S}
    message = only("guardian-hub", "8612", value)
    assert message.signals == (Signal(SignalKind.SOS, source, T0, detail),)  # an SOS is never dropped
    assert message.measurements == (Measurement(Vital.BATTERY, 87.0, T0),)
    assert not message.keepalive


def test_guardian_hub_heartbeat_and_low_battery() -> None:
    serial, heartbeat = GOLDEN["guardian-hub"][1]
    message = only("guardian-hub", serial, heartbeat)
    assert message.keepalive and message.measurements == (Measurement(Vital.BATTERY, 86.0, T0),)
    low = only("guardian-hub", serial, {"imei": serial, "msgType": "lowBattery", "battery": 9})
    assert low.signals == (Signal(SignalKind.LOW_BATTERY, SignalSource.DEVICE, None),)


def test_xiaoxin_measurement() -> None:
    serial, value = GOLDEN["xiaoxin-robot"][0]
    assert only("xiaoxin-robot", serial, value).measurements == (
        Measurement(Vital.SYSTOLIC, 132.0, T0),
        Measurement(Vital.DIASTOLIC, 85.0, T0),
        Measurement(Vital.HEART_RATE, 71.0, T0),
        Measurement(Vital.SPO2, 97.0, T0),
        Measurement(Vital.BODY_TEMPERATURE, 36.4, T0),
    )


def test_xiaoxin_checkup_report() -> None:
    value = {
        "deviceNo": "XX-0001",
        "reportTime": T0_MS,
        "type": "checkup",
        "result": {"glucose": 6.8, "weight": 61.5},
        "report": {
            "items": [
                {"itemName": "空腹血糖", "itemValue": 6.8, "unit": "mmol/L", "refRange": "3.9-6.1", "abnormal": "H"},
                {"itemName": "体重", "itemValue": "61.5", "unit": "kg", "refRange": None, "abnormal": ""},
                {"itemName": "心电图", "itemValue": "窦性心律"},
            ],
            "summary": "空腹血糖偏高，建议内分泌科随访。",
            "file": base64.b64encode(JPEG).decode(),
        },
    }
    message = only("xiaoxin-robot", "XX-0001", value)
    assert message.checkup == Checkup(
        (
            CheckupItem("空腹血糖", "6.8", "mmol/L", "3.9-6.1", "H"),
            CheckupItem("体重", "61.5", "kg", "", ""),
            CheckupItem("心电图", "窦性心律", "", "", ""),
        ),
        "空腹血糖偏高，建议内分泌科随访。",
        T0,
        JPEG,
    )
    assert message.measurements == (Measurement(Vital.BLOOD_GLUCOSE, 6.8, T0), Measurement(Vital.WEIGHT, 61.5, T0))


def test_the_serial_field_is_optional_but_must_match() -> None:
    assert only("csu-air", "CSUA0001", {"data": {"pm25": 1}}).measurements == (Measurement(Vital.PM25, 1.0),)
    assert only("guardian-hub", "8612", {"imei": 8612, "msgType": "heartbeat"}).keepalive


def test_seconds_with_a_fraction() -> None:
    message = only("csu-air", "A", {"time": T0_S + 0.25, "data": {"co2": 500}})
    assert message.measurements[0].at == datetime(2025, 11, 25, 2, 0, 0, 250_000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("codec", "value", "reason"),
    [
        ("csu-air", {"devId": "OTHER", "data": {"pm25": 1}}, "SERIAL_MISMATCH"),
        ("csu-air", {"devId": ["CSUA0001"], "data": {"pm25": 1}}, "BAD_VALUE"),
        ("csu-air", {"time": T0_MS, "data": {"pm25": 1}}, "BAD_TIMESTAMP"),  # milliseconds where seconds are due
        ("sysu-air", {"timestamp": "2025-11-25 10:00:00", "CO2": 1}, "BAD_TIMESTAMP"),
        ("csu-air", {"data": 5}, "BAD_SCHEMA"),
        ("csu-air", [], "BAD_SCHEMA"),
        ("csu-air", {"data": {"pm25": True}}, "BAD_VALUE"),
        ("csu-air", {"data": {"pm25": "高"}}, "BAD_VALUE"),
        ("csu-air", {"data": {"pm25": None}, "other": 1}, "NO_VALUES"),
        ("sysu-care", {"alarm": "none"}, "NO_VALUES"),
        ("sysu-care", {"alarm": "smoke"}, "UNKNOWN_COMMAND"),
        ("sysu-care", {"alarm": 3}, "UNKNOWN_COMMAND"),
        ("xiaoxin-robot", {"type": "measure", "report": {"items": {}, "file": "AAAA"}}, "BAD_DOCUMENT"),
        ("xiaoxin-robot", {"report": {"items": 3}}, "BAD_SCHEMA"),
        ("xiaoxin-robot", {"report": {"items": [{"itemValue": "1"}]}}, "BAD_VALUE"),
        ("xiaoxin-robot", {"report": {"items": [{"itemName": "a\u0000"}]}}, "BAD_VALUE"),
    ],
)
def test_rejections(codec: str, value: object, reason: str) -> None:
    serial = "CSUA0001" if codec == "csu-air" else "S1"
    rejected = rejection(lambda: decode_vendor(codec, serial, payload(value)))
    assert rejected.reason == reason
    assert rejected.serial == serial


def test_unknown_vendor_and_bad_serial() -> None:
    assert rejection(lambda: decode_vendor("acme", "S1", b"{}")).reason == "UNKNOWN_CODEC"
    assert rejection(lambda: decode_vendor("csu-air", "", b"{}")).reason == "BAD_SERIAL"
    assert rejection(lambda: decode_vendor("csu-air", "S1", b"{" * (1 << 20 | 1))).reason == "PAYLOAD_TOO_LARGE"


def _vocabulary() -> st.SearchStrategy[str]:
    words = set()
    for spec in SPECS.values():
        words |= {spec.serial_field, spec.time_field, *spec.events, *(spec.event_field or "").split(".")}
        words |= {part for path in spec.fields for part in path.split(".")}
        if spec.checkup is not None:
            words |= {
                spec.checkup.report,
                spec.checkup.items,
                spec.checkup.name,
                spec.checkup.value,
                spec.checkup.document,
                spec.checkup.conclusion,
            }
    return st.sampled_from(sorted(words - {""}))


CODEC_NAMES = st.sampled_from(sorted(SPECS))
GOLDEN_FRAMES = [(codec, serial, payload(value)) for codec, frames in GOLDEN.items() for serial, value in frames]
MUTATED = st.sampled_from(GOLDEN_FRAMES).flatmap(
    lambda golden: mutated([golden[2]]).map(lambda data: (golden[0], golden[1], data))
)


@FUZZ
@given(CODEC_NAMES, st.binary(max_size=200))
def test_fuzz_bytes(codec: str, data: bytes) -> None:
    decodes_or_rejects(lambda: decode_vendor(codec, "S1", data))


@FUZZ
@given(CODEC_NAMES, json_payloads(_vocabulary()))
def test_fuzz_json(codec: str, data: bytes) -> None:
    decodes_or_rejects(lambda: decode_vendor(codec, "S1", data))


@FUZZ
@given(MUTATED)
def test_fuzz_mutated_golden_frames(frame: tuple[str, str, bytes]) -> None:
    codec, serial, data = frame
    decodes_or_rejects(lambda: decode_vendor(codec, serial, data))
