"""Device wire codecs (设备协议编解码): MQTT/HTTP payloads of elder-care devices → domain device messages.

Pure functions (no I/O, no clock): the MQTT bridge calls `decode_topic`, the ingest API `decode_http`;
simulators and tests build frames with `encode_standard` and `encode_radar_frame`. Every decoder raises
`FrameRejected` (with a reason from `REASONS`) and nothing else. Protocols: docs/device-protocol.md."""

from __future__ import annotations

from yiyangkang.adapters.devices.common import MAX_PAYLOAD, REASONS
from yiyangkang.adapters.devices.radar import encode_radar_frame
from yiyangkang.adapters.devices.router import CODECS, SUBSCRIPTIONS, decode_http, decode_topic
from yiyangkang.adapters.devices.standard import encode_standard

__all__ = [
    "CODECS",
    "MAX_PAYLOAD",
    "REASONS",
    "SUBSCRIPTIONS",
    "decode_http",
    "decode_topic",
    "encode_radar_frame",
    "encode_standard",
]
