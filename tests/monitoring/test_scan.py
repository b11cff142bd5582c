"""The periodic scan (巡检) and what surrounds it, on every backend: duration rules that survive a restart and are
re-checked by the timer, offline judged from data rather than keep-alives, escalation of unanswered alarms,
readings arriving out of order, the night out-of-bed rule, and notice delivery through a failing provider
(D-02, D-03, HB-13, M-12)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import attrs
import pytest

from tests.conftest import FrozenClock, operator
from tests.conftest import test_settings as settings_for
from tests.monitoring.setup import (
    BAND,
    HUB,
    RADAR,
    all_alarms,
    build_monitoring,
    feed,
    frame,
    hub_sos,
    outbox,
    ready,
    std,
)
from yiyangkang.bootstrap import Container, build
from yiyangkang.domain.kernel.timekeeping import SHANGHAI
from yiyangkang.domain.monitoring.alarms import Alarm, AlarmStatus, CloseReason
from yiyangkang.domain.monitoring.messages import SignalKind, SignalSource
from yiyangkang.domain.monitoring.notices import AlarmNotice, NoticeStatus, Recipient
from yiyangkang.domain.monitoring.rules import AlarmKind, Severity
from yiyangkang.domain.monitoring.vitals import Vital
from yiyangkang.ports.homebed import Notice, Notifier
from yiyangkang.services.monitoring import devices, readings
from yiyangkang.services.monitoring.alarms import acknowledge_alarm
from yiyangkang.services.monitoring.delivery import deliver_notices
from yiyangkang.services.monitoring.scan import monitoring_scan

STD = "STD-A-0001"



@pytest.fixture
def scan_bug_on_postgres(request: pytest.FixtureRequest, backend: Container) -> None:
    """Tests that run the scan are expected to fail, strictly, on PostgreSQL until the query is fixed."""
    # The scan's silent-device query once grouped by JSON columns, which PostgreSQL refuses; fixed, kept as a
    # fixture so the tests that run the scan stay marked as such.





def of_kind(rt: Container, kind: AlarmKind) -> list[Alarm]:
    """Alarms of one kind (a scan an hour after binding also reports the silent devices offline)."""
    return [a for a in all_alarms(rt) if a.alarm_kind is kind]


def notices_of(rt: Container, alarm_id: str) -> list[AlarmNotice]:
    with rt.uow() as uow:
        return list(uow.alarm_notices.for_alarm(alarm_id))


def heart(rt: Container, key: str, at: datetime, value: float, *, received: datetime | None = None) -> None:
    """Elder A's standard vitals monitor measures a heart rate at `at` (arriving at `received`, default `at`)."""
    feed(rt, frame(*std(STD, key, at, values={Vital.HEART_RATE: value}), received or at))


@contextmanager
def restarted(rt: Container, clock: FrozenClock) -> Iterator[Container]:
    """A new process on the same database: a fresh container (engine, pool, no shared objects). The in-memory
    store has no life outside its process, so there the 'restart' is a second container over the same store."""
    if rt.engine is None:
        yield attrs.evolve(rt)
        return
    fresh = build(settings_for(rt.settings.database_url), clock=clock)
    try:
        yield fresh
    finally:
        fresh.dispose()


# --- duration rules across a restart and by the timer ----------------------------------------------


def test_duration_rule_state_survives_a_restart_d03(backend: Container, clock: FrozenClock) -> None:
    """D-03/HB-13: "heart rate > 120 for 5 minutes" counts from the first high reading even when the platform
    restarts in between: 130 at t0 and t0+2min before the restart, 128 at t0+5min after it → one major alarm."""
    ready(backend, clock)
    t0 = clock.now()
    heart(backend, "r0", t0, 130)
    clock.advance(minutes=2)
    heart(backend, "r2", clock.now(), 130)
    assert all_alarms(backend) == []
    clock.advance(minutes=3)
    with restarted(backend, clock) as again:
        assert again is not backend
        heart(again, "r5", clock.now(), 128)
        [alarm] = all_alarms(again)
        assert (alarm.alarm_kind, alarm.severity, alarm.subject, alarm.status) == (
            AlarmKind.VITAL, Severity.MAJOR, "heart_rate", AlarmStatus.OPEN)
        assert alarm.first_at == t0 + timedelta(minutes=5) and alarm.value == 128 and alarm.count == 1


def test_a_fresh_start_alone_does_not_raise(backend: Container, clock: FrozenClock) -> None:
    """The control for the restart test: 128 at t0+5min on its own (no earlier readings) raises nothing, so the
    alarm above can only come from the state written before the restart."""
    ready(backend, clock)
    clock.advance(minutes=5)
    heart(backend, "only", clock.now(), 128)
    assert all_alarms(backend) == []


