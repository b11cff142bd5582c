"""Human-facing numbers (业务编号): a prefix, the Shanghai business date, a per-day sequence.

QY2026112600001 reads as "contract (签约) number 1 of 26 Nov 2026"; numbers sort by time and a per-day
counter (a locked row in the database) keeps them unique under parallel signings."""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class NumberKind(StrEnum):
    APPLICATION = "SQ"  # 申请
    CONTRACT = "QY"  # 签约
    ORDER = "FW"  # 服务
    RENOVATION = "GZ"  # 改造
    ALARM = "BJ"  # 报警
    TRADE = "JY"  # 商城交易单
    MALL_ORDER = "DD"  # 商城订单（子订单）
    AFTER_SALE = "SH"  # 售后
    VOUCHER = "YQ"  # 养老服务券


def sequence_key(kind: NumberKind, day: date) -> str:
    return f"{kind.value}{day:%Y%m%d}"


def format_number(kind: NumberKind, day: date, seq: int) -> str:
    return f"{sequence_key(kind, day)}{seq:05d}"
