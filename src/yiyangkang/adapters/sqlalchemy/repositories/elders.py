"""Repositories of elders' files, their addresses and family links."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select

from yiyangkang.adapters.sqlalchemy import tables as t
from yiyangkang.adapters.sqlalchemy.base import (
    SqlRepository,
    common_columns,
    lnglat,
    point_of,
)
from yiyangkang.domain.elders.addresses import Address
from yiyangkang.domain.elders.elder import Elder, EmergencyContact, Gender
from yiyangkang.domain.elders.family import FamilyLink, FamilyMember
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.orgs.regions import region_prefix


class SqlElderRepository(SqlRepository[Elder]):
    table = t.elders
    conflicts = {"id_card_hash": ("ELDER_ID_CARD_TAKEN", "该身份证号已建档")}

    def to_row(self, e: Elder) -> dict[str, Any]:
        contacts = [{"name": c.name, "phone": c.phone, "relation": c.relation} for c in e.emergency_contacts]
        return {
            **common_columns(e), "institution_id": e.institution_id, "name": e.name, "gender": e.gender.value,
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
        stmt = self._held_by_institutions(visibility, keyword, institution_id, is_elder=True)
        if region_code:
            stmt = stmt.where(self.table.c.region_code.startswith(region_prefix(region_code), autoescape=True))
        return self._page(self._newest_first(stmt), page)

    def count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(self.table)).scalar_one())


class SqlAddressRepository(SqlRepository[Address]):
    table = t.addresses

    def to_row(self, a: Address) -> dict[str, Any]:
        return {
            **common_columns(a), "elder_id": a.elder_id, "region_code": a.region_code, "detail": a.detail,
            "contact_name": a.contact_name, "contact_phone_enc": self.ctx.seal(a.contact_phone),
            "is_default": a.is_default, **lnglat(a.location),
        }

    def from_row(self, r: Any) -> Address:
        return Address(
            id=r.id, version=r.version, elder_id=r.elder_id, region_code=r.region_code, detail=r.detail,
            contact_name=r.contact_name, contact_phone=self.ctx.open(r.contact_phone_enc) or "",
            is_default=r.is_default, location=point_of(r), created_at=r.created_at,
        )

    def for_elder(self, elder_id: str) -> Sequence[Address]:
        c = self.table.c
        stmt = select(self.table).where(c.elder_id == elder_id).order_by(c.created_at, c.id)
        return [self.from_row(r) for r in self.conn.execute(stmt)]


class SqlFamilyMemberRepository(SqlRepository[FamilyMember]):
    table = t.family_members
    conflicts = {"phone_hash": ("FAMILY_MEMBER_PHONE_TAKEN", "该手机号已登记为家属")}

    def to_row(self, m: FamilyMember) -> dict[str, Any]:
        return {**common_columns(m), "name": m.name, "phone_enc": self.ctx.seal(m.phone),
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
        return {**common_columns(link), "family_member_id": link.family_member_id, "elder_id": link.elder_id,
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
