"""Topic → codec routing (主题路由): what the MQTT bridge subscribes to and how each topic is decoded.

`decode_topic` and `decode_http` are the only entry points the bridge and the ingest API need; both raise
`FrameRejected` and nothing else, so a malformed frame always ends in the dead-letter store."""

from __future__ import annotations

from datetime import datetime

from yiyangkang.adapters.devices import radar, standard, thingsboard, vendor, watch
from yiyangkang.adapters.devices.common import MAX_PAYLOAD, boundary, reject
from yiyangkang.domain.monitoring.messages import Decoded, FrameRejected

SUBSCRIPTIONS: tuple[str, ...] = (
    "yyk/v1/dev/+/up",
    "v1/gateway/telemetry",
    "v1/devices/+/telemetry",
    "watch/+/up",
    "radar/+/up",
    "vendor/+/+/up",
)
CODECS: tuple[str, ...] = (
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


def decode_topic(topic: str, payload: bytes, received_at: datetime) -> tuple[str, Decoded]:
    """(codec name, decoded) for an MQTT message; raises FrameRejected only, UNKNOWN_TOPIC for a topic no
    codec owns. `received_at` is not read by the current codecs (a time-less reading stays `at=None`, which
    means "when it arrived"); it is part of the signature so a codec may resolve device-relative times."""
    with boundary(None):
        payload = bytes(payload)
        if len(payload) > MAX_PAYLOAD:  # before routing: never parse a huge frame
            reject("PAYLOAD_TOO_LARGE", f"报文 {len(payload)} 字节，超过上限 {MAX_PAYLOAD} 字节")
        codec, serial = _route(topic)
        return codec, _decode(codec, serial, payload)


def decode_http(codec: str, serial: str | None, payload: bytes, received_at: datetime) -> Decoded:
    """The same codecs for devices and partners pushing over HTTP (`POST /api/v1/devices/ingest/{codec}?serial=`).
    `serial` is required except for ThingsBoard gateway batches, whose payload names its devices. Keys are
    those of the equivalent MQTT topic, so one frame pushed both ways is stored once."""
    with boundary(serial):
        if codec not in CODECS:
            reject("UNKNOWN_CODEC", f"未知的编解码器 {str(codec)[:40]!r}")
        if serial is None and codec != "thingsboard":
            reject("BAD_SERIAL", f"编解码器 {codec} 需要在 URL 中提供 serial")
        return _decode(codec, serial, bytes(payload))


def codec_of(topic: str) -> str:
    """The codec that owns `topic` ("unknown" if none): how a rejected frame is filed in the dead-letter store."""
    try:
        return _route(topic)[0]
    except FrameRejected:
        return "unknown"


def _route(topic: str) -> tuple[str, str | None]:
    match topic.split("/"):
        case ["yyk", "v1", "dev", serial, "up"]:
            return "standard", serial
        case ["v1", "gateway", "telemetry"]:
            return "thingsboard", None
        case ["v1", "devices", serial, "telemetry"]:
            return "thingsboard", serial
        case ["watch", serial, "up"]:
            return "watch", serial
        case ["radar", serial, "up"]:
            return "radar", serial
        case ["vendor", codec, serial, "up"] if codec in vendor.SPECS:
            return codec, serial
    raise FrameRejected("UNKNOWN_TOPIC", f"没有编解码器处理主题 {topic[:120]!r}")


def _decode(codec: str, serial: str | None, payload: bytes) -> Decoded:
    if codec == "thingsboard":
        return thingsboard.decode_gateway(payload) if serial is None else thingsboard.decode_device(serial, payload)
    if serial is None:  # only ThingsBoard gateways name their devices in the payload
        reject("BAD_SERIAL", "缺少设备序列号")
    if codec == "standard":
        return standard.decode_standard(serial, payload)
    if codec == "watch":
        return watch.decode_watch(serial, payload)
    if codec == "radar":
        return radar.decode_radar(serial, payload)
    return vendor.decode_vendor(codec, serial, payload)
