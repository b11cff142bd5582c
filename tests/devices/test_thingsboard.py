"""ThingsBoard gateway and direct telemetry: shapes, aliases, per-device keys, rejections, fuzzing."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.devices import FUZZ, T0, T0_MS, at_ms, check_decoded, decodes_or_rejects, json_payloads, mutated, rejection
from yiyangkang.adapters.devices.thingsboard import _ALIASES, KEYS, decode_device, decode_gateway, normalize_key
from yiyangkang.domain.monitoring.messages import Decoded, DeviceMessage, Measurement
from yiyangkang.domain.monitoring.vitals import Vital

SERIAL = "TB-HR-7"


def payload(value: object) -> bytes:
    return json.dumps(value).encode()


def gateway(value: object) -> Decoded:
    decoded = decode_gateway(payload(value))
    check_decoded(decoded)
    return decoded


def direct(value: object, serial: str = SERIAL) -> DeviceMessage:
    decoded = decode_device(serial, payload(value))
    check_decoded(decoded)
    (message,) = decoded.messages
    return message


BATCH = {
    "BED-0001": [
        {"ts": T0_MS, "values": {"heartRate": 66, "breathRate": 15, "inBed": True}},
        {"ts": T0_MS + 60_000, "values": {"heartRate": 64, "rssi": -71}},
    ],
    "AIR-0002": [{"ts": T0_MS, "values": {"pm2_5": 35, "co2": 612, "roomTemperature": 22.5, "humidity": 48}}],
}
GOLDEN = [payload(BATCH), payload({SERIAL: {"ts": T0_MS, "values": {"spo2": 97}}})]


def test_gateway_batch_with_two_devices() -> None:
    decoded = gateway(BATCH)
    bed, air = decoded.messages
    assert bed == DeviceMessage(
        "BED-0001",
        bed.key,
        (
            Measurement(Vital.HEART_RATE, 66.0, T0),
            Measurement(Vital.RESPIRATORY_RATE, 15.0, T0),
            Measurement(Vital.IN_BED, 1.0, T0),
            Measurement(Vital.HEART_RATE, 64.0, at_ms(T0_MS + 60_000)),
        ),
    )
    assert air == DeviceMessage(
        "AIR-0002",
        air.key,
        (
            Measurement(Vital.PM25, 35.0, T0),
            Measurement(Vital.CO2, 612.0, T0),
            Measurement(Vital.ROOM_TEMPERATURE, 22.5, T0),
            Measurement(Vital.HUMIDITY, 48.0, T0),
        ),
    )
    assert bed.key != air.key
    assert bed.key.startswith("thingsboard:") and len(bed.key) == len("thingsboard:") + 32
    assert gateway(BATCH) == decoded  # stable keys
    assert decoded.replies == ()


def test_gateway_tolerates_a_single_object_and_skips_devices_without_known_keys() -> None:
    decoded = gateway({"A1": {"ts": T0_MS, "values": {"hr": 70}}, "GW-SELF": [{"ts": T0_MS, "values": {"rssi": -60}}]})
    assert [m.serial for m in decoded.messages] == ["A1"]
    assert decoded.messages[0].measurements == (Measurement(Vital.HEART_RATE, 70.0, T0),)


def test_direct_plain_object_is_timed_by_the_server() -> None:
    message = direct({"heartRate": 72, "bloodOxygen": "97", "firmware": "1.2.3", "temperature": 22})
    assert message.measurements == (Measurement(Vital.HEART_RATE, 72.0), Measurement(Vital.SPO2, 97.0))


def test_direct_timed_and_array_forms() -> None:
    assert direct({"ts": T0_MS, "values": {"sbp": 128, "dbp": 82}}).measurements == (
        Measurement(Vital.SYSTOLIC, 128.0, T0),
        Measurement(Vital.DIASTOLIC, 82.0, T0),
    )
    message = direct([{"ts": T0_MS + 1000, "values": {"bodyTemperature": 36.7}}, {"batteryLevel": 80}])
    assert message.measurements == (
        Measurement(Vital.BODY_TEMPERATURE, 36.7, at_ms(T0_MS + 1000)),
        Measurement(Vital.BATTERY, 80.0),
    )


def test_keys_match_loosely_nulls_are_skipped_and_the_first_alias_wins() -> None:
    message = direct({"Heart_Rate": None, "HR": 70, "heart-rate": 71, "PM2.5": 12, "Resp_Rate": 14, "presence": False})
    assert message.measurements == (
        Measurement(Vital.HEART_RATE, 70.0),
        Measurement(Vital.PM25, 12.0),
        Measurement(Vital.RESPIRATORY_RATE, 14.0),
        Measurement(Vital.PRESENCE, 0.0),
    )


def test_alias_table_is_unambiguous() -> None:
    names = [normalize_key(vital.value) for vital in Vital] + [
        normalize_key(alias) for aliases in _ALIASES.values() for alias in aliases
    ]
    assert [name for name, count in Counter(names).items() if count > 1] == []  # no alias twice, none redundant
    for key in ("heartRate", "SpO2", "bodyTemp", "pm2_5", "PM2.5", "inBed", "roomTemp", "breathRate", "batteryLevel"):
        assert normalize_key(key) in KEYS
    assert "temperature" not in KEYS  # body or room? devices must say which


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        (lambda: decode_device(SERIAL, b"{}"), "NO_VALUES"),
        (lambda: decode_device(SERIAL, b"[]"), "NO_VALUES"),
        (lambda: decode_device(SERIAL, payload({"rssi": -60, "fw": "1.0"})), "NO_VALUES"),
        (lambda: decode_gateway(b"{}"), "NO_VALUES"),
        (lambda: decode_gateway(payload({"A1": [{"rssi": -1}]})), "NO_VALUES"),
        (lambda: decode_device(SERIAL, b"{"), "BAD_JSON"),
        (lambda: decode_device(SERIAL, b"7"), "BAD_SCHEMA"),
        (lambda: decode_device(SERIAL, payload([1])), "BAD_SCHEMA"),
        (lambda: decode_device(SERIAL, payload({"ts": T0_MS, "values": [1]})), "BAD_SCHEMA"),
        (lambda: decode_gateway(payload([{"A1": []}])), "BAD_SCHEMA"),
        (lambda: decode_gateway(payload({"A1": 5})), "BAD_SCHEMA"),
        (lambda: decode_device(SERIAL, payload({"hr": True})), "BAD_VALUE"),
        (lambda: decode_device(SERIAL, payload({"hr": "fast"})), "BAD_VALUE"),
        (lambda: decode_device(SERIAL, payload({"hr": "nan"})), "BAD_VALUE"),
        (lambda: decode_device(SERIAL, payload({"hr": [72]})), "BAD_VALUE"),
        (lambda: decode_device(SERIAL, b'{"hr": Infinity}'), "BAD_JSON"),
        (lambda: decode_device(SERIAL, payload({"ts": 1_700_000_000, "values": {"hr": 1}})), "BAD_TIMESTAMP"),
        (lambda: decode_device(SERIAL, payload({"ts": None, "values": {"hr": 1}})), "BAD_TIMESTAMP"),
        (lambda: decode_device("me", payload({"hr": 1})), "BAD_SERIAL"),
        (lambda: decode_gateway(payload({"Device A": [{"hr": 1}]})), "BAD_SERIAL"),
        (lambda: decode_device(SERIAL, b" " * ((1 << 20) + 1)), "PAYLOAD_TOO_LARGE"),
    ],
)
def test_rejections(call: object, reason: str) -> None:
    assert callable(call)
    assert rejection(call).reason == reason


def test_a_bad_device_in_a_batch_names_that_device() -> None:
    rejected = rejection(lambda: decode_gateway(payload({"A1": [{"hr": 70}], "B2": [{"hr": "x"}]})))
    assert (rejected.reason, rejected.serial) == ("BAD_VALUE", "B2")


VOCABULARY = st.sampled_from(["ts", "values", "hr", "heartRate", "spo2", "presence", "A1", "B-2", "Device A"])


@FUZZ
@given(st.binary(max_size=200))
def test_fuzz_bytes(data: bytes) -> None:
    decodes_or_rejects(lambda: decode_gateway(data))
    decodes_or_rejects(lambda: decode_device(SERIAL, data))


@FUZZ
@given(json_payloads(VOCABULARY))
def test_fuzz_json(data: bytes) -> None:
    decodes_or_rejects(lambda: decode_gateway(data))
    decodes_or_rejects(lambda: decode_device(SERIAL, data))


@FUZZ
@given(mutated(GOLDEN))
def test_fuzz_mutated_golden_frames(data: bytes) -> None:
    decodes_or_rejects(lambda: decode_gateway(data))
    decodes_or_rejects(lambda: decode_device(SERIAL, data))
