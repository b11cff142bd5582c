"""SQL repositories: each maps one aggregate to its row and back, explicitly."""

from yiyangkang.adapters.sqlalchemy.repositories.audit import SqlAuditLog
from yiyangkang.adapters.sqlalchemy.repositories.elders import (
    SqlAddressRepository,
    SqlElderRepository,
    SqlFamilyLinkRepository,
    SqlFamilyMemberRepository,
)
from yiyangkang.adapters.sqlalchemy.repositories.homebed import (
    SqlApplications,
    SqlAssessments,
    SqlContracts,
    SqlExceptions,
    SqlOrders,
    SqlRenovationItems,
    SqlRenovationTasks,
    SqlScales,
    SqlSequences,
    SqlServiceItems,
    SqlSettings,
    SqlSubsidyTypes,
)
from yiyangkang.adapters.sqlalchemy.repositories.homebed_reports import SqlHomeBedReports
from yiyangkang.adapters.sqlalchemy.repositories.identity import SqlAccountRepository
from yiyangkang.adapters.sqlalchemy.repositories.orgs import (
    SqlInstitutionRepository,
    SqlRegionRepository,
    SqlStaffRepository,
)

__all__ = [
    "SqlAccountRepository",
    "SqlAddressRepository",
    "SqlApplications",
    "SqlAssessments",
    "SqlAuditLog",
    "SqlContracts",
    "SqlElderRepository",
    "SqlExceptions",
    "SqlFamilyLinkRepository",
    "SqlFamilyMemberRepository",
    "SqlHomeBedReports",
    "SqlInstitutionRepository",
    "SqlOrders",
    "SqlRegionRepository",
    "SqlRenovationItems",
    "SqlRenovationTasks",
    "SqlScales",
    "SqlSequences",
    "SqlServiceItems",
    "SqlSettings",
    "SqlStaffRepository",
    "SqlSubsidyTypes",
]
