"""Device, SIM and rule use cases on every backend, with access: units and their bindings (D-01), 4G cards and
their expiry reminders (D-06), rule validation and one elder's own thresholds (D-03, HB-13), and the
downsampled vital history (M-08)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import FrozenClock, operator
from tests.monitoring.setup import (
    BAND,
    all_alarms,
    build_monitoring,
    feed,
    frame,
    hub_sos,
    outbox,
    ready,
    std,
)
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.monitoring.alarms import Alarm, AlarmStatus
from yiyangkang.domain.monitoring.records import Reading
from yiyangkang.domain.monitoring.rules import AlarmKind
from yiyangkang.domain.monitoring.vitals import Vital
from yiyangkang.services.monitoring import devices, readings, rules
from yiyangkang.services.monitoring.devices import SimInput
from yiyangkang.services.monitoring.rules import ConditionInput, RuleInput, ThresholdsInput

ALL = PageRequest(1, 100)
STD = "STD-A-0001"




def codes(err: pytest.ExceptionInfo[ValidationFailed]) -> set[tuple[str, str]]:
    return {(e.field, e.code) for e in err.value.errors}



# --- devices (D-01) --------------------------------------------------------------------------------


def test_device_lifecycle_register_bind_unbind_retire_d01(backend: Container, clock: FrozenClock) -> None:
    """D-01: an admin registers a unit for the institution, binds it, cannot bind it twice nor retire it while
    bound; unbinding keeps the binding as history; a retired unit cannot be bound again."""
    w = build_monitoring(backend, bind=False)
    admin = w.world.principal("admin_A")
    view = devices.register_device(backend, admin, model_id=w.models["band"], serial="860000000000077",
                                   location="客厅")
    assert (view.institution_id, view.status, view.elder_id, view.bindings) == (w.world.inst["A"], "active", None, [])
    clock.advance(minutes=1)
    bound = devices.bind_device(backend, admin, view.id, w.elder)
    assert bound.elder_id == w.elder and [b.elder_id for b in bound.bindings] == [w.elder]
    with pytest.raises(Conflict) as twice:
        devices.bind_device(backend, admin, view.id, w.elder)
    assert twice.value.code == "DEVICE_ALREADY_BOUND"
    with pytest.raises(Conflict) as still:
        devices.retire_device(backend, admin, view.id, "损坏")
    assert still.value.code == "DEVICE_STILL_BOUND"
    clock.advance(minutes=1)
    unbound = devices.unbind_device(backend, admin, view.id, "老人归还")
    assert unbound.elder_id is None and unbound.bindings[0].end == clock.now()
    retired = devices.retire_device(backend, admin, view.id, "损坏")
    assert retired.status == "retired"
    with pytest.raises(Conflict) as gone:
        devices.bind_device(backend, admin, view.id, w.elder)
    assert gone.value.code == "DEVICE_RETIRED"
    names = [e.name for e in devices.device_events(backend, admin, view.id)]
    assert names == ["device.created", "device.bound", "device.unbound", "device.retired"]
    with pytest.raises(ValidationFailed) as bad:
        devices.register_device(backend, admin, model_id=w.models["band"], serial="bad serial!")
    assert ("serial", "BAD_SERIAL") in codes(bad)


def test_devices_are_seen_and_bound_only_within_scope_d01(backend: Container, clock: FrozenClock) -> None:
    """Staff of A1 neither see nor bind B's device; an admin of A2 cannot touch A's device; an admin of A cannot
    bind A's device to B's elder (out of scope: 404); staff of A1 bind their own station's device."""
    w = build_monitoring(backend, bind=False)
    op, admin_a = operator(), w.world.principal("admin_A")
    staff_a1, admin_a2 = w.world.principal("staff_A1"), w.world.principal("admin_A2")
    of_b = devices.register_device(backend, op, model_id=w.models["band"], serial="B-BAND-0001",
                                   institution_id=w.world.inst["B"]).id
    of_a = w.devices[BAND]
    of_a1 = devices.register_device(backend, admin_a, model_id=w.models["band"], serial="A1-BAND-0001",
                                    institution_id=w.world.inst["A1"]).id
    with pytest.raises(NotFound):
        devices.get_device(backend, staff_a1, of_b)
    with pytest.raises(NotFound):
        devices.bind_device(backend, staff_a1, of_b, w.world.elders["A1"])
    assert of_b not in {d.id for d in devices.list_devices(backend, staff_a1, ALL).items}
    assert {d.id for d in devices.list_devices(backend, staff_a1, ALL).items} == {of_a1}
    for elder in ("A", "A2", "B"):
        with pytest.raises(NotFound):
            devices.bind_device(backend, admin_a2, of_a, w.world.elders[elder])
    with pytest.raises(NotFound):
        devices.bind_device(backend, admin_a, of_a, w.world.elders["B"])
    with pytest.raises(NotFound):  # an elder of A is outside the station's own scope
        devices.bind_device(backend, staff_a1, of_a1, w.elder)
    assert devices.bind_device(backend, staff_a1, of_a1, w.world.elders["A1"]).elder_id == w.world.elders["A1"]
    assert devices.get_device(backend, op, of_a).elder_id is None  # nothing above changed A's band
    assert devices.get_device(backend, op, of_b).elder_id is None


