"""Who answers an institution's alarms (值班与升级, M-12, HB-13): duty staff and escalation limits.

On every new alarm the elder's family, the elder's primary doctor and the institution's duty staff are
told. Left unacknowledged for `escalate_after_min[severity]` minutes (0: never), the alarm escalates and
the institution's admins are told as well, with the duty staff reminded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import define, field

from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.monitoring.rules import Severity

DEFAULT_ESCALATION_MIN = {Severity.CRITICAL: 3, Severity.MAJOR: 10, Severity.MINOR: 30, Severity.WARNING: 0}
MAX_ESCALATION_MIN = 24 * 60


@define(slots=False, kw_only=True)
class DutySettings(Aggregate):
    """One per institution; `id` is the institution's id."""

    kind = "duty_settings"

    duty_staff_ids: tuple[str, ...] = ()
    escalate_after_min: dict[Severity, int] = field(factory=lambda: dict(DEFAULT_ESCALATION_MIN))
    created_at: datetime

    @property
    def institution_id(self) -> str:
        return self.id

    def escalation_due(self, severity: Severity, opened_at: datetime, now: datetime) -> bool:
        minutes = self.escalate_after_min.get(severity, 0)
        return minutes > 0 and (now - opened_at).total_seconds() >= minutes * 60

    def snapshot(self) -> dict[str, Any]:
        return {"duty_staff_ids": list(self.duty_staff_ids),
                "escalate_after_min": {k.value: v for k, v in sorted(self.escalate_after_min.items())}}
