"""The account repository."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from yiyangkang.adapters.sqlalchemy import tables as t
from yiyangkang.adapters.sqlalchemy.base import (
    SqlRepository,
    common_columns,
    keyword_clause,
    visibility_clause,
)
from yiyangkang.domain.identity.accounts import AccountStatus, Role, UserAccount
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.identifiers import parse_mobile
from yiyangkang.domain.kernel.paging import Page, PageRequest


class SqlAccountRepository(SqlRepository[UserAccount]):
    table = t.accounts
    conflicts = {"username": ("ACCOUNT_USERNAME_TAKEN", "用户名已被使用"),
                 "phone_hash": ("ACCOUNT_PHONE_TAKEN", "该手机号已绑定其他账号"),
                 "staff_id": ("ACCOUNT_EXISTS_FOR_PERSON", "此人已开通账号"),
                 "elder_id": ("ACCOUNT_EXISTS_FOR_PERSON", "此人已开通账号"),
                 "family_member_id": ("ACCOUNT_EXISTS_FOR_PERSON", "此人已开通账号")}

    def to_row(self, a: UserAccount) -> dict[str, Any]:
        return {
            **common_columns(a), "username": a.username, "phone_enc": self.ctx.seal(a.phone),
            "phone_hash": self.ctx.fingerprint(a.phone), "password_hash": a.password_hash,
            "role": a.role.value, "institution_id": a.institution_id, "staff_id": a.staff_id,
            "elder_id": a.elder_id, "family_member_id": a.family_member_id, "status": a.status.value,
            "failed_logins": a.failed_logins, "locked_until": a.locked_until,
            "token_version": a.token_version, "password_changed_at": a.password_changed_at,
            "last_login_at": a.last_login_at,
        }

    def from_row(self, r: Any) -> UserAccount:
        return UserAccount(
            id=r.id, version=r.version, username=r.username, phone=self.ctx.open(r.phone_enc),
            password_hash=r.password_hash, role=Role(r.role), institution_id=r.institution_id,
            staff_id=r.staff_id, elder_id=r.elder_id, family_member_id=r.family_member_id,
            status=AccountStatus(r.status), failed_logins=r.failed_logins, locked_until=r.locked_until,
            token_version=r.token_version, password_changed_at=r.password_changed_at,
            last_login_at=r.last_login_at, created_at=r.created_at,
        )

    def of_person(
        self, *, staff_id: str | None = None, elder_id: str | None = None, family_member_id: str | None = None
    ) -> UserAccount | None:
        c = self.table.c
        wanted = [col == v for col, v in ((c.staff_id, staff_id), (c.elder_id, elder_id),
                                          (c.family_member_id, family_member_id)) if v]
        if not wanted:
            return None
        row = self.conn.execute(select(self.table).where(or_(*wanted))).first()
        return None if row is None else self.from_row(row)

    def by_login(self, login: str) -> UserAccount | None:
        c = self.table.c
        row = self.conn.execute(select(self.table).where(c.username == login)).first()
        if row is None:
            try:
                phone = parse_mobile(login)
            except ValueError:
                return None
            row = self.conn.execute(select(self.table).where(c.phone_hash == self.ctx.fingerprint(phone))).first()
        return None if row is None else self.from_row(row)

    def list(
        self, visibility: Visibility, page: PageRequest, *, role: Role | None = None,
        roles: frozenset[Role] | None = None, keyword: str | None = None,
    ) -> Page[UserAccount]:
        c, i = self.table.c, t.institutions.c
        stmt = (
            select(self.table)
            .outerjoin(t.institutions, i.id == c.institution_id)
            .where(
                visibility_clause(visibility, institution_id=c.institution_id, institution_path=i.path,
                                  elder_id=c.elder_id, account_id=c.id),
                keyword_clause(keyword, c.username),
            )
        )
        if role is not None:
            stmt = stmt.where(c.role == role.value)
        if roles is not None:
            stmt = stmt.where(c.role.in_(sorted(r.value for r in roles)))
        return self._page(self._newest_first(stmt), page)
