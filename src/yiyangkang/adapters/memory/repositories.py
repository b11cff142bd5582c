"""In-memory repositories mirroring the SQL ones, uniqueness and version checks included."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from yiyangkang.adapters.memory.store import MemoryStore
from yiyangkang.domain.elders.addresses import Address
from yiyangkang.domain.elders.elder import Elder
from yiyangkang.domain.elders.family import FamilyLink, FamilyMember
from yiyangkang.domain.identity.accounts import Role, UserAccount
from yiyangkang.domain.identity.policy import Target, Visibility
from yiyangkang.domain.kernel.errors import ConcurrentUpdate, Conflict
from yiyangkang.domain.kernel.events import Aggregate, DomainEvent
from yiyangkang.domain.kernel.identifiers import parse_mobile
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.orgs.institutions import Institution, InstitutionType
from yiyangkang.domain.orgs.regions import Region, RegionLevel, region_prefix
from yiyangkang.domain.orgs.staff import Profession, StaffMember

A = TypeVar("A", bound=Aggregate)

# (key of an item, code, message): two items with the same non-None key may not coexist.
Unique = tuple[Callable[[Any], Any], str, str]


def _page(items: Sequence[A], page: PageRequest) -> Page[A]:
    return Page(list(items[page.offset : page.offset + page.size]), len(items), page.page, page.size)


def _newest_first(items: Iterable[A]) -> list[A]:
    return sorted(items, key=lambda i: (getattr(i, "created_at"), i.id), reverse=True)  # noqa: B009


def _has(keyword: str | None, *texts: str | None) -> bool:
    """Case-insensitive containment, as `keyword_clause` does in SQL."""
    return not keyword or any(keyword.strip().lower() in (t or "").lower() for t in texts)


class MemoryRepository(Generic[A]):
    name: ClassVar[str]
    unique: ClassVar[tuple[Unique, ...]] = ()

    def __init__(self, store: MemoryStore, touched: list[Aggregate], committed: MemoryStore) -> None:
        self.store = store
        self.rows: dict[str, A] = store.table(self.name)
        self.touched = touched
        self.committed: dict[str, A] = committed.table(self.name)
        self.changes: dict[str, A | None] = {}  # id -> new state (None: removed), applied on commit

    def add(self, item: A) -> None:
        if item.id in self.rows:
            raise Conflict(details={"id": item.id})
        self._check_unique(item)
        self._put(item)

    def get(self, ident: str) -> A | None:
        item = self.rows.get(ident)
        return None if item is None else copy.deepcopy(item)

    def lock(self, ident: str) -> A | None:
        return self.get(ident)  # one thread per store in tests: nothing to wait for

    def save(self, item: A) -> None:
        current = self.rows.get(item.id)
        stored = self.committed.get(item.id)  # what other units of work have committed meanwhile
        if current is None or current.version != item.version or (stored and stored.version > item.version):
            raise ConcurrentUpdate(details={"id": item.id})
        self._check_unique(item)
        item.version += 1
        self._put(item)

    def remove(self, item: A) -> None:
        self.rows.pop(item.id, None)
        self.changes[item.id] = None
        self.touched.append(item)

    def _put(self, item: A) -> None:
        stored = copy.deepcopy(item)
        stored.pull_events()  # a row holds state, not the events on their way to the audit log
        self.rows[item.id] = self.changes[item.id] = stored
        self.touched.append(item)

    def apply(self) -> None:
        """Write this unit of work's changes into the committed store."""
        for ident, item in self.changes.items():
            if item is None:
                self.committed.pop(ident, None)
            else:
                self.committed[ident] = copy.deepcopy(item)
        self.changes.clear()

    def _check_unique(self, item: A) -> None:
        # Against this unit of work's rows and what others committed meanwhile, as a unique index would.
        others = [*self.rows.values(), *(o for i, o in self.committed.items() if i not in self.changes)]
        for key, code, message in self.unique:
            value = key(item)
            if value is not None and any(o.id != item.id and key(o) == value for o in others):
                raise Conflict(message, code=code)

    def _path(self, institution_id: str | None) -> str | None:
        inst = self.store.table("institutions").get(institution_id) if institution_id else None
        return inst.path if inst else None

    def _all(self) -> list[A]:
        return [copy.deepcopy(i) for i in self.rows.values()]


