"""Device use cases (设备管理, D-01, D-06, S-08): the model catalogue, units, bindings and SIM cards."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta

from attrs import evolve, frozen

from yiyangkang.domain.identity.accounts import Role
from yiyangkang.domain.identity.policy import Operation, Scope, Visibility, scope_for
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import Conflict
from yiyangkang.domain.kernel.events import Actor
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.validation import Checks, choice
from yiyangkang.domain.monitoring.devices import Device, DeviceKind, DeviceModel, DeviceStatus, SimCard
from yiyangkang.domain.monitoring.vitals import Vital
from yiyangkang.ports.homebed import Notice
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import institution_of, load_elder, load_institution, require, visibility
from yiyangkang.services.homebed.common import today
from yiyangkang.services.monitoring.views import DeviceModelView, DeviceView, SimCardView
from yiyangkang.services.notifying import send_all
from yiyangkang.services.objects import events_of, load_owned
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.views import AuditEventView

SERIAL = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
ICCID = re.compile(r"^89[0-9]{17,20}$")
MSISDN = re.compile(r"^1[3-9][0-9]{9}$|^14[0-9]{11}$")  # phone numbers and 13-digit IoT numbers
MAX_INTERVAL_S = 7 * 24 * 3600
SIM_REMINDER_DAYS = 30


@frozen
class ModelInput:
    name: str
    vendor: str
    device_kind: str
    codec: str
    vitals: tuple[str, ...] = ()
    data_interval_s: int = 0
    heartbeat_is_data: bool = False


def create_model(rt: Runtime, principal: Principal, data: ModelInput, codecs: Sequence[str]) -> DeviceModelView:
    """A device model of the platform's catalogue; `codecs` are the wire formats the bridge speaks."""
    require(principal, Operation.DEVICE_MODEL_WRITE)
    checks = Checks()
    name = checks.text("name", data.name, label="型号名称", max_len=64)
    vendor = checks.text("vendor", data.vendor, label="厂商", max_len=64)
    kind = checks.parse("device_kind", choice(DeviceKind, "设备类型不存在"), data.device_kind)
    checks.require("codec", data.codec in codecs, "不支持的通信协议", "UNKNOWN_CODEC")
    vitals = [checks.parse(f"vitals.{i}", choice(Vital, "监测指标不存在"), v) for i, v in enumerate(data.vitals)]
    checks.require("data_interval_s", 0 <= data.data_interval_s <= MAX_INTERVAL_S, "离线判定时长须在0到7天之间")
    checks.done()
    assert name is not None
    assert vendor is not None
    assert kind is not None
    now = rt.clock.now()
    with rt.uow() as uow:
        model = DeviceModel(id=rt.ids.new_id(), name=name, vendor=vendor, device_kind=kind, codec=data.codec,
                            vitals=tuple(v for v in vitals if v), data_interval_s=data.data_interval_s,
                            heartbeat_is_data=data.heartbeat_is_data, created_at=now)
        model.record_created(principal.actor, now)
        uow.device_models.add(model)
        uow.commit()
        return DeviceModelView.of(model)


def list_models(rt: Runtime, principal: Principal) -> list[DeviceModelView]:
    require(principal, Operation.DEVICE_MODEL_READ)
    with rt.uow() as uow:
        return [DeviceModelView.of(m) for m in uow.device_models.all()]


def _view(uow: UnitOfWork, device: Device, principal: Principal | None = None) -> DeviceView:
    """The device as the caller may see it: an elder or family member sees only their own elder's periods of a
    device that passed through other hands before."""
    live = uow.device_liveness.get_many([device.id]).get(device.id)
    if principal is not None and scope_for(principal.role, Operation.DEVICE_READ) is Scope.LINKED:
        device = evolve(device, bindings=tuple(b for b in device.bindings if b.elder_id in principal.elder_ids))
    return DeviceView.of(device, live.last_data_at if live else None, live.last_seen_at if live else None,
                         live.battery if live else None)


def register_device(rt: Runtime, principal: Principal, *, model_id: str, serial: str, location: str = "",
                    institution_id: str | None = None) -> DeviceView:
    """Register a unit (设备入库) by its serial or IMEI for an institution."""
    owner = institution_of(principal, Operation.DEVICE_WRITE, institution_id)
    checks = Checks()
    serial = serial.strip()
    checks.require("serial", bool(SERIAL.match(serial)), "序列号/IMEI须为1到64位字母、数字或 _.:-", "BAD_SERIAL")
    where = checks.text("location", location, label="安装位置", max_len=64, required=False) or ""
    now = rt.clock.now()
    with rt.uow() as uow:
        load_institution(uow, principal, Operation.DEVICE_WRITE, owner)
        model = uow.device_models.get(model_id)
        checks.require("model_id", model is not None and model.active, "设备型号不存在或已停用", "UNKNOWN_MODEL")
        checks.done()
        device = Device(id=rt.ids.new_id(), institution_id=owner, model_id=model_id, serial=serial, location=where,
                        created_at=now)
        device.record_created(principal.actor, now)
        uow.devices.add(device)
        uow.commit()
        return _view(uow, device)


