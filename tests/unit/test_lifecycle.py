"""The lifecycle helper and the account lifecycle: table-driven moves, events, and a stateful model."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import pytest
from attrs import define, field
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from yiyangkang.domain.identity.accounts import (
    ACCOUNT_LIFECYCLE,
    AccountStatus,
    LockoutPolicy,
    Role,
    UserAccount,
)
from yiyangkang.domain.kernel.errors import Conflict, InvalidTransition
from yiyangkang.domain.kernel.events import Actor, DomainEvent
from yiyangkang.domain.kernel.lifecycle import Lifecycle

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
ADMIN = Actor(id="admin-1", role="institution_admin")


class Light(StrEnum):
    RED = "red"
    GREEN = "green"
    YELLOW = "yellow"
    BROKEN = "broken"


LIGHT = Lifecycle.of(
    "traffic_light",
    {
        Light.RED: {Light.GREEN, Light.BROKEN},
        Light.GREEN: {Light.YELLOW, Light.BROKEN},
        Light.YELLOW: {Light.RED, Light.BROKEN},
    },
)


@define
class Lamp:
    id: str
    status: Light
    events: list[DomainEvent] = field(factory=list)

    def record(self, event: DomainEvent) -> None:
        self.events.append(event)


# --- the generic helper ---------------------------------------------------------------------------


def test_table_queries() -> None:
    assert LIGHT.can(Light.RED, Light.GREEN)
    assert not LIGHT.can(Light.RED, Light.YELLOW)
    assert not LIGHT.can(Light.BROKEN, Light.RED)
    assert LIGHT.targets(Light.GREEN) == frozenset({Light.YELLOW, Light.BROKEN})
    assert LIGHT.targets(Light.BROKEN) == frozenset()
    assert LIGHT.is_final(Light.BROKEN)
    assert not LIGHT.is_final(Light.RED)


ALL_PAIRS = list(itertools.product(Light, Light))


@pytest.mark.parametrize(("source", "target"), [p for p in ALL_PAIRS if LIGHT.can(*p)])
def test_allowed_move_changes_status_and_records_one_event(source: Light, target: Light) -> None:
    lamp = Lamp("lamp-1", source)
    returned = LIGHT.move(lamp, target, actor=ADMIN, at=T0, reason="定期检修")
    assert lamp.status is target
    assert lamp.events == [returned]
    assert returned == DomainEvent(
        name=f"traffic_light.{target.value}", aggregate="traffic_light", aggregate_id="lamp-1", actor=ADMIN,
        occurred_at=T0, before={"status": source.value}, after={"status": target.value}, reason="定期检修",
    )


def test_move_with_event_name_uses_it() -> None:
    lamp = Lamp("lamp-1", Light.RED)
    event = LIGHT.move(lamp, Light.BROKEN, actor=ADMIN, at=T0, event="struck_by_lightning")
    assert event.name == "traffic_light.struck_by_lightning"
    assert event.before == {"status": "red"}
    assert event.after == {"status": "broken"}
    assert event.reason == ""


@pytest.mark.parametrize(("source", "target"), [p for p in ALL_PAIRS if not LIGHT.can(*p)])
def test_disallowed_move_raises_and_changes_nothing(source: Light, target: Light) -> None:
    lamp = Lamp("lamp-1", source)
    with pytest.raises(InvalidTransition) as info:
        LIGHT.move(lamp, target, actor=ADMIN, at=T0)
    assert isinstance(info.value, Conflict)
    assert info.value.code == "TRAFFIC_LIGHT_INVALID_TRANSITION"
    assert info.value.details == {"from": source.value, "to": target.value}
    assert source.value in info.value.message
    assert lamp.status is source
    assert lamp.events == []


# --- the account lifecycle ------------------------------------------------------------------------


def make_account(status: AccountStatus = AccountStatus.ACTIVE, **kw: object) -> UserAccount:
    return UserAccount(
        id="acc-1", username="zhangsan", password_hash="hash", role=Role.STAFF, status=status,
        password_changed_at=T0, created_at=T0, **kw,  # type: ignore[arg-type]
    )


def test_account_lifecycle_table() -> None:
    S = AccountStatus
    allowed = {(s, t) for s, t in itertools.product(S, S) if ACCOUNT_LIFECYCLE.can(s, t)}
    assert allowed == {
        (S.ACTIVE, S.LOCKED), (S.ACTIVE, S.DISABLED),
        (S.LOCKED, S.ACTIVE), (S.LOCKED, S.DISABLED),
        (S.DISABLED, S.ACTIVE),
    }
    assert not any(ACCOUNT_LIFECYCLE.is_final(s) for s in S)


@pytest.mark.parametrize(
    ("source", "target"),
    [p for p in itertools.product(AccountStatus, AccountStatus) if ACCOUNT_LIFECYCLE.can(*p)],
)
def test_account_allowed_moves(source: AccountStatus, target: AccountStatus) -> None:
    account = make_account(source)
    ACCOUNT_LIFECYCLE.move(account, target, actor=ADMIN, at=T0, reason="测试")
    events = account.pull_events()
    assert account.status is target
    assert len(events) == 1
    (event,) = events
    assert event.name == f"account.{target.value}"
    assert event.aggregate == "account"
    assert event.aggregate_id == "acc-1"
    assert event.before == {"status": source.value}
    assert event.after == {"status": target.value}
    assert event.actor == ADMIN
    assert event.reason == "测试"
    assert event.occurred_at == T0


@pytest.mark.parametrize(
    ("source", "target"),
    [p for p in itertools.product(AccountStatus, AccountStatus) if not ACCOUNT_LIFECYCLE.can(*p)],
)
def test_account_disallowed_moves(source: AccountStatus, target: AccountStatus) -> None:
    account = make_account(source)
    with pytest.raises(InvalidTransition) as info:
        ACCOUNT_LIFECYCLE.move(account, target, actor=ADMIN, at=T0)
    assert info.value.code == "ACCOUNT_INVALID_TRANSITION"
    assert account.status is source
    assert account.pull_events() == []


def test_account_methods_refuse_illegal_moves_untouched() -> None:
    disabled = make_account(AccountStatus.DISABLED, failed_logins=2)
    with pytest.raises(InvalidTransition):
        disabled.disable(ADMIN, T0)
    active = make_account(AccountStatus.ACTIVE, failed_logins=2)
    with pytest.raises(InvalidTransition):
        active.unlock(ADMIN, T0)
    with pytest.raises(InvalidTransition):
        active.enable(ADMIN, T0)
    for account in (disabled, active):
        assert account.failed_logins == 2
        assert account.pull_events() == []
    assert disabled.status is AccountStatus.DISABLED
    assert active.status is AccountStatus.ACTIVE


# --- stateful model of an account -----------------------------------------------------------------

POLICY = LockoutPolicy(threshold=3, duration=timedelta(minutes=15))


class AccountMachine(RuleBasedStateMachine):
    """Drives one account through logins, lock expiry and admin actions while the clock moves."""

    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.account = make_account()
        self.events: list[DomainEvent] = []

    def _collect(self) -> None:
        self.events.extend(self.account.pull_events())

    def _try(self, action: object) -> None:
        before = self.account.status
        try:
            action()  # type: ignore[operator]
        except InvalidTransition:
            assert self.account.status is before
        self._collect()

    @rule(minutes=st.integers(min_value=0, max_value=30))
    def tick(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule()
    def login_failed(self) -> None:
        was = self.account.status
        locked_now = self.account.login_failed(self.now, POLICY)
        assert locked_now == (was is AccountStatus.ACTIVE and self.account.status is AccountStatus.LOCKED)
        if locked_now:
            assert self.account.locked_until == self.now + POLICY.duration
            assert self.account.failed_logins >= POLICY.threshold
        self._collect()

    @rule()
    def login_succeeded(self) -> None:
        self.account.login_succeeded(self.now)
        assert self.account.failed_logins == 0
        assert self.account.last_login_at == self.now
        self._collect()

    @rule()
    def release_expired_lock(self) -> None:
        was_locked_at = self.account.is_locked_at(self.now)
        was = self.account.status
        self.account.release_expired_lock(self.now)
        if was is AccountStatus.LOCKED and not was_locked_at:
            assert self.account.status is AccountStatus.ACTIVE
            assert self.account.failed_logins == 0
        else:
            assert self.account.status is was
        self._collect()

    @rule()
    def unlock(self) -> None:
        self._try(lambda: self.account.unlock(ADMIN, self.now))

    @rule()
    def disable(self) -> None:
        self._try(lambda: self.account.disable(ADMIN, self.now, "离职"))

    @rule()
    def enable(self) -> None:
        self._try(lambda: self.account.enable(ADMIN, self.now))

    @precondition(lambda self: self.account.status is AccountStatus.LOCKED)
    @rule()
    def locked_account_is_locked_until_its_time(self) -> None:
        until = self.account.locked_until
        assert until is not None
        assert self.account.is_locked_at(until - timedelta(seconds=1))
        assert not self.account.is_locked_at(until)

    @invariant()
    def status_is_a_known_state(self) -> None:
        assert self.account.status in set(AccountStatus)

    @invariant()
    def locked_account_has_an_end(self) -> None:
        if self.account.status is AccountStatus.LOCKED:
            assert self.account.locked_until is not None

    @invariant()
    def failed_logins_never_negative(self) -> None:
        assert self.account.failed_logins >= 0

    @invariant()
    def status_events_follow_the_table_and_chain(self) -> None:
        status_events = [e for e in self.events if e.before is not None and "status" in e.before]
        previous = AccountStatus.ACTIVE.value
        for event in status_events:
            assert event.after is not None
            source, target = AccountStatus(event.before["status"]), AccountStatus(event.after["status"])
            assert ACCOUNT_LIFECYCLE.can(source, target)
            assert event.before["status"] == previous
            previous = event.after["status"]
        assert previous == self.account.status.value


def test_account_state_machine() -> None:
    run_state_machine_as_test(
        AccountMachine, settings=settings(max_examples=50, stateful_step_count=30, deadline=None)
    )
