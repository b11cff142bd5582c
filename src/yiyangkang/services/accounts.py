"""User accounts (账号管理): operators and institution admins open and manage logins."""

from __future__ import annotations

import re

from attrs import frozen

from yiyangkang.domain.identity.accounts import Role, UserAccount, check_password_strength
from yiyangkang.domain.identity.policy import Operation, Scope, Target, within
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import Conflict, NotFound, PermissionDenied
from yiyangkang.domain.kernel.identifiers import parse_mobile
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.validation import Checks, choice
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import elder_target, institution_target, owner_target, require, visibility
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.views import AccountView

_USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{3,32}$")

# Roles an institution admin may hand out; the others only a platform operator may.
ADMIN_GRANTABLE = frozenset({Role.STAFF, Role.INSTITUTION_ADMIN, Role.ELDER, Role.FAMILY})


@frozen(kw_only=True)
class AccountForm:
    username: str
    password: str
    role: str
    phone: str | None = None
    institution_id: str | None = None
    staff_id: str | None = None
    elder_id: str | None = None
    family_member_id: str | None = None


def _username(raw: str) -> str:
    if not _USERNAME.match(raw.strip()):
        raise ValueError("用户名为3到32位字母、数字或 _ . -")
    return raw.strip()


def _reach(
    uow: UnitOfWork, role: Role, *, staff_id: str | None, elder_id: str | None, family_member_id: str | None,
    institution_id: str | None,
) -> tuple[list[Target], str | None] | None:
    """What an account of `role` for this person would reach, and the institution it belongs to;
    None when the person (or institution) does not exist. A family account reaches every linked elder."""
    if role is Role.STAFF:
        member = uow.staff.get(staff_id or "")
        return None if member is None else ([owner_target(uow, member.institution_id)], member.institution_id)
    if role is Role.ELDER:
        elder = uow.elders.get(elder_id or "")
        return None if elder is None else ([elder_target(uow, elder)], elder.institution_id)
    if role is Role.FAMILY:
        linked = [uow.elders.get(e) for e in sorted(uow.family_links.elder_ids_of(family_member_id or ""))]
        elders = [e for e in linked if e is not None]
        return ([elder_target(uow, e) for e in elders], elders[0].institution_id) if elders else None
    if institution_id:
        inst = uow.institutions.get(institution_id)
        return None if inst is None else ([institution_target(inst)], inst.id)
    return [], None  # platform-wide roles


def _in_scope(principal: Principal, scope: Scope, role: Role, targets: list[Target]) -> bool:
    """Admins reach only the roles they may grant, and only when *everything* the account reaches is
    theirs (a family account linked to elders of two institutions belongs to neither admin alone)."""
    if scope is Scope.ALL:
        return True
    return role in ADMIN_GRANTABLE and bool(targets) and all(within(principal, scope, t) for t in targets)


_UNKNOWN = {
    Role.STAFF: ("staff_id", "员工不存在", "UNKNOWN_STAFF"),
    Role.ELDER: ("elder_id", "老年人不存在", "UNKNOWN_ELDER"),
    Role.FAMILY: ("family_member_id", "家属不存在或未关联老人", "UNKNOWN_FAMILY"),
}