class MemoryRegionRepository:
    def __init__(self, store: MemoryStore, touched: list[Aggregate], committed: MemoryStore) -> None:
        self.rows = store.regions
        self.committed = committed.regions

    def apply(self) -> None:
        self.committed.update(self.rows)

    def add_many(self, regions: Iterable[Region]) -> int:
        fresh = [r for r in regions if r.code not in self.rows]
        self.rows.update({r.code: r for r in fresh})
        return len(fresh)

    def get(self, code: str) -> Region | None:
        return self.rows.get(code)

    def existing(self, codes: Iterable[str]) -> set[str]:
        return {c for c in codes if c in self.rows}

    def list(
        self, *, parent_code: str | None = None, level: RegionLevel | None = None, keyword: str | None = None
    ) -> Sequence[Region]:
        return sorted(
            (
                r for r in self.rows.values()
                if (parent_code is None or r.parent_code == parent_code)
                and (level is None or r.level is level) and _has(keyword, r.name)
            ),
            key=lambda r: r.code,
        )

    def count(self) -> int:
        return len(self.rows)


class MemoryInstitutionRepository(MemoryRepository[Institution]):
    name = "institutions"
    unique = ((lambda i: i.credit_code, "INSTITUTION_CREDIT_CODE_TAKEN", "该统一社会信用代码已登记"),)

    def by_credit_code(self, credit_code: str) -> Institution | None:
        return next((i for i in self._all() if i.credit_code == credit_code), None)

    def paths(self, ids: Iterable[str]) -> dict[str, str]:
        return {i: self.rows[i].path for i in ids if i in self.rows}

    def list(
        self, visibility: Visibility, page: PageRequest, *, keyword: str | None = None,
        region_code: str | None = None, type: InstitutionType | None = None,
        parent_id: str | None = None,
    ) -> Page[Institution]:
        prefix = region_prefix(region_code) if region_code else ""
        items = [
            i for i in self._all()
            if visibility.admits(Target(institution_id=i.id, institution_path=i.path))
            and _has(keyword, i.name, i.address) and i.region_code.startswith(prefix)
            and (type is None or i.type is type) and (parent_id is None or i.parent_id == parent_id)
        ]
        return _page(sorted(items, key=lambda i: i.path), page)


class MemoryStaffRepository(MemoryRepository[StaffMember]):
    name = "staff"

    def list(
        self, visibility: Visibility, page: PageRequest, *, institution_id: str | None = None,
        profession: Profession | None = None, keyword: str | None = None,
    ) -> Page[StaffMember]:
        items = [
            s for s in self._all()
            if visibility.admits(Target(institution_id=s.institution_id, institution_path=self._path(s.institution_id)))
            and (not institution_id or s.institution_id == institution_id)
            and (profession is None or s.profession is profession) and _has(keyword, s.name)
        ]
        return _page(_newest_first(items), page)


class MemoryElderRepository(MemoryRepository[Elder]):
    name = "elders"
    unique = ((lambda e: e.id_card_no, "ELDER_ID_CARD_TAKEN", "该身份证号已建档"),)

    def by_id_card(self, id_card_no: str) -> Elder | None:
        return next((e for e in self._all() if e.id_card_no == id_card_no), None)

    def existing_id_cards(self, id_card_nos: Iterable[str]) -> set[str]:
        known = {e.id_card_no for e in self.rows.values()}
        return {n for n in id_card_nos if n in known}

    def add_many(self, elders: Sequence[Elder]) -> None:
        for e in elders:
            self.add(e)

    def list(
        self, visibility: Visibility, page: PageRequest, *, keyword: str | None = None,
        region_code: str | None = None, institution_id: str | None = None,
    ) -> Page[Elder]:
        items = [
            e for e in self._all()
            if visibility.admits(
                Target(institution_id=e.institution_id, institution_path=self._path(e.institution_id), elder_id=e.id)
            )
            and _has(keyword, e.name) and e.region_code.startswith(region_prefix(region_code) if region_code else "")
            and (not institution_id or e.institution_id == institution_id)
        ]
        return _page(_newest_first(items), page)

    def count(self) -> int:
        return len(self.rows)


