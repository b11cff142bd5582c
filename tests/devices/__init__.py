"""Tests of the device wire codecs, with the helpers they share: invariants of a decode, JSON and mutation
strategies for the fuzz tests."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st

from yiyangkang.adapters.devices import REASONS
from yiyangkang.adapters.devices.common import is_serial
from yiyangkang.domain.monitoring.messages import Decoded, DeviceMessage, FrameRejected

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
T0_MS = 1_764_036_000_000  # 2025-11-25T02:00:00Z
T0 = datetime(2025, 11, 25, 2, 0, tzinfo=UTC)
FUZZ = settings(max_examples=200, deadline=None)


def at_ms(ms: int) -> datetime:
    return T0 + timedelta(milliseconds=ms - T0_MS)


def rejection(call: Callable[[], object]) -> FrameRejected:
    """The FrameRejected `call` raises (fails the test if it returns or raises anything else)."""
    try:
        result = call()
    except FrameRejected as exc:
        rejected = exc
    else:
        raise AssertionError(f"expected a rejection, got {result!r}")
    assert rejected.reason in REASONS, rejected.reason
    assert rejected.message
    return rejected


def check_decoded(decoded: Decoded) -> None:
    """What every successful decode guarantees to ingestion."""
    assert isinstance(decoded, Decoded)
    assert decoded.messages
    by_key: dict[str, DeviceMessage] = {}
    for message in decoded.messages:  # one key per logical message: a shared key means the same message
        assert by_key.setdefault(message.key, message) == message
    for message in decoded.messages:
        assert is_serial(message.serial)
        assert message.key
        assert message.measurements or message.signals or message.checkup or message.keepalive
        times = [m.at for m in message.measurements] + [s.at for s in message.signals]
        if message.checkup is not None:
            times.append(message.checkup.at)
        for measurement in message.measurements:
            assert type(measurement.value) is float and math.isfinite(measurement.value)
        for at in times:
            if at is not None:
                assert at.tzinfo is UTC
                assert 2000 <= at.year < 2100


def decodes_or_rejects(call: Callable[[], Decoded]) -> Decoded | FrameRejected:
    """The fuzz property: a checked Decoded, or a FrameRejected with a known reason that is not a codec bug."""
    try:
        decoded = call()
    except FrameRejected as exc:
        rejected = exc
    else:
        check_decoded(decoded)
        return decoded
    assert rejected.reason in REASONS, rejected.reason
    assert rejected.reason != "DECODE_ERROR", (rejected.message, rejected.__cause__)
    assert rejected.serial is None or is_serial(rejected.serial)
    return rejected


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=946_684_800_000, max_value=4_102_444_800_000)
    | st.floats()
    | st.text(max_size=12)
    | st.from_regex(r"-?[0-9]{1,4}(\.[0-9]{1,3})?", fullmatch=True)
)


def json_values(keys: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[object]:
    """Arbitrary JSON values; objects use `keys` (a codec's vocabulary) as well as arbitrary text."""
    names = st.text(max_size=8) if keys is None else keys | st.text(max_size=8)
    return st.recursive(
        SCALARS,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=6),
        max_leaves=24,
    )


def json_payloads(keys: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[bytes]:
    # allow_nan: NaN/Infinity literals must be refused too.
    return json_values(keys).map(lambda value: json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))


@st.composite
def mutated(draw: st.DrawFn, samples: list[bytes]) -> bytes:
    """A golden frame with a few bytes flipped, inserted, replaced or deleted."""
    data = bytearray(draw(st.sampled_from(samples)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        operation = draw(st.sampled_from(["flip", "insert", "delete", "replace"]))
        if operation == "insert" or not data:
            data.insert(draw(st.integers(0, len(data))), draw(st.integers(0, 255)))
            continue
        index = draw(st.integers(0, len(data) - 1))
        if operation == "flip":
            data[index] ^= 1 << draw(st.integers(0, 7))
        elif operation == "delete":
            del data[index]
        else:
            data[index] = draw(st.integers(0, 255))
    return bytes(data)