@pytest.mark.usefixtures("scan_bug_on_postgres")
def test_timer_raises_a_duration_alarm_once_when_data_stops_d03(backend: Container, clock: FrozenClock) -> None:
    """D-03: 130 at t0 and then silence (the band stopped sending while the heart raced): the scan at t0+4min
    raises nothing, the one at t0+5min raises one major alarm from the timer, later scans add nothing."""
    ready(backend, clock)
    heart(backend, "t0", clock.now(), 130)
    clock.advance(minutes=4)
    assert monitoring_scan(backend).timers == 0
    assert of_kind(backend, AlarmKind.VITAL) == []
    clock.advance(minutes=1)
    report = monitoring_scan(backend)
    assert report.timers == 1
    [alarm] = of_kind(backend, AlarmKind.VITAL)
    assert (alarm.severity, alarm.source, alarm.value, alarm.count, alarm.rule_id is not None) == (
        Severity.MAJOR, "timer", 130, 1, True)
    for minutes in (0, 1, 30):
        clock.advance(minutes=minutes)
        assert monitoring_scan(backend).timers == 0
    [alarm] = of_kind(backend, AlarmKind.VITAL)
    assert alarm.count == 1


# --- offline from data, not from keep-alives -------------------------------------------------------


def keepalive(serial: str, steps: int) -> tuple[str, bytes]:
    """The 4G band's link keep-alive `LK,steps,rolls,battery` (链路保持)."""
    content = f"LK,{steps},0,80"
    return f"watch/{serial}/up", f"[3G*{serial}*{len(content):04X}*{content}]".encode()


def band_data(serial: str = BAND) -> tuple[str, bytes]:
    content = "BPHRT,120,80,70"
    return f"watch/{serial}/up", f"[3G*{serial}*{len(content):04X}*{content}]".encode()


@pytest.mark.usefixtures("scan_bug_on_postgres")
def test_offline_is_judged_from_data_not_keepalives_d02(backend: Container, clock: FrozenClock) -> None:
    """D-02: the band's model allows 600 s without data. Keep-alives every minute keep the link up but prove
    nothing is measured: 11 minutes after binding the scan raises one major OFFLINE alarm for the band (a
    safety device), a second scan adds nothing, and the first data frame closes it as recovered."""
    w = build_monitoring(backend)  # bound now; no data yet
    band = w.devices[BAND]
    for minute in range(1, 12):
        clock.advance(minutes=1)
        report = feed(backend, frame(*keepalive(BAND, minute * 10), clock.now()))
        assert report.stored == 1 and report.duplicates == 0
        if minute == 10:  # exactly the allowed silence: not yet
            monitoring_scan(backend)
            assert [a for a in of_kind(backend, AlarmKind.OFFLINE) if a.subject == band] == []
    view = devices.get_device(backend, operator(), band)
    assert view.last_seen_at == clock.now() and view.last_data_at is None  # the link is alive, the data is not
    monitoring_scan(backend)
    [alarm] = [a for a in of_kind(backend, AlarmKind.OFFLINE) if a.subject == band]
    assert (alarm.severity, alarm.device_id, alarm.elder_id, alarm.status, alarm.source) == (
        Severity.MAJOR, band, w.elder, AlarmStatus.OPEN, "scan")
    clock.advance(minutes=1)
    monitoring_scan(backend)
    [again] = [a for a in of_kind(backend, AlarmKind.OFFLINE) if a.subject == band]
    assert again.id == alarm.id and again.count == 1
    clock.advance(minutes=1)
    feed(backend, frame(*band_data(), clock.now()))
    [closed] = [a for a in of_kind(backend, AlarmKind.OFFLINE) if a.subject == band]
    assert closed.status is AlarmStatus.CLOSED and closed.close_reason is CloseReason.RECOVERED
    monitoring_scan(backend)  # data just came: no new offline alarm
    assert len([a for a in of_kind(backend, AlarmKind.OFFLINE) if a.subject == band]) == 1


