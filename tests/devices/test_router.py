"""Routing: subscriptions, topic → codec, HTTP ingest, size cap, and fuzzing with arbitrary topics."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import partial

import pytest
from hypothesis import given
from hypothesis import strategies as st
from paho.mqtt.client import topic_matches_sub

from tests.devices import FUZZ, NOW, T0_MS, decodes_or_rejects, rejection
from yiyangkang.adapters.devices import (
    CODECS,
    MAX_PAYLOAD,
    REASONS,
    SUBSCRIPTIONS,
    decode_http,
    decode_topic,
    encode_radar_frame,
)
from yiyangkang.domain.monitoring.messages import Decoded, FrameRejected

# (codec, topic, serial for HTTP, payload): one valid frame per codec, and per ThingsBoard topic.
SAMPLES = [
    ("standard", "yyk/v1/dev/D1/up", "D1", b'{"v":1,"id":"1","type":"heartbeat","battery":50}'),
    ("thingsboard", "v1/gateway/telemetry", None, b'{"D1":[{"ts":%d,"values":{"hr":70}}]}' % T0_MS),
    ("thingsboard", "v1/devices/D1/telemetry", "D1", b'{"hr":70}'),
    ("watch", "watch/8800000015/up", "8800000015", b"[3G*8800000015*0002*LK]"),
    ("radar", "radar/R1/up", "R1", encode_radar_frame(0x83, 0x01, b"\x01")),
    ("csu-air", "vendor/csu-air/A1/up", "A1", b'{"devId":"A1","data":{"co2":500}}'),
    ("csu-behaviour", "vendor/csu-behaviour/B1/up", "B1", b'{"devId":"B1","event":"fall"}'),
    ("sysu-air", "vendor/sysu-air/S1/up", "S1", b'{"sn":"S1","CO2":500}'),
    ("sysu-care", "vendor/sysu-care/S2/up", "S2", b'{"sn":"S2","alarm":"voice_help"}'),
    ("guardian-hub", "vendor/guardian-hub/8612/up", "8612", b'{"imei":"8612","msgType":"heartbeat"}'),
    ("xiaoxin-robot", "vendor/xiaoxin-robot/X1/up", "X1", b'{"deviceNo":"X1","result":{"spo2":97}}'),
]


def test_codec_names() -> None:
    assert CODECS == (
        "standard",
        "thingsboard",
        "watch",
        "radar",
        "csu-air",
        "csu-behaviour",
        "sysu-air",
        "sysu-care",
        "guardian-hub",
        "xiaoxin-robot",
    )
    assert {codec for codec, *_ in SAMPLES} == set(CODECS)


@pytest.mark.parametrize(("codec", "topic", "serial", "payload"), SAMPLES)
def test_every_codec_is_routed_and_subscribed(codec: str, topic: str, serial: str | None, payload: bytes) -> None:
    assert sum(topic_matches_sub(sub, topic) for sub in SUBSCRIPTIONS) == 1
    routed, decoded = decode_topic(topic, payload, NOW)
    assert routed == codec
    assert isinstance(decoded, Decoded)
    # HTTP gives the same messages and keys: one frame pushed both ways is stored once.
    assert decode_http(codec, serial, payload, NOW + timedelta(minutes=5)) == decoded
    if serial is not None:
        assert all(message.serial == serial for message in decoded.messages)


def test_reply_topics_are_not_subscribed() -> None:
    for topic in ("yyk/v1/dev/D1/down", "watch/8800000015/down"):
        assert not any(topic_matches_sub(sub, topic) for sub in SUBSCRIPTIONS)
        assert rejection(partial(decode_topic, topic, b"{}", NOW)).reason == "UNKNOWN_TOPIC"


@pytest.mark.parametrize(
    "topic",
    [
        "",
        "/",
        "yyk/v1/dev/D1",
        "yyk/v2/dev/D1/up",
        "yyk/v1/dev/D1/up/extra",
        "v1/devices/D1/attributes",
        "v1/gateway/attributes",
        "vendor/acme/S1/up",
        "watch//up/x",
        "$SYS/broker/uptime",
    ],
)
def test_unknown_topics(topic: str) -> None:
    rejected = rejection(lambda: decode_topic(topic, b"{}", NOW))
    assert (rejected.reason, rejected.serial) == ("UNKNOWN_TOPIC", None)


def test_bad_serials_in_topics() -> None:
    assert rejection(lambda: decode_topic("watch//up", b"[]", NOW)).reason == "BAD_SERIAL"
    assert rejection(lambda: decode_topic("radar/has space/up", b"", NOW)).reason == "BAD_SERIAL"
    me = rejection(lambda: decode_topic("v1/devices/me/telemetry", b'{"hr":70}', NOW))
    assert me.reason == "BAD_SERIAL" and "v1/devices/{序列号}/telemetry" in me.message


@pytest.mark.parametrize(("codec", "topic", "serial", "payload"), SAMPLES)
def test_payload_cap_for_every_codec(codec: str, topic: str, serial: str | None, payload: bytes) -> None:
    huge = payload + b" " * (MAX_PAYLOAD + 1 - len(payload))
    assert rejection(lambda: decode_topic(topic, huge, NOW)).reason == "PAYLOAD_TOO_LARGE"
    assert rejection(lambda: decode_http(codec, serial, huge, NOW)).reason == "PAYLOAD_TOO_LARGE"
    # Exactly at the cap is still decoded (JSON and watch frames tolerate trailing blanks).
    if codec != "radar":
        decode_topic(topic, payload + b" " * (MAX_PAYLOAD - len(payload)), NOW)


def test_http_rules() -> None:
    assert rejection(lambda: decode_http("acme", "S1", b"{}", NOW)).reason == "UNKNOWN_CODEC"
    missing = rejection(lambda: decode_http("watch", None, b"[3G*1*0002*LK]", NOW))
    assert missing.reason == "BAD_SERIAL" and "serial" in missing.message
    assert rejection(lambda: decode_http("standard", "a/b", b"{}", NOW)).reason == "BAD_SERIAL"
    wrong_frame = rejection(lambda: decode_http("watch", "123", b"[3G*8800000015*0002*LK]", NOW))
    assert (wrong_frame.reason, wrong_frame.serial) == ("SERIAL_MISMATCH", "123")


def test_every_reason_has_an_operator_text() -> None:
    assert all(text and not text.isascii() for text in REASONS.values())


# --- fuzz ---------------------------------------------------------------------------------------------------

SEGMENTS = st.sampled_from(
    [
        "yyk",
        "v1",
        "dev",
        "up",
        "down",
        "gateway",
        "devices",
        "telemetry",
        "watch",
        "radar",
        "vendor",
        "me",
        "csu-air",
        "xiaoxin-robot",
        "D1",
        "",
        "+",
        "#",
        "a b",
        "\u0000",
        "\ud800",
    ]
)
TOPICS = st.text(max_size=40) | st.lists(SEGMENTS | st.text(max_size=6), min_size=1, max_size=6).map("/".join)
PAYLOADS = (
    st.binary(max_size=120)
    | st.sampled_from([sample[3] for sample in SAMPLES])
    | st.builds(lambda value: json.dumps(value).encode(), st.dictionaries(st.text(max_size=4), st.integers()))
)


@FUZZ
@given(TOPICS, PAYLOADS)
def test_fuzz_any_topic_any_payload(topic: str, payload: bytes) -> None:
    outcome: object = decodes_or_rejects(lambda: decode_topic(topic, payload, NOW)[1])
    if not isinstance(outcome, FrameRejected) or outcome.reason != "UNKNOWN_TOPIC":
        assert any(topic_matches_sub(sub, topic) for sub in SUBSCRIPTIONS)


@FUZZ
@given(st.sampled_from(CODECS) | st.text(max_size=8), st.none() | st.text(max_size=8), PAYLOADS)
def test_fuzz_http(codec: str, serial: str | None, payload: bytes) -> None:
    decodes_or_rejects(lambda: decode_http(codec, serial, payload, NOW))
