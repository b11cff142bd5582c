"""Ingestion on every backend: readings, alarms from signals and rules, dead letters, duplicates, notices
(M-08, M-12, D-02, D-04, D-05, HB-13)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import REGIONS, FrozenClock, operator
from tests.conftest import test_settings as make_settings
from tests.monitoring.setup import BAND, all_alarms, build_monitoring, dead_letters, feed, frame, hub_sos, ready, std
from yiyangkang.bootstrap import Container, build
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.monitoring.alarms import AlarmStatus
from yiyangkang.domain.monitoring.messages import SignalKind, SignalSource
from yiyangkang.domain.monitoring.rules import AlarmKind, Severity
from yiyangkang.domain.monitoring.vitals import Vital
from yiyangkang.services.monitoring import readings
from yiyangkang.services.monitoring.delivery import deliver_notices
from yiyangkang.services.regions import load_regions

STD = "STD-A-0001"





def test_standard_telemetry_becomes_coded_readings_m08(backend: Container, clock: FrozenClock) -> None:
    """M-08: values arrive under LOINC codes and UCUM units; "latest" is the newest device time."""
    w = ready(backend, clock)
    now = clock.now()
    early, late = now - timedelta(minutes=10), now - timedelta(minutes=2)
    report = feed(backend, frame(*std(STD, "m2", now, values={Vital.HEART_RATE: 72}, ), now))
    # a buffered, older reading arriving afterwards does not become "latest"
    feed(backend, frame(*std(STD, "m1", early, values={Vital.HEART_RATE: 80, Vital.SPO2: 97}), now))
    feed(backend, frame(*std(STD, "m3", late, values={Vital.BODY_TEMPERATURE: 36.6}), now))
    assert report.stored == 1 and report.readings == 1
    latest = readings.latest_vitals(backend, operator(), w.elder)
    by = {v.vital: v for v in latest.vitals}
    assert by["heart_rate"].value == 72 and by["heart_rate"].code == "8867-4" and by["heart_rate"].unit == "/min"
    assert by["spo2"].code == "2708-6" and by["body_temp"].unit == "Cel"
    history = readings.vital_history(backend, operator(), w.elder, Vital.HEART_RATE, now - timedelta(hours=1),
                                     now + timedelta(seconds=1))
    assert [p.value for p in history.points] == [80, 72]


def test_future_timestamps_are_clamped_to_arrival(backend: Container, clock: FrozenClock) -> None:
    ready(backend, clock)
    now = clock.now()
    feed(backend, frame(*std(STD, "f1", now + timedelta(hours=3), values={Vital.HEART_RATE: 70}), now))
    with backend.uow() as uow:
        rows = uow.readings.history(uow.devices.by_serials([STD])[STD].elder_id or "", Vital.HEART_RATE,
                                    now - timedelta(hours=1), now + timedelta(hours=5))
    assert [(r.at, r.clamped) for r in rows] == [(now, True)]


def test_the_same_frame_twice_is_stored_once(backend: Container, clock: FrozenClock) -> None:
    ready(backend, clock)
    now = clock.now()
    f = frame(*std(STD, "dup", now, values={Vital.HEART_RATE: 70}), now)
    first, second = feed(backend, f), feed(backend, f)
    both = feed(backend, f, f)
    assert (first.stored, second.stored, second.duplicates, both.duplicates) == (1, 0, 1, 2)


def test_pull_cord_sos_raises_one_alarm_and_tells_family_doctor_duty_m12(backend: Container,
                                                                        clock: FrozenClock) -> None:
    """D-05, M-12: the hub's pull cord opens one critical SOS alarm; family, doctor and duty staff are told once
    each; a second pull while it is open counts on the same alarm."""
    ready(backend, clock)
    now = clock.now()
    report = feed(backend, frame(*hub_sos(now), now))
    assert len(report.alarms) == 1
    [alarm] = all_alarms(backend)
    assert (alarm.alarm_kind, alarm.severity, alarm.source, alarm.count) == (AlarmKind.SOS, Severity.CRITICAL,
                                                                             SignalSource.PULL_CORD.value, 1)
    sent_before = len(backend.notifier.sent)  # type: ignore[attr-defined]
    assert deliver_notices(backend) == 3
    sent = backend.notifier.sent[sent_before:]  # type: ignore[attr-defined]
    assert {n.phone for n in sent} == {"13800000300", "13800000400", "13800000100"}  # son, doctor, duty staff
    assert all("老人A" in n.body and "紧急呼救" in n.title and alarm.number in n.body for n in sent)
    assert deliver_notices(backend) == 0  # exactly once
    clock.advance(seconds=30)
    again = feed(backend, frame(*hub_sos(clock.now(), trigger="voice"), clock.now()))
    assert again.alarms == [] and again.notices == []
    [alarm] = all_alarms(backend)
    assert alarm.count == 2 and alarm.status is AlarmStatus.OPEN


def test_refused_frames_go_to_the_dead_letter_store_with_reason(backend: Container, clock: FrozenClock) -> None:
    ready(backend, clock)
    now = clock.now()
    report = feed(
        backend,
        frame(*std("NOBODY-0001", "x1", now, values={Vital.HEART_RATE: 70}), now),  # not registered
        frame(*std(STD, "x2", now, values={Vital.HEART_RATE: 400}), now),  # impossible
        frame("yyk/v1/dev/STD-A-0001/up", b"{not json", now),  # malformed
        frame("nowhere/at/all", b"{}", now),  # no codec owns the topic
        frame(*std(STD, "x3", now, values={Vital.HEART_RATE: 71}), now),  # the good one still gets in
    )
    assert report.stored == 1 and report.dead_letters == 4
    reasons = sorted(d.reason for d in dead_letters(backend))
    assert reasons == sorted(["UNKNOWN_DEVICE", "IMPLAUSIBLE_VALUE", "BAD_JSON", "UNKNOWN_TOPIC"])


def test_unbound_device_frames_are_refused_and_history_keeps_owner(backend: Container, clock: FrozenClock) -> None:
    """D-01: readings belong to whoever had the device at the time; after unbinding, frames are refused."""
    from yiyangkang.services.monitoring import devices

    w = ready(backend, clock)
    start = clock.now()
    feed(backend, frame(*std(STD, "b1", start, values={Vital.HEART_RATE: 70}), start))
    clock.advance(minutes=5)
    devices.unbind_device(backend, operator(), w.devices[STD], "归还")
    clock.advance(minutes=1)
    report = feed(backend, frame(*std(STD, "b2", clock.now(), values={Vital.HEART_RATE: 71}), clock.now()))
    assert report.dead_letters == 1 and dead_letters(backend)[0].reason == "UNBOUND_DEVICE"
    # a buffered reading from while it was bound still lands with the elder who had it then
    late = feed(backend, frame(*std(STD, "b0", start + timedelta(minutes=1), values={Vital.SPO2: 96}), clock.now()))
    assert late.stored == 1


def test_heart_rate_duration_rule_with_hysteresis_hb13(backend: Container, clock: FrozenClock) -> None:
    """HB-13/D-03: "> 120 for 5 min" raises major, "> 150" raises critical (severity only rises), "< 110" clears;
    between 110 and 120 nothing changes."""
    ready(backend, clock)
    t0 = clock.now()

    def hr(minute: int, value: float) -> None:
        at = t0 + timedelta(minutes=minute)
        feed(backend, frame(*std(STD, f"hr{minute}", at, values={Vital.HEART_RATE: value}), at))

    hr(0, 125)
    hr(3, 130)
    assert all_alarms(backend) == []
    hr(5, 128)
    [alarm] = all_alarms(backend)
    assert (alarm.alarm_kind, alarm.severity, alarm.subject) == (AlarmKind.VITAL, Severity.MAJOR, "heart_rate")
    hr(6, 160)
    hr(7, 125)
    [alarm] = all_alarms(backend)
    assert alarm.severity is Severity.CRITICAL and alarm.count == 3
    hr(8, 115)  # inside the hysteresis band
    assert all_alarms(backend)[0].status is AlarmStatus.OPEN
    hr(9, 100)
    [alarm] = all_alarms(backend)
    assert alarm.status is AlarmStatus.CLOSED and alarm.close_reason is not None
    hr(10, 155)  # a fresh alarm after a clear
    assert [a.status for a in all_alarms(backend)] == [AlarmStatus.OPEN, AlarmStatus.CLOSED]


def test_sos_never_recovers_by_itself(backend: Container, clock: FrozenClock) -> None:
    ready(backend, clock)
    now = clock.now()
    feed(backend, frame(*std(STD, "s1", now, signal=SignalKind.SOS, source=SignalSource.BAND_KEY), now))
    feed(backend, frame(*std(STD, "s2", now, values={Vital.HEART_RATE: 70}), now))
    [alarm] = all_alarms(backend)
    assert alarm.alarm_kind is AlarmKind.SOS and alarm.status is AlarmStatus.OPEN


def test_band_watch_frames_d04(backend: Container, clock: FrozenClock) -> None:
    """D-04: the 4G band's text protocol: blood pressure and heart rate, and an AL frame with the SOS bit."""
    w = ready(backend, clock)
    now = clock.now()
    content = "BPHRT,135,85,76"
    bp = f"[3G*{BAND}*{len(content):04X}*{content}]".encode()
    report = feed(backend, frame(f"watch/{BAND}/up", bp, now))
    assert report.readings == 3
    latest = {v.vital: v.value for v in readings.latest_vitals(backend, operator(), w.elder).vitals}
    assert (latest["systolic"], latest["diastolic"], latest["heart_rate"]) == (135, 85, 76)