def _load(uow: UnitOfWork, principal: Principal, op: Operation, ident: str, *, lock: bool = False) -> Device:
    item = uow.devices.lock(ident) if lock else uow.devices.get(ident)
    return load_owned(uow, principal, op, item, "设备", ident)


def get_device(rt: Runtime, principal: Principal, device_id: str) -> DeviceView:
    with rt.uow() as uow:
        return _view(uow, _load(uow, principal, Operation.DEVICE_READ, device_id), principal)


def list_devices(rt: Runtime, principal: Principal, page: PageRequest, *, elder_id: str | None = None,
                 model_id: str | None = None, status: DeviceStatus | None = None,
                 keyword: str | None = None) -> Page[DeviceView]:
    with rt.uow() as uow:
        found = uow.devices.list(visibility(principal, Operation.DEVICE_READ), page, elder_id=elder_id,
                                 model_id=model_id, status=status, keyword=keyword)
        return found.map(lambda d: _view(uow, d, principal))


def bind_device(rt: Runtime, principal: Principal, device_id: str, elder_id: str) -> DeviceView:
    """Give the device to an elder (设备绑定, S-08): from now on its data and alarms are the elder's. The elder
    must be in the caller's scope too, so nobody binds a device to a stranger's file."""
    now = rt.clock.now()
    with rt.uow() as uow:
        device = _load(uow, principal, Operation.DEVICE_BIND, device_id, lock=True)
        elder = load_elder(uow, principal, Operation.ELDER_READ, elder_id)
        if elder.institution_id != device.institution_id:
            # its alarms are answered by the device's institution: that must be the one caring for the elder
            raise Conflict("设备与老人不属于同一机构，请由老人所在机构登记设备", code="DEVICE_OTHER_INSTITUTION",
                           details={"device_institution_id": device.institution_id})
        device.bind(elder_id, principal.actor, now)
        uow.devices.save(device)
        uow.commit()
        return _view(uow, device)


def unbind_device(rt: Runtime, principal: Principal, device_id: str, reason: str = "") -> DeviceView:
    """Take the device back (解绑): the binding ends, its history and the elder's readings stay."""
    now = rt.clock.now()
    with rt.uow() as uow:
        device = _load(uow, principal, Operation.DEVICE_BIND, device_id, lock=True)
        device.unbind(principal.actor, now, reason[:200])
        uow.devices.save(device)
        uow.commit()
        return _view(uow, device)


def retire_device(rt: Runtime, principal: Principal, device_id: str, reason: str = "") -> DeviceView:
    now = rt.clock.now()
    with rt.uow() as uow:
        device = _load(uow, principal, Operation.DEVICE_WRITE, device_id, lock=True)
        device.retire(principal.actor, now, reason[:200])
        uow.devices.save(device)
        sim = uow.sim_cards.in_device(device.id)
        if sim is not None:  # the card goes back on the shelf with the device out of service
            sim.attach(None, principal.actor, now)
            uow.sim_cards.save(sim)
        uow.commit()
        return _view(uow, device)


def device_events(rt: Runtime, principal: Principal, device_id: str) -> list[AuditEventView]:
    """The device's history (who bound it to whom, and why it was taken back): for the back office only."""
    with rt.uow() as uow:
        _load(uow, principal, Operation.DEVICE_BIND, device_id)
        return events_of(uow, device_id)


# -- 4G SIM cards (4G通信卡, D-06) -----------------------------------------------------------------
@frozen
class SimInput:
    iccid: str
    msisdn: str
    carrier: str
    plan_minutes: int
    plan_data_mb: int
    activated_on: date
    expires_on: date


