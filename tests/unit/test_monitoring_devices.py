"""Devices of monitoring (D-01 device binding history, D-06 4G SIM cards).

Examples for each refusal, then a Hypothesis `RuleBasedStateMachine` binding, unbinding and retiring one
device on a hand-moved clock and asking `holder_at` about random instants against a model of the binding
periods: every reading belongs to whoever used the device at that moment, and to nobody between periods.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from attrs import asdict
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from yiyangkang.domain.kernel.errors import Conflict, DomainError
from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.monitoring.devices import Binding, Device, DeviceStatus, SimCard, SimStatus

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
OPERATOR = Actor(id="acct-operator-01", role="institution_admin")
ELDERS = ("elder-1", "elder-2", "elder-3")


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def new_device() -> Device:
    return Device(id="dev-band-0001", institution_id="inst-1", model_id="model-band", serial="865432100000001",
                  location="卧室床头", created_at=T0)


def new_card(**changes: Any) -> SimCard:
    fields: dict[str, Any] = {
        "id": "sim-1", "institution_id": "inst-1", "iccid": "89860012345678901234", "msisdn": "13800138000",
        "carrier": "中国移动", "plan_minutes": 100, "plan_data_mb": 1024, "activated_on": date(2025, 12, 1),
        "expires_on": date(2026, 12, 1), "created_at": T0,
    }
    fields.update(changes)
    return SimCard(**fields)


def state_of(item: Aggregate) -> dict[str, Any]:
    return asdict(item, filter=lambda attribute, _value: attribute.name != "_pending")


def refused(item: Aggregate, command: Any, code: str) -> None:
    """The command raises Conflict(code), and leaves the aggregate and its events as they were."""
    item.pull_events()
    before = state_of(item)
    with pytest.raises(Conflict) as caught:
        command()
    assert caught.value.code == code
    assert state_of(item) == before
    assert item.pull_events() == []


# -- devices ----------------------------------------------------------------------------------------------------------

def test_bindings_are_history_and_readings_belong_to_the_holder_of_the_moment() -> None:
    """D-01: bind to one elder, unbind, bind to another: both periods are kept, `holder_at` names the
    elder for instants in each period (start included, end excluded) and nobody before or between."""
    device = new_device()
    device.bind("elder-1", OPERATOR, at(1))
    assert device.elder_id == "elder-1"
    assert device.unbind(OPERATOR, at(5), "老人出院") == "elder-1"
    assert device.elder_id is None and device.current_binding is None
    device.bind("elder-2", OPERATOR, at(8))
    assert device.bindings == (
        Binding("elder-1", at(1), at(5), bound_by=OPERATOR.id, unbound_by=OPERATOR.id),
        Binding("elder-2", at(8), None, bound_by=OPERATOR.id))
    expected = {0: None, 0.99: None, 1: "elder-1", 3: "elder-1", 4.99: "elder-1", 5: None, 7.99: None,
                8: "elder-2", 100: "elder-2"}
    assert {h: device.holder_at(at(h)) for h in expected} == expected
    events = device.pull_events()
    assert [e.name for e in events] == ["device.bound", "device.unbound", "device.bound"]
    assert events[1].before == {"elder_id": "elder-1"} and events[1].reason == "老人出院"


def test_rebinding_at_the_instant_of_unbinding_hands_over_without_a_gap() -> None:
    """D-01: unbind at 10:00 and bind the next elder at 10:00: 10:00 belongs to the new elder."""
    device = new_device()
    device.bind("elder-1", OPERATOR, at(0))
    device.unbind(OPERATOR, at(2))
    device.bind("elder-2", OPERATOR, at(2))
    assert device.holder_at(at(2)) == "elder-2"
    assert device.holder_at(at(1.999)) == "elder-1"


def test_binding_a_bound_device_is_refused() -> None:
    """D-01: a device has at most one open binding: unbind first."""
    device = new_device()
    device.bind("elder-1", OPERATOR, at(1))
    refused(device, lambda: device.bind("elder-2", OPERATOR, at(2)), "DEVICE_ALREADY_BOUND")
    with pytest.raises(Conflict) as caught:
        device.bind("elder-2", OPERATOR, at(2))
    assert caught.value.details == {"elder_id": "elder-1"}


def test_binding_before_the_last_unbinding_is_refused() -> None:
    """D-01: a new period may not start inside the previous one (periods never overlap)."""
    device = new_device()
    device.bind("elder-1", OPERATOR, at(1))
    device.unbind(OPERATOR, at(5))
    refused(device, lambda: device.bind("elder-2", OPERATOR, at(4.5)), "DEVICE_BINDING_OVERLAPS")
    refused(device, lambda: device.bind("elder-2", OPERATOR, at(0)), "DEVICE_BINDING_OVERLAPS")


def test_unbinding_an_unbound_device_is_refused() -> None:
    """D-01: there is nothing to end."""
    device = new_device()
    refused(device, lambda: device.unbind(OPERATOR, at(1)), "DEVICE_NOT_BOUND")


def test_retiring_a_bound_device_is_refused_and_a_retired_one_cannot_be_bound() -> None:
    """D-01: unbind before retiring; a retired device is never bound again."""
    device = new_device()
    device.bind("elder-1", OPERATOR, at(1))
    refused(device, lambda: device.retire(OPERATOR, at(2)), "DEVICE_STILL_BOUND")
    device.unbind(OPERATOR, at(3))
    device.pull_events()
    device.retire(OPERATOR, at(4), "损坏报废")
    assert device.status is DeviceStatus.RETIRED
    events = device.pull_events()
    assert [e.name for e in events] == ["device.retired"]
    assert events[0].after == {"status": "retired"} and events[0].reason == "损坏报废"
    refused(device, lambda: device.bind("elder-2", OPERATOR, at(5)), "DEVICE_RETIRED")
    assert device.holder_at(at(2)) == "elder-1"  # the history outlives the device


def test_an_unbinding_given_before_the_start_ends_the_period_at_its_start() -> None:
    """D-01: an unbinding time earlier than the binding is taken as the binding's start (an empty period)."""
    device = new_device()
    device.bind("elder-1", OPERATOR, at(5))
    device.unbind(OPERATOR, at(4))
    assert device.bindings[0].end == at(5)
    assert device.holder_at(at(5)) is None
    device.bind("elder-2", OPERATOR, at(5))
    assert device.holder_at(at(5)) == "elder-2"