def test_identical_timeless_frames_count_twice_but_a_redelivery_once(backend: Container, clock: FrozenClock) -> None:
    """A radar's fall frame carries no time: the same bytes twice are two falls; the broker resending the
    same message (MQTT DUP) is one."""
    import attrs

    from tests.monitoring.setup import RADAR

    ready(backend, clock)
    fall = bytes.fromhex("53 59 83 01 00 01 01 32 54 43")
    first = frame(f"radar/{RADAR}/up", fall, clock.now())
    feed(backend, first)
    feed(backend, attrs.evolve(first, redelivered=True))
    clock.advance(minutes=1)
    again = feed(backend, frame(f"radar/{RADAR}/up", fall, clock.now()))
    assert again.duplicates == 0 and again.stored == 1
    [alarm] = all_alarms(backend)
    assert alarm.alarm_kind is AlarmKind.FALL and alarm.count == 2


_FUZZ_WORLD: list[Container] = []


def fuzz_world() -> Container:
    """One in-memory world for all examples (building one per example would dominate the run)."""
    if not _FUZZ_WORLD:
        rt = build(make_settings(), clock=FrozenClock(), in_memory=True)
        load_regions(rt, REGIONS)
        build_monitoring(rt)
        _FUZZ_WORLD.append(rt)
    return _FUZZ_WORLD[0]


@settings(max_examples=60, deadline=None)
@given(topic=st.sampled_from([f"yyk/v1/dev/{STD}/up", f"watch/{BAND}/up", "radar/RADAR-A-0001/up",
                              "vendor/guardian-hub/HUB-A-0001/up", "v1/gateway/telemetry", "nowhere"]),
       payload=st.binary(max_size=200))
def test_arbitrary_bytes_never_escape_and_bad_frames_are_dead_lettered(topic: str, payload: bytes) -> None:
    """Whatever arrives, ingestion answers with a report: each frame is stored, a duplicate, or a dead letter
    with its reason — never an exception, never lost."""
    rt = fuzz_world()
    with rt.uow() as uow:
        before = uow.dead_letters.list(PageRequest(1, 1)).total
    report = feed(rt, frame(topic, payload, rt.clock.now()))
    assert report.stored + report.dead_letters + report.duplicates >= 1
    with rt.uow() as uow:
        assert uow.dead_letters.list(PageRequest(1, 1)).total == before + report.dead_letters
