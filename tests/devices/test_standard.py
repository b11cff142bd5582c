"""Our standard protocol: golden frames, every rejection, the ack, the round trip and fuzzing."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.devices import (
    FUZZ,
    NOW,
    T0,
    T0_MS,
    at_ms,
    check_decoded,
    decodes_or_rejects,
    json_payloads,
    mutated,
    rejection,
)
from yiyangkang.adapters.devices import decode_topic, encode_standard
from yiyangkang.adapters.devices.common import EPOCH
from yiyangkang.adapters.devices.standard import LIMITS, decode_standard
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

SERIAL = "YYK-BP-0001"
TOPIC = f"yyk/v1/dev/{SERIAL}/up"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def frame(**fields: object) -> bytes:
    return json.dumps({"v": 1, "id": "m-0001"} | fields, ensure_ascii=False).encode()


def decode(payload: bytes, serial: str = SERIAL) -> Decoded:
    decoded = decode_standard(serial, payload)
    check_decoded(decoded)
    return decoded


GOLDEN = [
    frame(ts=T0_MS, type="telemetry", values={"heart_rate": 72, "systolic": 128, "diastolic": 82}),
    frame(type="telemetry", readings=[{"ts": T0_MS, "values": {"spo2": 97}}]),
    frame(ts=T0_MS, type="event", event={"kind": "sos", "source": "app", "detail": "小程序一键呼救"}),
    frame(type="heartbeat", battery=64),
    frame(ts=T0_MS, type="checkup", checkup={"items": [{"name": "血糖", "value": "6.1"}], "conclusion": "未见异常"}),
]


# --- golden frames ----------------------------------------------------------------------------------------


def test_telemetry_with_device_time() -> None:
    decoded = decode(GOLDEN[0])
    assert decoded.messages == (
        DeviceMessage(
            SERIAL,
            f"std:{SERIAL}:m-0001",
            (
                Measurement(Vital.HEART_RATE, 72.0, T0),
                Measurement(Vital.SYSTOLIC, 128.0, T0),
                Measurement(Vital.DIASTOLIC, 82.0, T0),
            ),
            own_key=True,
        ),
    )
    assert decoded.replies == (Reply(f"yyk/v1/dev/{SERIAL}/down", b'{"v":1,"ack":"m-0001","ok":true}'),)


def test_telemetry_without_time_is_timed_on_arrival() -> None:
    message = decode(frame(type="telemetry", values={"body_temp": 36.6}), "D1").messages[0]
    assert message.measurements == (Measurement(Vital.BODY_TEMPERATURE, 36.6, None),)
    assert message.key == "std:D1:m-0001"


def test_buffered_readings_are_kept_in_the_order_given() -> None:
    readings = [
        {"ts": T0_MS + 120_000, "values": {"heart_rate": 80}},
        {"ts": T0_MS, "values": {"heart_rate": 70, "spo2": 96}},
        {"ts": T0_MS + 60_000, "values": {"heart_rate": 75}},
    ]
    message = decode(frame(ts=T0_MS + 180_000, type="telemetry", values={"steps": 1200}, readings=readings)).messages[0]
    assert message.measurements == (
        Measurement(Vital.STEPS, 1200.0, at_ms(T0_MS + 180_000)),
        Measurement(Vital.HEART_RATE, 80.0, at_ms(T0_MS + 120_000)),
        Measurement(Vital.HEART_RATE, 70.0, T0),
        Measurement(Vital.SPO2, 96.0, T0),
        Measurement(Vital.HEART_RATE, 75.0, at_ms(T0_MS + 60_000)),
    )


def test_event_becomes_a_signal_at_the_frame_time() -> None:
    message = decode(GOLDEN[2]).messages[0]
    assert message.signals == (Signal(SignalKind.SOS, SignalSource.APP, T0, "小程序一键呼救"),)
    assert message.measurements == ()
    assert not message.keepalive


def test_event_may_carry_values() -> None:
    payload = frame(ts=T0_MS, type="event", event={"kind": "fall", "source": "radar"}, values={"heart_rate": 110})
    message = decode(payload).messages[0]
    assert message.signals == (Signal(SignalKind.FALL, SignalSource.RADAR, T0),)
    assert message.measurements == (Measurement(Vital.HEART_RATE, 110.0, T0),)


def test_heartbeat_is_a_keepalive_with_its_battery() -> None:
    message = decode(GOLDEN[3]).messages[0]
    assert message.keepalive
    assert message.measurements == (Measurement(Vital.BATTERY, 64.0, None),)
    assert decode(frame(type="heartbeat")).messages[0] == DeviceMessage(
        SERIAL, f"std:{SERIAL}:m-0001", keepalive=True, own_key=True)


def test_checkup_with_a_pdf_document_and_values() -> None:
    checkup = {
        "items": [
            {"name": "空腹血糖", "value": "6.8", "unit": "mmol/L", "reference": "3.9-6.1", "flag": "H"},
            {"name": "总胆固醇", "value": "4.2", "unit": "mmol/L", "reference": "<5.2"},
        ],
        "conclusion": "空腹血糖偏高，建议复查。",
        "document": base64.b64encode(PDF).decode(),
    }
    payload = frame(ts=T0_MS, type="checkup", checkup=checkup, values={"glucose": 6.8, "weight": 61.5})
    message = decode(payload).messages[0]
    assert message.checkup == Checkup(
        (
            CheckupItem("空腹血糖", "6.8", "mmol/L", "3.9-6.1", "H"),
            CheckupItem("总胆固醇", "4.2", "mmol/L", "<5.2", ""),
        ),
        "空腹血糖偏高，建议复查。",
        T0,
        PDF,
    )
    assert message.checkup.document is not None and message.checkup.document.startswith(b"%PDF-1.4")
    assert message.measurements == (Measurement(Vital.BLOOD_GLUCOSE, 6.8, T0), Measurement(Vital.WEIGHT, 61.5, T0))


def test_keys_are_stable_and_duplicates_are_acked_again() -> None:
    first = decode_topic(TOPIC, GOLDEN[0], NOW)
    again = decode_topic(TOPIC, GOLDEN[0], NOW + timedelta(hours=1))
    assert first == again == ("standard", decode(GOLDEN[0]))


def test_ack_escapes_nothing_surprising() -> None:
    decoded = decode(json.dumps({"v": 1, "id": "A.b_c-9", "type": "heartbeat"}).encode())
    assert decoded.replies[0].payload == b'{"v":1,"ack":"A.b_c-9","ok":true}'


# --- rejections -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff\xfe{}", "BAD_JSON"),
        (b'{"v":1,', "BAD_JSON"),
        (b'{"v":1,"v":1,"id":"a","type":"heartbeat"}', "BAD_JSON"),
        (b'{"v":1,"id":"a","type":"telemetry","values":{"heart_rate":NaN}}', "BAD_JSON"),
        (b"[" * 100_000, "BAD_JSON"),
        (b"[1]", "BAD_SCHEMA"),
        (frame(type="telemetry", values={"heart_rate": 72}, extra=1), "BAD_SCHEMA"),
        (frame(type="heartbeat", values={"heart_rate": 72}), "BAD_SCHEMA"),
        (frame(type="telemetry", values={"pulse": 72}), "BAD_SCHEMA"),
        (frame(type="telemetry", readings=[{"ts": T0_MS}]), "BAD_SCHEMA"),
        (frame(type="telemetry", readings=[{"ts": T0_MS, "values": {}}]), "BAD_SCHEMA"),
        (frame(type="event"), "BAD_SCHEMA"),
        (json.dumps({"v": 1, "type": "heartbeat"}).encode(), "BAD_SCHEMA"),
        (json.dumps({"v": 2, "id": "a", "type": "heartbeat"}).encode(), "VERSION_UNSUPPORTED"),
        (json.dumps({"v": True, "id": "a", "type": "heartbeat"}).encode(), "VERSION_UNSUPPORTED"),
        (json.dumps({"id": "a", "type": "heartbeat"}).encode(), "VERSION_UNSUPPORTED"),
        (frame(type="alarm"), "UNKNOWN_COMMAND"),
        (json.dumps({"v": 1, "id": "a:b", "type": "heartbeat"}).encode(), "BAD_VALUE"),
        (json.dumps({"v": 1, "id": "x" * 65, "type": "heartbeat"}).encode(), "BAD_VALUE"),
        (frame(type="telemetry", values={"heart_rate": True}), "BAD_VALUE"),
        (frame(type="telemetry", values={"heart_rate": "72"}), "BAD_VALUE"),
        (frame(type="telemetry", values={"heart_rate": 1e400}), "BAD_JSON"),  # json writes Infinity
        (b'{"v":1,"id":"a","type":"telemetry","values":{"heart_rate":1e400}}', "BAD_VALUE"),
        (b'{"v":1,"id":"a","type":"telemetry","values":{"heart_rate":' + b"9" * 5000 + b"}}", "BAD_JSON"),
        (frame(type="telemetry", values={"heart_rate": 10**400}), "BAD_VALUE"),
        (frame(type="event", event={"kind": "fire", "source": "app"}), "BAD_VALUE"),
        (frame(type="event", event={"kind": "sos", "source": ["app"]}), "BAD_VALUE"),
        (frame(type="event", event={"kind": "sos", "source": "app", "detail": "a\x00b"}), "BAD_VALUE"),
        (frame(type="checkup", checkup={"items": [{"name": "", "value": "1"}]}), "BAD_VALUE"),
        (frame(ts=946_684_799_999, type="heartbeat"), "BAD_TIMESTAMP"),
        (frame(ts=4_102_444_800_000, type="heartbeat"), "BAD_TIMESTAMP"),
        (frame(ts="2025-11-25T02:00:00Z", type="heartbeat"), "BAD_TIMESTAMP"),
        (frame(ts=T0_MS + 0.5, type="heartbeat"), "BAD_TIMESTAMP"),
        (frame(type="telemetry", readings=[{"ts": 1_700_000_000, "values": {"spo2": 97}}]), "BAD_TIMESTAMP"),
        (frame(type="telemetry"), "NO_VALUES"),
        (frame(type="telemetry", values={}), "NO_VALUES"),
        (frame(type="checkup", checkup={}), "NO_VALUES"),
        (frame(type="checkup", checkup={"document": "not base64!"}), "BAD_DOCUMENT"),
        (frame(type="checkup", checkup={"document": base64.b64encode(b"MZ\x90\x00").decode()}), "BAD_DOCUMENT"),
        (frame(type="checkup", checkup={"document": "A" * (1 << 20)}), "PAYLOAD_TOO_LARGE"),
    ],
)
def test_rejections(payload: bytes, reason: str) -> None:
    rejected = rejection(lambda: decode_standard(SERIAL, payload))
    assert rejected.reason == reason
    assert rejected.serial == SERIAL


def test_documents_up_to_768_kib_of_base64_fit_in_a_frame() -> None:
    largest = PDF + b"\x00" * ((768 << 10) // 4 * 3 - len(PDF))
    payload = frame(ts=T0_MS, type="checkup", checkup={"document": base64.b64encode(largest).decode()})
    assert len(payload) < 1 << 20
    checkup = decode(payload).messages[0].checkup
    assert checkup is not None and checkup.document == largest
    too_big = base64.b64encode(largest + b"\x00\x00\x00").decode()
    assert rejection(lambda: decode(frame(type="checkup", checkup={"document": too_big}))).reason == "BAD_DOCUMENT"


def test_bad_serial_is_refused() -> None:
    assert rejection(lambda: decode_standard("a/b", GOLDEN[0])).reason == "BAD_SERIAL"
    assert rejection(lambda: decode_standard("x" * 65, GOLDEN[0])).serial is None


# --- encoding and the round trip --------------------------------------------------------------------------


def test_encode_golden() -> None:
    message = DeviceMessage(SERIAL, f"std:{SERIAL}:m-0001", (Measurement(Vital.HEART_RATE, 72.0, T0),))
    topic, payload = encode_standard(message, at=T0)
    assert topic == TOPIC
    assert payload == b'{"v":1,"id":"m-0001","ts":1764036000000,"type":"telemetry","values":{"heart_rate":72}}'


def test_encode_truncates_to_milliseconds() -> None:
    at = T0 + timedelta(microseconds=1999)
    message = DeviceMessage("D", "std:D:1", (Measurement(Vital.SPO2, 97.5, at),))
    _, payload = encode_standard(message, at=at)
    assert json.loads(payload)["ts"] == T0_MS + 1
    assert decode(payload, "D").messages[0].measurements[0].at == T0 + timedelta(milliseconds=1)


@pytest.mark.parametrize(
    "message",
    [
        DeviceMessage("D", "watch:abc", (Measurement(Vital.SPO2, 97.0),)),
        DeviceMessage("D", "std:D:a:b", (Measurement(Vital.SPO2, 97.0),)),
        DeviceMessage("D", "std:D:1"),
        DeviceMessage("D", "std:D:1", signals=(Signal(SignalKind.SOS, SignalSource.APP),) * 2),
        DeviceMessage("D", "std:D:1", (Measurement(Vital.SPO2, 97.0),), keepalive=True),
        DeviceMessage("D", "std:D:1", (Measurement(Vital.SPO2, 97.0, T0), Measurement(Vital.HEART_RATE, 70.0))),
        DeviceMessage("D", "std:D:1", checkup=Checkup(())),
        DeviceMessage("D", "std:D:1", (Measurement(Vital.SPO2, 97.0, datetime(2025, 1, 1)),)),  # naive
    ],
)
def test_encode_refuses_what_the_protocol_cannot_say(message: DeviceMessage) -> None:
    with pytest.raises(ValueError):
        encode_standard(message)


def test_encoded_version_is_checked_by_the_decoder() -> None:
    message = DeviceMessage("D", "std:D:1", keepalive=True)
    _, payload = encode_standard(message, version=2)
    assert rejection(lambda: decode(payload, "D")).reason == "VERSION_UNSUPPORTED"


SERIALS = st.from_regex(r"[A-Za-z0-9_.:-]{1,64}", fullmatch=True)
IDS = st.from_regex(r"[A-Za-z0-9_.-]{1,64}", fullmatch=True)
TIMES = st.integers(min_value=946_684_800_000, max_value=4_102_444_799_999).map(
    lambda ms: EPOCH + timedelta(milliseconds=ms)
)
VALUES = st.floats(allow_nan=False, allow_infinity=False)
VALUE_MAPS = st.dictionaries(st.sampled_from(list(Vital)), VALUES, max_size=4)


def texts(limit: int, *, min_size: int = 0) -> st.SearchStrategy[str]:
    return st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=min_size, max_size=limit)


ITEMS = st.builds(
    CheckupItem,
    texts(LIMITS["name"], min_size=1),
    texts(LIMITS["value"]),
    texts(LIMITS["unit"]),
    texts(LIMITS["reference"]),
    texts(LIMITS["flag"]),
)
DOCUMENTS = st.tuples(st.sampled_from([b"%PDF-1.4", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0"]), st.binary(max_size=64))


@st.composite
def standard_messages(draw: st.DrawFn) -> tuple[DeviceMessage, datetime | None]:
    serial = draw(SERIALS)
    frame_at = draw(st.none() | TIMES)
    kind = draw(st.sampled_from(["telemetry", "event", "heartbeat", "checkup"]))
    measurements: list[Measurement] = []
    signals: tuple[Signal, ...] = ()
    checkup = None
    if kind == "heartbeat":
        battery = draw(st.none() | VALUES)
        if battery is not None:
            measurements.append(Measurement(Vital.BATTERY, battery, frame_at))
    else:
        measurements += [Measurement(vital, value, frame_at) for vital, value in draw(VALUE_MAPS).items()]
        for when, values in draw(st.lists(st.tuples(TIMES, VALUE_MAPS), max_size=4)):
            measurements += [Measurement(vital, value, when) for vital, value in values.items()]
        if kind == "telemetry" and not measurements:
            measurements.append(Measurement(draw(st.sampled_from(list(Vital))), draw(VALUES), frame_at))
    if kind == "event":
        signals = (
            Signal(
                draw(st.sampled_from(list(SignalKind))),
                draw(st.sampled_from(list(SignalSource))),
                frame_at,
                draw(texts(LIMITS["detail"])),
            ),
        )
    if kind == "checkup":
        items = tuple(draw(st.lists(ITEMS, max_size=4)))
        conclusion = draw(texts(LIMITS["conclusion"], min_size=0 if items else 1))
        document = draw(st.none() | DOCUMENTS.map(b"".join))
        checkup = Checkup(items, conclusion, frame_at, document)
    message = DeviceMessage(
        serial, f"std:{serial}:{draw(IDS)}", tuple(measurements), signals, checkup, keepalive=kind == "heartbeat",
        own_key=True,
    )
    return message, frame_at


@FUZZ
@given(standard_messages())
def test_round_trip(generated: tuple[DeviceMessage, datetime | None]) -> None:
    message, frame_at = generated
    topic, payload = encode_standard(message, at=frame_at)
    codec, decoded = decode_topic(topic, payload, NOW)
    assert codec == "standard"
    assert decoded.messages == (message,)
    assert decoded.replies == (
        Reply(
            f"yyk/v1/dev/{message.serial}/down",
            json.dumps({"v": 1, "ack": message.key.rsplit(":", 1)[1], "ok": True}, separators=(",", ":")).encode(),
        ),
    )
    for measurement in decoded.messages[0].measurements:
        assert measurement.at is None or measurement.at.tzinfo is UTC


# --- fuzz ---------------------------------------------------------------------------------------------------

VOCABULARY = st.sampled_from(
    [
        "v",
        "id",
        "ts",
        "type",
        "values",
        "readings",
        "event",
        "battery",
        "checkup",
        "kind",
        "source",
        "detail",
        "items",
        "name",
        "value",
        "unit",
        "reference",
        "flag",
        "conclusion",
        "document",
        "telemetry",
        "heartbeat",
        *[vital.value for vital in Vital],
    ]
)


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_bytes(payload: bytes) -> None:
    decodes_or_rejects(lambda: decode_standard(SERIAL, payload))


@FUZZ
@given(json_payloads(VOCABULARY))
def test_fuzz_json(payload: bytes) -> None:
    decodes_or_rejects(lambda: decode_standard(SERIAL, payload))


@st.composite
def shaped_frames(draw: st.DrawFn) -> bytes:
    """Frames close to valid: the right envelope around arbitrary bodies."""
    values = draw(st.dictionaries(VOCABULARY, st.none() | VALUES | st.booleans() | st.text(max_size=4), max_size=4))
    body: dict[str, object] = {
        "v": draw(st.sampled_from([1, 1, 1, 2])),
        "id": draw(IDS),
        "type": draw(st.sampled_from(["telemetry", "event", "heartbeat", "checkup"])),
    }
    if draw(st.booleans()):
        body["ts"] = draw(st.integers(min_value=0, max_value=5_000_000_000_000))
    field = draw(st.sampled_from(["values", "readings", "event", "battery", "checkup"]))
    body[field] = draw(
        st.sampled_from(
            [
                values,
                [{"ts": T0_MS, "values": values}],
                values.get("battery"),
                values | {"kind": "fall"},
                {"items": [values]},
                {"conclusion": values.get("value")},
            ]
        )
    )
    return json.dumps(body).encode()


@FUZZ
@given(shaped_frames())
def test_fuzz_near_valid_frames(payload: bytes) -> None:
    decodes_or_rejects(lambda: decode_standard(SERIAL, payload))


@FUZZ
@given(mutated(GOLDEN))
def test_fuzz_mutated_golden_frames(payload: bytes) -> None:
    decodes_or_rejects(lambda: decode_standard(SERIAL, payload))


def test_golden_frames_all_decode() -> None:
    for payload in GOLDEN:
        decode(payload)
    assert datetime(2025, 11, 25, 2, tzinfo=UTC) == T0
