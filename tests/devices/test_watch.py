"""4G watch "3G*" frames: golden frames per command, replies byte-exact, rejections, fuzzing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.devices import FUZZ, check_decoded, decodes_or_rejects, mutated, rejection
from yiyangkang.adapters.devices.watch import decode_watch
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

ID = "8800000015"
DOWN = f"watch/{ID}/down"
AT = datetime(2024, 11, 25, 2, 15, 30, tzinfo=UTC)


def wrap(content: str, *, maker: str = "3G", ident: str = ID, index: str | None = None) -> bytes:
    raw = content.encode()
    middle = f"{index}*" if index is not None else ""
    return f"[{maker}*{ident}*{middle}{len(raw):04X}*".encode() + raw + b"]"


def position(fix: str = "A", status: str = "00000000", lat: str = "22.571707,N", lon: str = "113.861397,E") -> str:
    return f"251124,021530,{fix},{lat},{lon},0.00,0.0,50.0,6,100,87,1200,0,{status},4,1,460,0,9360,4082,131"


def decode(payload: bytes) -> Decoded:
    decoded = decode_watch(ID, payload)
    check_decoded(decoded)
    return decoded


def only(payload: bytes) -> DeviceMessage:
    (message,) = decode(payload).messages
    return message


GOLDEN = [
    b"[3G*8800000015*0002*LK]",
    b"[3G*8800000015*000C*LK,1200,0,87]",
    wrap("AL," + position(status="00010000")),
    wrap("UD," + position()),
    wrap("BPHRT,128,82,72,,,,"),
    wrap("btemp2,1,36.5"),
    wrap("oxygen,97"),
]


# --- keep-alive ---------------------------------------------------------------------------------------------


def test_lk_is_a_keepalive_answered_with_lk() -> None:
    decoded = decode(b"[3G*8800000015*0002*LK]")
    assert decoded.messages[0].keepalive
    assert decoded.messages[0].measurements == ()
    assert decoded.replies == (Reply(DOWN, b"[3G*8800000015*0002*LK]"),)


def test_lk_with_steps_and_battery() -> None:
    decoded = decode(b"[CS*8800000015*000C*LK,1200,0,87]")
    assert decoded.messages[0] == DeviceMessage(
        ID,
        decoded.messages[0].key,
        (Measurement(Vital.STEPS, 1200.0), Measurement(Vital.BATTERY, 87.0)),
        keepalive=True,
    )
    assert decoded.replies == (Reply(DOWN, b"[CS*8800000015*0002*LK]"),)  # the frame's maker


def test_makers_with_an_index_get_it_echoed() -> None:
    decoded = decode(b"[SG*8800000015*00A1*0002*LK]")
    assert decoded.messages[0].keepalive
    assert decoded.replies == (Reply(DOWN, b"[SG*8800000015*00A1*0002*LK]"),)


# --- position and alarms ------------------------------------------------------------------------------------


def test_al_with_the_sos_bit_is_an_sos_from_the_band_key_answered_with_al() -> None:
    decoded = decode(wrap("AL," + position(status="00010000")))
    message = decoded.messages[0]
    assert message.signals == (Signal(SignalKind.SOS, SignalSource.BAND_KEY, AT),)
    assert message.measurements == (
        Measurement(Vital.LATITUDE, 22.571707, AT),
        Measurement(Vital.LONGITUDE, 113.861397, AT),
        Measurement(Vital.BATTERY, 87.0, AT),
        Measurement(Vital.STEPS, 1200.0, AT),
    )
    assert not message.keepalive
    assert decoded.replies == (Reply(DOWN, b"[3G*8800000015*0002*AL]"),)


def test_fall_and_low_battery_bits() -> None:
    message = only(wrap("UD," + position(status="00200001")))
    assert message.signals == (
        Signal(SignalKind.FALL, SignalSource.DEVICE, AT),
        Signal(SignalKind.LOW_BATTERY, SignalSource.DEVICE, AT),
    )
    both = only(wrap("WT," + position(status="00420000")))  # bits 17 (low battery) and 22 (fall): one each
    assert [signal.kind for signal in both.signals] == [SignalKind.FALL, SignalKind.LOW_BATTERY]


def test_ud_is_not_answered_and_southern_western_hemispheres_are_negative() -> None:
    decoded = decode(wrap("UD2," + position(lat="33.8688,S", lon="70.6693,W")))
    assert decoded.replies == ()
    assert decoded.messages[0].measurements[:2] == (
        Measurement(Vital.LATITUDE, -33.8688, AT),
        Measurement(Vital.LONGITUDE, -70.6693, AT),
    )
    assert decoded.messages[0].signals == ()


def test_no_fix_means_no_position() -> None:
    message = only(wrap("UD," + position(fix="V", lat=",", lon=",")))
    assert message.measurements == (Measurement(Vital.BATTERY, 87.0, AT), Measurement(Vital.STEPS, 1200.0, AT))


def test_short_position_frame_without_status() -> None:
    message = only(wrap("UD,251124,021530,A,22.5,N,113.8,E"))
    assert message.measurements == (Measurement(Vital.LATITUDE, 22.5, AT), Measurement(Vital.LONGITUDE, 113.8, AT))


def test_unsynced_clock_keeps_the_alarm_timed_on_arrival() -> None:
    decoded = decode(wrap("AL,000000,000000,V,,,,,0,0,0,0,100,50,0,0,00010000"))
    assert decoded.messages[0].signals == (Signal(SignalKind.SOS, SignalSource.BAND_KEY, None),)
    assert decoded.replies == (Reply(DOWN, b"[3G*8800000015*0002*AL]"),)


def test_content_is_framed_by_its_length_so_a_bracket_inside_is_fine() -> None:
    message = only(wrap("UD," + position() + ",Cafe]Wifi,aa:bb:cc:dd:ee:ff,-60"))
    assert message.measurements[0] == Measurement(Vital.LATITUDE, 22.571707, AT)


# --- health -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("BPHRT,128,82,72,,,,", [(Vital.SYSTOLIC, 128), (Vital.DIASTOLIC, 82), (Vital.HEART_RATE, 72)]),
        ("BLOOD,120,80", [(Vital.SYSTOLIC, 120), (Vital.DIASTOLIC, 80)]),
        ("HEART,75", [(Vital.HEART_RATE, 75)]),
        ("PULSE,76", [(Vital.HEART_RATE, 76)]),
        ("btemp2,1,36.5", [(Vital.BODY_TEMPERATURE, 36.5)]),
        ("BTEMP2,2,37.1", [(Vital.BODY_TEMPERATURE, 37.1)]),
        ("oxygen,97", [(Vital.SPO2, 97)]),
        ("OXYGEN,98,1", [(Vital.SPO2, 98)]),
    ],
)
def test_health_frames(content: str, expected: list[tuple[Vital, float]]) -> None:
    decoded = decode(wrap(content))
    assert decoded.messages[0].measurements == tuple(Measurement(vital, float(value)) for vital, value in expected)
    assert not decoded.messages[0].keepalive
    assert decoded.replies == ()


def test_invalid_temperature_only_shows_the_watch_is_online() -> None:
    message = only(wrap("btemp2,0,0"))
    assert message.measurements == ()
    assert message.keepalive


def test_several_frames_in_one_payload_give_one_message_each() -> None:
    payload = b"[3G*8800000015*0002*LK]\r\n" + wrap("HEART,75") + wrap("AL," + position(status="00010000"))
    decoded = decode(payload)
    assert [m.keepalive for m in decoded.messages] == [True, False, False]
    assert len({m.key for m in decoded.messages}) == 3
    assert decoded.replies == (Reply(DOWN, b"[3G*8800000015*0002*LK]"), Reply(DOWN, b"[3G*8800000015*0002*AL]"))
    # Each frame keeps its key whether it arrives alone or batched.
    assert decoded.messages[1].key == only(wrap("HEART,75")).key


def test_keys_are_stable_and_distinct() -> None:
    assert only(GOLDEN[2]).key == only(GOLDEN[2]).key
    assert only(GOLDEN[2]).key.startswith("watch:")
    assert len(only(GOLDEN[2]).key) == len("watch:") + 32
    assert only(GOLDEN[2]).key != only(GOLDEN[3]).key


# --- rejections ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "BAD_FRAME"),
        (b"  \r\n", "BAD_FRAME"),
        (b"LK", "BAD_FRAME"),
        (b"[3G*8800000015*LK]", "BAD_FRAME"),
        (b"[3G*8800000015*0002*LK][", "BAD_FRAME"),
        (b"[3G*8800000015*0002*LK]junk", "BAD_FRAME"),
        (b"[3G*8800000015*0003*LK]", "BAD_LENGTH"),
        (b"[3G*8800000015*0001*LK]", "BAD_LENGTH"),
        (b"[3G*8800000015*0002*LK", "BAD_LENGTH"),
        (b"[3G*8800000016*0002*LK]", "SERIAL_MISMATCH"),
        (b"[3G*8800000015*0002*LK][3G*1*0002*LK]", "SERIAL_MISMATCH"),
        (wrap("TKQ"), "UNKNOWN_COMMAND"),
        (wrap("CR"), "UNKNOWN_COMMAND"),
        (b"[3G*8800000015*0000*]", "UNKNOWN_COMMAND"),
        (b"[3G*8800000015*0004*TK,\xff]", "UNKNOWN_COMMAND"),
        (b"[3G*8800000015*0007*HEART,\xe4]", "BAD_VALUE"),
        (wrap("HEART"), "BAD_VALUE"),
        (wrap("HEART,abc"), "BAD_VALUE"),
        (wrap("HEART,nan"), "BAD_VALUE"),
        (wrap("BPHRT,128"), "BAD_VALUE"),
        (wrap("LK,1200,0,full"), "BAD_VALUE"),
        (wrap("UD,251124,021530,A"), "BAD_VALUE"),
        (wrap("UD," + position(fix="X")), "BAD_VALUE"),
        (wrap("UD," + position(lat="22.5,Q")), "BAD_VALUE"),
        (wrap("UD," + position(lat=",N")), "BAD_VALUE"),
        (wrap("UD," + position(status="XYZ")), "BAD_VALUE"),
        (wrap("UD,321124,021530,V,,,,"), "BAD_TIMESTAMP"),
        (wrap("UD,251124,250000,V,,,,"), "BAD_TIMESTAMP"),
        (wrap("UD,2024-11-25,021530,V,,,,"), "BAD_TIMESTAMP"),
        (b"[" + b" " * (1 << 20), "PAYLOAD_TOO_LARGE"),
    ],
)
def test_rejections(payload: bytes, reason: str) -> None:
    rejected = rejection(lambda: decode_watch(ID, payload))
    assert rejected.reason == reason
    assert rejected.serial == ID


# --- fuzz ---------------------------------------------------------------------------------------------------

COMMANDS = st.sampled_from(
    ["LK", "UD", "UD2", "AL", "WT", "BPHRT", "BLOOD", "HEART", "PULSE", "btemp2", "oxygen", "XX"]
)
FIELDS = st.lists(st.text(st.characters(max_codepoint=0x7F), max_size=10), max_size=20)


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_bytes(payload: bytes) -> None:
    decodes_or_rejects(lambda: decode_watch(ID, payload))


@FUZZ
@given(COMMANDS, FIELDS, st.sampled_from(["3G", "CS"]), st.none() | st.just("0001"))
def test_fuzz_well_framed_contents(command: str, fields: list[str], maker: str, index: str | None) -> None:
    payload = wrap(",".join([command, *fields]), maker=maker, index=index)
    decodes_or_rejects(lambda: decode_watch(ID, payload))


@FUZZ
@given(mutated(GOLDEN))
def test_fuzz_mutated_golden_frames(payload: bytes) -> None:
    decodes_or_rejects(lambda: decode_watch(ID, payload))