def test_a_device_cannot_be_bound_to_an_elder_of_another_institution(backend: Container,
                                                                    clock: FrozenClock) -> None:
    w = build_monitoring(backend, bind=False)
    with pytest.raises((Conflict, ValidationFailed)):
        devices.bind_device(backend, operator(), w.devices[BAND], w.world.elders["B"])


# --- 4G SIM cards (D-06) ---------------------------------------------------------------------------


def card(n: int, *, msisdn: str = "13912345678", expires: date = date(2026, 12, 10)) -> SimInput:
    return SimInput(iccid=f"8986{n:015d}", msisdn=msisdn, carrier="中国移动", plan_minutes=100, plan_data_mb=1024,
                    activated_on=date(2025, 12, 10), expires_on=expires)


def test_sim_cards_add_attach_renew_list_masked_d06(backend: Container, clock: FrozenClock) -> None:
    """D-06: an admin adds a card (its number masked in every answer), puts it into one of the institution's
    devices (not B's), renews it (only forward); retiring the device takes the card out."""
    w = build_monitoring(backend, bind=False)
    admin = w.world.principal("admin_A")
    sim = devices.add_sim(backend, admin, card(1))
    iot = devices.add_sim(backend, admin, card(2, msisdn="1440123456789", expires=date(2027, 6, 1)))
    assert (sim.institution_id, sim.msisdn, iot.msisdn) == (w.world.inst["A"], "139****5678", "144****6789")
    with pytest.raises(ValidationFailed) as bad:
        devices.add_sim(backend, admin, SimInput(iccid="1234", msisdn="123", carrier="联通", plan_minutes=0,
                                                 plan_data_mb=0, activated_on=date(2026, 1, 1),
                                                 expires_on=date(2025, 1, 1)))
    assert {c for _, c in codes(bad)} >= {"BAD_ICCID", "BAD_MSISDN", "EXPIRY_BEFORE_START"}
    band = w.devices[BAND]
    attached = devices.attach_sim(backend, admin, sim.id, band)
    assert attached.device_id == band and attached.msisdn == "139****5678"
    of_b = devices.register_device(backend, operator(), model_id=w.models["band"], serial="B-BAND-0001",
                                   institution_id=w.world.inst["B"]).id
    with pytest.raises(NotFound):
        devices.attach_sim(backend, admin, iot.id, of_b)
    with pytest.raises(Conflict) as other:
        devices.attach_sim(backend, operator(), iot.id, of_b)
    assert other.value.code == "SIM_OTHER_INSTITUTION"
    with pytest.raises(Conflict) as back:
        devices.renew_sim(backend, admin, sim.id, date(2026, 12, 1))
    assert back.value.code == "SIM_EXPIRY_NOT_LATER"
    assert devices.renew_sim(backend, admin, sim.id, date(2027, 12, 10)).expires_on == "2027-12-10"
    listed = devices.list_sims(backend, admin, ALL)
    assert {(s.id, s.msisdn) for s in listed.items} == {(sim.id, "139****5678"), (iot.id, "144****6789")}
    assert all("12345678" not in s.msisdn for s in listed.items)
    assert devices.list_sims(backend, w.world.principal("admin_B"), ALL).total == 0
    with pytest.raises(NotFound):
        devices.renew_sim(backend, w.world.principal("admin_B"), sim.id, date(2028, 1, 1))
    assert [s.id for s in devices.list_sims(backend, admin, ALL, expiring_before=date(2027, 7, 1)).items] == [iot.id]
    devices.retire_device(backend, admin, band, "报废")
    assert {s.id: s.device_id for s in devices.list_sims(backend, admin, ALL).items}[sim.id] is None