class MemoryAddressRepository(MemoryRepository[Address]):
    name = "addresses"

    def for_elder(self, elder_id: str) -> Sequence[Address]:
        return sorted((a for a in self._all() if a.elder_id == elder_id), key=lambda a: (a.created_at, a.id))


class MemoryFamilyMemberRepository(MemoryRepository[FamilyMember]):
    name = "family_members"
    unique = ((lambda m: m.phone, "FAMILY_MEMBER_PHONE_TAKEN", "该手机号已登记为家属"),)

    def by_phone(self, phone: str) -> FamilyMember | None:
        return next((m for m in self._all() if m.phone == phone), None)


class MemoryFamilyLinkRepository(MemoryRepository[FamilyLink]):
    name = "family_links"
    unique = ((lambda k: (k.family_member_id, k.elder_id), "FAMILY_LINK_EXISTS", "该家属已关联此老人"),)

    def for_elder(self, elder_id: str) -> Sequence[FamilyLink]:
        return sorted((k for k in self._all() if k.elder_id == elder_id), key=lambda k: (k.created_at, k.id))

    def elder_ids_of(self, family_member_id: str) -> frozenset[str]:
        return frozenset(k.elder_id for k in self.rows.values() if k.family_member_id == family_member_id)

    def find(self, family_member_id: str, elder_id: str) -> FamilyLink | None:
        return next(
            (k for k in self._all() if k.family_member_id == family_member_id and k.elder_id == elder_id), None
        )


class MemoryAccountRepository(MemoryRepository[UserAccount]):
    name = "accounts"
    unique = (
        (lambda a: a.username, "ACCOUNT_USERNAME_TAKEN", "用户名已被使用"),
        (lambda a: a.phone, "ACCOUNT_PHONE_TAKEN", "该手机号已绑定其他账号"),
        (lambda a: a.staff_id, "ACCOUNT_EXISTS_FOR_PERSON", "此人已开通账号"),
        (lambda a: a.elder_id, "ACCOUNT_EXISTS_FOR_PERSON", "此人已开通账号"),
        (lambda a: a.family_member_id, "ACCOUNT_EXISTS_FOR_PERSON", "此人已开通账号"),
    )

    def of_person(
        self, *, staff_id: str | None = None, elder_id: str | None = None, family_member_id: str | None = None
    ) -> UserAccount | None:
        def matches(a: UserAccount) -> bool:
            return bool((staff_id and a.staff_id == staff_id) or (elder_id and a.elder_id == elder_id)
                        or (family_member_id and a.family_member_id == family_member_id))

        return next((a for a in self._all() if matches(a)), None)

    def by_login(self, login: str) -> UserAccount | None:
        found = next((a for a in self._all() if a.username == login), None)
        if found is None:
            try:
                phone = parse_mobile(login)
            except ValueError:
                return None
            found = next((a for a in self._all() if a.phone == phone), None)
        return found

    def list(
        self, visibility: Visibility, page: PageRequest, *, role: Role | None = None,
        roles: frozenset[Role] | None = None, keyword: str | None = None,
    ) -> Page[UserAccount]:
        items = [
            a for a in self._all()
            if visibility.admits(
                Target(institution_id=a.institution_id, institution_path=self._path(a.institution_id),
                       elder_id=a.elder_id, account_id=a.id)
            )
            and (role is None or a.role is role) and (roles is None or a.role in roles) and _has(keyword, a.username)
        ]
        return _page(_newest_first(items), page)


class MemoryAuditLog:
    def __init__(self, store: MemoryStore, touched: list[Aggregate], committed: MemoryStore) -> None:
        self.events = store.audit
        self.committed = committed.audit
        self.fresh: list[DomainEvent] = []

    def append(self, events: Sequence[DomainEvent]) -> None:
        self.events.extend(events)
        self.fresh.extend(events)

    def apply(self) -> None:
        self.committed.extend(self.fresh)
        self.fresh.clear()

    def list(
        self, page: PageRequest, *, aggregate: str | None = None, aggregate_id: str | None = None
    ) -> Page[DomainEvent]:
        items = [
            e for e in reversed(self.events)
            if (not aggregate or e.aggregate == aggregate) and (not aggregate_id or e.aggregate_id == aggregate_id)
        ]
        return Page(items[page.offset : page.offset + page.size], len(items), page.page, page.size)