def create_account(rt: Runtime, principal: Principal, form: AccountForm) -> AccountView:
    scope = require(principal, Operation.ACCOUNT_CREATE)
    with rt.uow() as uow:
        checks = Checks()
        username = checks.parse("username", _username, form.username)
        role = checks.parse("role", choice(Role, "角色不在可选范围内"), form.role)
        phone = checks.parse("phone", parse_mobile, form.phone) if form.phone else None
        checks.parse("password", lambda p: check_password_strength(p, form.username), form.password)
        checks.done()
        assert role is not None
        assert username is not None
        if scope is not Scope.ALL and role not in ADMIN_GRANTABLE:
            raise PermissionDenied("无权创建该角色的账号", code="ROLE_NOT_GRANTABLE")
        if role is Role.PLATFORM_OPERATOR and form.institution_id:
            checks.fail("institution_id", "平台运营账号不属于任何机构", code="NOT_APPLICABLE")
        reach = _reach(uow, role, staff_id=form.staff_id, elder_id=form.elder_id,
                       family_member_id=form.family_member_id, institution_id=form.institution_id)
        field, message, code = _UNKNOWN.get(role, ("institution_id", "机构不存在", "UNKNOWN_INSTITUTION"))
        if role in (Role.STAFF, Role.INSTITUTION_ADMIN, Role.PARTNER) and reach == ([], None):
            checks.fail("institution_id", "请指定所属机构", code="REQUIRED")
        # Out of the caller's scope reads exactly like "does not exist": nothing to learn from the answer.
        elif reach is None or not _in_scope(principal, scope, role, reach[0]):
            checks.fail(field, message, code=code)
        checks.done()
        assert reach is not None
        if uow.accounts.by_login(username) or (phone and uow.accounts.by_login(phone)):
            raise Conflict("用户名或手机号已被使用", code="ACCOUNT_LOGIN_TAKEN")
        staff_id = form.staff_id if role is Role.STAFF else None
        elder_id = form.elder_id if role is Role.ELDER else None
        family_member_id = form.family_member_id if role is Role.FAMILY else None
        if uow.accounts.of_person(staff_id=staff_id, elder_id=elder_id, family_member_id=family_member_id):
            raise Conflict("此人已开通账号", code="ACCOUNT_EXISTS_FOR_PERSON")
        now = rt.clock.now()
        account = UserAccount(
            id=rt.ids.new_id(), username=username, phone=phone, password_hash=rt.hasher.hash(form.password),
            role=role, institution_id=reach[1], staff_id=staff_id, elder_id=elder_id,
            family_member_id=family_member_id, password_changed_at=now, created_at=now,
        )
        account.record_created(principal.actor, now)
        uow.accounts.add(account)
        uow.commit()
        return AccountView.of(account, reveal=True)


def _load(uow: UnitOfWork, principal: Principal, op: Operation, ident: str) -> UserAccount:
    scope = require(principal, op)
    account = uow.accounts.get(ident)
    if account is None:
        raise NotFound("账号", ident)
    reach = _reach(uow, account.role, staff_id=account.staff_id, elder_id=account.elder_id,
                   family_member_id=account.family_member_id, institution_id=account.institution_id)
    if not _in_scope(principal, scope, account.role, reach[0] if reach else []):
        raise NotFound("账号", ident)
    return account


def list_accounts(
    rt: Runtime, principal: Principal, page: PageRequest, *, role: Role | None = None, keyword: str | None = None
) -> Page[AccountView]:
    vis = visibility(principal, Operation.ACCOUNT_READ)
    roles = None if vis.everything else ADMIN_GRANTABLE  # admins never list operators or auditors
    with rt.uow() as uow:
        return uow.accounts.list(vis, page, role=role, roles=roles, keyword=keyword).map(AccountView.of)


def get_account(rt: Runtime, principal: Principal, ident: str) -> AccountView:
    with rt.uow() as uow:
        return AccountView.of(_load(uow, principal, Operation.ACCOUNT_READ, ident))


def unlock_account(rt: Runtime, principal: Principal, ident: str) -> AccountView:
    with rt.uow() as uow:
        account = _load(uow, principal, Operation.ACCOUNT_MANAGE, ident)
        account.unlock(principal.actor, rt.clock.now())
        uow.accounts.save(account)
        uow.commit()
        return AccountView.of(account)


def set_account_enabled(rt: Runtime, principal: Principal, ident: str, enabled: bool, reason: str = "") -> AccountView:
    with rt.uow() as uow:
        account = _load(uow, principal, Operation.ACCOUNT_MANAGE, ident)
        if account.id == principal.account_id:
            raise PermissionDenied("不能停用自己的账号", code="ACCOUNT_SELF_DISABLE")
        if enabled:
            account.enable(principal.actor, rt.clock.now())
        else:
            account.disable(principal.actor, rt.clock.now(), reason)
        uow.accounts.save(account)
        uow.commit()
        return AccountView.of(account)


def reset_password(rt: Runtime, principal: Principal, ident: str, new_password: str) -> None:
    """An admin sets a new password for someone who forgot theirs; their old tokens stop working."""
    with rt.uow() as uow:
        account = _load(uow, principal, Operation.ACCOUNT_MANAGE, ident)
        checks = Checks()
        checks.parse("new_password", lambda p: check_password_strength(p, account.username), new_password)
        checks.done()
        account.set_password(rt.hasher.hash(new_password), principal.actor, rt.clock.now())
        uow.accounts.save(account)
        uow.commit()
