"""Human-facing numbers (业务编号) drawn from the per-day counters (see `domain.kernel.numbers`)."""

from __future__ import annotations

from datetime import datetime

from yiyangkang.domain.kernel.numbers import NumberKind, format_number, sequence_key
from yiyangkang.domain.kernel.timekeeping import business_date
from yiyangkang.ports.uow import UnitOfWork


def next_number(uow: UnitOfWork, kind: NumberKind, now: datetime) -> str:
    day = business_date(now)
    return format_number(kind, day, uow.sequences.next(sequence_key(kind, day)))
