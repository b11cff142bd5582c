"""The in-memory unit of work: works on a copy of the store and swaps it in on commit."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from yiyangkang.adapters.memory.repositories import (
    MemoryAccountRepository,
    MemoryAddressRepository,
    MemoryAuditLog,
    MemoryElderRepository,
    MemoryFamilyLinkRepository,
    MemoryFamilyMemberRepository,
    MemoryInstitutionRepository,
    MemoryRegionRepository,
    MemoryStaffRepository,
)
from yiyangkang.adapters.memory.store import MemoryStore
from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.ports.repositories import (
    AccountRepository,
    AddressRepository,
    AuditLog,
    ElderRepository,
    FamilyLinkRepository,
    FamilyMemberRepository,
    InstitutionRepository,
    RegionRepository,
    StaffRepository,
)


class MemoryUnitOfWork:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def __enter__(self) -> Self:
        self._begin()
        return self

    def _begin(self) -> None:
        self.working = self.store.copy()
        self.touched: list[Aggregate] = []
        w, t = self.working, self.touched
        self.regions: RegionRepository = MemoryRegionRepository(w, t)
        self.institutions: InstitutionRepository = MemoryInstitutionRepository(w, t)
        self.staff: StaffRepository = MemoryStaffRepository(w, t)
        self.elders: ElderRepository = MemoryElderRepository(w, t)
        self.addresses: AddressRepository = MemoryAddressRepository(w, t)
        self.family_members: FamilyMemberRepository = MemoryFamilyMemberRepository(w, t)
        self.family_links: FamilyLinkRepository = MemoryFamilyLinkRepository(w, t)
        self.accounts: AccountRepository = MemoryAccountRepository(w, t)
        self.audit: AuditLog = MemoryAuditLog(w, t)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.working = self.store.copy()

    def commit(self) -> None:
        self.audit.append([e for item in self.touched for e in item.pull_events()])
        self.store.regions = self.working.regions
        self.store.tables = self.working.tables
        self.store.audit = self.working.audit
        self._begin()

    def rollback(self) -> None:
        self._begin()
