"""4G watch text protocol (4G 定位手表 "3G*" 协议): `[MM*id*LLLL*CONTENT]` frames relayed by our TCP front.

The TCP front publishes the bytes it read from a watch, unchanged, to `watch/{serial}/up` (one or more frames)
and writes whatever arrives on `watch/{serial}/down` back to the watch. Each frame becomes one message."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from attrs import frozen

from yiyangkang.adapters.devices.common import (
    boundary,
    check_size,
    digest_key,
    number,
    reject,
    require_serial,
)
from yiyangkang.domain.monitoring.messages import (
    Decoded,
    DeviceMessage,
    Measurement,
    Reply,
    Signal,
    SignalKind,
    SignalSource,
)
from yiyangkang.domain.monitoring.vitals import Vital

CODEC = "watch"
# `[` maker `*` id `*` 4-hex `*` [4-hex `*`]: the optional second 4-hex field is the length when the first is
# an index (some makers number their frames).
_HEADER = re.compile(rb"\[([A-Za-z0-9]{2})\*([A-Za-z0-9_.:-]{1,64})\*([0-9A-Fa-f]{4})\*(?:([0-9A-Fa-f]{4})\*)?")
_COMMAND = re.compile(r"[A-Za-z0-9]{1,16}")
_DATE = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{2})")
_TIME = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{2})(?:\.[0-9]{1,6})?")
_HEX = re.compile(r"[0-9A-Fa-f]{1,8}")
_BLANK = b" \t\r\n"

# Status bits of UD/UD2/AL/WT (as decoded by open-source trackers).
_STATUS_SIGNALS = (
    (SignalKind.SOS, SignalSource.BAND_KEY, (16,)),
    (SignalKind.FALL, SignalSource.DEVICE, (21, 22)),
    (SignalKind.LOW_BATTERY, SignalSource.DEVICE, (0, 17)),
)


def up_topic(serial: str) -> str:
    return f"watch/{serial}/up"


def down_topic(serial: str) -> str:
    return f"watch/{serial}/down"


@frozen
class _Frame:
    maker: str
    ident: str
    index: str | None
    content: bytes
    raw: bytes

    def reply(self, content: str) -> bytes:
        index = f"{self.index}*" if self.index is not None else ""
        return f"[{self.maker}*{self.ident}*{index}{len(content):04X}*{content}]".encode("ascii")


@frozen
class _Parsed:
    measurements: tuple[Measurement, ...] = ()
    signals: tuple[Signal, ...] = ()
    keepalive: bool = False
    answer: str | None = None  # content of the reply the watch waits for


def decode_watch(serial: str, payload: bytes) -> Decoded:
    with boundary(serial):
        serial = require_serial(serial)
        check_size(payload)
        messages = []
        replies = []
        topic = up_topic(serial)
        for number_, frame in enumerate(_frames(payload), start=1):
            if frame.ident != serial:
                reject("SERIAL_MISMATCH", f"第 {number_} 帧的设备号 {frame.ident} 与主题中的 {serial} 不一致")
            parsed = _parse(frame)
            # One key per frame (its own bytes): the same frame redelivered, alone or batched, keeps its key.
            key = digest_key(CODEC, topic, serial, frame.raw)
            messages.append(DeviceMessage(serial, key, parsed.measurements, parsed.signals, None, parsed.keepalive))
            if parsed.answer is not None:
                replies.append(Reply(down_topic(serial), frame.reply(parsed.answer)))
        if not messages:
            reject("BAD_FRAME", "报文中没有任何帧")
        return Decoded(tuple(messages), tuple(replies))


def _frames(payload: bytes) -> list[_Frame]:
    frames: list[_Frame] = []
    position, size = 0, len(payload)
    while True:
        while position < size and payload[position] in _BLANK:
            position += 1
        if position == size:
            return frames
        header = _HEADER.match(payload, position)
        if header is None:
            reject("BAD_FRAME", f"第 {len(frames) + 1} 帧的帧头格式错误（应为 [厂商*设备号*长度*内容]）")
        maker, ident, first, second = header.groups()
        # (index, length, content start): the indexed reading first, as plain content never starts "hhhh*".
        readings: list[tuple[bytes | None, bytes, int]] = [(first, second, header.end())] if second else []
        readings.append((None, first, header.end(3) + 1))
        for index, length, start in readings:
            end = start + int(length, 16)
            if end < size and payload[end] == ord("]"):
                raw = payload[header.start() : end + 1]
                index_text = None if index is None else index.decode("ascii")
                frames.append(_Frame(maker.decode("ascii"), ident.decode("ascii"), index_text, payload[start:end], raw))
                position = end + 1
                break
        else:
            reject("BAD_LENGTH", f"第 {len(frames) + 1} 帧的长度字段与内容不符")


def _parse(frame: _Frame) -> _Parsed:
    command_bytes = frame.content.split(b",", 1)[0]
    command = command_bytes.decode("latin-1")
    handler = _HANDLERS.get(command.upper()) if _COMMAND.fullmatch(command) else None
    if handler is None:
        reject("UNKNOWN_COMMAND", f"未知的手表命令 {command[:16]!r}")
    try:
        fields = frame.content.decode("ascii").split(",")[1:]
    except UnicodeDecodeError:
        reject("BAD_VALUE", f"{command} 帧内容含非 ASCII 字符")
    return handler(command.upper(), fields)


def _field(fields: list[str], index: int, what: str) -> float | None:
    """The number at `index`, or None when the field is absent or empty (watches leave fields blank)."""
    if index >= len(fields) or not fields[index].strip():
        return None
    return number(fields[index], what, strings=True)


def _required(fields: list[str], index: int, what: str) -> float:
    value = _field(fields, index, what)
    if value is None:
        reject("BAD_VALUE", f"缺少{what}")
    return value


def _measure(*pairs: tuple[Vital, float | None], at: datetime | None = None) -> tuple[Measurement, ...]:
    return tuple(Measurement(vital, value, at) for vital, value in pairs if value is not None)


def _keepalive(command: str, fields: list[str]) -> _Parsed:
    """`LK[,steps,rolls,battery]` (链路保持): answered `LK`; rolls (翻滚次数) are not kept."""
    steps = _field(fields, 0, "LK 步数")
    _field(fields, 1, "LK 翻滚次数")
    battery = _field(fields, 2, "LK 电量")
    return _Parsed(_measure((Vital.STEPS, steps), (Vital.BATTERY, battery)), keepalive=True, answer="LK")


def _position(command: str, fields: list[str]) -> _Parsed:
    """UD/UD2 (位置), AL (报警, answered `AL`), WT: date, time, fix, lat, N/S, lon, E/W, speed, course,
    altitude, satellites, rssi, battery, steps, tumbles, status (hex), cells, wifi…"""
    if len(fields) < 7:
        reject("BAD_VALUE", f"{command} 位置报文字段不足")
    at = _time(fields[0], fields[1], command)
    fix = fields[2].strip()
    pairs: list[tuple[Vital, float | None]] = []
    if fix == "A":
        pairs.append((Vital.LATITUDE, _coordinate(fields, 3, "N", "S", f"{command} 纬度")))
        pairs.append((Vital.LONGITUDE, _coordinate(fields, 5, "E", "W", f"{command} 经度")))
    elif fix != "V":
        reject("BAD_VALUE", f"{command} 定位标志应为 A 或 V，收到 {fix[:8]!r}")
    pairs.append((Vital.BATTERY, _field(fields, 12, f"{command} 电量")))
    pairs.append((Vital.STEPS, _field(fields, 13, f"{command} 步数")))
    signals: list[Signal] = []
    if len(fields) > 15 and fields[15].strip():
        if not _HEX.fullmatch(fields[15].strip()):
            reject("BAD_VALUE", f"{command} 状态位应为十六进制，收到 {fields[15][:16]!r}")
        status = int(fields[15].strip(), 16)
        for kind, source, bits in _STATUS_SIGNALS:
            if any(status >> bit & 1 for bit in bits):
                signals.append(Signal(kind, source, at))
    return _Parsed(_measure(*pairs, at=at), tuple(signals), answer="AL" if command == "AL" else None)


def _time(date: str, time: str, command: str) -> datetime | None:
    """ddmmyy,hhmmss in UTC. An all-zero date (a watch that never synced its clock) means "unknown" rather
    than a refusal: an AL frame must not be lost because of it."""
    if date.strip() == "000000":
        return None
    day = _DATE.fullmatch(date.strip())
    clock = _TIME.fullmatch(time.strip())
    if day is None or clock is None:
        reject("BAD_TIMESTAMP", f"{command} 日期时间格式错误：{date[:8]!r},{time[:10]!r}")
    try:
        hour, minute, second = (int(part) for part in clock.groups()[:3])
        return datetime(2000 + int(day[3]), int(day[2]), int(day[1]), hour, minute, second, tzinfo=UTC)
    except ValueError:
        reject("BAD_TIMESTAMP", f"{command} 日期时间无效：{date},{time}")


def _coordinate(fields: list[str], index: int, positive: str, negative: str, what: str) -> float:
    value = _required(fields, index, what)
    hemisphere = fields[index + 1].strip()
    if hemisphere not in (positive, negative):
        reject("BAD_VALUE", f"{what}方向应为 {positive} 或 {negative}，收到 {hemisphere[:4]!r}")
    return -value if hemisphere == negative else value


def _blood_pressure(command: str, fields: list[str]) -> _Parsed:
    """`BPHRT,sys,dia,hr[,…]` / `BLOOD,sys,dia[,hr]` (血压心率)."""
    return _Parsed(
        _measure(
            (Vital.SYSTOLIC, _required(fields, 0, f"{command} 收缩压")),
            (Vital.DIASTOLIC, _required(fields, 1, f"{command} 舒张压")),
            (Vital.HEART_RATE, _field(fields, 2, f"{command} 心率")),
        )
    )


def _heart(command: str, fields: list[str]) -> _Parsed:
    """`HEART,hr` / `PULSE,hr` (心率)."""
    return _Parsed(_measure((Vital.HEART_RATE, _required(fields, 0, f"{command} 心率"))))


def _temperature(command: str, fields: list[str]) -> _Parsed:
    """`btemp2,flag,temp` (体温): only a flag > 0 marks a valid reading; otherwise the frame only shows the
    watch is online."""
    if _required(fields, 0, "btemp2 有效标志") <= 0:
        return _Parsed(keepalive=True)
    return _Parsed(_measure((Vital.BODY_TEMPERATURE, _required(fields, 1, "btemp2 体温"))))


def _oxygen(command: str, fields: list[str]) -> _Parsed:
    """`oxygen,spo2[,…]` (血氧): the first field is SpO2 in %."""
    return _Parsed(_measure((Vital.SPO2, _required(fields, 0, f"{command} 血氧"))))


_HANDLERS: dict[str, Callable[[str, list[str]], _Parsed]] = {
    "LK": _keepalive,
    "UD": _position,
    "UD2": _position,
    "AL": _position,
    "WT": _position,
    "BPHRT": _blood_pressure,
    "BLOOD": _blood_pressure,
    "HEART": _heart,
    "PULSE": _heart,
    "BTEMP2": _temperature,
    "OXYGEN": _oxygen,
}
