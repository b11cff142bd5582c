"""Reading queries (健康监测, M-08, P-03): latest vitals, history per vital with downsampling, and which
devices measure what (to switch between devices when several measure one vital)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from attrs import frozen

from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import FieldError, ValidationFailed
from yiyangkang.domain.kernel.timekeeping import instant_problem
from yiyangkang.domain.monitoring.vitals import VITALS, Vital
from yiyangkang.services.access import load_elder
from yiyangkang.services.monitoring.views import VitalView, vitals_of
from yiyangkang.services.runtime import Runtime

MAX_RANGE = timedelta(days=366)
MAX_POINTS = 2000
RAW_LIMIT = 200_000  # readings read for one chart at most (a year of one reading a minute is 525,600)


@frozen
class SourceView:
    """A device that has measured this vital for the elder (设备切换)."""

    device_id: str
    serial: str
    model_name: str
    latest_value: float
    latest_at: datetime


@frozen
class LatestVitals:
    elder_id: str
    vitals: list[VitalView]  # the newest value of each vital, whatever device measured it
    by_device: dict[str, list[SourceView]]  # vital -> every device that measures it, newest first


def latest_vitals(rt: Runtime, principal: Principal, elder_id: str) -> LatestVitals:
    with rt.uow() as uow:
        load_elder(uow, principal, Operation.VITALS_READ, elder_id)
        latest = list(uow.readings.latest([elder_id]))
        devices = {d.id: d for d in uow.devices.ever_bound_to(elder_id)}
        models = {m.id: m.name for m in uow.device_models.all()}
        by_device: dict[str, list[SourceView]] = {}
        for x in sorted(latest, key=lambda x: x.at, reverse=True):
            device = devices.get(x.device_id)
            by_device.setdefault(x.vital.value, []).append(SourceView(
                x.device_id, device.serial if device else "", models.get(device.model_id, "") if device else "",
                x.value, x.at))
        return LatestVitals(elder_id, vitals_of(latest), by_device)


@frozen
class Point:
    """One point of a chart: a raw reading (count 1) or the mean, min and max of a time bucket."""

    at: datetime
    value: float
    min: float
    max: float
    count: int


@frozen
class VitalHistory:
    elder_id: str
    vital: str
    code: str
    unit: str
    label: str
    device_id: str | None
    start: datetime
    end: datetime
    bucket_s: int  # 0: raw readings
    total: int
    points: list[Point]


def vital_history(rt: Runtime, principal: Principal, elder_id: str, vital: Vital, start: datetime, end: datetime,
                  *, device_id: str | None = None, max_points: int = 500) -> VitalHistory:
    """Readings of one vital in [start, end); more than `max_points` are averaged into equal time buckets."""
    problems = [FieldError(name, problem, "BAD_TIME") for name, value in (("start", start), ("end", end))
                if (problem := instant_problem(value))]
    if problems:
        raise ValidationFailed(problems)
    if not start < end:
        problems.append(FieldError("end", "结束时间须晚于开始时间", "BAD_RANGE"))
    elif end - start > MAX_RANGE:
        problems.append(FieldError("start", "时间范围不能超过一年", "RANGE_TOO_LONG"))
    if not 1 <= max_points <= MAX_POINTS:
        problems.append(FieldError("max_points", f"点数须在1到{MAX_POINTS}之间", "BAD_MAX_POINTS"))
    if problems:
        raise ValidationFailed(problems)
    spec = VITALS[vital]
    with rt.uow() as uow:
        load_elder(uow, principal, Operation.VITALS_READ, elder_id)
        total = uow.readings.count(elder_id, vital, start, end, device_id)
        rows = uow.readings.history(elder_id, vital, start, end, device_id=device_id, limit=RAW_LIMIT)
    if total <= max_points:
        points = [Point(r.at, r.value, r.value, r.value, 1) for r in rows]
        bucket_s = 0
    else:
        bucket_s = math.ceil((end - start).total_seconds() / max_points)
        sums: dict[int, list[float]] = {}
        for r in rows:
            index = int((r.at - start).total_seconds() // bucket_s)
            acc = sums.setdefault(index, [0.0, math.inf, -math.inf, 0])
            acc[0] += r.value
            acc[1], acc[2], acc[3] = min(acc[1], r.value), max(acc[2], r.value), acc[3] + 1
        points = [Point(start + timedelta(seconds=i * bucket_s), round(s / n, 2), lo, hi, int(n))
                  for i, (s, lo, hi, n) in sorted(sums.items())]
    return VitalHistory(elder_id, vital.value, spec.code, spec.unit, spec.label, device_id, start, end, bucket_s,
                        total, points)
