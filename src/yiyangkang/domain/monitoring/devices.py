"""Devices (智能设备, D-01 … D-09, S-08): models, units, their bindings to elders, and 4G SIM cards (D-06).

A device model (设备型号) says what a kind of device measures, which codec it speaks and how often it must
send data; a device (设备) is one unit with its serial/IMEI. Binding (绑定) gives a device to an elder for a
period: bindings are history, never deleted, so every reading and alarm belongs to whoever wore or used the
device at that moment. A device has at most one open binding at a time."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from attrs import define, evolve, frozen

from yiyangkang.domain.kernel.errors import Conflict
from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.kernel.masking import mask_phone
from yiyangkang.domain.monitoring.vitals import Vital


class DeviceKind(StrEnum):
    BAND = "band"  # 智能手环
    GUARDIAN_HUB = "guardian_hub"  # 守护一键通
    SLEEP_RADAR = "sleep_radar"  # 睡眠监测毫米波雷达
    FALL_RADAR = "fall_radar"  # 跌倒检测毫米波雷达
    AIR_MONITOR = "air_monitor"  # 室内空气质量监测仪
    BEHAVIOUR_SENSOR = "behaviour_sensor"  # 人体智能行为识别传感器
    AI_CARE_SENSOR = "ai_care_sensor"  # AI辅助康养传感器
    HEALTH_ROBOT = "health_robot"  # 小新健康机器人


DEVICE_KIND_LABELS = {
    DeviceKind.BAND: "智能手环", DeviceKind.GUARDIAN_HUB: "守护一键通", DeviceKind.SLEEP_RADAR: "睡眠监测雷达",
    DeviceKind.FALL_RADAR: "跌倒检测雷达", DeviceKind.AIR_MONITOR: "空气质量监测仪",
    DeviceKind.BEHAVIOUR_SENSOR: "行为识别传感器", DeviceKind.AI_CARE_SENSOR: "AI辅助康养传感器",
    DeviceKind.HEALTH_ROBOT: "健康机器人",
}


@define(slots=False, kw_only=True)
class DeviceModel(Aggregate):
    """A device model (设备型号). `data_interval_s` is how long the model may stay silent before its units
    count as offline (0: never, e.g. a robot used now and then). Silence means no data: heartbeats do not
    count, except for models whose routine message is nothing but a heartbeat (`heartbeat_is_data`, e.g. a
    guardian hub that speaks only when someone calls for help)."""

    kind = "device_model"

    name: str
    vendor: str
    device_kind: DeviceKind
    codec: str
    vitals: tuple[Vital, ...] = ()
    data_interval_s: int = 0
    heartbeat_is_data: bool = False
    active: bool = True
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"name": self.name, "vendor": self.vendor, "device_kind": self.device_kind.value, "codec": self.codec,
                "vitals": [v.value for v in self.vitals], "data_interval_s": self.data_interval_s,
                "heartbeat_is_data": self.heartbeat_is_data, "active": self.active}


@frozen
class Binding:
    """Who used the device from `start` until `end` (None: still)."""

    elder_id: str
    start: datetime
    end: datetime | None = None
    bound_by: str = ""
    unbound_by: str | None = None

    def covers(self, at: datetime) -> bool:
        return self.start <= at and (self.end is None or at < self.end)


class DeviceStatus(StrEnum):
    ACTIVE = "active"  # 在用
    RETIRED = "retired"  # 已停用


@define(slots=False, kw_only=True)
class Device(Aggregate):
    kind = "device"

    institution_id: str
    model_id: str
    serial: str  # 序列号 / IMEI, unique on the platform
    location: str = ""  # 安装位置, e.g. "卧室床头"
    status: DeviceStatus = DeviceStatus.ACTIVE
    bindings: tuple[Binding, ...] = ()
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"institution_id": self.institution_id, "model_id": self.model_id, "serial": self.serial,
                "location": self.location, "status": self.status.value, "elder_id": self.elder_id}

    @property
    def elder_id(self) -> str | None:
        """The elder using the device now (None when unbound)."""
        current = self.current_binding
        return current.elder_id if current else None

    @property
    def current_binding(self) -> Binding | None:
        return self.bindings[-1] if self.bindings and self.bindings[-1].end is None else None

    def holder_at(self, at: datetime) -> str | None:
        """Whose the device was at `at`: readings and alarms belong to that elder."""
        for binding in reversed(self.bindings):
            if binding.covers(at):
                return binding.elder_id
        return None

    def bind(self, elder_id: str, actor: Actor, at: datetime) -> None:
        if self.status is DeviceStatus.RETIRED:
            raise Conflict("设备已停用，不能绑定", code="DEVICE_RETIRED")
        if self.current_binding is not None:
            raise Conflict("设备已绑定老人，请先解绑", code="DEVICE_ALREADY_BOUND",
                           details={"elder_id": self.current_binding.elder_id})
        if self.bindings and self.bindings[-1].end is not None and at < self.bindings[-1].end:
            raise Conflict("绑定时间早于上次解绑时间", code="DEVICE_BINDING_OVERLAPS")
        self.bindings = (*self.bindings, Binding(elder_id=elder_id, start=at, bound_by=actor.id))
        self.note("bound", actor, at, after={"elder_id": elder_id})

    def unbind(self, actor: Actor, at: datetime, reason: str = "") -> str:
        current = self.current_binding
        if current is None:
            raise Conflict("设备当前未绑定老人", code="DEVICE_NOT_BOUND")
        self.bindings = (*self.bindings[:-1], evolve(current, end=max(at, current.start), unbound_by=actor.id))
        self.note("unbound", actor, at, before={"elder_id": current.elder_id}, reason=reason)
        return current.elder_id

    def retire(self, actor: Actor, at: datetime, reason: str = "") -> None:
        if self.current_binding is not None:
            raise Conflict("设备仍绑定老人，请先解绑再停用", code="DEVICE_STILL_BOUND")
        self.change({"status": DeviceStatus.RETIRED}, actor, at, name="retired", reason=reason)


class SimStatus(StrEnum):
    ACTIVE = "active"  # 在用
    SUSPENDED = "suspended"  # 停机
    CANCELLED = "cancelled"  # 已销户


@define(slots=False, kw_only=True)
class SimCard(Aggregate):
    """A 4G SIM card (4G通信卡, D-06) with its yearly plan; `msisdn` is the card's phone number.

    `reminded_for` remembers the expiry date already reminded about, so the daily reminder job tells an
    operator once per expiry however often it runs; a renewal moves the expiry and re-arms it."""

    kind = "sim_card"
    masked_fields = {"msisdn": mask_phone}

    institution_id: str
    iccid: str
    msisdn: str
    carrier: str
    plan_minutes: int  # 每月通话分钟
    plan_data_mb: int  # 每月流量 MB
    activated_on: date
    expires_on: date
    device_id: str | None = None
    status: SimStatus = SimStatus.ACTIVE
    reminded_for: date | None = None
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"iccid": self.iccid, "msisdn": self.msisdn, "carrier": self.carrier,
                "plan_minutes": self.plan_minutes, "plan_data_mb": self.plan_data_mb,
                "activated_on": self.activated_on.isoformat(), "expires_on": self.expires_on.isoformat(),
                "device_id": self.device_id, "status": self.status.value}

    def attach(self, device_id: str | None, actor: Actor, at: datetime) -> None:
        """Put the card into a device (None: take it out)."""
        if device_id is not None and self.status is not SimStatus.ACTIVE:
            raise Conflict("通信卡未在用，不能装入设备", code="SIM_NOT_ACTIVE")
        self.change({"device_id": device_id}, actor, at, name="attached" if device_id else "detached")

    def due_for_reminder(self, today: date, lead_days: int) -> bool:
        return (self.status is SimStatus.ACTIVE and self.reminded_for != self.expires_on
                and (self.expires_on - today).days <= lead_days)
