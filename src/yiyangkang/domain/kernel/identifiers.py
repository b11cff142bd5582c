"""Checks for the national identifiers people type in: ID card, mobile phone, credit code, region code.

Each `parse_*` returns the normalised value or raises `ValueError` with a Chinese reason, so callers
can turn it into a field-level error.
"""

from __future__ import annotations

import re
from datetime import date

# GB 11643-1999: weights of the first 17 digits and the check characters for sum mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")

# ASCII digits only: full-width digits would give the same person a second fingerprint.
# Mainland mobile numbers: 11 digits, 1 then 3-9. An optional +86/86 prefix is accepted and dropped.
_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9][0-9]{9})$")

# GB 32100-2015 unified social credit code: 18 characters over this 31-character alphabet.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# GB/T 2260 six-digit codes for province/city/county; nine digits add the township (街道/镇).
_REGION = re.compile(r"^[0-9]{6}([0-9]{3})?$")


def id_card_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def parse_id_card(text: str) -> str:
    """A valid 18-character resident ID number (居民身份证号码), upper-cased."""
    value = text.strip().upper()
    if not _ID_SHAPE.match(value):
        raise ValueError("身份证号应为18位，前17位为数字，末位为数字或X")
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValueError("身份证号中的出生日期无效") from None
    if id_card_check_char(value[:17]) != value[17]:
        raise ValueError("身份证号校验位错误")
    return value


def id_card_birth_date(value: str) -> date:
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def id_card_gender_digit(value: str) -> int:
    """The 17th digit: odd for men, even for women."""
    return int(value[16])


def parse_mobile(text: str) -> str:
    """An 11-digit mainland mobile number (手机号)."""
    m = _MOBILE.match(re.sub(r"[\s-]", "", text))
    if not m:
        raise ValueError("手机号应为11位中国大陆手机号码")
    return m.group(1)


def parse_credit_code(text: str) -> str:
    """A unified social credit code (统一社会信用代码) with a valid check character."""
    value = text.strip().upper()
    if len(value) != 18 or any(c not in _USCC_ALPHABET for c in value):
        raise ValueError("统一社会信用代码应为18位数字或大写字母（不含I、O、Z、S、V）")
    if credit_code_check_char(value[:17]) != value[17]:
        raise ValueError("统一社会信用代码校验位错误")
    return value


def credit_code_check_char(first17: str) -> str:
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def parse_region_code(text: str) -> str:
    value = text.strip()
    if not _REGION.match(value):
        raise ValueError("行政区划代码应为6位（区县及以上）或9位（街道/乡镇）数字")
    return value
