"""Shared helpers of the device codecs (设备编解码): limits, reasons, keys, times, numbers, text, documents.

Helpers raise `FrameRejected` without a serial; `boundary(serial)` around each codec fills it in and turns any
unexpected exception into `DECODE_ERROR`, so nothing but `FrameRejected` ever leaves a codec."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import NoReturn

from yiyangkang.domain.monitoring.messages import FrameRejected
from yiyangkang.domain.monitoring.vitals import Vital

MAX_PAYLOAD = 1 << 20  # 1 MiB: room for a check-up document's base64 (≤ 768 KiB) plus its JSON
MAX_DOCUMENT_BASE64 = 768 << 10  # characters of base64, i.e. a file of at most 576 KiB

# Stable reason codes of the dead-letter store, with what they mean for the operator reading it.
REASONS: dict[str, str] = {
    "PAYLOAD_TOO_LARGE": "报文超过 1 MiB",
    "UNKNOWN_TOPIC": "没有编解码器处理该 MQTT 主题",
    "UNKNOWN_CODEC": "未知的编解码器名称（HTTP 接入）",
    "BAD_SERIAL": "设备序列号缺失或格式错误（1–64 位 A-Z a-z 0-9 _ . : -）",
    "SERIAL_MISMATCH": "报文中的设备号与主题或 URL 中的不一致",
    "BAD_JSON": "不是合法的 UTF-8 JSON（含 NaN/Infinity、重复键、嵌套过深）",
    "BAD_SCHEMA": "JSON 结构不符：缺少字段、多余字段或类型错误",
    "VERSION_UNSUPPORTED": "协议版本不支持",
    "UNKNOWN_COMMAND": "未知的命令、消息类型或事件",
    "BAD_VALUE": "字段取值无效（非数值、布尔值、非有限数、越界枚举、非法字符）",
    "BAD_TIMESTAMP": "时间戳无效或不在 2000–2100 年之间",
    "NO_VALUES": "报文中没有可识别的数据",
    "BAD_DOCUMENT": "报告文件不是 base64 编码的 PDF/PNG/JPEG，或 base64 超过 768 KiB（文件 576 KiB）",
    "BAD_FRAME": "帧结构错误（帧头、帧尾、分隔符）",
    "BAD_LENGTH": "长度字段与实际内容不符",
    "BAD_CHECKSUM": "校验和错误",
    "DECODE_ERROR": "编解码器内部错误（程序缺陷，请报告开发）",
}

# 0/1 vitals: JSON booleans are accepted for these in the tolerant codecs (ThingsBoard, vendors).
BOOLEAN_VITALS = frozenset({Vital.IN_BED, Vital.PRESENCE})

_SERIAL = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_NUMBER = re.compile(r"-?[0-9]{1,30}(?:\.[0-9]{1,30})?(?:[eE][+-]?[0-9]{1,3})?")
# Control characters break logs and terminals; NUL and lone surrogates cannot be stored in PostgreSQL text.
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_DOCUMENT_MAGIC = (b"%PDF-", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MIN_MS = 946_684_800_000  # 2000-01-01T00:00:00Z
_MAX_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z (exclusive)
MS = timedelta(milliseconds=1)


def reject(reason: str, message: str) -> NoReturn:
    raise FrameRejected(reason, message)


@contextmanager
def boundary(serial: str | None) -> Iterator[None]:
    """The codec boundary: rejections get the serial (if known), anything unexpected becomes DECODE_ERROR."""
    try:
        yield
    except FrameRejected as exc:
        if exc.serial is None and serial is not None and is_serial(serial):
            exc.serial = serial
        raise
    except Exception as exc:  # a codec bug must dead-letter the frame, not kill the MQTT callback
        known = serial if serial is not None and is_serial(serial) else None
        raise FrameRejected("DECODE_ERROR", f"解码出错：{type(exc).__name__}", serial=known) from exc


def check_size(payload: bytes) -> None:
    if len(payload) > MAX_PAYLOAD:
        reject("PAYLOAD_TOO_LARGE", f"报文 {len(payload)} 字节，超过上限 {MAX_PAYLOAD} 字节")


def is_serial(value: object) -> bool:
    return isinstance(value, str) and _SERIAL.fullmatch(value) is not None


def require_serial(value: object, what: str = "设备序列号") -> str:
    if value is None or value == "":
        reject("BAD_SERIAL", f"缺少{what}")
    if not isinstance(value, str) or not is_serial(value):
        reject("BAD_SERIAL", f"{what}格式错误：{_show(value)}")
    return value


def digest_key(codec: str, topic: str, serial: str, payload: bytes) -> str:
    """Message key of the codecs without message ids: same frame (redelivered) → same key."""
    digest = hashlib.sha256()
    for part in (topic.encode(), serial.encode()):
        digest.update(part)
        digest.update(b"\x00")  # neither topics nor serials contain NUL, so the parts cannot run together
    digest.update(payload)
    return f"{codec}:{digest.hexdigest()[:32]}"


# --- JSON -----------------------------------------------------------------------------------------


class _DuplicateKey(ValueError):
    pass


class _Constant(ValueError):
    pass


def _pairs(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _constant(name: str) -> NoReturn:
    raise _Constant(name)


def parse_json(payload: bytes) -> object:
    """Strict JSON: UTF-8 only, no NaN/Infinity literals, no duplicate keys (which value would win is vague)."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        reject("BAD_JSON", "报文不是 UTF-8 文本")
    try:
        return json.loads(text, parse_constant=_constant, object_pairs_hook=_pairs)
    except _DuplicateKey as exc:
        reject("BAD_JSON", f"JSON 对象有重复的键：{_show(exc.args[0])}")
    except _Constant as exc:
        reject("BAD_JSON", f"JSON 不允许 {exc.args[0]}")
    except RecursionError:
        reject("BAD_JSON", "JSON 嵌套过深")
    except ValueError as exc:  # JSONDecodeError, or an integer beyond Python's digit limit
        reject("BAD_JSON", f"不是合法的 JSON：{str(exc)[:80]}")


