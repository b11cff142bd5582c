"""National identifiers: resident ID numbers, mobile numbers, credit codes and region codes."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiyangkang.domain.kernel.identifiers import (
    credit_code_check_char,
    id_card_birth_date,
    id_card_check_char,
    id_card_gender_digit,
    parse_credit_code,
    parse_id_card,
    parse_mobile,
    parse_region_code,
)

ASCII_DIGITS = "0123456789"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ID_CHECK_CHARS = "0123456789X"

# --- resident ID numbers --------------------------------------------------------------------------

REGION_PREFIXES = st.sampled_from(["110105", "440104", "440106", "310115", "350102", "510107", "652901"])


@st.composite
def id_card_numbers(draw: st.DrawFn) -> str:
    region = draw(REGION_PREFIXES)
    birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)))
    serial = draw(st.text(ASCII_DIGITS, min_size=3, max_size=3))
    first17 = f"{region}{birth:%Y%m%d}{serial}"
    return first17 + id_card_check_char(first17)


def test_known_real_world_id_number() -> None:
    assert parse_id_card("11010519491231002X") == "11010519491231002X"
    assert parse_id_card("11010519491231002x") == "11010519491231002X"
    assert parse_id_card("  11010519491231002X\n") == "11010519491231002X"
    assert id_card_birth_date("11010519491231002X") == date(1949, 12, 31)
    assert id_card_gender_digit("11010519491231002X") == 2


@given(id_card_numbers())
def test_generated_id_numbers_parse(value: str) -> None:
    assert parse_id_card(value) == value
    assert parse_id_card(value.lower()) == value
    assert id_card_birth_date(value) == date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


@given(id_card_numbers(), st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_single_digit_change_is_detected(value: str, position: int, shift: int) -> None:
    """GB 11643 weights are all non-zero mod 11, so one changed digit always changes the check sum
    (or, in the date part, may make the date invalid: both are a ValueError)."""
    changed = str((int(value[position]) + shift) % 10)
    tampered = value[:position] + changed + value[position + 1 :]
    with pytest.raises(ValueError):
        parse_id_card(tampered)


@given(id_card_numbers(), st.sampled_from(ID_CHECK_CHARS))
def test_wrong_check_character_is_detected(value: str, check: str) -> None:
    if check == value[17]:
        return
    with pytest.raises(ValueError, match="校验位"):
        parse_id_card(value[:17] + check)


def _with_check(first17: str) -> str:
    return first17 + id_card_check_char(first17)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "18位"),
        ("11010519491231002", "18位"),  # 17 characters
        ("11010519491231002X1", "18位"),  # 19 characters
        ("1101051949123100AX", "18位"),  # a letter among the first 17
        ("11010519491231002Y", "18位"),  # a letter other than X at the end
        ("X10105194912310021", "18位"),
        ("110105 9491231002X", "18位"),
        (_with_check("11010519490230002"), "出生日期"),  # 30 February
        (_with_check("11010519491301002"), "出生日期"),  # month 13
        (_with_check("11010519490000002"), "出生日期"),
        (_with_check("11010500000101002"), "出生日期"),  # year 0
        ("110105194912310021", "校验位"),
    ],
)
def test_malformed_id_numbers_rejected(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_id_card(text)


def test_leap_day_only_in_leap_years() -> None:
    assert parse_id_card(_with_check("44010419480229001"))
    with pytest.raises(ValueError, match="出生日期"):
        parse_id_card(_with_check("44010419490229001"))


def test_full_width_digits_are_not_accepted_as_is() -> None:
    full_width = "１１０１０５１９４９１２３１００２X"
    try:
        result = parse_id_card(full_width)
    except ValueError:
        return
    assert result == "11010519491231002X"


# --- mobile numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "13800138000", "+86 138-0013-8000", "+8613800138000", "8613800138000", " 138 0013 8000 ",
        "138-0013-8000",
    ],
)
def test_mobile_normalised(text: str) -> None:
    assert parse_mobile(text) == "13800138000"


@pytest.mark.parametrize(
    "text",
    ["12800138000", "1380013800", "138001380000", "23800138000", "", "abcdefghijk", "+85213800138000",
     "1380013800a", "020-83456789"],
)
def test_mobile_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="手机号"):
        parse_mobile(text)


@given(st.sampled_from("3456789"), st.text(ASCII_DIGITS, min_size=9, max_size=9))
def test_generated_mobiles_parse(second: str, rest: str) -> None:
    number = f"1{second}{rest}"
    assert parse_mobile(number) == number
    assert parse_mobile(f"+86 {number[:3]}-{number[3:7]}-{number[7:]}") == number


def test_mobile_with_full_width_digits_not_returned_as_is() -> None:
    try:
        result = parse_mobile("13８００１３８０００")
    except ValueError:
        return
    assert result == "13800138000"


# --- unified social credit codes ------------------------------------------------------------------


def test_known_valid_credit_code() -> None:
    assert parse_credit_code("91350100M000100Y43") == "91350100M000100Y43"
    assert parse_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert credit_code_check_char("91350100M000100Y4") == "3"


@given(st.text(USCC_ALPHABET, min_size=17, max_size=17))
def test_generated_credit_codes_parse(body: str) -> None:
    code = body + credit_code_check_char(body)
    assert code[17] in USCC_ALPHABET
    assert parse_credit_code(code) == code
    assert parse_credit_code(code.lower()) == code


@given(st.text(USCC_ALPHABET, min_size=17, max_size=17), st.sampled_from(USCC_ALPHABET))
def test_changed_credit_check_char_fails(body: str, other: str) -> None:
    check = credit_code_check_char(body)
    if other == check:
        return
    with pytest.raises(ValueError, match="校验位"):
        parse_credit_code(body + other)


@given(
    st.text(USCC_ALPHABET, min_size=17, max_size=17),
    st.integers(min_value=0, max_value=16),
    st.sampled_from(USCC_ALPHABET),
)
def test_changed_credit_body_char_fails(body: str, position: int, other: str) -> None:
    """The weights are non-zero mod 31 (a prime), so any single substitution is caught."""
    if body[position] == other:
        return
    code = body + credit_code_check_char(body)
    with pytest.raises(ValueError):
        parse_credit_code(code[:position] + other + code[position + 1 :])


@pytest.mark.parametrize("letter", list("IOZSV"))
@pytest.mark.parametrize("position", [0, 8, 17])
def test_credit_code_letters_outside_alphabet_rejected(letter: str, position: int) -> None:
    code = "91350100M000100Y43"
    with pytest.raises(ValueError, match="不含I、O、Z、S、V"):
        parse_credit_code(code[:position] + letter + code[position + 1 :])


@pytest.mark.parametrize("text", ["", "91350100M000100Y4", "91350100M000100Y433", "91350100M000100Y4-"])
def test_credit_code_wrong_shape_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="18位"):
        parse_credit_code(text)


# --- region codes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["440104", "440104001", " 110105 "])
def test_region_codes_accepted(text: str) -> None:
    assert parse_region_code(text) == text.strip()


@pytest.mark.parametrize("text", ["", "44010", "4401040", "44010400", "4401040011", "44010a", "4401 04"])
def test_region_codes_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="行政区划"):
        parse_region_code(text)


@given(st.text(ASCII_DIGITS, min_size=1, max_size=12))
def test_region_code_length_rule(digits: str) -> None:
    if len(digits) in (6, 9):
        assert parse_region_code(digits) == digits
    else:
        with pytest.raises(ValueError):
            parse_region_code(digits)


def test_region_code_with_full_width_digits_not_returned_as_is() -> None:
    try:
        result = parse_region_code("４４０１０４")
    except ValueError:
        return
    assert result == "440104"
