"""Alarms and vitals (告警与健康监测, D-02, S-09, M-08, M-12, P-03, D-09): the dispatch feed, one alarm's
card, acknowledge and close; an elder's latest vitals, history per vital, check-ups, and the one-tap SOS."""

from datetime import datetime

from litestar import Controller, Response, get, post
from litestar.params import Parameter

from apps.api.deps import OptionalId, file_response
from apps.api.monitoring_schemas import CloseIn, NoteIn
from apps.api.schemas import PageOut
from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.monitoring.alarms import AlarmStatus, CloseReason
from yiyangkang.domain.monitoring.rules import AlarmKind, Severity
from yiyangkang.domain.monitoring.vitals import Vital
from yiyangkang.services.monitoring import alarms, readings, records
from yiyangkang.services.monitoring.alarms import AlarmFilter, SosResult
from yiyangkang.services.monitoring.readings import LatestVitals, VitalHistory
from yiyangkang.services.monitoring.records import CheckupView
from yiyangkang.services.monitoring.views import AlarmView, DispatchCard
from yiyangkang.services.views import AuditEventView


class AlarmController(Controller):
    path = "/api/v1/monitoring/alarms"
    tags = ["告警处置"]

    @get("/", operation_id="listAlarms", sync_to_thread=True,
         summary="告警记录（open_only=true 为调度队列：先按级别、再按时间）")
    def list_alarms(
        self, rt: Container, principal: Principal, paging: PageRequest, status: AlarmStatus | None = None,
        open_only: bool = False, kind: list[AlarmKind] | None = None, severity: Severity | None = None,
        elder_id: str | None = OptionalId, homebed_only: bool = False, since: datetime | None = None,
    ) -> PageOut[AlarmView]:
        flt = AlarmFilter(status=status, open_only=open_only, kinds=frozenset(kind) if kind else None,
                          severity=severity, elder_id=elder_id, homebed_only=homebed_only, since=since)
        return PageOut.of(alarms.list_alarms(rt, principal, paging, flt))

    @get("/dispatch", operation_id="dispatchFeed", sync_to_thread=True,
         summary="调度队列：未结束的告警（先按级别、再按时间），每条附老人、地址、联系人、医生、设备与最新体征")
    def dispatch(self, rt: Container, principal: Principal, paging: PageRequest,
                 homebed_only: bool = False) -> PageOut[DispatchCard]:
        return PageOut.of(alarms.dispatch_feed(rt, principal, paging, homebed_only=homebed_only))

    @get("/{alarm_id:str}", operation_id="getAlarmCard", sync_to_thread=True,
         summary="告警调度卡片：老人、地址、联系人、医生、设备、最新体征")
    def card(self, rt: Container, principal: Principal, alarm_id: str) -> DispatchCard:
        return alarms.dispatch_card(rt, principal, alarm_id)

    @post("/{alarm_id:str}/acknowledge", operation_id="acknowledgeAlarm", sync_to_thread=True, status_code=200,
          summary="接警")
    def acknowledge(self, rt: Container, principal: Principal, alarm_id: str, data: NoteIn) -> AlarmView:
        return alarms.acknowledge_alarm(rt, principal, alarm_id, data.note)

    @post("/{alarm_id:str}/close", operation_id="closeAlarm", sync_to_thread=True, status_code=200,
          summary="结束告警（已处置 / 误报）")
    def close(self, rt: Container, principal: Principal, alarm_id: str, data: CloseIn) -> AlarmView:
        return alarms.close_alarm(rt, principal, alarm_id, CloseReason(data.reason), data.note)

    @get("/{alarm_id:str}/events", operation_id="alarmEvents", sync_to_thread=True, summary="告警处置记录")
    def events(self, rt: Container, principal: Principal, alarm_id: str) -> list[AuditEventView]:
        return alarms.alarm_events(rt, principal, alarm_id)


class VitalsController(Controller):
    path = "/api/v1/monitoring/elders/{elder_id:str}"
    tags = ["健康监测"]

    @get("/vitals", operation_id="latestVitals", sync_to_thread=True,
         summary="最新体征（M-08），并列出测量同一指标的各设备以便切换")
    def latest(self, rt: Container, principal: Principal, elder_id: str) -> LatestVitals:
        return readings.latest_vitals(rt, principal, elder_id)

    @get("/vitals/{vital:str}", operation_id="vitalHistory", sync_to_thread=True,
         summary="指标历史（时间范围；点数过多时按时间分桶取均值）")
    def history(
        self, rt: Container, principal: Principal, elder_id: str, vital: Vital, start: datetime, end: datetime,
        device_id: str | None = OptionalId, max_points: int = Parameter(default=500, ge=1, le=2000),
    ) -> VitalHistory:
        return readings.vital_history(rt, principal, elder_id, vital, start, end, device_id=device_id,
                                      max_points=max_points)

    @get("/checkups", operation_id="listCheckups", sync_to_thread=True, summary="健康机器人体检报告（D-09）")
    def checkups(self, rt: Container, principal: Principal, elder_id: str,
                 paging: PageRequest) -> PageOut[CheckupView]:
        return PageOut.of(records.list_checkups(rt, principal, elder_id, paging))

    @post("/sos", operation_id="raiseSos", sync_to_thread=True, status_code=201,
          summary="一键呼救（M-12）：告警家属与主医生，并发起视频通话请求")
    def sos(self, rt: Container, principal: Principal, elder_id: str, data: NoteIn) -> SosResult:
        return alarms.raise_sos(rt, principal, elder_id, data.note)


class CheckupDocumentController(Controller):
    path = "/api/v1/monitoring/checkups"
    tags = ["健康监测"]

    @get("/{report_id:str}/document", operation_id="checkupDocument", sync_to_thread=True,
         summary="体检报告原件", media_type="application/octet-stream")
    def document(self, rt: Container, principal: Principal, report_id: str) -> Response[bytes]:
        ref, data = records.checkup_document(rt, principal, report_id)
        return file_response(ref, data)
