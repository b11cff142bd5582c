"""Business time: instants are aware UTC; business dates are dates in Asia/Shanghai (业务日期)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def business_date(instant: datetime) -> date:
    """The calendar date in Shanghai at `instant` (a UTC 23:30 is already tomorrow there)."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: the clock must give aware instants")
    return instant.astimezone(SHANGHAI).date()


def local_text(instant: datetime) -> str:
    """How people read an instant: Shanghai wall time, to the minute."""
    t = instant.astimezone(SHANGHAI)
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}"  # strftime is slower in reports


def ensure_utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("naive datetime: the clock must give aware instants")
    return instant.astimezone(UTC)


EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def instant_problem(value: datetime) -> str | None:
    """Why an instant given by a caller cannot be used (no time zone, or outside 2000–2100), else None."""
    if value.tzinfo is None or value.utcoffset() is None:
        return "时间须带时区，例如 2026-11-25T08:00:00+08:00"
    try:
        inside = EARLIEST <= value.astimezone(UTC) < LATEST
    except OverflowError:
        inside = False
    return None if inside else "时间须在2000年至2100年之间"


def age_on(birth: date, day: date) -> int:
    """Whole years of age on `day`."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
