"""SQL repositories: each maps one aggregate to its row and back, explicitly."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select

from yiyangkang.adapters.sqlalchemy import tables as t
from yiyangkang.adapters.sqlalchemy.base import SqlRepository, keyword_clause, visibility_clause
from yiyangkang.domain.elders.addresses import Address
from yiyangkang.domain.elders.elder import Elder, EmergencyContact, Gender
from yiyangkang.domain.elders.family import FamilyLink, FamilyMember
from yiyangkang.domain.identity.accounts import AccountStatus, Role, UserAccount
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.events import Actor, DomainEvent
from yiyangkang.domain.kernel.identifiers import parse_mobile
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.orgs.institutions import GeoPoint, Institution, InstitutionType
from yiyangkang.domain.orgs.regions import Region, RegionLevel
from yiyangkang.domain.orgs.staff import Profession, StaffMember


def _common(item: Any) -> dict[str, Any]:
    """Columns every aggregate row has."""
    return {"id": item.id, "version": item.version, "created_at": item.created_at}


def _point(row: Any) -> GeoPoint | None:
    return GeoPoint(lng=row.lng, lat=row.lat) if row.lng is not None and row.lat is not None else None


def _lnglat(point: GeoPoint | None) -> dict[str, float | None]:
    return {"lng": point.lng if point else None, "lat": point.lat if point else None}


class SqlRegionRepository:
    def __init__(self, ctx: Any) -> None:
        self.conn = ctx.conn

    def add_many(self, regions: Iterable[Region]) -> int:
        regions = list(regions)
        rows = [
            {"code": r.code, "name": r.name, "level": r.level.value, "parent_code": r.parent_code}
            for r in regions
        ]
        if not rows:
            return 0
        known = self.existing(r.code for r in regions)
        fresh = [r for r in rows if r["code"] not in known]
        if fresh:
            self.conn.execute(t.regions.insert(), fresh)
        return len(fresh)

    def get(self, code: str) -> Region | None:
        row = self.conn.execute(select(t.regions).where(t.regions.c.code == code)).first()
        return None if row is None else self._region(row)

    def existing(self, codes: Iterable[str]) -> set[str]:
        wanted = sorted(set(codes))
        found: set[str] = set()
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            found.update(self.conn.execute(select(t.regions.c.code).where(t.regions.c.code.in_(chunk))).scalars())
        return found

    def list(
        self, *, parent_code: str | None = None, level: RegionLevel | None = None, keyword: str | None = None
    ) -> Sequence[Region]:
        stmt = select(t.regions).where(keyword_clause(keyword, t.regions.c.name)).order_by(t.regions.c.code)
        if parent_code is not None:
            stmt = stmt.where(t.regions.c.parent_code == parent_code)
        if level is not None:
            stmt = stmt.where(t.regions.c.level == level.value)
        return [self._region(r) for r in self.conn.execute(stmt)]

    def count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(t.regions)).scalar_one())

    @staticmethod
    def _region(row: Any) -> Region:
        return Region(code=row.code, name=row.name, level=RegionLevel(row.level), parent_code=row.parent_code)


class SqlInstitutionRepository(SqlRepository[Institution]):
    table = t.institutions
    conflicts = {"credit_code": ("INSTITUTION_CREDIT_CODE_TAKEN", "该统一社会信用代码已登记")}

    def to_row(self, i: Institution) -> dict[str, Any]:
        return {
            **_common(i), "name": i.name, "credit_code": i.credit_code, "type": i.type.value,
            "region_code": i.region_code, "address": i.address, "parent_id": i.parent_id, "path": i.path,
            "contact_phone": i.contact_phone, **_lnglat(i.location),
        }

    def from_row(self, r: Any) -> Institution:
        return Institution(
            id=r.id, version=r.version, name=r.name, credit_code=r.credit_code,
            type=InstitutionType(r.type), region_code=r.region_code, address=r.address,
            parent_id=r.parent_id, path=r.path, location=_point(r), contact_phone=r.contact_phone,
            created_at=r.created_at,
        )

    def by_credit_code(self, credit_code: str) -> Institution | None:
        row = self.conn.execute(select(self.table).where(self.table.c.credit_code == credit_code)).first()
        return None if row is None else self.from_row(row)

    def paths(self, ids: Iterable[str]) -> dict[str, str]:
        stmt = select(self.table.c.id, self.table.c.path).where(self.table.c.id.in_(sorted(set(ids))))
        return {row.id: row.path for row in self.conn.execute(stmt)}

    def list(
        self, visibility: Visibility, page: PageRequest, *, keyword: str | None = None,
        region_code: str | None = None, type: InstitutionType | None = None,
        parent_id: str | None = None,
    ) -> Page[Institution]:
        c = self.table.c
        stmt = select(self.table).where(
            visibility_clause(visibility, institution_id=c.id, institution_path=c.path),
            keyword_clause(keyword, c.name, c.address),
        )
        if region_code:
            stmt = stmt.where(c.region_code.startswith(region_code.rstrip("0") or region_code))
        if type is not None:
            stmt = stmt.where(c.type == type.value)
        if parent_id is not None:
            stmt = stmt.where(c.parent_id == parent_id)
        return self._page(stmt.order_by(c.path), page)


class SqlStaffRepository(SqlRepository[StaffMember]):
    table = t.staff

    def to_row(self, s: StaffMember) -> dict[str, Any]:
        return {
            **_common(s), "institution_id": s.institution_id, "name": s.name,
            "phone_enc": self.ctx.seal(s.phone), "phone_hash": self.ctx.fingerprint(s.phone),
            "profession": s.profession.value, "license_no": s.license_no, "active": s.active,
        }

    def from_row(self, r: Any) -> StaffMember:
        return StaffMember(
            id=r.id, version=r.version, institution_id=r.institution_id, name=r.name,
            phone=self.ctx.open(r.phone_enc) or "", profession=Profession(r.profession),
            license_no=r.license_no, active=r.active, created_at=r.created_at,
        )

    def list(
        self, visibility: Visibility, page: PageRequest, *, institution_id: str | None = None,
        profession: Profession | None = None, keyword: str | None = None,
    ) -> Page[StaffMember]:
        c, i = self.table.c, t.institutions.c
        stmt = (
            select(self.table)
            .join(t.institutions, i.id == c.institution_id)
            .where(
                visibility_clause(visibility, institution_id=c.institution_id, institution_path=i.path),
                keyword_clause(keyword, c.name),
            )
        )
        if institution_id:
            stmt = stmt.where(c.institution_id == institution_id)
        if profession is not None:
            stmt = stmt.where(c.profession == profession.value)
        return self._page(self._newest_first(stmt), page)


class SqlElderRepository(SqlRepository[Elder]):
    table = t.elders
    conflicts = {"id_card_hash": ("ELDER_ID_CARD_TAKEN", "该身份证号已建档")}

    def to_row(self, e: Elder) -> dict[str, Any]:
        contacts = [{"name": c.name, "phone": c.phone, "relation": c.relation} for c in e.emergency_contacts]
        return {
            **_common(e), "institution_id": e.institution_id, "name": e.name, "gender": e.gender.value,
            "birth_date": e.birth_date, "id_card_enc": self.ctx.seal(e.id_card_no),
            "id_card_hash": self.ctx.fingerprint(e.id_card_no), "phone_enc": self.ctx.seal(e.phone),
            "phone_hash": self.ctx.fingerprint(e.phone), "region_code": e.region_code,
            "emergency_contacts_enc": self.ctx.seal_json(contacts) if contacts else None,
            "primary_doctor_id": e.primary_doctor_id,
        }

    def from_row(self, r: Any) -> Elder:
        contacts = self.ctx.open_json(r.emergency_contacts_enc) or []
        return Elder(
            id=r.id, version=r.version, institution_id=r.institution_id, name=r.name,
            gender=Gender(r.gender), birth_date=r.birth_date, id_card_no=self.ctx.open(r.id_card_enc) or "",
            phone=self.ctx.open(r.phone_enc), region_code=r.region_code,
            emergency_contacts=tuple(EmergencyContact(**c) for c in contacts),
            primary_doctor_id=r.primary_doctor_id, created_at=r.created_at,
        )

    def by_id_card(self, id_card_no: str) -> Elder | None:
        stmt = select(self.table).where(self.table.c.id_card_hash == self.ctx.fingerprint(id_card_no))
        row = self.conn.execute(stmt).first()
        return None if row is None else self.from_row(row)

    def existing_id_cards(self, id_card_nos: Iterable[str]) -> set[str]:
        by_hash = {self.ctx.vault.fingerprint(n): n for n in id_card_nos}
        found: set[str] = set()
        hashes = sorted(by_hash)
        for i in range(0, len(hashes), 500):
            stmt = select(self.table.c.id_card_hash).where(self.table.c.id_card_hash.in_(hashes[i : i + 500]))
            found.update(by_hash[h] for h in self.conn.execute(stmt).scalars())
        return found

    def add_many(self, elders: Sequence[Elder]) -> None:
        if not elders:
            return
        rows = [self.to_row(e) for e in elders]
        self._write(lambda: self.conn.execute(self.table.insert(), rows))
        self.ctx.touched.extend(elders)

    def list(
        self, visibility: Visibility, page: PageRequest, *, keyword: str | None = None,
        region_code: str | None = None, institution_id: str | None = None,
    ) -> Page[Elder]:
        c, i = self.table.c, t.institutions.c
        stmt = (
            select(self.table)
            .join(t.institutions, i.id == c.institution_id)
            .where(
                visibility_clause(
                    visibility, institution_id=c.institution_id, institution_path=i.path, elder_id=c.id
                ),
                keyword_clause(keyword, c.name),
            )
        )
        if region_code:
            stmt = stmt.where(c.region_code.startswith(region_code))
        if institution_id:
            stmt = stmt.where(c.institution_id == institution_id)
        return self._page(self._newest_first(stmt), page)

    def count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(self.table)).scalar_one())


class SqlAddressRepository(SqlRepository[Address]):
    table = t.addresses

    def to_row(self, a: Address) -> dict[str, Any]:
        return {
            **_common(a), "elder_id": a.elder_id, "region_code": a.region_code, "detail": a.detail,
            "contact_name": a.contact_name, "contact_phone_enc": self.ctx.seal(a.contact_phone),
            "is_default": a.is_default, **_lnglat(a.location),
        }

    def from_row(self, r: Any) -> Address:
        return Address(
            id=r.id, version=r.version, elder_id=r.elder_id, region_code=r.region_code, detail=r.detail,
            contact_name=r.contact_name, contact_phone=self.ctx.open(r.contact_phone_enc) or "",
            is_default=r.is_default, location=_point(r), created_at=r.created_at,
        )

    def for_elder(self, elder_id: str) -> Sequence[Address]:
        c = self.table.c
        stmt = select(self.table).where(c.elder_id == elder_id).order_by(c.created_at, c.id)
        return [self.from_row(r) for r in self.conn.execute(stmt)]


class SqlFamilyMemberRepository(SqlRepository[FamilyMember]):
    table = t.family_members
    conflicts = {"phone_hash": ("FAMILY_MEMBER_PHONE_TAKEN", "该手机号已登记为家属")}

    def to_row(self, m: FamilyMember) -> dict[str, Any]:
        return {**_common(m), "name": m.name, "phone_enc": self.ctx.seal(m.phone),
                "phone_hash": self.ctx.fingerprint(m.phone)}

    def from_row(self, r: Any) -> FamilyMember:
        return FamilyMember(id=r.id, version=r.version, name=r.name, phone=self.ctx.open(r.phone_enc) or "",
                            created_at=r.created_at)

    def by_phone(self, phone: str) -> FamilyMember | None:
        row = self.conn.execute(
            select(self.table).where(self.table.c.phone_hash == self.ctx.fingerprint(phone))
        ).first()
        return None if row is None else self.from_row(row)


class SqlFamilyLinkRepository(SqlRepository[FamilyLink]):
    table = t.family_links
    conflicts = {"family_member_id": ("FAMILY_LINK_EXISTS", "该家属已关联此老人"),
                 "member_elder": ("FAMILY_LINK_EXISTS", "该家属已关联此老人")}

    def to_row(self, link: FamilyLink) -> dict[str, Any]:
        return {**_common(link), "family_member_id": link.family_member_id, "elder_id": link.elder_id,
                "relation": link.relation}

    def from_row(self, r: Any) -> FamilyLink:
        return FamilyLink(id=r.id, version=r.version, family_member_id=r.family_member_id,
                          elder_id=r.elder_id, relation=r.relation, created_at=r.created_at)

    def for_elder(self, elder_id: str) -> Sequence[FamilyLink]:
        c = self.table.c
        stmt = select(self.table).where(c.elder_id == elder_id).order_by(c.created_at, c.id)
        return [self.from_row(r) for r in self.conn.execute(stmt)]

    def elder_ids_of(self, family_member_id: str) -> frozenset[str]:
        c = self.table.c
        return frozenset(self.conn.execute(select(c.elder_id).where(c.family_member_id == family_member_id)).scalars())

    def find(self, family_member_id: str, elder_id: str) -> FamilyLink | None:
        c = self.table.c
        row = self.conn.execute(
            select(self.table).where(c.family_member_id == family_member_id, c.elder_id == elder_id)
        ).first()
        return None if row is None else self.from_row(row)


class SqlAccountRepository(SqlRepository[UserAccount]):
    table = t.accounts
    conflicts = {"username": ("ACCOUNT_USERNAME_TAKEN", "用户名已被使用"),
                 "phone_hash": ("ACCOUNT_PHONE_TAKEN", "该手机号已绑定其他账号")}

    def to_row(self, a: UserAccount) -> dict[str, Any]:
        return {
            **_common(a), "username": a.username, "phone_enc": self.ctx.seal(a.phone),
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

    def lock(self, ident: str) -> UserAccount | None:
        c = self.table.c
        if self.conn.dialect.name == "sqlite":
            # SQLite has no SELECT … FOR UPDATE: a no-op write takes the database's write lock.
            self.conn.execute(self.table.update().where(c.id == ident).values(version=c.version))
            row = self.conn.execute(select(self.table).where(c.id == ident)).first()
        else:
            row = self.conn.execute(select(self.table).where(c.id == ident).with_for_update()).first()
        return None if row is None else self.from_row(row)

    def of_family_member(self, family_member_id: str) -> UserAccount | None:
        row = self.conn.execute(select(self.table).where(self.table.c.family_member_id == family_member_id)).first()
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
        keyword: str | None = None,
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
        return self._page(self._newest_first(stmt), page)


class SqlAuditLog:
    """Domain events as rows: the audit trail (审计日志)."""

    def __init__(self, ctx: Any) -> None:
        self.conn = ctx.conn

    def append(self, events: Sequence[DomainEvent]) -> None:
        if events:
            self.conn.execute(
                t.audit_events.insert(),
                [
                    {
                        "name": e.name, "aggregate": e.aggregate, "aggregate_id": e.aggregate_id,
                        "actor_id": e.actor.id, "actor_role": e.actor.role, "occurred_at": e.occurred_at,
                        "before": dict(e.before) if e.before is not None else None,
                        "after": dict(e.after) if e.after is not None else None, "reason": e.reason,
                    }
                    for e in events
                ],
            )

    def list(
        self, page: PageRequest, *, aggregate: str | None = None, aggregate_id: str | None = None
    ) -> Page[DomainEvent]:
        c = t.audit_events.c
        stmt = select(t.audit_events)
        if aggregate:
            stmt = stmt.where(c.aggregate == aggregate)
        if aggregate_id:
            stmt = stmt.where(c.aggregate_id == aggregate_id)
        total = self.conn.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        rows = self.conn.execute(stmt.order_by(c.seq.desc()).limit(page.size).offset(page.offset))
        return Page(
            [
                DomainEvent(
                    name=r.name, aggregate=r.aggregate, aggregate_id=r.aggregate_id,
                    actor=Actor(id=r.actor_id, role=r.actor_role), occurred_at=r.occurred_at,
                    before=r.before, after=r.after, reason=r.reason,
                )
                for r in rows
            ],
            total, page.page, page.size,
        )

