"""Repositories of organisations: regions, institutions, staff."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select

from yiyangkang.adapters.sqlalchemy import tables as t
from yiyangkang.adapters.sqlalchemy.base import (
    SqlRepository,
    common_columns,
    keyword_clause,
    lnglat,
    point_of,
    visibility_clause,
)
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.orgs.institutions import Institution, InstitutionType
from yiyangkang.domain.orgs.regions import Region, RegionLevel, region_prefix
from yiyangkang.domain.orgs.staff import Profession, StaffMember


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
            **common_columns(i), "name": i.name, "credit_code": i.credit_code, "type": i.type.value,
            "region_code": i.region_code, "address": i.address, "parent_id": i.parent_id, "path": i.path,
            "contact_phone": i.contact_phone, **lnglat(i.location),
        }

    def from_row(self, r: Any) -> Institution:
        return Institution(
            id=r.id, version=r.version, name=r.name, credit_code=r.credit_code,
            type=InstitutionType(r.type), region_code=r.region_code, address=r.address,
            parent_id=r.parent_id, path=r.path, location=point_of(r), contact_phone=r.contact_phone,
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
            stmt = stmt.where(c.region_code.startswith(region_prefix(region_code), autoescape=True))
        if type is not None:
            stmt = stmt.where(c.type == type.value)
        if parent_id is not None:
            stmt = stmt.where(c.parent_id == parent_id)
        return self._page(stmt.order_by(c.path), page)


class SqlStaffRepository(SqlRepository[StaffMember]):
    table = t.staff

    def to_row(self, s: StaffMember) -> dict[str, Any]:
        return {
            **common_columns(s), "institution_id": s.institution_id, "name": s.name,
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
        stmt = self._held_by_institutions(visibility, keyword, institution_id)
        if profession is not None:
            stmt = stmt.where(self.table.c.profession == profession.value)
        return self._page(self._newest_first(stmt), page)
