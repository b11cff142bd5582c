"""Devices, SIM cards, rules and duty (设备与告警配置, D-01, D-03, D-06, S-08), the dead-letter store, and the
HTTP twin of the device bridge (the standard device-alarm interface, I-04)."""

from datetime import date

from litestar import Controller, Response, get, post, put
from litestar.di import Provide
from litestar.params import Parameter

from apps.api.deps import OptionalId, read_payload
from apps.api.monitoring_schemas import (
    AttachIn,
    BindIn,
    DeviceIn,
    DeviceModelIn,
    DutyIn,
    OverrideIn,
    ReasonIn,
    RenewIn,
    RuleIn,
    SimIn,
    ThresholdsIn,
)
from apps.api.schemas import PageOut
from yiyangkang.bootstrap import CODECS, Container, decode_http
from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import NotFound
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.monitoring.devices import DeviceStatus
from yiyangkang.domain.monitoring.messages import FrameRejected
from yiyangkang.services.access import require
from yiyangkang.services.monitoring import devices, records, rules
from yiyangkang.services.monitoring.devices import ModelInput, SimInput
from yiyangkang.services.monitoring.ingest import Frame, PushResult, ingest_pushed
from yiyangkang.services.monitoring.rules import ConditionInput, RuleInput, ScheduleInput, ThresholdsInput
from yiyangkang.services.monitoring.views import (
    AlarmRuleView,
    DeadLetterView,
    DeviceModelView,
    DeviceView,
    DutySettingsView,
    RuleOverrideView,
    SimCardView,
)
from yiyangkang.services.views import AuditEventView

MAX_PUSH_BYTES = 1024 * 1024


def thresholds_of(data: ThresholdsIn) -> ThresholdsInput:
    return ThresholdsInput(
        tuple(ConditionInput(c.severity, c.comparator, c.value, c.duration_s, c.repeats) for c in data.conditions),
        data.clear_comparator, data.clear_value)


class DeviceModelController(Controller):
    path = "/api/v1/monitoring/device-models"
    tags = ["设备管理"]

    @get("/", operation_id="listDeviceModels", sync_to_thread=True, summary="设备型号")
    def list_models(self, rt: Container, principal: Principal) -> list[DeviceModelView]:
        return devices.list_models(rt, principal)

    @post("/", operation_id="createDeviceModel", sync_to_thread=True, summary="新增设备型号（平台运营）")
    def create(self, rt: Container, principal: Principal, data: DeviceModelIn) -> DeviceModelView:
        return devices.create_model(rt, principal, ModelInput(
            data.name, data.vendor, data.device_kind, data.codec, tuple(data.vitals), data.data_interval_s,
            data.heartbeat_is_data), CODECS)


class DeviceController(Controller):
    path = "/api/v1/monitoring/devices"
    tags = ["设备管理"]

    @get("/", operation_id="listDevices", sync_to_thread=True, summary="设备列表")
    def list_devices(
        self, rt: Container, principal: Principal, paging: PageRequest, elder_id: str | None = OptionalId,
        model_id: str | None = OptionalId, status: DeviceStatus | None = None,
        keyword: str | None = Parameter(default=None, max_length=64, description="序列号/IMEI"),
    ) -> PageOut[DeviceView]:
        return PageOut.of(devices.list_devices(rt, principal, paging, elder_id=elder_id, model_id=model_id,
                                               status=status, keyword=keyword))

    @post("/", operation_id="registerDevice", sync_to_thread=True, summary="设备入库")
    def register(self, rt: Container, principal: Principal, data: DeviceIn) -> DeviceView:
        return devices.register_device(rt, principal, model_id=data.model_id, serial=data.serial,
                                       location=data.location, institution_id=data.institution_id)

    @get("/{device_id:str}", operation_id="getDevice", sync_to_thread=True, summary="设备详情（含绑定历史、最近上报）")
    def get_device(self, rt: Container, principal: Principal, device_id: str) -> DeviceView:
        return devices.get_device(rt, principal, device_id)

    @post("/{device_id:str}/bind", operation_id="bindDevice", sync_to_thread=True, status_code=200,
          summary="绑定老人（S-08/D-01）")
    def bind(self, rt: Container, principal: Principal, device_id: str, data: BindIn) -> DeviceView:
        return devices.bind_device(rt, principal, device_id, data.elder_id)

    @post("/{device_id:str}/unbind", operation_id="unbindDevice", sync_to_thread=True, status_code=200,
          summary="解绑（保留绑定历史）")
    def unbind(self, rt: Container, principal: Principal, device_id: str, data: ReasonIn) -> DeviceView:
        return devices.unbind_device(rt, principal, device_id, data.reason)

    @post("/{device_id:str}/retire", operation_id="retireDevice", sync_to_thread=True, status_code=200,
          summary="停用设备")
    def retire(self, rt: Container, principal: Principal, device_id: str, data: ReasonIn) -> DeviceView:
        return devices.retire_device(rt, principal, device_id, data.reason)

    @get("/{device_id:str}/events", operation_id="deviceEvents", sync_to_thread=True, summary="设备变更记录")
    def events(self, rt: Container, principal: Principal, device_id: str) -> list[AuditEventView]:
        return devices.device_events(rt, principal, device_id)


