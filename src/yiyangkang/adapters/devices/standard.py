"""Our own standard device protocol (标准设备协议) v1: strict JSON on `yyk/v1/dev/{serial}/up`, acks on `…/down`.

Decoding is strict (unknown keys are refused) so that firmware mistakes surface in integration, not as
silently lost data; encoding serves the simulators, the bench and the round-trip property test."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime

from yiyangkang.adapters.devices.common import (
    EPOCH,
    MS,
    boundary,
    check_size,
    document,
    epoch_ms,
    number,
    parse_json,
    reject,
    require_object,
    require_serial,
    text,
    utc_from_epoch,
)
from yiyangkang.domain.monitoring.messages import (
    Checkup,
    CheckupItem,
    Decoded,
    DeviceMessage,
    Measurement,
    Reply,
    Signal,
    SignalKind,
    SignalSource,
)
from yiyangkang.domain.monitoring.vitals import Vital

VERSION = 1
# Ids carry no colon, so `std:{serial}:{id}` splits unambiguously at its last colon.
_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_VITALS = {vital.value: vital for vital in Vital}
_KINDS = frozenset(kind.value for kind in SignalKind)
_SOURCES = frozenset(source.value for source in SignalSource)
_COMMON = frozenset({"v", "id", "ts", "type"})
_MEASURED = frozenset({"values", "readings"})
_BODY: dict[str, frozenset[str]] = {
    "telemetry": _MEASURED,
    "event": _MEASURED | {"event"},
    "heartbeat": frozenset({"battery"}),
    "checkup": _MEASURED | {"checkup"},
}
_EVENT_KEYS = frozenset({"kind", "source", "detail"})
_CHECKUP_KEYS = frozenset({"items", "conclusion", "document"})
_ITEM_KEYS = frozenset({"name", "value", "unit", "reference", "flag"})
# Text limits (characters); also what the encoder must respect.
LIMITS = {"detail": 500, "conclusion": 4000, "name": 64, "value": 64, "unit": 32, "reference": 64, "flag": 16}


def up_topic(serial: str) -> str:
    return f"yyk/v1/dev/{serial}/up"


def down_topic(serial: str) -> str:
    return f"yyk/v1/dev/{serial}/down"


def ack_payload(ident: str) -> bytes:
    return json.dumps({"v": VERSION, "ack": ident, "ok": True}, separators=(",", ":")).encode()


def decode_standard(serial: str, payload: bytes) -> Decoded:
    """One standard frame → one message plus its ack (to be published only once the message is stored)."""
    with boundary(serial):
        serial = require_serial(serial)
        check_size(payload)
        return _decode(serial, payload)


def _decode(serial: str, payload: bytes) -> Decoded:
    doc = require_object(parse_json(payload), "报文")
    version = doc.get("v")
    # Checked first: a future version may change everything else.
    if type(version) is not int or version != VERSION:
        reject("VERSION_UNSUPPORTED", f"协议版本 v={version!r:.40} 不支持，仅支持 v=1")
    ident = _required(doc, "id", "报文")
    if not isinstance(ident, str) or not _ID.fullmatch(ident):
        reject("BAD_VALUE", "id 应为 1–64 位 A-Z a-z 0-9 _ . - 字符")
    kind = _required(doc, "type", "报文")
    if not isinstance(kind, str) or kind not in _BODY:
        reject("UNKNOWN_COMMAND", f"未知消息类型 type={kind!r:.40}")
    _only(doc, _COMMON | _BODY[kind], "报文")
    at = utc_from_epoch(doc["ts"], "ts") if "ts" in doc else None

    measurements = _measurements(doc, at)
    signals: tuple[Signal, ...] = ()
    checkup = None
    if kind == "telemetry" and not measurements:
        reject("NO_VALUES", "telemetry 报文没有 values 或 readings")
    elif kind == "event":
        signals = (_event(_required(doc, "event", "报文"), at),)
    elif kind == "heartbeat" and "battery" in doc:
        measurements = (Measurement(Vital.BATTERY, number(doc["battery"], "battery"), at),)
    elif kind == "checkup":
        checkup = _checkup(_required(doc, "checkup", "报文"), at)
    message = DeviceMessage(
        serial, f"std:{serial}:{ident}", measurements, signals, checkup, keepalive=kind == "heartbeat", own_key=True
    )
    return Decoded((message,), (Reply(down_topic(serial), ack_payload(ident)),))


def _required(doc: dict[str, object], key: str, where: str) -> object:
    if key not in doc:
        reject("BAD_SCHEMA", f"{where}缺少字段 {key}")
    return doc[key]


def _only(doc: dict[str, object], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(doc) - allowed)
    if unknown:
        reject("BAD_SCHEMA", f"{where}含未定义的字段：{', '.join(repr(k)[:40] for k in unknown[:5])}")


def _values(raw: object, where: str, at: datetime | None) -> list[Measurement]:
    values = require_object(raw, where)
    result = []
    for key, value in values.items():
        vital = _VITALS.get(key)
        if vital is None:
            reject("BAD_SCHEMA", f"{where} 含未知指标 {key!r:.40}")
        result.append(Measurement(vital, number(value, f"{where}.{key}"), at))
    return result


def _measurements(doc: dict[str, object], at: datetime | None) -> tuple[Measurement, ...]:
    result = _values(doc["values"], "values", at) if "values" in doc else []
    if "readings" in doc:
        readings = doc["readings"]
        if not isinstance(readings, list):
            reject("BAD_SCHEMA", "readings 应为数组")
        for index, raw in enumerate(readings):
            where = f"readings[{index}]"
            reading = require_object(raw, where)
            _only(reading, frozenset({"ts", "values"}), where)
            when = utc_from_epoch(_required(reading, "ts", where), f"{where}.ts")
            values = _values(_required(reading, "values", where), f"{where}.values", when)
            if not values:
                reject("BAD_SCHEMA", f"{where}.values 为空")
            result.extend(values)  # in the order given: buffered data may arrive out of order
    return tuple(result)


def _event(raw: object, at: datetime | None) -> Signal:
    event = require_object(raw, "event")
    _only(event, _EVENT_KEYS, "event")
    kind = _required(event, "kind", "event")
    source = _required(event, "source", "event")
    if not isinstance(kind, str) or kind not in _KINDS:
        reject("BAD_VALUE", f"event.kind 未知：{kind!r:.40}")
    if not isinstance(source, str) or source not in _SOURCES:
        reject("BAD_VALUE", f"event.source 未知：{source!r:.40}")
    detail = text(event.get("detail", ""), "event.detail", limit=LIMITS["detail"])
    return Signal(SignalKind(kind), SignalSource(source), at, detail)


def _checkup(raw: object, at: datetime | None) -> Checkup:
    body = require_object(raw, "checkup")
    _only(body, _CHECKUP_KEYS, "checkup")
    raw_items = body.get("items", [])
    if not isinstance(raw_items, list):
        reject("BAD_SCHEMA", "checkup.items 应为数组")
    items = []
    for index, raw_item in enumerate(raw_items):
        where = f"checkup.items[{index}]"
        item = require_object(raw_item, where)
        _only(item, _ITEM_KEYS, where)
        _required(item, "name", where)
        _required(item, "value", where)
        fields = {
            name: text(item.get(name, ""), f"{where}.{name}", limit=LIMITS[name])
            for name in ("name", "value", "unit", "reference", "flag")
        }
        if not fields["name"]:
            reject("BAD_VALUE", f"{where}.name 为空")
        items.append(CheckupItem(**fields))
    conclusion = text(body.get("conclusion", ""), "checkup.conclusion", limit=LIMITS["conclusion"])
    doc = document(body["document"], "checkup.document") if "document" in body else None
    if not items and not conclusion and doc is None:
        reject("NO_VALUES", "checkup 没有 items、conclusion 或 document")
    return Checkup(tuple(items), conclusion, at, doc)


# --- encoding -------------------------------------------------------------------------------------


def encode_standard(message: DeviceMessage, *, at: datetime | None = None, version: int = 1) -> tuple[str, bytes]:
    """(up topic, payload) of `message` in the standard protocol; `at` becomes the frame's `ts` (device time).

    The key must be `std:{serial}:{id}`. Times are truncated to milliseconds. Raises ValueError for a message
    the protocol cannot express (several signals, a heartbeat carrying more than its battery, …)."""
    serial = message.serial
    prefix = f"std:{serial}:"
    ident = message.key.removeprefix(prefix)
    if not message.key.startswith(prefix) or not _ID.fullmatch(ident):
        raise ValueError(f"key {message.key!r} is not std:{{serial}}:{{id}}")
    frame_at = _ms(at)
    doc: dict[str, object] = {"v": version, "id": ident}
    if frame_at is not None:
        doc["ts"] = epoch_ms(frame_at)
    measurements = list(message.measurements)
    if message.keepalive:
        if message.signals or message.checkup is not None or len(measurements) > 1:
            raise ValueError("a heartbeat carries at most its battery")
        doc["type"] = "heartbeat"
        if measurements:
            battery = measurements.pop()
            if battery.vital is not Vital.BATTERY or _ms(battery.at) != frame_at:
                raise ValueError("a heartbeat carries only its battery, at the frame time")
            doc["battery"] = _json_number(battery.value)
    elif message.checkup is not None:
        if message.signals:
            raise ValueError("a checkup frame carries no signals")
        if _ms(message.checkup.at) != frame_at:
            raise ValueError("the checkup time must be the frame time")
        doc["type"] = "checkup"
        doc["checkup"] = _encode_checkup(message.checkup)
    elif message.signals:
        if len(message.signals) > 1:
            raise ValueError("an event frame carries exactly one signal")
        signal = message.signals[0]
        if _ms(signal.at) != frame_at:
            raise ValueError("the signal time must be the frame time")
        event = {"kind": signal.kind.value, "source": signal.source.value}
        if signal.detail:
            event["detail"] = signal.detail
        doc["type"] = "event"
        doc["event"] = event
    else:
        if not measurements:
            raise ValueError("a telemetry frame needs measurements")
        doc["type"] = "telemetry"
    doc.update(_encode_measurements(measurements, frame_at))
    payload = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    return up_topic(serial), payload


def _ms(at: datetime | None) -> datetime | None:
    return None if at is None else EPOCH + epoch_ms(at) * MS


def _json_number(value: float) -> int | float:
    # Integral values are written as integers (72, not 72.0): what devices send, and exact below 2**53.
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _encode_measurements(measurements: list[Measurement], frame_at: datetime | None) -> dict[str, object]:
    """The leading measurements at the frame time go to `values`, the rest to `readings` (consecutive ones
    sharing a time grouped together), so decoding gives back the same measurements in the same order."""
    values: dict[str, object] = {}
    readings: list[tuple[datetime, dict[str, object]]] = []
    for measurement in measurements:
        when = _ms(measurement.at)
        if not readings and when == frame_at and measurement.vital.value not in values:
            values[measurement.vital.value] = _json_number(measurement.value)
            continue
        if when is None:
            raise ValueError("a measurement without time must come first and the frame must have no time")
        if not readings or readings[-1][0] != when or measurement.vital.value in readings[-1][1]:
            readings.append((when, {}))
        readings[-1][1][measurement.vital.value] = _json_number(measurement.value)
    result: dict[str, object] = {}
    if values:
        result["values"] = values
    if readings:
        result["readings"] = [{"ts": epoch_ms(when), "values": vals} for when, vals in readings]
    return result


def _encode_checkup(checkup: Checkup) -> dict[str, object]:
    body: dict[str, object] = {}
    if checkup.items:
        body["items"] = [
            {"name": item.name, "value": item.value}
            | {name: getattr(item, name) for name in ("unit", "reference", "flag") if getattr(item, name)}
            for item in checkup.items
        ]
    if checkup.conclusion:
        body["conclusion"] = checkup.conclusion
    if checkup.document is not None:
        body["document"] = base64.b64encode(checkup.document).decode("ascii")
    if not body:
        raise ValueError("an empty checkup cannot be encoded")
    return body
