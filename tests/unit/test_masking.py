"""Masking of personal data for lists, logs and exports."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiyangkang.domain.kernel.identifiers import id_card_check_char
from yiyangkang.domain.kernel.masking import mask_address, mask_id_card, mask_name, mask_phone

ASCII_DIGITS = "0123456789"


@pytest.mark.parametrize("fn", [mask_id_card, mask_phone, mask_name, mask_address])
@pytest.mark.parametrize("value", [None, ""])
def test_empty_values_pass_through(fn: object, value: str | None) -> None:
    assert fn(value) == value  # type: ignore[operator]


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("440104194503120011", "440104********0011"),
        ("11010519491231002X", "110105********002X"),
        ("12345678901", "123456*8901"),
        ("1234567890", "**********"),
        ("123", "***"),
    ],
)
def test_mask_id_card(value: str, masked: str) -> None:
    assert mask_id_card(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13800138000", "138****8000"),
        ("13912345678", "139****5678"),
        ("020-83456789", "020****6789"),
        ("123456", "******"),
        ("1", "*"),
    ],
)
def test_mask_phone(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("张", "张*"), ("张三", "张*"), ("李小龙", "李**"), ("欧阳娜娜", "欧阳**"), ("司马相如风", "司马***")],
)
def test_mask_name(value: str, masked: str) -> None:
    assert mask_name(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("广州市越秀区北京街道广卫路12号301房", "广州市越秀区****"),
        ("越秀区北京街", "越秀****"),
        ("某地", "某地****"),
        ("广州市越秀区北", "广州市越秀区****"),
    ],
)
def test_mask_address(value: str, masked: str) -> None:
    assert mask_address(value) == masked


@st.composite
def id_card_numbers(draw: st.DrawFn) -> str:
    region = draw(st.text(ASCII_DIGITS, min_size=6, max_size=6))
    birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)))
    serial = draw(st.text(ASCII_DIGITS, min_size=3, max_size=3))
    first17 = f"{region}{birth:%Y%m%d}{serial}"
    return first17 + id_card_check_char(first17)


@given(id_card_numbers())
def test_masked_id_number_hides_the_birth_date(value: str) -> None:
    masked = mask_id_card(value)
    assert masked is not None
    assert len(masked) == len(value)
    assert value[6:14] not in masked
    assert masked[6:14] == "*" * 8
    assert masked[:6] == value[:6]
    assert masked[-4:] == value[-4:]


@given(st.sampled_from("3456789"), st.text(ASCII_DIGITS, min_size=9, max_size=9))
def test_masked_phone_hides_the_middle_digits(second: str, rest: str) -> None:
    value = f"1{second}{rest}"
    masked = mask_phone(value)
    assert masked is not None
    assert len(masked) == len(value)
    assert masked[3:7] == "****"
    assert masked[3:7] != value[3:7]
    assert masked[:3] == value[:3]
    assert masked[-4:] == value[-4:]


@given(st.text(min_size=1, max_size=40))
def test_masked_name_keeps_at_most_the_family_name(value: str) -> None:
    masked = mask_name(value)
    assert masked is not None
    assert "*" in masked
    assert masked.startswith(value[:1])
    assert len(masked.rstrip("*")) <= 2


@given(st.text(ASCII_DIGITS, min_size=7, max_size=10))
def test_masked_short_phone_hides_at_least_four_digits(value: str) -> None:
    masked = mask_phone(value)
    assert masked is not None
    assert len(masked) == len(value)
    assert masked.count("*") >= 4
