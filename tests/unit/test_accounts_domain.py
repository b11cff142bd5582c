"""Account lockout, password changes and password strength (P-11)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from yiyangkang.domain.identity.accounts import (
    AccountStatus,
    LockoutPolicy,
    Role,
    UserAccount,
    check_password_strength,
)
from yiyangkang.domain.kernel.errors import InvalidTransition
from yiyangkang.domain.kernel.events import Actor

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
ADMIN = Actor(id="admin-1", role="institution_admin")
POLICY = LockoutPolicy(threshold=3, duration=timedelta(minutes=15))


def make_account(**kw: object) -> UserAccount:
    values: dict[str, object] = {
        "id": "acc-1", "username": "zhangsan", "phone": "13800138000", "password_hash": "old-hash",
        "role": Role.STAFF, "password_changed_at": T0, "created_at": T0,
    }
    values.update(kw)
    return UserAccount(**values)  # type: ignore[arg-type]


def lock(account: UserAccount, at: datetime = T0) -> None:
    for _ in range(POLICY.threshold):
        account.login_failed(at, POLICY)


# --- lockout --------------------------------------------------------------------------------------


def test_default_lockout_policy() -> None:
    assert LockoutPolicy() == LockoutPolicy(threshold=5, duration=timedelta(minutes=15))


def test_failures_below_threshold_do_not_lock() -> None:
    account = make_account()
    for n in range(1, POLICY.threshold):
        assert account.login_failed(T0 + timedelta(minutes=n), POLICY) is False
        assert account.failed_logins == n
    assert account.status is AccountStatus.ACTIVE
    assert account.locked_until is None
    assert not account.is_locked_at(T0 + timedelta(minutes=5))
    assert account.pull_events() == []


def test_threshold_failure_locks_for_the_duration() -> None:
    account = make_account()
    for _ in range(POLICY.threshold - 1):
        account.login_failed(T0, POLICY)
    at = T0 + timedelta(minutes=1)
    assert account.login_failed(at, POLICY) is True
    assert account.status is AccountStatus.LOCKED
    assert account.locked_until == at + POLICY.duration
    (event,) = account.pull_events()
    assert event.name == "account.locked"
    assert event.before == {"status": "active"}
    assert event.after == {"status": "locked"}
    assert event.actor == Actor.system()
    assert "3" in event.reason


def test_locked_while_duration_runs() -> None:
    account = make_account()
    lock(account)
    until = T0 + POLICY.duration
    assert account.is_locked_at(T0)
    assert account.is_locked_at(until - timedelta(microseconds=1))
    assert not account.is_locked_at(until)
    assert not account.is_locked_at(until + timedelta(days=1))


def test_release_before_expiry_does_nothing() -> None:
    account = make_account()
    lock(account)
    account.pull_events()
    account.release_expired_lock(T0 + POLICY.duration - timedelta(seconds=1))
    assert account.status is AccountStatus.LOCKED
    assert account.failed_logins == POLICY.threshold
    assert account.pull_events() == []


def test_release_after_expiry_reactivates_and_resets_counter() -> None:
    account = make_account()
    lock(account)
    account.pull_events()
    at = T0 + POLICY.duration
    account.release_expired_lock(at)
    assert account.status is AccountStatus.ACTIVE
    assert account.failed_logins == 0
    assert account.locked_until is None
    assert not account.is_locked_at(at)
    (event,) = account.pull_events()
    assert event.name == "account.unlocked"
    assert (event.before, event.after) == ({"status": "locked"}, {"status": "active"})
    assert event.actor == Actor.system()


def test_release_on_an_active_or_disabled_account_is_a_no_op() -> None:
    for status in (AccountStatus.ACTIVE, AccountStatus.DISABLED):
        account = make_account(status=status, failed_logins=2)
        account.release_expired_lock(T0 + timedelta(days=1))
        assert account.status is status
        assert account.failed_logins == 2
        assert account.pull_events() == []


def test_lock_without_end_stays_until_admin_unlocks() -> None:
    account = make_account(status=AccountStatus.LOCKED, locked_until=None, failed_logins=9)
    assert account.is_locked_at(T0 + timedelta(days=365))
    account.release_expired_lock(T0 + timedelta(days=365))
    assert account.status is AccountStatus.LOCKED
    account.unlock(ADMIN, T0)
    assert account.status is AccountStatus.ACTIVE
    assert account.failed_logins == 0
    (event,) = account.pull_events()
    assert event.name == "account.unlocked"
    assert event.actor == ADMIN


def test_success_resets_the_counter() -> None:
    account = make_account()
    account.login_failed(T0, POLICY)
    account.login_failed(T0, POLICY)
    account.login_succeeded(T0 + timedelta(minutes=1))
    assert account.failed_logins == 0
    assert account.last_login_at == T0 + timedelta(minutes=1)
    # The counter starts again: another threshold-1 failures do not lock.
    for _ in range(POLICY.threshold - 1):
        assert not account.login_failed(T0 + timedelta(minutes=2), POLICY)
    assert account.status is AccountStatus.ACTIVE


def test_disabled_account_does_not_lock_on_failures() -> None:
    account = make_account(status=AccountStatus.DISABLED)
    for _ in range(POLICY.threshold * 2):
        assert account.login_failed(T0, POLICY) is False
    assert account.status is AccountStatus.DISABLED
    assert account.locked_until is None


def test_disable_and_enable() -> None:
    account = make_account(failed_logins=2)
    account.disable(ADMIN, T0, "离职")
    assert account.status is AccountStatus.DISABLED
    account.enable(ADMIN, T0 + timedelta(hours=1))
    assert account.status is AccountStatus.ACTIVE
    assert account.failed_logins == 0
    disabled, enabled = account.pull_events()
    assert (disabled.name, disabled.reason) == ("account.disabled", "离职")
    assert enabled.name == "account.enabled"


def test_unlock_does_not_reactivate_a_disabled_account() -> None:
    account = make_account(status=AccountStatus.DISABLED)
    with pytest.raises(InvalidTransition):
        account.unlock(ADMIN, T0)
    assert account.status is AccountStatus.DISABLED


def test_enable_after_lock_and_disable_clears_the_lock() -> None:
    account = make_account()
    lock(account)
    account.disable(ADMIN, T0, "离职")
    account.enable(ADMIN, T0 + timedelta(minutes=1))
    assert account.status is AccountStatus.ACTIVE
    assert account.locked_until is None


# --- passwords ------------------------------------------------------------------------------------


def test_set_password_bumps_token_version_and_records_event() -> None:
    account = make_account()
    at = T0 + timedelta(days=3)
    account.set_password("new-hash", ADMIN, at)
    assert account.password_hash == "new-hash"
    assert account.password_changed_at == at
    assert account.token_version == 2
    (event,) = account.pull_events()
    assert event.name == "account.password_changed"
    assert event.aggregate_id == "acc-1"
    assert event.actor == ADMIN
    assert event.occurred_at == at
    assert "new-hash" not in repr(event)
    account.set_password("newer-hash", ADMIN, at)
    assert account.token_version == 3


@pytest.mark.parametrize(
    "password", ["Abcdef12", "zhang2024san!", "Passw0rd-test", "a1" * 32, "中文密码abc123"]
)
def test_strong_passwords_pass(password: str) -> None:
    """P-11: letters and digits, 8 to 64 characters, not containing the username."""
    check_password_strength(password, "zhangsan")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Abc1234", "长度"),  # 7 characters
        ("", "长度"),
        ("a1" * 32 + "x", "长度"),  # 65 characters
        ("1234567890", "字母和数字"),  # digits only
        ("abcdefghij", "字母和数字"),  # letters only
        ("!!!!####$$$$", "字母和数字"),
        ("zhangsan123", "用户名"),
        ("1ZhangSan2x", "用户名"),  # case does not matter
    ],
)
def test_weak_passwords_rejected(password: str, reason: str) -> None:
    """P-11: short, single-class and username-containing passwords are rejected with a Chinese reason."""
    with pytest.raises(ValueError, match=reason):
        check_password_strength(password, "zhangsan")


def test_empty_username_does_not_reject_everything() -> None:
    """P-11."""
    check_password_strength("Abcdef12", "")


def test_account_phone_is_masked_in_audit_events() -> None:
    account = make_account()
    account.record_created(ADMIN, T0)
    (event,) = account.pull_events()
    assert event.name == "account.created"
    assert event.after is not None
    assert event.after["phone"] == "138****8000"
