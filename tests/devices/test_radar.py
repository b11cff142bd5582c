"""mmWave radar UART frames: the reference's fall frame, every mapped command, rejections, fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.devices import FUZZ, check_decoded, decodes_or_rejects, mutated, rejection
from yiyangkang.adapters.devices import encode_radar_frame
from yiyangkang.adapters.devices.radar import decode_radar
from yiyangkang.domain.monitoring.messages import DeviceMessage, Measurement, Signal, SignalKind, SignalSource
from yiyangkang.domain.monitoring.vitals import Vital

SERIAL = "RADAR-0042"
FALL = bytes.fromhex("53 59 83 01 00 01 01 32 54 43")


def only(payload: bytes) -> DeviceMessage:
    decoded = decode_radar(SERIAL, payload)
    check_decoded(decoded)
    assert decoded.replies == ()
    (message,) = decoded.messages
    return message


def test_reference_fall_frame() -> None:
    assert encode_radar_frame(0x83, 0x01, b"\x01") == FALL
    message = only(FALL)
    assert message.signals == (Signal(SignalKind.FALL, SignalSource.RADAR, None),)
    assert message.measurements == ()
    assert not message.keepalive
    assert message.key == only(FALL).key and message.key.startswith("radar:")


def test_every_mapped_command_in_one_payload() -> None:
    payload = b"".join(
        [
            encode_radar_frame(0x80, 0x01, b"\x01"),  # someone present
            encode_radar_frame(0x81, 0x02, bytes([16])),  # breathing 16/min
            encode_radar_frame(0x85, 0x02, bytes([68])),  # heart 68/min
            encode_radar_frame(0x84, 0x01, b"\x01"),  # in bed
            encode_radar_frame(0x84, 0x02, b"\x00"),  # Seeed deep sleep → our 2
            encode_radar_frame(0x84, 0x02, b"\x01"),  # light → 1
            encode_radar_frame(0x84, 0x02, b"\x02"),  # awake → 0
            encode_radar_frame(0x84, 0x02, b"\x03"),  # none → skipped
            encode_radar_frame(0x84, 0x06, bytes([85])),  # sleep score
            encode_radar_frame(0x83, 0x01, b"\x00"),  # no fall → nothing
            encode_radar_frame(0x01, 0x01, b"\x0f"),  # module heartbeat → ignored
            encode_radar_frame(0x02, 0xA1, b"MR60BHA1"),  # product model → ignored
        ]
    )
    message = only(payload)
    assert message.measurements == (
        Measurement(Vital.PRESENCE, 1.0),
        Measurement(Vital.RESPIRATORY_RATE, 16.0),
        Measurement(Vital.HEART_RATE, 68.0),
        Measurement(Vital.IN_BED, 1.0),
        Measurement(Vital.SLEEP_STAGE, 2.0),
        Measurement(Vital.SLEEP_STAGE, 1.0),
        Measurement(Vital.SLEEP_STAGE, 0.0),
        Measurement(Vital.SLEEP_SCORE, 85.0),
    )
    assert message.signals == ()
    assert not message.keepalive


@pytest.mark.parametrize(
    "payload",
    [
        encode_radar_frame(0x01, 0x01, b"\x0f"),
        encode_radar_frame(0x83, 0x01, b"\x00"),
        encode_radar_frame(0x84, 0x02, b"\x03"),
        encode_radar_frame(0x80, 0x05) + encode_radar_frame(0x02, 0xA2, b"v1.2"),
    ],
)
def test_frames_carrying_nothing_we_keep_are_a_keepalive(payload: bytes) -> None:
    message = only(payload)
    assert message == DeviceMessage(SERIAL, message.key, keepalive=True)


def test_encode_refuses_non_bytes() -> None:
    with pytest.raises(ValueError):
        encode_radar_frame(0x100, 0x01, b"")
    with pytest.raises(ValueError):
        encode_radar_frame(0x80, 0x01, b"\x00" * 0x10000)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "BAD_FRAME"),
        (b"\x00" + FALL, "BAD_FRAME"),
        (FALL + b"\x53\x59\x80", "BAD_LENGTH"),
        (FALL[:-1], "BAD_LENGTH"),
        (bytes.fromhex("53 59 83 01 00 05 01 32 54 43"), "BAD_LENGTH"),
        (bytes.fromhex("53 59 83 01 00 01 01 32 54 44"), "BAD_FRAME"),
        (bytes.fromhex("53 59 83 01 00 01 01 33 54 43"), "BAD_CHECKSUM"),
        (bytes.fromhex("53 59 83 01 00 01 00 32 54 43"), "BAD_CHECKSUM"),
        (encode_radar_frame(0x85, 0x02, b"\x44\x00"), "BAD_LENGTH"),
        (encode_radar_frame(0x85, 0x02), "BAD_LENGTH"),
        (encode_radar_frame(0x80, 0x01, b"\x02"), "BAD_VALUE"),
        (encode_radar_frame(0x83, 0x01, b"\x07"), "BAD_VALUE"),
        (encode_radar_frame(0x84, 0x02, b"\x04"), "BAD_VALUE"),
        (FALL * ((1 << 20) // len(FALL) + 1), "PAYLOAD_TOO_LARGE"),
    ],
)
def test_rejections(payload: bytes, reason: str) -> None:
    rejected = rejection(lambda: decode_radar(SERIAL, payload))
    assert rejected.reason == reason
    assert rejected.serial == SERIAL


FRAMES = st.builds(
    encode_radar_frame,
    st.sampled_from([0x01, 0x02, 0x80, 0x81, 0x83, 0x84, 0x85]),
    st.sampled_from([0x01, 0x02, 0x06, 0xA1]),
    st.binary(max_size=3),
)


@FUZZ
@given(st.binary(max_size=200))
def test_fuzz_bytes(payload: bytes) -> None:
    decodes_or_rejects(lambda: decode_radar(SERIAL, payload))


@FUZZ
@given(st.lists(FRAMES, min_size=1, max_size=6).map(b"".join))
def test_fuzz_valid_frames_of_any_content(payload: bytes) -> None:
    decodes_or_rejects(lambda: decode_radar(SERIAL, payload))


@FUZZ
@given(mutated([FALL, FALL + encode_radar_frame(0x85, 0x02, b"\x44"), encode_radar_frame(0x84, 0x02, b"\x01")]))
def test_fuzz_mutated_golden_frames(payload: bytes) -> None:
    decodes_or_rejects(lambda: decode_radar(SERIAL, payload))