def require_object(value: object, what: str) -> dict[str, object]:
    if not isinstance(value, dict):
        reject("BAD_SCHEMA", f"{what} 应为 JSON 对象，收到 {_kind(value)}")
    return value


# --- values ---------------------------------------------------------------------------------------


def number(value: object, what: str, *, strings: bool = False, booleans: bool = False) -> float:
    """A finite float out of a JSON value. Booleans only where asked (0/1 vitals), numeric strings only in
    the tolerant codecs (some gateways stringify everything)."""
    if isinstance(value, bool):
        if booleans:
            return 1.0 if value else 0.0
        reject("BAD_VALUE", f"{what} 应为数值，收到布尔值")
    result: float
    if isinstance(value, int):
        try:
            result = float(value)
        except OverflowError:
            reject("BAD_VALUE", f"{what} 数值过大")
    elif isinstance(value, float):
        result = value
    elif strings and isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        result = float(value.strip())
    else:
        reject("BAD_VALUE", f"{what} 应为数值，收到 {_kind(value)}")
    if not math.isfinite(result):
        reject("BAD_VALUE", f"{what} 不是有限数值")
    return result


def text(value: object, what: str, *, limit: int) -> str:
    if not isinstance(value, str):
        reject("BAD_VALUE", f"{what} 应为字符串，收到 {_kind(value)}")
    if len(value) > limit:
        reject("BAD_VALUE", f"{what} 超过 {limit} 个字符")
    if _BAD_TEXT.search(value):
        reject("BAD_VALUE", f"{what} 含控制字符或无效字符")
    return value


def document(value: object, what: str) -> bytes:
    """A check-up document (体检报告文件): base64 (standard alphabet, padded) of a PDF, PNG or JPEG."""
    if not isinstance(value, str):
        reject("BAD_DOCUMENT", f"{what} 应为 base64 字符串")
    if len(value) > MAX_DOCUMENT_BASE64:
        reject("BAD_DOCUMENT", f"{what} 的 base64 超过 {MAX_DOCUMENT_BASE64 // 1024} KiB")
    try:
        data = base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        reject("BAD_DOCUMENT", f"{what} 不是合法的 base64")
    if not data.startswith(_DOCUMENT_MAGIC):
        reject("BAD_DOCUMENT", f"{what} 不是 PDF、PNG 或 JPEG 文件")
    return data


# --- time -----------------------------------------------------------------------------------------


def utc_from_epoch(value: object, what: str, *, unit_ms: int = 1) -> datetime:
    """Aware UTC from epoch milliseconds (unit_ms=1) or seconds (unit_ms=1000); 2000 ≤ t < 2100."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        reject("BAD_TIMESTAMP", f"{what} 应为数值时间戳，收到 {_kind(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        reject("BAD_TIMESTAMP", f"{what} 不是有限数值")
    if not _MIN_MS <= value * unit_ms < _MAX_MS:
        reject("BAD_TIMESTAMP", f"{what} {_show(value)} 不在 2000–2100 年之间")
    if isinstance(value, float):
        if unit_ms == 1 and not value.is_integer():
            reject("BAD_TIMESTAMP", f"{what} 毫秒时间戳应为整数")
        millis = round(value * unit_ms)
    else:
        millis = value * unit_ms
    return EPOCH + timedelta(milliseconds=millis)


def epoch_ms(at: datetime) -> int:
    """Epoch milliseconds of an aware datetime, truncated (our wire times have millisecond precision)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("device times must be timezone-aware")
    return (at - EPOCH) // MS


# --- messages for the operator --------------------------------------------------------------------


def _kind(value: object) -> str:
    names = {bool: "布尔值", int: "整数", float: "小数", str: "字符串", list: "数组", dict: "对象"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _show(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."