def test_sim_expiry_reminder_once_per_expiry_and_again_after_renewal_d06(backend: Container,
                                                                         clock: FrozenClock) -> None:
    """D-06: a card expiring within 30 days is reminded to A's admins once however often the job runs; a
    renewal moves the expiry away (no reminder), and when the new expiry comes near the reminder comes again."""
    w = build_monitoring(backend, bind=False)
    admin = w.world.principal("admin_A")
    sim = devices.add_sim(backend, admin, card(1, expires=date(2026, 12, 10)))  # 15 days from the clock's today
    devices.add_sim(backend, admin, card(2, expires=date(2028, 6, 1)))  # far away: never mentioned
    sent = outbox(backend)
    before = len(sent)
    assert devices.remind_sim_expiry(backend) == 1
    [notice] = sent[before:]
    assert (notice.account_id, notice.topic, notice.ref) == (w.world.accounts["admin_A"], "monitoring.sim_expiring",
                                                             sim.id)
    assert "2026-12-10" in notice.body
    clock.advance(days=1)
    assert devices.remind_sim_expiry(backend) == 0
    assert devices.remind_sim_expiry(backend) == 0
    devices.renew_sim(backend, admin, sim.id, date(2027, 12, 10))
    assert devices.remind_sim_expiry(backend) == 0
    clock.current = datetime(2027, 11, 20, 1, 0, tzinfo=UTC)  # 20 days before the new expiry
    before = len(sent)
    assert devices.remind_sim_expiry(backend) == 1
    assert [(n.ref, "2027-12-10" in n.body) for n in sent[before:]] == [(sim.id, True)]
    assert devices.remind_sim_expiry(backend) == 0


# --- rules (D-03, HB-13) ---------------------------------------------------------------------------


def hr_rule(conditions: tuple[ConditionInput, ...], clear: tuple[str, float] | None = None, *,
            kind: str = "vital", vital: str = "heart_rate") -> RuleInput:
    return RuleInput(name="测试规则", vital=vital, alarm_kind=kind,
                     thresholds=ThresholdsInput(conditions, *(clear or (None, None))))


def test_rule_validation_d03(backend: Container) -> None:
    """D-03: overlapping create and clear thresholds (no hysteresis), two conditions of one severity, values no
    sensor can give, and kinds that devices or the scan raise by themselves are all refused."""
    op = operator()
    with pytest.raises(ValidationFailed) as overlap:
        rules.create_rule(backend, op, hr_rule((ConditionInput("major", ">=", 120),), ("<=", 125)))
    assert ("thresholds.clear_value", "CLEAR_OVERLAPS") in codes(overlap)
    with pytest.raises(ValidationFailed) as low:
        rules.create_rule(backend, op, hr_rule((ConditionInput("major", "<=", 50),), (">=", 50), vital="heart_rate"))
    assert ("thresholds.clear_value", "CLEAR_OVERLAPS") in codes(low)
    with pytest.raises(ValidationFailed) as far:
        rules.create_rule(backend, op, hr_rule((ConditionInput("critical", ">", 400),)))
    assert {f for f, _ in codes(far)} == {"thresholds.conditions.0.value"}
    with pytest.raises(ValidationFailed) as spo2:
        rules.create_rule(backend, op, hr_rule((ConditionInput("major", "<", 30),), vital="spo2"))
    assert {f for f, _ in codes(spo2)} == {"thresholds.conditions.0.value"}
    # a proper hysteresis band is accepted
    made = rules.create_rule(backend, op, hr_rule((ConditionInput("major", ">", 120),), ("<", 110)))
    assert made.thresholds.clear_value == 110


TWO_MAJORS = ThresholdsInput((ConditionInput("major", ">", 120), ConditionInput("major", ">", 140)), "<", 110)


