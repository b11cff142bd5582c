"""Shared codec helpers: serials, digest keys, epoch times, numbers, text, the codec boundary."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from functools import partial

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.devices import FUZZ, rejection
from yiyangkang.adapters.devices.common import (
    boundary,
    digest_key,
    epoch_ms,
    is_serial,
    number,
    parse_json,
    text,
    utc_from_epoch,
)
from yiyangkang.domain.monitoring.messages import FrameRejected


@pytest.mark.parametrize("serial", ["a", "8800000015", "AA:BB:CC:DD:EE:FF", "yyk_bp-01.v2", "x" * 64])
def test_valid_serials(serial: str) -> None:
    assert is_serial(serial)


@pytest.mark.parametrize("serial", ["", "x" * 65, "a b", "a/b", "a+", "#", "设备1", "a\n", None, 12])
def test_invalid_serials(serial: object) -> None:
    assert not is_serial(serial)


def test_digest_key_is_codec_and_32_hex_of_topic_serial_payload() -> None:
    key = digest_key("radar", "radar/R1/up", "R1", b"\x01\x02")
    expected = hashlib.sha256(b"radar/R1/up\x00R1\x00\x01\x02").hexdigest()[:32]
    assert key == f"radar:{expected}"
    assert digest_key("radar", "radar/R1/up", "R2", b"\x01\x02") != key
    assert digest_key("radar", "radar/R1/up", "R1", b"\x01\x03") != key


def test_epoch_bounds() -> None:
    assert utc_from_epoch(946_684_800_000, "ts") == datetime(2000, 1, 1, tzinfo=UTC)
    assert utc_from_epoch(4_102_444_799_999, "ts") == datetime(2099, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC)
    assert utc_from_epoch(946_684_800, "ts", unit_ms=1000) == datetime(2000, 1, 1, tzinfo=UTC)
    assert utc_from_epoch(1.7e12, "ts").tzinfo is UTC
    for bad in (
        946_684_799_999,
        4_102_444_800_000,
        -1,
        10**30,
        float("inf"),
        float("nan"),
        True,
        "1",
        None,
        1.5e12 + 0.5,
    ):
        assert rejection(partial(utc_from_epoch, bad, "ts")).reason == "BAD_TIMESTAMP"


def test_epoch_ms_of_any_zone_and_naive_refused() -> None:
    shanghai = timezone(timedelta(hours=8))
    assert epoch_ms(datetime(2025, 11, 25, 10, 0, tzinfo=shanghai)) == 1_764_036_000_000
    with pytest.raises(ValueError, match="aware"):
        epoch_ms(datetime(2025, 11, 25, 10, 0))


@FUZZ
@given(st.integers(min_value=946_684_800_000, max_value=4_102_444_799_999))
def test_epoch_round_trip(ms: int) -> None:
    assert epoch_ms(utc_from_epoch(ms, "ts")) == ms


def test_numbers() -> None:
    assert number(72, "hr") == 72.0 and type(number(72, "hr")) is float
    assert number(" 36.5 ", "t", strings=True) == 36.5
    assert number("-1e3", "t", strings=True) == -1000.0
    assert number(True, "presence", booleans=True) == 1.0
    cases: list[tuple[object, dict[str, bool]]] = [
        (True, {}),
        ("72", {}),
        ("0x10", {"strings": True}),
        ("1_000", {"strings": True}),
        ("١٢", {"strings": True}),  # Arabic-Indic digits: float() would take them
        ("inf", {"strings": True}),
        ("1e999", {"strings": True}),
        (float("nan"), {}),
        (10**400, {}),
        (None, {}),
        ([1], {}),
    ]
    for bad, kwargs in cases:
        assert rejection(partial(number, bad, "x", **kwargs)).reason == "BAD_VALUE"


def test_text() -> None:
    assert text("血糖\n偏高", "x", limit=10) == "血糖\n偏高"
    for bad in ("a\x00", "\ud800", "\x1b[31m", "x" * 11, 5):
        assert rejection(partial(text, bad, "x", limit=10)).reason == "BAD_VALUE"


def test_json_is_strict() -> None:
    assert parse_json(b'{"a":[1,2.5,"x",null,true]}') == {"a": [1, 2.5, "x", None, True]}
    for bad in (b"\xef\xbb\xbf{}", b'{"a":1,"a":2}', b"NaN", b"[-Infinity]", b"{'a':1}", "{}".encode("utf-16")):
        assert rejection(partial(parse_json, bad)).reason == "BAD_JSON"


def test_boundary_turns_bugs_into_decode_error_and_names_the_serial() -> None:
    def buggy() -> None:
        with boundary("D1"):
            raise KeyError("oops")

    bug = rejection(buggy)
    assert (bug.reason, bug.serial) == ("DECODE_ERROR", "D1")
    assert isinstance(bug.__cause__, KeyError)

    def rejecting() -> None:
        with boundary("D1"):
            raise FrameRejected("BAD_VALUE", "x")

    assert rejection(rejecting).serial == "D1"

    def bad_serial() -> None:
        with boundary("not a serial"):
            raise RecursionError

    assert rejection(bad_serial).serial is None
