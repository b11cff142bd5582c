"""Repositories: collections of aggregates. `add` new ones, `get` by id, `save` changed ones
(optimistic version check), plus the few queries each use case needs, all scoped by a `Visibility`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

from yiyangkang.domain.elders.addresses import Address
from yiyangkang.domain.elders.elder import Elder
from yiyangkang.domain.elders.family import FamilyLink, FamilyMember
from yiyangkang.domain.identity.accounts import Role, UserAccount
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.events import DomainEvent
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.orgs.institutions import Institution, InstitutionType
from yiyangkang.domain.orgs.regions import Region, RegionLevel
from yiyangkang.domain.orgs.staff import Profession, StaffMember

A = TypeVar("A")


class Repository(Protocol[A]):
    def add(self, item: A) -> None: ...

    def get(self, ident: str) -> A | None: ...

    def lock(self, ident: str) -> A | None:
        """Get it and hold it until the unit of work ends, so that concurrent commands on one
        aggregate queue up (logins counting failures, default addresses). Call it before any other
        read in the unit of work (on SQLite the lock must come first)."""
        ...

    def save(self, item: A) -> None:
        """Write back a changed aggregate; raises ConcurrentUpdate if it changed meanwhile."""
        ...


class RegionRepository(Protocol):
    def add_many(self, regions: Iterable[Region]) -> int: ...

    def get(self, code: str) -> Region | None: ...

    def existing(self, codes: Iterable[str]) -> set[str]: ...

    def list(
        self, *, parent_code: str | None = None, level: RegionLevel | None = None, keyword: str | None = None
    ) -> Sequence[Region]: ...

    def count(self) -> int: ...


class InstitutionRepository(Repository[Institution], Protocol):
    def by_credit_code(self, credit_code: str) -> Institution | None: ...

    def paths(self, ids: Iterable[str]) -> dict[str, str]: ...

    def list(
        self, visibility: Visibility, page: PageRequest, *, keyword: str | None = None,
        region_code: str | None = None, type: InstitutionType | None = None,
        parent_id: str | None = None,
    ) -> Page[Institution]: ...


class StaffRepository(Repository[StaffMember], Protocol):
    def list(
        self, visibility: Visibility, page: PageRequest, *, institution_id: str | None = None,
        profession: Profession | None = None, keyword: str | None = None,
    ) -> Page[StaffMember]: ...


class ElderRepository(Repository[Elder], Protocol):
    def by_id_card(self, id_card_no: str) -> Elder | None: ...

    def existing_id_cards(self, id_card_nos: Iterable[str]) -> set[str]:
        """Which of these ID numbers already have a file."""
        ...

    def add_many(self, elders: Sequence[Elder]) -> None: ...

    def list(
        self, visibility: Visibility, page: PageRequest, *, keyword: str | None = None,
        region_code: str | None = None, institution_id: str | None = None,
    ) -> Page[Elder]: ...

    def count(self) -> int: ...


class AddressRepository(Repository[Address], Protocol):
    def remove(self, item: Address) -> None: ...

    def for_elder(self, elder_id: str) -> Sequence[Address]: ...


class FamilyMemberRepository(Repository[FamilyMember], Protocol):
    def by_phone(self, phone: str) -> FamilyMember | None: ...


class FamilyLinkRepository(Repository[FamilyLink], Protocol):
    def remove(self, item: FamilyLink) -> None: ...

    def for_elder(self, elder_id: str) -> Sequence[FamilyLink]: ...

    def elder_ids_of(self, family_member_id: str) -> frozenset[str]: ...

    def find(self, family_member_id: str, elder_id: str) -> FamilyLink | None: ...


class AccountRepository(Repository[UserAccount], Protocol):
    def by_login(self, login: str) -> UserAccount | None:
        """Find by user name, or by phone number when `login` is one."""
        ...

    def of_person(
        self, *, staff_id: str | None = None, elder_id: str | None = None, family_member_id: str | None = None
    ) -> UserAccount | None:
        """The login opened for this staff member, elder or family member, if any (one per person)."""
        ...

    def list(
        self, visibility: Visibility, page: PageRequest, *, role: Role | None = None,
        roles: frozenset[Role] | None = None, keyword: str | None = None,
    ) -> Page[UserAccount]: ...


class AuditLog(Protocol):
    def append(self, events: Sequence[DomainEvent]) -> None: ...

    def list(
        self, page: PageRequest, *, aggregate: str | None = None, aggregate_id: str | None = None
    ) -> Page[DomainEvent]: ...