class BindingMachine(RuleBasedStateMachine):
    """D-01: random binds, unbinds (some with times in the past) and retirement of one device."""

    def __init__(self) -> None:
        super().__init__()
        self.device = new_device()
        self.now = T0
        self.periods: list[tuple[str, datetime, datetime | None]] = []
        self.retired = False

    def attempt(self, command: Any) -> DomainError | None:
        self.device.pull_events()
        before = state_of(self.device)
        try:
            command()
        except DomainError as error:
            assert state_of(self.device) == before
            assert self.device.pull_events() == []
            return error
        assert self.device.pull_events(), "a change without an event"
        return None

    @rule(minutes=st.integers(0, 600))
    def tick(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule(elder=st.sampled_from(ELDERS), back=st.integers(0, 300))
    def bind(self, elder: str, back: int) -> None:
        when = self.now - timedelta(minutes=back)
        error = self.attempt(lambda: self.device.bind(elder, OPERATOR, when))
        if self.retired:
            expected: str | None = "DEVICE_RETIRED"
        elif self.periods and self.periods[-1][2] is None:
            expected = "DEVICE_ALREADY_BOUND"
        elif self.periods and when < (self.periods[-1][2] or when):
            expected = "DEVICE_BINDING_OVERLAPS"
        else:
            expected = None
            self.periods.append((elder, when, None))
        assert (error.code if error else None) == expected

    @rule(back=st.integers(0, 300))
    def unbind(self, back: int) -> None:
        when = self.now - timedelta(minutes=back)
        error = self.attempt(lambda: self.device.unbind(OPERATOR, when))
        if not self.periods or self.periods[-1][2] is not None:
            assert error is not None and error.code == "DEVICE_NOT_BOUND"
            return
        assert error is None
        elder, start, _ = self.periods[-1]
        self.periods[-1] = (elder, start, max(start, when))

    @rule()
    def retire(self) -> None:
        if self.retired:
            return  # retiring again changes nothing
        error = self.attempt(lambda: self.device.retire(OPERATOR, self.now))
        if self.periods and self.periods[-1][2] is None:
            assert error is not None and error.code == "DEVICE_STILL_BOUND"
            return
        assert error is None
        self.retired = True

    @rule(minutes=st.integers(-600, 600), pick=st.integers(0, 1000))
    def holder_at(self, minutes: int, pick: int) -> None:
        """Ask about a random instant, or exactly at a period's start or end."""
        edges = [t for _, start, end in self.periods for t in (start, end) if t is not None]
        when = edges[pick % len(edges)] if edges and pick % 2 else self.now + timedelta(minutes=minutes)
        holders = [elder for elder, start, end in self.periods if start <= when and (end is None or when < end)]
        assert len(holders) <= 1
        assert self.device.holder_at(when) == (holders[0] if holders else None)

    @invariant()
    def bindings_match_the_model(self) -> None:
        assert [(b.elder_id, b.start, b.end) for b in self.device.bindings] == self.periods
        assert self.device.elder_id == (self.periods[-1][0] if self.periods and self.periods[-1][2] is None
                                        else None)
        assert (self.device.status is DeviceStatus.RETIRED) is self.retired

    @invariant()
    def periods_never_overlap(self) -> None:
        for earlier, later in zip(self.device.bindings, self.device.bindings[1:], strict=False):
            assert earlier.end is not None and earlier.start <= earlier.end <= later.start


def test_binding_history_machine() -> None:
    """D-01: binding history under random commands."""
    run_state_machine_as_test(BindingMachine, settings=settings(max_examples=100, stateful_step_count=30,
                                                                deadline=None))


# -- SIM cards --------------------------------------------------------------------------------------------------------

def test_the_expiry_reminder_is_due_once_per_expiry_and_rearmed_by_a_renewal() -> None:
    """D-06: within the lead time the card is due for a reminder; once reminded for this expiry it is not
    again, however often the job runs; a renewal moves the expiry and re-arms the reminder."""
    card = new_card(expires_on=date(2026, 12, 1))
    assert not card.due_for_reminder(date(2026, 10, 31), 30)  # 31 days ahead
    assert card.due_for_reminder(date(2026, 11, 1), 30)  # 30 days ahead
    assert card.due_for_reminder(date(2026, 12, 5), 30)  # already expired, still not reminded
    card.reminded_for = card.expires_on
    assert not card.due_for_reminder(date(2026, 11, 1), 30)
    assert not card.due_for_reminder(date(2026, 11, 30), 30)
    card.expires_on = date(2027, 12, 1)
    assert not card.due_for_reminder(date(2026, 11, 30), 30)
    assert card.due_for_reminder(date(2027, 11, 15), 30)
    card.reminded_for = card.expires_on
    assert not card.due_for_reminder(date(2027, 11, 16), 30)


@pytest.mark.parametrize("status", [SimStatus.SUSPENDED, SimStatus.CANCELLED])
def test_cards_not_in_use_are_never_reminded_and_never_put_into_devices(status: SimStatus) -> None:
    """D-06: a suspended or cancelled card gets no reminder and cannot go into a device; it can be taken out."""
    card = new_card(status=status, device_id="dev-band-0001")
    assert not card.due_for_reminder(date(2026, 11, 30), 30)
    refused(card, lambda: card.attach("dev-band-0002", OPERATOR, T0), "SIM_NOT_ACTIVE")
    card.attach(None, OPERATOR, T0)
    assert card.device_id is None
    assert [e.name for e in card.pull_events()] == ["sim_card.detached"]


def test_attaching_an_active_card_is_recorded() -> None:
    """D-06: putting a card into a device and taking it out are audited, the phone number masked."""
    card = new_card()
    card.attach("dev-band-0001", OPERATOR, T0)
    assert card.device_id == "dev-band-0001"
    events = card.pull_events()
    assert [e.name for e in events] == ["sim_card.attached"]
    assert events[0].before == {"device_id": None} and events[0].after == {"device_id": "dev-band-0001"}
    card.attach("dev-band-0001", OPERATOR, T0)
    assert card.pull_events() == []  # nothing changed, nothing recorded
    card.record_created(OPERATOR, T0)
    created = card.pull_events()[0]
    assert created.after is not None and created.after["msisdn"] != "13800138000"


@given(today=st.dates(date(2026, 1, 1), date(2028, 1, 1)), lead=st.integers(0, 90),
       reminded=st.booleans())
@settings(max_examples=200, deadline=None)
def test_reminder_due_matches_its_definition(today: date, lead: int, reminded: bool) -> None:
    """D-06: due exactly when active, not yet reminded for this expiry and the expiry is ≤ lead days away."""
    card = new_card(reminded_for=date(2026, 12, 1) if reminded else None)
    assert card.due_for_reminder(today, lead) is (not reminded and (date(2026, 12, 1) - today).days <= lead)