@pytest.mark.parametrize("use_case", ["create_rule", "set_override"])
def test_two_conditions_of_one_severity_are_refused_d03(backend: Container, use_case: str) -> None:
    """D-03: two conditions of one severity are a 422 field error, from the rule and from an elder's override
    alike (regression: it used to escape as a bare ValueError from Thresholds)."""
    w = build_monitoring(backend, bind=False)

    def attempt() -> object:
        if use_case == "create_rule":
            return rules.create_rule(backend, operator(), RuleInput(name="两个严重", vital="heart_rate",
                                                                    alarm_kind="vital", thresholds=TWO_MAJORS))
        return rules.set_override(backend, operator(), w.rules["hr"], w.elder, thresholds=TWO_MAJORS)

    with pytest.raises(ValidationFailed) as dup:
        attempt()
    assert ("thresholds.conditions.1.severity", "DUPLICATE_SEVERITY") in codes(dup)


@pytest.mark.parametrize("kind", ["sos", "fall", "offline"])
def test_alarms_that_devices_raise_are_not_rule_kinds(backend: Container, kind: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        rules.create_rule(backend, operator(), hr_rule((ConditionInput("major", ">", 120),), kind=kind))
    assert ("alarm_kind", "NOT_A_RULE_KIND") in codes(err)


@pytest.mark.parametrize(("vital", "condition", "clear"), [
    ("heart_rate", (">", 120), ("<", 125)), ("spo2", ("<", 90), (">", 85))], ids=["above", "below"])
def test_strict_thresholds_overlapping_their_clear_are_refused(backend: Container, vital: str,
                                                               condition: tuple[str, float],
                                                               clear: tuple[str, float]) -> None:
    """A strict threshold overlaps its clear threshold too: "> 120" and "< 125" both hold for 121…124, where a
    duration condition would be reset by every reading and never fire (regression: the check used to test only
    the create threshold's own value, where a strict comparator never holds)."""
    with pytest.raises(ValidationFailed) as err:
        rules.create_rule(backend, operator(), hr_rule((ConditionInput("major", *condition, duration_s=300),), clear,
                                                       vital=vital))
    assert ("thresholds.clear_value", "CLEAR_OVERLAPS") in codes(err)


@pytest.mark.parametrize("login", ["admin_A", "staff_A1", "family_F"])
def test_only_operators_write_rules(backend: Container, login: str) -> None:
    w = build_monitoring(backend, bind=False)
    with pytest.raises(PermissionDenied):
        rules.create_rule(backend, w.world.principal(login), hr_rule((ConditionInput("major", ">", 120),)))


def test_an_elders_own_thresholds_and_switching_a_rule_off_hb13(backend: Container, clock: FrozenClock) -> None:
    """HB-13/D-03: the platform rule says SpO2 < 90 twice; elder A (chronic lung disease) gets < 85: 88 twice no
    longer alarms for A, 80 twice does, and another elder still alarms at 88. Disabling the rule for A
    silences it for A alone."""
    w = ready(backend, clock)
    admin = w.world.principal("admin_A")
    other = devices.register_device(backend, operator(), model_id=w.models["std"], serial="STD-A1-0001",
                                    institution_id=w.world.inst["A1"]).id
    devices.bind_device(backend, operator(), other, w.world.elders["A1"])
    clock.advance(minutes=1)
    tick = iter(range(1000))

    def spo2(value: float, serial: str = STD) -> None:
        clock.advance(seconds=30)
        feed(backend, frame(*std(serial, f"o{next(tick)}", clock.now(), values={Vital.SPO2: value}), clock.now()))

    def open_spo2(elder: str) -> list[Alarm]:
        return [a for a in all_alarms(backend) if a.elder_id == elder and a.subject == "spo2" and a.is_open]

    spo2(88)
    spo2(88)
    assert len(open_spo2(w.elder)) == 1  # the platform rule, before any override
    spo2(95)
    assert open_spo2(w.elder) == []
    with pytest.raises(NotFound):  # the station's staff do not reach A's elder
        rules.set_override(backend, w.world.principal("staff_A1"), w.rules["spo2"], w.elder,
                           thresholds=ThresholdsInput((ConditionInput("major", "<", 85, repeats=2),), ">=", 88))
    view = rules.set_override(backend, admin, w.rules["spo2"], w.elder,
                              thresholds=ThresholdsInput((ConditionInput("major", "<", 85, repeats=2),), ">=", 88))
    assert view.enabled and view.thresholds is not None and view.thresholds.conditions[0].value == 85
    spo2(88)
    spo2(88)
    spo2(88)
    assert open_spo2(w.elder) == []
    spo2(88, "STD-A1-0001")
    spo2(88, "STD-A1-0001")
    assert len(open_spo2(w.world.elders["A1"])) == 1  # the platform rule still holds for everyone else
    spo2(80)
    spo2(80)
    [alarm] = open_spo2(w.elder)
    assert alarm.value == 80
    spo2(90)  # >= 88 clears under A's own thresholds
    assert open_spo2(w.elder) == []
    off = rules.set_override(backend, admin, w.rules["spo2"], w.elder, thresholds=None, enabled=False)
    assert (off.id, off.enabled) == (view.id, False)
    for _ in range(3):
        spo2(70)
    assert open_spo2(w.elder) == []
    assert [a.status for a in all_alarms(backend) if a.elder_id == w.elder and a.subject == "spo2"] == [
        AlarmStatus.CLOSED, AlarmStatus.CLOSED]
    feed(backend, frame(*hub_sos(clock.now()), clock.now()))  # the elder's other alarms are untouched
    assert [a.alarm_kind for a in all_alarms(backend) if a.elder_id == w.elder and a.is_open] == [AlarmKind.SOS]


# --- vital history (M-08) --------------------------------------------------------------------------


def test_vital_history_downsamples_into_bucket_means_m08(backend: Container, clock: FrozenClock) -> None:
    """M-08: 3,000 heart rates over two days (a third from the band) asked for at most 100 points: bucket
    means, minima and maxima that add up to every reading; filtered to the band, only the band's readings."""
    w = ready(backend, clock)
    end = clock.now()
    start = end - timedelta(days=2)
    band, monitor = w.devices[BAND], w.devices[STD]
    rows = [Reading(w.elder, band if i % 3 == 0 else monitor, Vital.HEART_RATE, float(60 + (i * 7) % 50),
                    start + timedelta(seconds=57 * i), end) for i in range(3000)]
    with backend.uow() as uow:
        uow.readings.add_many(rows)
        uow.commit()
    op = operator()
    history = readings.vital_history(backend, op, w.elder, Vital.HEART_RATE, start, end, max_points=100)
    assert history.total == 3000 and sum(p.count for p in history.points) == 3000
    assert len(history.points) <= 100 and history.bucket_s == 1728  # ceil(172800 s / 100)
    first = [r.value for r in rows if r.at < start + timedelta(seconds=1728)]  # readings 0 … 30
    assert len(first) == 31
    p0 = history.points[0]
    assert (p0.at, p0.count, p0.value, p0.min, p0.max) == (start, 31, round(sum(first) / 31, 2), min(first),
                                                           max(first))
    assert all(start <= p.at < end for p in history.points)
    assert [p.at for p in history.points] == sorted(p.at for p in history.points)
    only_band = readings.vital_history(backend, op, w.elder, Vital.HEART_RATE, start, end, device_id=band,
                                       max_points=100)
    assert only_band.total == 1000 and sum(p.count for p in only_band.points) == 1000
    raw = readings.vital_history(backend, op, w.elder, Vital.HEART_RATE, start, end, device_id=band,
                                 max_points=2000)
    assert raw.bucket_s == 0
    assert [(p.at, p.value) for p in raw.points] == [(r.at, r.value) for r in rows if r.device_id == band]
    with pytest.raises(NotFound):  # B's admin does not read A's elder
        readings.vital_history(backend, w.world.principal("admin_B"), w.elder, Vital.HEART_RATE, start, end)
    with pytest.raises(ValidationFailed):
        readings.vital_history(backend, op, w.elder, Vital.HEART_RATE, end, start)


def test_a_sim_reminder_nobody_received_is_tried_again_next_run_d06(backend: Container, clock: FrozenClock) -> None:
    """D-06: while the SMS provider is down the reminder is not counted as given; the next run sends it."""
    import attrs

    from tests.monitoring.test_scan import FlakyNotifier

    w = build_monitoring(backend, bind=False)
    devices.add_sim(backend, w.world.principal("admin_A"), card(1, expires=date(2026, 12, 10)))
    flaky = FlakyNotifier(backend.notifier)
    down = attrs.evolve(backend, notifier=flaky)
    assert devices.remind_sim_expiry(down) == 0  # refused by the provider; the run goes on without raising
    flaky.down = False
    assert devices.remind_sim_expiry(down) == 1
    assert devices.remind_sim_expiry(down) == 0
