"""Login, the caller's principal, and password change (P-11)."""

from __future__ import annotations

from attrs import frozen

from yiyangkang.domain.identity.accounts import AccountStatus, Role, UserAccount, check_password_strength
from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import AuthenticationFailed
from yiyangkang.domain.kernel.timekeeping import local_text
from yiyangkang.domain.kernel.validation import Checks
from yiyangkang.ports.security import PasswordHasher
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import require
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.views import AccountView

# Verified against when the login names nobody, so that a wrong user name costs the same time as a
# wrong password. (The remaining-attempts hint and the lock notice do tell that an account exists: a
# deliberate trade for elders locked out by mistyping; see the closing note of issue 2.)
_DUMMY_PASSWORD = "not-a-real-password-0"
_dummy_hashes: dict[int, str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    return _dummy_hashes.setdefault(id(hasher), hasher.hash(_DUMMY_PASSWORD))


@frozen
class LoginResult:
    account_id: str
    token_version: int
    role: Role


def login(rt: Runtime, login_name: str, password: str) -> LoginResult:
    """Check the password; count failures and lock after the configured number (5 by default).

    The account row is locked while the password is checked, so parallel guesses are each counted."""
    login_name = login_name.strip()
    with rt.uow() as uow:
        found = uow.accounts.by_login(login_name) if login_name else None
    if found is None:
        rt.hasher.verify(_dummy_hash(rt.hasher), password)
        raise AuthenticationFailed()
    with rt.uow() as uow:
        account = uow.accounts.lock(found.id)
        if account is None:
            raise AuthenticationFailed()
        now = rt.clock.now()
        account.release_expired_lock(now)
        if account.status is AccountStatus.DISABLED:
            # Only the owner, who knows the password, learns that the account is disabled.
            if not rt.hasher.verify(account.password_hash, password):
                raise AuthenticationFailed()
            raise AuthenticationFailed("账号已停用，请联系管理员", code="AUTH_ACCOUNT_DISABLED")
        if account.is_locked_at(now):
            _locked(account)
        if not rt.hasher.verify(account.password_hash, password):
            locked_now = account.login_failed(now, rt.lockout)
            uow.accounts.save(account)
            uow.commit()
            if locked_now:
                _locked(account)
            left = rt.lockout.threshold - account.failed_logins
            raise AuthenticationFailed(f"账号或密码错误，再错{left}次将锁定账号", details={"attempts_left": left})
        if _staff_gone(uow, account):
            raise AuthenticationFailed("该员工已离职，账号不可用", code="AUTH_ACCOUNT_DISABLED")
        account.login_succeeded(now)
        if rt.hasher.needs_rehash(account.password_hash):
            account.password_hash = rt.hasher.hash(password)
        uow.accounts.save(account)
        uow.commit()
        return LoginResult(account.id, account.token_version, account.role)


def _locked(account: UserAccount) -> None:
    until = local_text(account.locked_until) if account.locked_until else "管理员解锁"
    raise AuthenticationFailed(
        f"密码错误次数过多，账号已锁定至{until}", code="AUTH_ACCOUNT_LOCKED",
        details={"locked_until": account.locked_until.isoformat() if account.locked_until else None},
    )


def _staff_gone(uow: UnitOfWork, account: UserAccount) -> bool:
    """A staff login lives only as long as the person works there (员工离职即失去访问权)."""
    if account.role is not Role.STAFF:
        return False
    member = uow.staff.get(account.staff_id or "")
    return member is None or not member.active


def principal_of(uow: UnitOfWork, account: UserAccount) -> Principal:
    path = None
    if account.institution_id:
        path = uow.institutions.paths([account.institution_id]).get(account.institution_id)
    if account.role is Role.FAMILY and account.family_member_id:
        elder_ids = uow.family_links.elder_ids_of(account.family_member_id)
    elif account.role is Role.ELDER and account.elder_id:
        elder_ids = frozenset({account.elder_id})
    else:
        elder_ids = frozenset()
    return Principal(
        account_id=account.id, role=account.role, username=account.username,
        institution_id=account.institution_id, institution_path=path, staff_id=account.staff_id,
        family_member_id=account.family_member_id, elder_ids=elder_ids,
    )


def resolve_principal(rt: Runtime, account_id: str, token_version: int) -> Principal | None:
    """The principal behind a token, or None when the token no longer stands (password changed,
    account disabled or locked). Links are read afresh, so an unlinked elder vanishes at once."""
    with rt.uow() as uow:
        account = uow.accounts.get(account_id)
        if account is None or account.token_version != token_version:
            return None
        if account.status is AccountStatus.DISABLED or account.is_locked_at(rt.clock.now()):
            return None
        if _staff_gone(uow, account):
            return None
        return principal_of(uow, account)


def me(rt: Runtime, principal: Principal) -> AccountView:
    require(principal, Operation.ME_READ)
    with rt.uow() as uow:
        account = uow.accounts.get(principal.account_id)
        if account is None:
            raise AuthenticationFailed()
        return AccountView.of(account, reveal=True)


def change_password(rt: Runtime, principal: Principal, old_password: str, new_password: str) -> None:
    """P-11: the old password proves it is the owner; old tokens stop working afterwards."""
    require(principal, Operation.PASSWORD_CHANGE)
    with rt.uow() as uow:
        account = uow.accounts.get(principal.account_id)
        if account is None:
            raise AuthenticationFailed()
        checks = Checks()
        if not rt.hasher.verify(account.password_hash, old_password):
            checks.fail("old_password", "原密码不正确", code="WRONG_PASSWORD")
        checks.parse("new_password", lambda p: check_password_strength(p, account.username), new_password)
        checks.require("new_password", new_password != old_password, "新密码不能与原密码相同", code="UNCHANGED")
        checks.done()
        account.set_password(rt.hasher.hash(new_password), principal.actor, rt.clock.now())
        uow.accounts.save(account)
        uow.commit()


def system_principal(name: str) -> Principal:
    """The operator at the server's console (CLI batch jobs): platform scope, audited under `name`."""
    return Principal(account_id=f"system:{name}", role=Role.PLATFORM_OPERATOR, username=name)