# --- escalation ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("scan_bug_on_postgres")
def test_unanswered_sos_escalates_once_to_the_admins_m12(backend: Container, clock: FrozenClock) -> None:
    """M-12/D-02: a pull-cord SOS nobody acknowledges: nothing at +2 min, at +3 min (the default limit for
    critical alarms) it escalates once, and the admins of A are told besides the duty staff; later scans do
    not escalate it again."""
    w = ready(backend, clock)
    opened = clock.now()
    feed(backend, frame(*hub_sos(opened), opened))
    [sos] = of_kind(backend, AlarmKind.SOS)
    first_round = {n.id for n in notices_of(backend, sos.id)}
    clock.advance(minutes=2)
    assert monitoring_scan(backend).escalated == 0
    assert of_kind(backend, AlarmKind.SOS)[0].escalation_level == 0
    clock.advance(minutes=1)
    report = monitoring_scan(backend)
    assert report.escalated == 1
    [sos] = of_kind(backend, AlarmKind.SOS)
    assert (sos.escalation_level, sos.escalated_at, sos.status) == (1, clock.now(), AlarmStatus.OPEN)
    escalated = [n for n in notices_of(backend, sos.id) if n.id not in first_round]
    assert escalated and {n.id for n in escalated} <= set(report.notices)
    admins = {n.account_id for n in escalated if n.recipient is Recipient.ADMIN}
    assert admins == {w.world.accounts["admin_A"]}  # A's admin; not those of A1, A2 or B
    assert any(n.recipient is Recipient.DUTY and n.person_id == w.duty for n in escalated)
    assert all(n.title.startswith("【升级】") for n in escalated)
    before = len(notices_of(backend, sos.id))
    for minutes in (1, 5):
        clock.advance(minutes=minutes)
        monitoring_scan(backend)
    [sos] = of_kind(backend, AlarmKind.SOS)
    assert sos.escalation_level == 1 and len(notices_of(backend, sos.id)) == before


@pytest.mark.usefixtures("scan_bug_on_postgres")
def test_an_alarm_acknowledged_in_time_never_escalates(backend: Container, clock: FrozenClock) -> None:
    w = ready(backend, clock)
    feed(backend, frame(*hub_sos(clock.now()), clock.now()))
    [sos] = of_kind(backend, AlarmKind.SOS)
    queued = len(notices_of(backend, sos.id))
    clock.advance(minutes=2)
    acknowledge_alarm(backend, w.world.principal("admin_A"), sos.id, "已联系老人")
    for minutes in (1, 10, 60):
        clock.advance(minutes=minutes)
        monitoring_scan(backend)
    [sos] = of_kind(backend, AlarmKind.SOS)
    assert (sos.status, sos.escalation_level, sos.escalated_at) == (AlarmStatus.ACKNOWLEDGED, 0, None)
    assert len(notices_of(backend, sos.id)) == queued


# --- out of order ----------------------------------------------------------------------------------


def test_late_readings_are_stored_but_do_not_move_a_duration_rule_hb13(backend: Container,
                                                                       clock: FrozenClock) -> None:
    """HB-13: a reading older than what the rule has seen is kept (the chart shows it) but not evaluated."""
    w = ready(backend, clock)
    t0 = clock.now()
    clock.advance(minutes=5)
    heart(backend, "on-time", t0 + timedelta(minutes=5), 130)
    heart(backend, "late", t0, 130, received=clock.now())  # buffered: measured five minutes earlier
    assert all_alarms(backend) == []
    history = readings.vital_history(backend, operator(), w.elder, Vital.HEART_RATE, t0 - timedelta(minutes=1),
                                     clock.now() + timedelta(seconds=1))
    assert [(p.at, p.value) for p in history.points] == [(t0, 130), (t0 + timedelta(minutes=5), 130)]
    with backend.uow() as uow:
        [state] = uow.rule_states.get_many([(w.rules["hr"], w.devices[STD])]).values()
    assert state.last_at == t0 + timedelta(minutes=5)


@pytest.mark.usefixtures("scan_bug_on_postgres")
def test_late_readings_cannot_complete_a_duration_on_their_own(backend: Container, clock: FrozenClock) -> None:
    """The sharper form: after 100 at t0+10min, two late 130s at t0 and t0+6min would satisfy "> 120 for
    5 min" between themselves if they were evaluated; they are not, so nothing is raised now or by the timer."""
    w = ready(backend, clock)
    t0 = clock.now()
    clock.advance(minutes=10)
    heart(backend, "now", clock.now(), 100)
    heart(backend, "late0", t0, 130, received=clock.now())
    heart(backend, "late6", t0 + timedelta(minutes=6), 130, received=clock.now())
    clock.advance(minutes=10)
    assert monitoring_scan(backend).timers == 0
    assert of_kind(backend, AlarmKind.VITAL) == []
    with backend.uow() as uow:
        stored = uow.readings.count(w.elder, Vital.HEART_RATE, t0, clock.now())
    assert stored == 3


# --- the night out-of-bed rule ---------------------------------------------------------------------


@pytest.mark.usefixtures("scan_bug_on_postgres")
@pytest.mark.parametrize(("hours", "local", "raised"), [(13, "23:00", True), (4, "14:00", False)],
                         ids=["night", "afternoon"])
