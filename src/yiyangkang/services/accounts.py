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
from yiyangkang.services.access import authorize, owner_target, require, visibility
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


def _owner(uow: UnitOfWork, role: Role, form: AccountForm, checks: Checks) -> tuple[Target | None, str | None]:
    """Which institution (and elder) the new account belongs to, from the person it is for."""
    if role is Role.STAFF:
        member = uow.staff.get(form.staff_id or "")
        if checks.require("staff_id", member is not None, "员工不存在", code="UNKNOWN_STAFF") and member:
            return owner_target(uow, member.institution_id), member.institution_id
    elif role is Role.ELDER:
        elder = uow.elders.get(form.elder_id or "")
        if checks.require("elder_id", elder is not None, "老年人不存在", code="UNKNOWN_ELDER") and elder:
            return owner_target(uow, elder.institution_id, elder.id), elder.institution_id
    elif role is Role.FAMILY:
        member_id = form.family_member_id or ""
        elder_ids = uow.family_links.elder_ids_of(member_id) if uow.family_members.get(member_id) else frozenset()
        if checks.require("family_member_id", bool(elder_ids), "家属不存在或未关联老人", code="UNKNOWN_FAMILY"):
            elder = uow.elders.get(sorted(elder_ids)[0])
            if elder:
                return owner_target(uow, elder.institution_id, elder.id), elder.institution_id
    elif form.institution_id:
        inst = uow.institutions.get(form.institution_id)
        if checks.require("institution_id", inst is not None, "机构不存在", code="UNKNOWN_INSTITUTION") and inst:
            return Target(institution_id=inst.id, institution_path=inst.path), inst.id
    else:
        checks.require("institution_id", role in (Role.PLATFORM_OPERATOR, Role.GOV_AUDITOR), "请指定所属机构",
                       code="REQUIRED")
    return None, None


def create_account(rt: Runtime, principal: Principal, form: AccountForm) -> AccountView:
    scope = require(principal, Operation.ACCOUNT_CREATE)
    with rt.uow() as uow:
        checks = Checks()
        username = checks.parse("username", _username, form.username)
        role = checks.parse("role", choice(Role, "角色不在可选范围内"), form.role)
        phone = checks.parse("phone", parse_mobile, form.phone) if form.phone else None
        checks.parse("password", lambda p: check_password_strength(p, form.username), form.password)
        target, institution_id = _owner(uow, role, form, checks) if role else (None, None)
        checks.done()
        assert role is not None
        assert username is not None
        if scope is not Scope.ALL:
            if role not in ADMIN_GRANTABLE:
                raise PermissionDenied("无权创建该角色的账号", code="ROLE_NOT_GRANTABLE")
            if target is None or not within(principal, scope, target):
                raise NotFound("机构" if role is Role.INSTITUTION_ADMIN else "账号关联对象")
        if uow.accounts.by_login(username) or (phone and uow.accounts.by_login(phone)):
            raise Conflict("用户名或手机号已被使用", code="ACCOUNT_LOGIN_TAKEN")
        now = rt.clock.now()
        account = UserAccount(
            id=rt.ids.new_id(), username=username, phone=phone, password_hash=rt.hasher.hash(form.password),
            role=role, institution_id=institution_id,
            staff_id=form.staff_id if role is Role.STAFF else None,
            elder_id=form.elder_id if role is Role.ELDER else None,
            family_member_id=form.family_member_id if role is Role.FAMILY else None,
            password_changed_at=now, created_at=now,
        )
        account.record_created(principal.actor, now)
        uow.accounts.add(account)
        uow.commit()
        return AccountView.of(account, reveal=True)


def _load(uow: UnitOfWork, principal: Principal, op: Operation, ident: str) -> UserAccount:
    require(principal, op)
    account = uow.accounts.get(ident)
    if account is None:
        raise NotFound("账号", ident)
    target = (
        owner_target(uow, account.institution_id, account.elder_id) if account.institution_id
        else Target(account_id=account.id)
    )
    authorize(principal, op, target, "账号", ident)
    return account


def list_accounts(
    rt: Runtime, principal: Principal, page: PageRequest, *, role: Role | None = None, keyword: str | None = None
) -> Page[AccountView]:
    vis = visibility(principal, Operation.ACCOUNT_READ)
    with rt.uow() as uow:
        return uow.accounts.list(vis, page, role=role, keyword=keyword).map(AccountView.of)


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