class SimCardController(Controller):
    path = "/api/v1/monitoring/sim-cards"
    tags = ["设备管理"]

    @get("/", operation_id="listSimCards", sync_to_thread=True, summary="4G通信卡（D-06）")
    def list_sims(self, rt: Container, principal: Principal, paging: PageRequest,
                  expiring_before: date | None = None,
                  keyword: str | None = Parameter(default=None, max_length=24, description="ICCID")
                  ) -> PageOut[SimCardView]:
        return PageOut.of(devices.list_sims(rt, principal, paging, expiring_before=expiring_before, keyword=keyword))

    @post("/", operation_id="addSimCard", sync_to_thread=True, summary="通信卡入库")
    def add(self, rt: Container, principal: Principal, data: SimIn) -> SimCardView:
        return devices.add_sim(rt, principal, SimInput(data.iccid, data.msisdn, data.carrier, data.plan_minutes,
                                                       data.plan_data_mb, data.activated_on, data.expires_on),
                               data.institution_id)

    @post("/{sim_id:str}/attach", operation_id="attachSimCard", sync_to_thread=True, status_code=200,
          summary="装入设备 / 取出（device_id 为空）")
    def attach(self, rt: Container, principal: Principal, sim_id: str, data: AttachIn) -> SimCardView:
        return devices.attach_sim(rt, principal, sim_id, data.device_id)

    @post("/{sim_id:str}/renew", operation_id="renewSimCard", sync_to_thread=True, status_code=200,
          summary="续费（新的到期日）")
    def renew(self, rt: Container, principal: Principal, sim_id: str, data: RenewIn) -> SimCardView:
        return devices.renew_sim(rt, principal, sim_id, data.expires_on)


