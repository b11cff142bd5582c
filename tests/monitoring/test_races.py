"""Parallel ingestion and delivery on the real databases (SQLite and PostgreSQL): each thread runs its own use
case at the same moment, as the bridge's workers and a second bridge would (D-02, M-12)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier
from typing import TypeVar

import pytest

from tests.conftest import FrozenClock
from tests.monitoring.setup import (
    BAND,
    RADAR,
    MonitoringWorld,
    all_alarms,
    build_monitoring,
    frame,
    hub_sos,
    outbox,
    std,
)
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.monitoring.alarms import AlarmStatus, CloseReason
from yiyangkang.domain.monitoring.messages import SignalKind, SignalSource
from yiyangkang.domain.monitoring.notices import NoticeStatus
from yiyangkang.domain.monitoring.rules import AlarmKind, Severity
from yiyangkang.domain.monitoring.vitals import Vital
from yiyangkang.services.monitoring.alarms import acknowledge_alarm, close_alarm
from yiyangkang.services.monitoring.delivery import deliver_notices
from yiyangkang.services.monitoring.ingest import Frame, IngestReport, ingest

T = TypeVar("T")
STD = "STD-A-0001"



def race(n: int, act: Callable[[int], T]) -> list[T | BaseException]:
    """Run act(0) … act(n-1) in n threads released together by a barrier; exceptions are returned, not raised."""
    barrier = Barrier(n)

    def run(i: int) -> T | BaseException:
        barrier.wait()
        try:
            return act(i)
        except Exception as exc:  # the test inspects what escaped
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


@pytest.fixture
def w(sql_backend: Container, clock: FrozenClock) -> MonitoringWorld:
    world = build_monitoring(sql_backend)
    clock.advance(hours=1)
    return world



def dead_letters(rt: Container) -> list[str]:
    with rt.uow() as uow:
        return [d.reason for d in uow.dead_letters.list(PageRequest(1, 100)).items]


def sos_frames(w: MonitoringWorld, round_: int) -> list[Frame]:
    """8 SOS frames of the same moment for elder A: the hub's (pull cord, key, voice) and the band's SOS key sent
    through the standard protocol, every one a distinct message."""
    now = w.rt.clock.now()
    frames = []
    for i in range(8):
        if i % 2 == 0:
            at = now - timedelta(seconds=i)  # the hub's time has whole seconds: distinct frames, distinct keys
            frames.append(frame(*hub_sos(at, trigger=("cord", "key", "voice")[i % 3]), now))
        else:
            frames.append(frame(*std(BAND, f"sos-{round_}-{i}", now, signal=SignalKind.SOS,
                                     source=SignalSource.BAND_KEY), now))
    return frames


def test_parallel_sos_from_two_devices_open_one_alarm_d02(w: MonitoringWorld, clock: FrozenClock) -> None:
    """D-02/M-12: 8 workers ingest SOS frames from the hub and the band at once: exactly one open SOS alarm,
    counting all 8 frames, people told once; no exception escapes (ingestion retries its collisions). Three
    rounds, closing the alarm in between, so that one lucky serialisation cannot hide the race."""
    admin = w.world.principal("admin_A")
    for round_ in range(3):
        frames = sos_frames(w, round_)

        def one(i: int, frames: list[Frame] = frames) -> IngestReport:
            return ingest(w.rt, [frames[i]])

        results = race(8, one)
        assert all(isinstance(r, IngestReport) for r in results), results
        reports = [r for r in results if isinstance(r, IngestReport)]
        assert sum(r.stored for r in reports) == 8 and sum(r.dead_letters for r in reports) == 0
        opened = [a for r in reports for a in r.alarms]
        open_sos = [a for a in all_alarms(w.rt) if a.alarm_kind is AlarmKind.SOS and a.is_open]
        assert len(open_sos) == 1, f"round {round_}: {len(open_sos)} open SOS alarms"
        [sos] = open_sos
        assert opened == [sos.id]
        assert (sos.count, sos.severity, sos.status) == (8, Severity.CRITICAL, AlarmStatus.OPEN)
        with w.rt.uow() as uow:
            told = [n.phone or "" for n in uow.alarm_notices.for_alarm(sos.id)]
        assert sorted(told) == sorted(set(told)) and len(told) == 3  # son, doctor, duty staff: once each
        assert dead_letters(w.rt) == []
        acknowledge_alarm(w.rt, admin, sos.id)
        close_alarm(w.rt, admin, sos.id, CloseReason.HANDLED, "已上门查看")
        clock.advance(minutes=1)
    assert len([a for a in all_alarms(w.rt) if a.alarm_kind is AlarmKind.SOS]) == 3




def test_the_same_frame_from_six_workers_is_stored_once_d02(w: MonitoringWorld,
                                                           request: pytest.FixtureRequest) -> None:
    """D-02: a frame redelivered to six workers at once (MQTT QoS 1 after a reconnect, two bridges) is stored
    once: one report says stored, five say duplicate, one reading, no dead letters. Body temperature, which no
    rule watches, so that nothing but the message log stands between the workers. Three rounds."""
    now = w.rt.clock.now()
    for round_ in range(3):
        f = frame(*std(STD, f"the-one-{round_}", now, values={Vital.BODY_TEMPERATURE: 36.6}), now)

        def same(_i: int, f: Frame = f) -> IngestReport:
            return ingest(w.rt, [f])

        results = race(6, same)
        assert all(isinstance(r, IngestReport) for r in results), results
        reports = [r for r in results if isinstance(r, IngestReport)]
        assert (sum(r.stored for r in reports), sum(r.duplicates for r in reports)) == (1, 5), f"round {round_}"
        with w.rt.uow() as uow:
            stored = uow.readings.count(w.elder, Vital.BODY_TEMPERATURE, now - timedelta(hours=2),
                                        now + timedelta(seconds=1))
        assert stored == round_ + 1
    assert dead_letters(w.rt) == []


def test_parallel_deliveries_send_each_notice_once_m12(w: MonitoringWorld, clock: FrozenClock) -> None:
    """M-12: two deliverers (the bridge and the API after a one-tap SOS) at once, each claiming small batches
    until none is left: every queued notice goes out exactly once in total."""
    now = clock.now()
    ingest(w.rt, [
        frame(*hub_sos(now), now),  # SOS
        frame(*std(RADAR, "fall", now, signal=SignalKind.FALL, source=SignalSource.RADAR), now),  # fall
        frame(*std(STD, "hr", now, values={Vital.HEART_RATE: 165}), now),  # critical heart rate
    ])
    raised = all_alarms(w.rt)
    assert {a.alarm_kind for a in raised} == {AlarmKind.SOS, AlarmKind.FALL, AlarmKind.VITAL}
    with w.rt.uow() as uow:
        queued = {n.id: n for a in raised for n in uow.alarm_notices.for_alarm(a.id)}
    assert len(queued) == 9
    sent_before = len(outbox(w.rt))

    def drain(_i: int) -> int:
        total = 0
        while sent := deliver_notices(w.rt, limit=2):
            total += sent
        return total

    results = race(2, drain)
    assert all(isinstance(r, int) for r in results), results
    assert sum(r for r in results if isinstance(r, int)) == 9
    sent = outbox(w.rt)[sent_before:]
    per_message = Counter((n.ref, n.phone, n.title) for n in sent)
    assert len(sent) == 9 and set(per_message.values()) == {1}
    with w.rt.uow() as uow:
        after = [n for a in raised for n in uow.alarm_notices.for_alarm(a.id)]
    assert {n.status for n in after} == {NoticeStatus.SENT}
    assert deliver_notices(w.rt) == 0
