"""SQL repositories: each maps one aggregate to its row and back, explicitly."""

from yiyangkang.adapters.sqlalchemy.repositories.audit import SqlAuditLog
from yiyangkang.adapters.sqlalchemy.repositories.elders import (
    SqlAddressRepository,
    SqlElderRepository,
    SqlFamilyLinkRepository,
    SqlFamilyMemberRepository,
)
from yiyangkang.adapters.sqlalchemy.repositories.identity import SqlAccountRepository
from yiyangkang.adapters.sqlalchemy.repositories.orgs import (
    SqlInstitutionRepository,
    SqlRegionRepository,
    SqlStaffRepository,
)

__all__ = [
    "SqlAccountRepository", "SqlAddressRepository", "SqlAuditLog", "SqlElderRepository",
    "SqlFamilyLinkRepository", "SqlFamilyMemberRepository", "SqlInstitutionRepository",
    "SqlRegionRepository", "SqlStaffRepository",
]
