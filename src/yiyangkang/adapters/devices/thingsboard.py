"""ThingsBoard-compatible telemetry (ThingsBoard 遥测协议): gateway batches and direct device telemetry.

Gateways publish `v1/gateway/telemetry` unchanged. Direct devices publish `v1/devices/{serial}/telemetry`
instead of ThingsBoard's `v1/devices/me/telemetry`: our bridge is a subscriber and never sees who published,
so the serial must be in the topic. Keys are matched loosely (case, `_`, `-`, `.` ignored) against our
vitals and a small alias table; unknown keys are ignored, as ThingsBoard itself stores anything."""

from __future__ import annotations

import re
from datetime import datetime

from yiyangkang.adapters.devices.common import (
    BOOLEAN_VITALS,
    boundary,
    check_size,
    digest_key,
    number,
    parse_json,
    reject,
    require_object,
    require_serial,
    utc_from_epoch,
)
from yiyangkang.domain.monitoring.messages import Decoded, DeviceMessage, Measurement
from yiyangkang.domain.monitoring.vitals import Vital

CODEC = "thingsboard"
GATEWAY_TOPIC = "v1/gateway/telemetry"


def device_topic(serial: str) -> str:
    return f"v1/devices/{serial}/telemetry"


def normalize_key(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


# Besides each vital's own value (heart_rate, spo2, body_temp, resp_rate, pm25, in_bed …, which already cover
# heartRate, SpO2, bodyTemp, pm2_5, PM2.5, inBed after normalization).
_ALIASES: dict[Vital, tuple[str, ...]] = {
    Vital.SYSTOLIC: ("sbp", "systolicPressure", "bloodPressureSystolic"),
    Vital.DIASTOLIC: ("dbp", "diastolicPressure", "bloodPressureDiastolic"),
    Vital.HEART_RATE: ("hr", "pulse", "pulseRate"),
    Vital.SPO2: ("bloodOxygen", "oxygenSaturation"),
    Vital.BODY_TEMPERATURE: ("bodyTemperature",),
    Vital.RESPIRATORY_RATE: ("breathRate", "respiratoryRate", "respirationRate", "breathingRate"),
    Vital.BLOOD_GLUCOSE: ("bloodGlucose", "bloodSugar"),
    Vital.STEPS: ("stepCount",),
    Vital.IN_BED: ("onBed",),
    Vital.LATITUDE: ("latitude",),
    Vital.LONGITUDE: ("longitude", "lng"),
    Vital.ROOM_TEMPERATURE: ("roomTemperature", "ambientTemperature"),
    Vital.BATTERY: ("batteryLevel", "bat"),
}
# Normalized key → vital: every vital's own value, plus the aliases. Plain "temperature" is deliberately
# absent: body or room? A device must say bodyTemperature or roomTemperature.
KEYS: dict[str, Vital] = {normalize_key(vital.value): vital for vital in Vital} | {
    normalize_key(alias): vital for vital, aliases in _ALIASES.items() for alias in aliases
}


def decode_gateway(payload: bytes) -> Decoded:
    """`{"<serial>": [{"ts": ms, "values": {...}}, ...], ...}` → one message per device that said something."""
    with boundary(None):
        check_size(payload)
        batch = require_object(parse_json(payload), "网关报文")
        messages = []
        for name, entries in batch.items():
            with boundary(name):
                serial = require_serial(name, "网关报文中的设备名")
                measurements = _entries(entries, serial)
                # A device entry without any known key (gateway diagnostics, say) is skipped, not refused.
                if measurements:
                    key = digest_key(CODEC, GATEWAY_TOPIC, serial, payload)
                    messages.append(DeviceMessage(serial, key, measurements))
        if not messages:
            reject("NO_VALUES", "网关报文中没有任何可识别的指标")
        return Decoded(tuple(messages))


def decode_device(serial: str, payload: bytes) -> Decoded:
    """Direct telemetry: `{"k": v}` (server time), `{"ts": ms, "values": {...}}`, or an array of those."""
    with boundary(serial):
        serial = require_serial(serial)
        if serial == "me":
            reject("BAD_SERIAL", "主题 v1/devices/me/telemetry 无法识别设备：请改用 v1/devices/{序列号}/telemetry")
        check_size(payload)
        measurements = _entries(parse_json(payload), serial)
        if not measurements:
            reject("NO_VALUES", "报文中没有任何可识别的指标")
        return Decoded((DeviceMessage(serial, digest_key(CODEC, device_topic(serial), serial, payload), measurements),))


def _entries(raw: object, serial: str) -> tuple[Measurement, ...]:
    entries = raw if isinstance(raw, list) else [raw]
    result: list[Measurement] = []
    for index, entry in enumerate(entries):
        result.extend(_reading(require_object(entry, f"{serial} 的第 {index + 1} 条数据")))
    return tuple(result)


def _reading(entry: dict[str, object]) -> list[Measurement]:
    at: datetime | None = None
    values = entry
    if "ts" in entry and "values" in entry:  # ThingsBoard's rule: both present means the timed form
        at = utc_from_epoch(entry["ts"], "ts")
        values = require_object(entry["values"], "values")
    found: dict[Vital, Measurement] = {}
    for key, raw in values.items():
        vital = KEYS.get(normalize_key(key))
        # null means "no reading"; of two aliases of one vital in one reading the first wins.
        if vital is None or raw is None or vital in found:
            continue
        value = number(raw, key[:40], strings=True, booleans=vital in BOOLEAN_VITALS)
        found[vital] = Measurement(vital, value, at)
    return list(found.values())
