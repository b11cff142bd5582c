"""User accounts (用户账号), roles and lockout after repeated wrong passwords."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from attrs import define, frozen

from yiyangkang.domain.kernel.errors import InvalidTransition
from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.kernel.lifecycle import Lifecycle
from yiyangkang.domain.kernel.masking import mask_phone


class Role(StrEnum):
    ELDER = "elder"  # 老年人
    FAMILY = "family"  # 家属
    STAFF = "staff"  # 服务人员/医护/调度
    INSTITUTION_ADMIN = "institution_admin"  # 机构管理员
    PLATFORM_OPERATOR = "platform_operator"  # 平台运营
    GOV_AUDITOR = "gov_auditor"  # 政府审计（只读结算）
    PARTNER = "partner"  # 合作机构系统（机器账号）


ROLE_LABELS = {
    Role.ELDER: "老年人",
    Role.FAMILY: "家属",
    Role.STAFF: "服务人员",
    Role.INSTITUTION_ADMIN: "机构管理员",
    Role.PLATFORM_OPERATOR: "平台运营",
    Role.GOV_AUDITOR: "政府审计",
    Role.PARTNER: "合作机构",
}


class AccountStatus(StrEnum):
    ACTIVE = "active"  # 正常
    LOCKED = "locked"  # 已锁定（密码错误次数过多）
    DISABLED = "disabled"  # 已停用


ACCOUNT_LIFECYCLE = Lifecycle.of(
    "account",
    {
        AccountStatus.ACTIVE: {AccountStatus.LOCKED, AccountStatus.DISABLED},
        AccountStatus.LOCKED: {AccountStatus.ACTIVE, AccountStatus.DISABLED},
        AccountStatus.DISABLED: {AccountStatus.ACTIVE},
    },
)


@frozen
class LockoutPolicy:
    """After `threshold` consecutive wrong passwords the account locks for `duration`."""

    threshold: int = 5
    duration: timedelta = timedelta(minutes=15)


@define(slots=False, kw_only=True)
class UserAccount(Aggregate):
    """A login. Which person it is depends on the role: a staff member, an elder, a family member,
    an institution admin (of `institution_id`), a platform operator or an auditor."""

    kind = "account"
    masked_fields = {"phone": mask_phone}

    username: str
    phone: str | None = None
    password_hash: str
    role: Role
    institution_id: str | None = None
    staff_id: str | None = None
    elder_id: str | None = None
    family_member_id: str | None = None
    status: AccountStatus = AccountStatus.ACTIVE
    failed_logins: int = 0
    locked_until: datetime | None = None
    # Bumped when the password changes, so tokens issued before stop working.
    token_version: int = 1
    password_changed_at: datetime
    last_login_at: datetime | None = None
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {
            "username": self.username, "phone": self.phone, "role": self.role.value,
            "institution_id": self.institution_id, "staff_id": self.staff_id,
            "elder_id": self.elder_id, "family_member_id": self.family_member_id,
        }

    def is_locked_at(self, at: datetime) -> bool:
        return self.status is AccountStatus.LOCKED and (self.locked_until is None or at < self.locked_until)

    def release_expired_lock(self, at: datetime) -> None:
        """A lock whose time is over ends by itself at the next attempt."""
        if self.status is AccountStatus.LOCKED and self.locked_until is not None and at >= self.locked_until:
            ACCOUNT_LIFECYCLE.move(self, AccountStatus.ACTIVE, actor=Actor.system(), at=at,
                                   reason="锁定时间已过", event="unlocked")
            self.failed_logins = 0
            self.locked_until = None

    def login_failed(self, at: datetime, policy: LockoutPolicy) -> bool:
        """Count a wrong password; lock when the threshold is reached. True if now locked."""
        self.failed_logins += 1
        if self.status is AccountStatus.ACTIVE and self.failed_logins >= policy.threshold:
            self.locked_until = at + policy.duration
            ACCOUNT_LIFECYCLE.move(
                self, AccountStatus.LOCKED, actor=Actor.system(), at=at,
                reason=f"连续{self.failed_logins}次密码错误",
            )
            return True
        return False

    def login_succeeded(self, at: datetime) -> None:
        self.failed_logins = 0
        self.last_login_at = at

    def unlock(self, actor: Actor, at: datetime) -> None:
        if self.status is not AccountStatus.LOCKED:  # a disabled account is re-enabled, not unlocked
            raise InvalidTransition("account", self.status.value, AccountStatus.ACTIVE.value)
        ACCOUNT_LIFECYCLE.move(self, AccountStatus.ACTIVE, actor=actor, at=at, reason="管理员解锁",
                               event="unlocked")
        self.failed_logins = 0
        self.locked_until = None

    def disable(self, actor: Actor, at: datetime, reason: str = "") -> None:
        ACCOUNT_LIFECYCLE.move(self, AccountStatus.DISABLED, actor=actor, at=at, reason=reason)

    def enable(self, actor: Actor, at: datetime) -> None:
        ACCOUNT_LIFECYCLE.move(self, AccountStatus.ACTIVE, actor=actor, at=at, event="enabled")
        self.failed_logins = 0
        self.locked_until = None

    def set_password(self, password_hash: str, actor: Actor, at: datetime) -> None:
        self.password_hash = password_hash
        self.password_changed_at = at
        self.token_version += 1
        self.note("password_changed", actor, at)


def check_password_strength(password: str, username: str) -> None:
    """Raises ValueError with a Chinese reason when the password is too weak (密码强度)."""
    if not 8 <= len(password) <= 64:
        raise ValueError("密码长度应为8到64位")
    if not any(c.isdigit() for c in password) or not any(c.isalpha() for c in password):
        raise ValueError("密码须同时包含字母和数字")
    if username and username.lower() in password.lower():
        raise ValueError("密码不能包含用户名")