class AlarmRuleController(Controller):
    path = "/api/v1/monitoring"
    tags = ["告警配置"]

    @get("/rules", operation_id="listAlarmRules", sync_to_thread=True, summary="告警规则（D-03）")
    def list_rules(self, rt: Container, principal: Principal) -> list[AlarmRuleView]:
        return rules.list_rules(rt, principal)

    @post("/rules", operation_id="createAlarmRule", sync_to_thread=True, summary="新增告警规则（平台运营）")
    def create(self, rt: Container, principal: Principal, data: RuleIn) -> AlarmRuleView:
        schedule = None if data.schedule is None else ScheduleInput(
            tuple(data.schedule.weekdays), data.schedule.start, data.schedule.end)
        return rules.create_rule(rt, principal, RuleInput(
            data.name, data.vital, data.alarm_kind, thresholds_of(data.thresholds), data.model_id, schedule,
            data.active))

    @get("/elders/{elder_id:str}/rule-overrides", operation_id="listRuleOverrides", sync_to_thread=True,
         summary="老人的个性化阈值")
    def list_overrides(self, rt: Container, principal: Principal, elder_id: str) -> list[RuleOverrideView]:
        return rules.list_overrides(rt, principal, elder_id)

    @put("/elders/{elder_id:str}/rule-overrides/{rule_id:str}", operation_id="setRuleOverride",
         sync_to_thread=True, summary="设置老人的个性化阈值（enabled=false 关闭该规则）")
    def set_override(self, rt: Container, principal: Principal, elder_id: str, rule_id: str,
                     data: OverrideIn) -> RuleOverrideView:
        return rules.set_override(rt, principal, rule_id, elder_id,
                                  thresholds=thresholds_of(data.thresholds) if data.thresholds else None,
                                  enabled=data.enabled)

    @get("/duty/{institution_id:str}", operation_id="getDutySettings", sync_to_thread=True,
         summary="值班人员与升级时限")
    def get_duty(self, rt: Container, principal: Principal, institution_id: str) -> DutySettingsView:
        return rules.get_duty(rt, principal, institution_id)

    @put("/duty/{institution_id:str}", operation_id="setDutySettings", sync_to_thread=True,
         summary="设置值班人员与升级时限（分钟，0 为不升级）")
    def set_duty(self, rt: Container, principal: Principal, institution_id: str, data: DutyIn) -> DutySettingsView:
        return rules.set_duty(rt, principal, institution_id, duty_staff_ids=tuple(data.duty_staff_ids),
                              escalate_after_min=dict(data.escalate_after_min) if data.escalate_after_min else None)


class DeadLetterController(Controller):
    path = "/api/v1/monitoring/dead-letters"
    tags = ["设备接入"]

    @get("/", operation_id="listDeadLetters", sync_to_thread=True, summary="死信（无法接收的设备消息及原因）")
    def list_letters(self, rt: Container, principal: Principal, paging: PageRequest,
                     reason: str | None = Parameter(default=None, max_length=32),
                     serial: str | None = Parameter(default=None, max_length=64)) -> PageOut[DeadLetterView]:
        return PageOut.of(records.list_dead_letters(rt, principal, paging, reason=reason, serial=serial))

    @get("/{letter_id:str}/payload", operation_id="deadLetterPayload", sync_to_thread=True,
         summary="死信原始报文", media_type="application/octet-stream")
    def payload(self, rt: Container, principal: Principal, letter_id: str) -> Response[bytes]:
        return Response(records.dead_letter_payload(rt, principal, letter_id), media_type="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="dead-letter-{letter_id[:36]}.bin"',
                                 "X-Content-Type-Options": "nosniff"})


class DeviceIngestController(Controller):
    path = "/api/v1/devices/ingest"
    tags = ["设备接入"]
    dependencies = {"payload": Provide(read_payload)}

    @post("/{codec:str}", operation_id="pushDeviceData", sync_to_thread=True, status_code=200,
          summary="设备数据/告警推送（标准设备告警接口；报文格式见 docs/device-protocol.md）")
    def push(
        self, rt: Container, principal: Principal, codec: str, payload: bytes,
        serial: str | None = Parameter(default=None, max_length=64, description="设备序列号（报文不含时必填）"),
    ) -> PushResult:
        require(principal, Operation.DEVICE_INGEST)  # before spending anything on the payload
        if codec not in CODECS:
            raise NotFound("接入协议", codec)
        now = rt.clock.now()
        payload = payload[:MAX_PUSH_BYTES + 1]  # the codecs refuse what is longer (PAYLOAD_TOO_LARGE)
        try:
            frame = Frame(channel=f"http:{codec}", codec=codec, payload=payload, received_at=now,
                          decoded=decode_http(codec, serial, payload, now))
        except FrameRejected as rejected:
            frame = Frame(channel=f"http:{codec}", codec=codec, payload=payload, received_at=now,
                          reason=rejected.reason, message=rejected.message, serial=serial or rejected.serial)
        return ingest_pushed(rt, principal, frame)
