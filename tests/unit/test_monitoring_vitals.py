"""What devices measure (D-03 thresholds are set on these vitals; D-02 readings are refused when implausible).

Every vital has one spec; the clinical ones carry their LOINC code and UCUM unit (HL7 FHIR vital-signs
profile); `implausible` refuses NaN, infinities and values no living person or working sensor gives, with a
Chinese message naming the vital, and accepts the range bounds themselves.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiyangkang.domain.monitoring.messages import FrameRejected
from yiyangkang.domain.monitoring.vitals import VITALS, Vital, implausible

CLINICAL = {
    Vital.SYSTOLIC: ("8480-6", "mm[Hg]"),
    Vital.DIASTOLIC: ("8462-4", "mm[Hg]"),
    Vital.HEART_RATE: ("8867-4", "/min"),
    Vital.SPO2: ("2708-6", "%"),
    Vital.BODY_TEMPERATURE: ("8310-5", "Cel"),
    Vital.RESPIRATORY_RATE: ("9279-1", "/min"),
}


def test_every_vital_has_a_spec() -> None:
    """D-03: one table covers every vital, with a label and a non-empty range."""
    assert set(VITALS) == set(Vital)
    for vital, spec in VITALS.items():
        assert spec.label and spec.unit and spec.code, vital
        assert spec.low < spec.high, vital


@pytest.mark.parametrize(("vital", "code_and_unit"), sorted(CLINICAL.items()))
def test_clinical_vitals_carry_their_loinc_code_and_ucum_unit(vital: Vital, code_and_unit: tuple[str, str]) -> None:
    """D-03: systolic 8480-6, diastolic 8462-4, heart rate 8867-4, SpO2 2708-6, body temperature 8310-5,
    respiratory rate 9279-1; mm[Hg], /min, %, Cel."""
    spec = VITALS[vital]
    assert (spec.code, spec.unit) == code_and_unit
    assert spec.health


def test_local_codes_are_marked_and_room_air_is_not_health_data() -> None:
    """D-03: measurements without a plain LOINC code use `yyk-` codes; room air and battery are not
    personal health data."""
    for vital in (Vital.SLEEP_STAGE, Vital.IN_BED, Vital.PRESENCE, Vital.PM25, Vital.CO2, Vital.BATTERY):
        assert VITALS[vital].code.startswith("yyk-"), vital
    for vital in (Vital.PM25, Vital.CO2, Vital.TVOC, Vital.ROOM_TEMPERATURE, Vital.HUMIDITY, Vital.BATTERY):
        assert not VITALS[vital].health, vital


@pytest.mark.parametrize("vital", list(Vital))
def test_the_range_bounds_are_plausible_and_just_outside_is_not(vital: Vital) -> None:
    """D-02: `low` and `high` themselves are accepted; a step beyond either is refused, naming the vital."""
    spec = VITALS[vital]
    assert implausible(vital, spec.low) is None
    assert implausible(vital, spec.high) is None
    for outside in (math.nextafter(spec.low, -math.inf), math.nextafter(spec.high, math.inf), spec.low - 1,
                    spec.high + 1):
        message = implausible(vital, outside)
        assert message is not None and spec.label in message and "超出可能范围" in message, (vital, outside)


@pytest.mark.parametrize("vital", list(Vital))
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinities_are_refused(vital: Vital, value: float) -> None:
    """D-02: not a number, not a reading."""
    assert implausible(vital, value) == f"{VITALS[vital].label}不是有效数值"


@given(vital=st.sampled_from(list(Vital)), data=st.data())
@settings(max_examples=200, deadline=None)
def test_implausible_exactly_outside_the_range(vital: Vital, data: st.DataObject) -> None:
    """D-02: any finite value inside [low, high] is accepted, any outside refused with a message."""
    spec = VITALS[vital]
    inside = data.draw(st.floats(spec.low, spec.high))
    assert implausible(vital, inside) is None
    outside = data.draw(st.floats(max_value=spec.low, exclude_max=True, allow_nan=False, allow_infinity=False)
                        | st.floats(min_value=spec.high, exclude_min=True, allow_nan=False, allow_infinity=False))
    message = implausible(vital, outside)
    assert message is not None and message.startswith(spec.label)


def test_heart_rate_message_reads_well() -> None:
    """D-02: the operator reads which vital, which value and which range."""
    assert implausible(Vital.HEART_RATE, 350) == "心率 350 超出可能范围 20–300 /min"
    assert implausible(Vital.SPO2, 101) == "血氧饱和度 101 超出可能范围 50–100 %"


def test_a_rejected_frame_keeps_its_reason_and_message() -> None:
    """D-02: dead letters carry a stable code and a Chinese message for the operator."""
    error = FrameRejected("BAD_CHECKSUM", "校验和错误", serial="865432100000001")
    assert (error.reason, error.message, error.serial) == ("BAD_CHECKSUM", "校验和错误", "865432100000001")
    assert str(error) == "BAD_CHECKSUM: 校验和错误"
