"""60 GHz mmWave radar UART frames (毫米波雷达, Seeed MR60FDA1 跌倒 / MR60BHA1 呼吸心跳 family).

The radar's gateway publishes the raw UART bytes, whole frames only, to `radar/{serial}/up`:
`53 59 | control | command | len_hi len_lo | data | checksum | 54 43`, checksum = low byte of the sum of every
byte before it. All frames of one payload become one message, timed on arrival (the radar has no clock)."""

from __future__ import annotations

from yiyangkang.adapters.devices.common import boundary, check_size, digest_key, reject, require_serial
from yiyangkang.domain.monitoring.messages import Decoded, DeviceMessage, Measurement, Signal, SignalKind, SignalSource
from yiyangkang.domain.monitoring.vitals import Vital

CODEC = "radar"
HEADER = b"\x53\x59"
TAIL = b"\x54\x43"
_OVERHEAD = 9  # header 2, control, command, length 2, checksum, tail 2

# (control, command) → vital whose value is the single data byte.
_VALUES: dict[tuple[int, int], Vital] = {
    (0x80, 0x01): Vital.PRESENCE,  # 0 nobody, 1 someone
    (0x81, 0x02): Vital.RESPIRATORY_RATE,
    (0x84, 0x01): Vital.IN_BED,  # 0 out of bed, 1 in bed
    (0x84, 0x06): Vital.SLEEP_SCORE,
    (0x85, 0x02): Vital.HEART_RATE,
}
_BOOLEAN = {(0x80, 0x01), (0x84, 0x01)}
_FALL = (0x83, 0x01)
_SLEEP_STATE = (0x84, 0x02)
# Seeed's sleep state (0 deep, 1 light, 2 awake, 3 none) in our scale (0 awake, 1 light, 2 deep); none → skip.
_SLEEP_STAGES = {0: 2.0, 1: 1.0, 2: 0.0, 3: None}


def up_topic(serial: str) -> str:
    return f"radar/{serial}/up"


def encode_radar_frame(control: int, command: int, data: bytes = b"") -> bytes:
    """One UART frame, checksum included (for tests and simulators)."""
    if not (0 <= control <= 0xFF and 0 <= command <= 0xFF and len(data) <= 0xFFFF):
        raise ValueError("control and command are bytes; data is at most 65535 bytes")
    body = HEADER + bytes((control, command)) + len(data).to_bytes(2, "big") + data
    return body + bytes((sum(body) & 0xFF,)) + TAIL


def decode_radar(serial: str, payload: bytes) -> Decoded:
    with boundary(serial):
        serial = require_serial(serial)
        check_size(payload)
        measurements: list[Measurement] = []
        signals: list[Signal] = []
        for number, (control, command, data) in enumerate(_frames(payload), start=1):
            code = (control, command)
            if code not in _VALUES and code not in (_FALL, _SLEEP_STATE):
                continue  # module heartbeats, product information, settings echoes: valid, not ours
            if len(data) != 1:
                reject("BAD_LENGTH", f"第 {number} 帧 ({control:02X}/{command:02X}) 数据应为 1 字节，收到 {len(data)}")
            value = data[0]
            if (code in _BOOLEAN or code == _FALL) and value > 1:
                reject("BAD_VALUE", f"第 {number} 帧 ({control:02X}/{command:02X}) 取值应为 0 或 1，收到 {value}")
            if code == _FALL:
                if value == 1:
                    signals.append(Signal(SignalKind.FALL, SignalSource.RADAR))
            elif code == _SLEEP_STATE:
                if value not in _SLEEP_STAGES:
                    reject("BAD_VALUE", f"第 {number} 帧睡眠状态 {value} 未定义")
                stage = _SLEEP_STAGES[value]
                if stage is not None:
                    measurements.append(Measurement(Vital.SLEEP_STAGE, stage))
            else:
                measurements.append(Measurement(_VALUES[code], float(value)))
        key = digest_key(CODEC, up_topic(serial), serial, payload)
        # Frames that carried nothing we keep still prove the radar is online.
        keepalive = not measurements and not signals
        return Decoded((DeviceMessage(serial, key, tuple(measurements), tuple(signals), None, keepalive),))


def _frames(payload: bytes) -> list[tuple[int, int, bytes]]:
    if not payload:
        reject("BAD_FRAME", "空报文")
    frames: list[tuple[int, int, bytes]] = []
    position, size = 0, len(payload)
    while position < size:
        number = len(frames) + 1
        if payload[position : position + 2] != HEADER:
            reject("BAD_FRAME", f"第 {number} 帧帧头应为 53 59")
        if size - position < _OVERHEAD:
            reject("BAD_LENGTH", f"第 {number} 帧不完整")
        length = int.from_bytes(payload[position + 4 : position + 6], "big")
        end = position + _OVERHEAD + length
        if end > size:
            reject("BAD_LENGTH", f"第 {number} 帧长度字段 {length} 超出报文")
        if payload[end - 2 : end] != TAIL:
            reject("BAD_FRAME", f"第 {number} 帧帧尾应为 54 43（长度字段可能有误）")
        checksum = payload[end - 3]
        if sum(payload[position : end - 3]) & 0xFF != checksum:
            reject("BAD_CHECKSUM", f"第 {number} 帧校验和错误")
        frames.append((payload[position + 2], payload[position + 3], payload[position + 6 : end - 3]))
        position = end
    return frames