def test_out_of_bed_only_at_night_hb13(backend: Container, clock: FrozenClock, hours: int, local: str,
                                       raised: bool) -> None:
    """HB-13: "nobody in the room for 30 minutes between 22:00 and 06:00" (Asia/Shanghai): the radar's presence
    0 from 23:00 raises OUT_OF_BED at 23:30; the same in the afternoon raises nothing, by reading or timer."""
    w = ready(backend, clock)  # the clock starts at 10:00 Shanghai; ready() moves it to 11:00
    clock.advance(hours=hours - 1)
    start = clock.now()
    assert start.astimezone(SHANGHAI).strftime("%H:%M") == local
    for minute in (0, 15, 29):
        at = start + timedelta(minutes=minute)
        feed(backend, frame(*std(RADAR, f"p{minute}", at, values={Vital.PRESENCE: 0}), at))
    assert of_kind(backend, AlarmKind.OUT_OF_BED) == []
    clock.advance(minutes=30)
    feed(backend, frame(*std(RADAR, "p30", clock.now(), values={Vital.PRESENCE: 0}), clock.now()))
    clock.advance(minutes=5)
    monitoring_scan(backend)
    found = of_kind(backend, AlarmKind.OUT_OF_BED)
    if raised:
        [alarm] = found
        assert (alarm.severity, alarm.elder_id, alarm.device_id, alarm.rule_id) == (
            Severity.MAJOR, w.elder, w.devices[RADAR], w.rules["bed"])
        assert alarm.first_at == start + timedelta(minutes=30)
    else:
        assert found == []


@pytest.mark.usefixtures("scan_bug_on_postgres")
def test_out_of_bed_by_timer_when_the_radar_falls_silent(backend: Container, clock: FrozenClock) -> None:
    """The radar reports "nobody" at 23:00 and then nothing: the scan at 23:30 raises OUT_OF_BED by timer."""
    ready(backend, clock)
    clock.advance(hours=12)
    feed(backend, frame(*std(RADAR, "p0", clock.now(), values={Vital.PRESENCE: 0}), clock.now()))
    clock.advance(minutes=29)
    monitoring_scan(backend)
    assert of_kind(backend, AlarmKind.OUT_OF_BED) == []
    clock.advance(minutes=1)
    monitoring_scan(backend)
    [alarm] = of_kind(backend, AlarmKind.OUT_OF_BED)
    assert alarm.source == "timer"


# --- delivery through a failing provider -----------------------------------------------------------


class FlakyNotifier:
    """Wraps the sandbox: raises while `down`, passes notices through once it is back."""

    def __init__(self, inner: Notifier) -> None:
        self.inner, self.down, self.calls = inner, True, 0

    def send(self, notice: Notice) -> None:
        self.calls += 1
        if self.down:
            raise ConnectionError("短信网关超时")
        self.inner.send(notice)


def test_a_failed_delivery_stays_queued_and_goes_out_later_m12(backend: Container, clock: FrozenClock) -> None:
    """M-12: the SMS provider is down: nothing is lost, each notice stays pending with its attempts counted;
    once the provider is back the next delivery sends each exactly once."""
    ready(backend, clock)
    flaky = FlakyNotifier(backend.notifier)
    rt = attrs.evolve(backend, notifier=flaky)
    feed(rt, frame(*hub_sos(clock.now()), clock.now()))
    [sos] = of_kind(rt, AlarmKind.SOS)
    queued = notices_of(rt, sos.id)
    assert len(queued) == 3
    for attempt in (1, 2):
        assert deliver_notices(rt) == 0
        after = notices_of(rt, sos.id)
        assert {(n.status, n.attempts, n.error) for n in after} == {(NoticeStatus.PENDING, attempt, "ConnectionError")}
    assert flaky.calls == 6
    flaky.down = False
    sent_before = len(outbox(backend))
    clock.advance(seconds=30)
    assert deliver_notices(rt) == 3
    sent = outbox(backend)[sent_before:]
    assert sorted(n.ref for n in sent) == [sos.id] * 3
    assert {n.phone for n in sent} == {n.phone for n in queued}
    assert {(n.status, n.sent_at) for n in notices_of(rt, sos.id)} == {(NoticeStatus.SENT, clock.now())}
    assert deliver_notices(rt) == 0


def test_hub_and_band_share_one_open_sos(backend: Container, clock: FrozenClock) -> None:
    """D-02: an SOS is one per elder whatever device raised it: the hub's pull cord and then the band's key
    count on the same open alarm."""
    ready(backend, clock)
    feed(backend, frame(*hub_sos(clock.now(), serial=HUB), clock.now()))
    clock.advance(seconds=10)
    feed(backend, frame(*std(BAND, "key", clock.now(), signal=SignalKind.SOS, source=SignalSource.BAND_KEY),
                        clock.now()))
    [sos] = of_kind(backend, AlarmKind.SOS)
    assert sos.count == 2 and sos.status is AlarmStatus.OPEN