def _check_sim(checks: Checks, data: SimInput) -> None:
    checks.require("iccid", bool(ICCID.match(data.iccid.strip())), "ICCID须为89开头的19到22位数字", "BAD_ICCID")
    checks.require("msisdn", bool(MSISDN.match(data.msisdn.strip())), "卡号须为11位手机号或13位物联网号码",
                   "BAD_MSISDN")
    checks.text("carrier", data.carrier, label="运营商", max_len=16)
    checks.require("plan_minutes", 0 <= data.plan_minutes <= 100_000, "每月通话分钟数无效")
    checks.require("plan_data_mb", 0 <= data.plan_data_mb <= 10_000_000, "每月流量无效")
    checks.require("expires_on", data.expires_on > data.activated_on, "到期日须晚于开通日", "EXPIRY_BEFORE_START")


def add_sim(rt: Runtime, principal: Principal, data: SimInput, institution_id: str | None = None) -> SimCardView:
    owner = institution_of(principal, Operation.DEVICE_WRITE, institution_id)
    checks = Checks()
    _check_sim(checks, data)
    checks.done()
    now = rt.clock.now()
    with rt.uow() as uow:
        load_institution(uow, principal, Operation.DEVICE_WRITE, owner)
        sim = SimCard(id=rt.ids.new_id(), institution_id=owner, iccid=data.iccid.strip(), msisdn=data.msisdn.strip(),
                      carrier=data.carrier.strip(), plan_minutes=data.plan_minutes, plan_data_mb=data.plan_data_mb,
                      activated_on=data.activated_on, expires_on=data.expires_on, created_at=now)
        sim.record_created(principal.actor, now)
        uow.sim_cards.add(sim)
        uow.commit()
        return SimCardView.of(sim)


def _load_sim(uow: UnitOfWork, principal: Principal, ident: str) -> SimCard:
    return load_owned(uow, principal, Operation.DEVICE_WRITE, uow.sim_cards.lock(ident), "通信卡", ident)


def attach_sim(rt: Runtime, principal: Principal, sim_id: str, device_id: str | None) -> SimCardView:
    """Put a card into a device of the same institution (None: take it out)."""
    now = rt.clock.now()
    with rt.uow() as uow:
        sim = _load_sim(uow, principal, sim_id)
        if device_id is not None:
            device = _load(uow, principal, Operation.DEVICE_WRITE, device_id)
            if device.institution_id != sim.institution_id:
                raise Conflict("通信卡与设备不属于同一机构", code="SIM_OTHER_INSTITUTION")
        sim.attach(device_id, principal.actor, now)
        uow.sim_cards.save(sim)
        uow.commit()
        return SimCardView.of(sim)


def renew_sim(rt: Runtime, principal: Principal, sim_id: str, expires_on: date) -> SimCardView:
    """A new plan year (续费): the expiry moves and the reminder re-arms."""
    now = rt.clock.now()
    with rt.uow() as uow:
        sim = _load_sim(uow, principal, sim_id)
        if expires_on <= sim.expires_on:
            raise Conflict("续费后的到期日须晚于当前到期日", code="SIM_EXPIRY_NOT_LATER")
        sim.change({"expires_on": expires_on}, principal.actor, now, name="renewed")
        uow.sim_cards.save(sim)
        uow.commit()
        return SimCardView.of(sim)


def list_sims(rt: Runtime, principal: Principal, page: PageRequest, *, expiring_before: date | None = None,
              keyword: str | None = None) -> Page[SimCardView]:
    with rt.uow() as uow:
        found = uow.sim_cards.list(visibility(principal, Operation.DEVICE_WRITE), page,
                                   expiring_before=expiring_before, keyword=keyword)
        return found.map(SimCardView.of)


def remind_sim_expiry(rt: Runtime, lead_days: int = SIM_REMINDER_DAYS) -> int:
    """Tell each card's institution admins once per expiry that its plan runs out within `lead_days`."""
    day, now, sent = today(rt), rt.clock.now(), 0
    with rt.uow() as uow:
        for sim in uow.sim_cards.expiring(day + timedelta(days=lead_days)):
            if not sim.due_for_reminder(day, lead_days):
                continue
            admins = uow.accounts.list(Visibility(institution_id=sim.institution_id), PageRequest(1, 100),
                                       role=Role.INSTITUTION_ADMIN).items
            delivered, _ = send_all(rt.notifier, (Notice(
                account_id=account.id, phone=account.phone, title="4G通信卡即将到期",
                body=f"通信卡 {sim.iccid} 的套餐将于 {sim.expires_on.isoformat()} 到期，请及时续费。",
                topic="monitoring.sim_expiring", ref=sim.id) for account in admins))
            sent += delivered
            if admins and not delivered:  # nobody reached: try again on the next run
                continue
            sim.change({"reminded_for": sim.expires_on}, Actor.system("reminders"), now, name="reminded")
            uow.sim_cards.save(sim)
        uow.commit()
    return sent
