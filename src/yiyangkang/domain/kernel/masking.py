"""Masking of personal data (个人信息脱敏) for lists, logs and exports (PIPL).

Detail views show the full value only to roles that need it; everything else goes through here.
"""

from __future__ import annotations


def mask_id_card(value: str | None) -> str | None:
    """440104********1234 — region prefix and the last four stay."""
    if not value:
        return value
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_phone(value: str | None) -> str | None:
    """138****5678; shorter numbers (landlines) keep only their last two digits."""
    if not value:
        return value
    if len(value) >= 11:
        return value[:3] + "****" + value[-4:]
    if len(value) >= 7:
        return "*" * (len(value) - 2) + value[-2:]
    return "*" * len(value)


def mask_name(value: str | None) -> str | None:
    """张*、欧阳** — the family name stays (two characters for compound names over three long)."""
    if not value:
        return value
    keep = 2 if len(value) >= 4 else 1
    return value[:keep] + "*" * max(len(value) - keep, 1)


def mask_address(value: str | None) -> str | None:
    """The first six characters (district, street) stay; the house number does not."""
    if not value:
        return value
    return value[:6] + "****" if len(value) > 6 else value[:2] + "****"
