"""The SQL unit of work: one connection and one transaction; commit writes the audit events too."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine, RootTransaction

from yiyangkang.adapters.sqlalchemy.base import SqlContext
from yiyangkang.adapters.sqlalchemy.repositories import (
    SqlAccountRepository,
    SqlAddressRepository,
    SqlApplications,
    SqlAssessments,
    SqlAuditLog,
    SqlContracts,
    SqlElderRepository,
    SqlExceptions,
    SqlFamilyLinkRepository,
    SqlFamilyMemberRepository,
    SqlHomeBedReports,
    SqlInstitutionRepository,
    SqlOrders,
    SqlRegionRepository,
    SqlRenovationItems,
    SqlRenovationTasks,
    SqlScales,
    SqlSequences,
    SqlServiceItems,
    SqlSettings,
    SqlStaffRepository,
    SqlSubsidyTypes,
)
from yiyangkang.adapters.sqlalchemy.repositories.ledger import SqlLedger
from yiyangkang.adapters.sqlalchemy.repositories.mall import (
    SqlAfterSales,
    SqlBuyGifts,
    SqlCategories,
    SqlMallConfigs,
    SqlMallExceptions,
    SqlMallSettings,
    SqlPackages,
    SqlProducts,
    SqlRatings,
    SqlSubOrders,
    SqlTrades,
)
from yiyangkang.adapters.sqlalchemy.repositories.money_reports import SqlMoneyReports
from yiyangkang.adapters.sqlalchemy.repositories.monitoring import (
    SqlAlarmRules,
    SqlAlarms,
    SqlCallRequests,
    SqlCheckups,
    SqlDeadLetters,
    SqlDeviceModels,
    SqlDevices,
    SqlDutySettings,
    SqlLiveness,
    SqlMessageLog,
    SqlNoticeOutbox,
    SqlReadings,
    SqlRuleOverrides,
    SqlRuleStates,
    SqlSimCards,
)
from yiyangkang.adapters.sqlalchemy.repositories.payments import SqlPayments
from yiyangkang.adapters.sqlalchemy.repositories.points import (
    SqlActivities,
    SqlEnrolments,
    SqlExchanges,
    SqlGoods,
    SqlServiceAwards,
)
from yiyangkang.adapters.sqlalchemy.repositories.settlement import SqlOrderSplits, SqlSupplierRelations
from yiyangkang.adapters.sqlalchemy.repositories.vouchers import (
    SqlProcurement,
    SqlVoucherBatches,
    SqlVouchers,
    SqlVoucherSpends,
)
from yiyangkang.adapters.sqlalchemy.tables import sequences
from yiyangkang.domain.homebed.assessment import AssessmentScale
from yiyangkang.domain.homebed.config import RenovationItem, ServiceItem, SubsidyType
from yiyangkang.ports.homebed import (
    ApplicationRepository,
    AssessmentRepository,
    CatalogRepository,
    ContractRepository,
    ExceptionRepository,
    HomeBedReports,
    OrderRepository,
    RenovationTaskRepository,
    Sequences,
    SettingsRepository,
)
from yiyangkang.ports.ledger import LedgerStore
from yiyangkang.ports.mall import (
    AfterSaleRepository,
    BuyGiftRepository,
    CategoryRepository,
    MallConfigRepository,
    MallSettingsRepository,
    PackageRepository,
    ProductRepository,
    RatingRepository,
    SubOrderRepository,
    TradeRepository,
)
from yiyangkang.ports.monitoring import (
    AlarmRepository,
    AlarmRuleRepository,
    CallRequestRepository,
    CheckupRepository,
    DeadLetterStore,
    DeviceLivenessStore,
    DeviceModelRepository,
    DeviceRepository,
    DutySettingsRepository,
    MessageLog,
    NoticeOutbox,
    ReadingStore,
    RuleOverrideRepository,
    RuleStates,
    SimCardRepository,
)
from yiyangkang.ports.payments import PaymentStore
from yiyangkang.ports.points import (
    ActivityRepository,
    EnrolmentRepository,
    ExchangeRepository,
    GoodRepository,
    ServiceAwardRepository,
)
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
from yiyangkang.ports.security import PiiVault
from yiyangkang.ports.settlement import MoneyReports, OrderSplitRepository, SupplierRelationRepository
from yiyangkang.ports.vouchers import (
    ProcurementRepository,
    VoucherBatchRepository,
    VoucherRepository,
    VoucherSpendRepository,
)


class SqlUnitOfWork:
    def __init__(self, engine: Engine, vault: PiiVault) -> None:
        self._engine = engine
        self._vault = vault
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None

    def __enter__(self) -> Self:
        self._conn = self._engine.connect()
        self._tx = self._conn.begin()
        ctx = SqlContext(self._conn, self._vault)
        self._ctx = ctx
        self.regions: RegionRepository = SqlRegionRepository(ctx)
        self.institutions: InstitutionRepository = SqlInstitutionRepository(ctx)
        self.staff: StaffRepository = SqlStaffRepository(ctx)
        self.elders: ElderRepository = SqlElderRepository(ctx)
        self.addresses: AddressRepository = SqlAddressRepository(ctx)
        self.family_members: FamilyMemberRepository = SqlFamilyMemberRepository(ctx)
        self.family_links: FamilyLinkRepository = SqlFamilyLinkRepository(ctx)
        self.accounts: AccountRepository = SqlAccountRepository(ctx)
        self.audit: AuditLog = SqlAuditLog(ctx)
        self.sequences: Sequences = SqlSequences(ctx)
        self.service_items: CatalogRepository[ServiceItem] = SqlServiceItems(ctx)
        self.subsidy_types: CatalogRepository[SubsidyType] = SqlSubsidyTypes(ctx)
        self.renovation_items: CatalogRepository[RenovationItem] = SqlRenovationItems(ctx)
        self.scales: CatalogRepository[AssessmentScale] = SqlScales(ctx)
        self.homebed_settings: SettingsRepository = SqlSettings(ctx)
        self.applications: ApplicationRepository = SqlApplications(ctx)
        self.contracts: ContractRepository = SqlContracts(ctx)
        self.assessments: AssessmentRepository = SqlAssessments(ctx)
        self.homebed_orders: OrderRepository = SqlOrders(ctx)
        self.homebed_exceptions: ExceptionRepository = SqlExceptions(ctx)
        self.renovation_tasks: RenovationTaskRepository = SqlRenovationTasks(ctx)
        self.homebed_reports: HomeBedReports = SqlHomeBedReports(ctx)
        self.device_models: DeviceModelRepository = SqlDeviceModels(ctx)
        self.devices: DeviceRepository = SqlDevices(ctx)
        self.sim_cards: SimCardRepository = SqlSimCards(ctx)
        self.alarm_rules: AlarmRuleRepository = SqlAlarmRules(ctx)
        self.rule_overrides: RuleOverrideRepository = SqlRuleOverrides(ctx)
        self.rule_states: RuleStates = SqlRuleStates(ctx)
        self.readings: ReadingStore = SqlReadings(ctx)
        self.device_liveness: DeviceLivenessStore = SqlLiveness(ctx)
        self.device_messages: MessageLog = SqlMessageLog(ctx)
        self.dead_letters: DeadLetterStore = SqlDeadLetters(ctx)
        self.alarms: AlarmRepository = SqlAlarms(ctx)
        self.alarm_notices: NoticeOutbox = SqlNoticeOutbox(ctx)
        self.duty_settings: DutySettingsRepository = SqlDutySettings(ctx)
        self.checkups: CheckupRepository = SqlCheckups(ctx)
        self.call_requests: CallRequestRepository = SqlCallRequests(ctx)
        self.mall_categories: CategoryRepository = SqlCategories(ctx)
        self.products: ProductRepository = SqlProducts(ctx)
        self.packages: PackageRepository = SqlPackages(ctx)
        self.buy_gifts: BuyGiftRepository = SqlBuyGifts(ctx)
        self.mall_configs: MallConfigRepository = SqlMallConfigs(ctx)
        self.mall_settings: MallSettingsRepository = SqlMallSettings(ctx)
        self.trades: TradeRepository = SqlTrades(ctx)
        self.mall_orders: SubOrderRepository = SqlSubOrders(ctx)
        self.after_sales: AfterSaleRepository = SqlAfterSales(ctx)
        self.ratings: RatingRepository = SqlRatings(ctx)
        self.mall_exceptions: ExceptionRepository = SqlMallExceptions(ctx)
        self.ledger: LedgerStore = SqlLedger(ctx)
        self.payments: PaymentStore = SqlPayments(ctx)
        self.supplier_relations: SupplierRelationRepository = SqlSupplierRelations(ctx)
        self.order_splits: OrderSplitRepository = SqlOrderSplits(ctx)
        self.money_reports: MoneyReports = SqlMoneyReports(ctx)
        self.points_activities: ActivityRepository = SqlActivities(ctx)
        self.points_enrolments: EnrolmentRepository = SqlEnrolments(ctx)
        self.points_goods: GoodRepository = SqlGoods(ctx)
        self.points_exchanges: ExchangeRepository = SqlExchanges(ctx)
        self.service_awards: ServiceAwardRepository = SqlServiceAwards(ctx)
        self.voucher_institutions: ProcurementRepository = SqlProcurement(ctx)
        self.voucher_batches: VoucherBatchRepository = SqlVoucherBatches(ctx)
        self.vouchers: VoucherRepository = SqlVouchers(ctx)
        self.voucher_spends: VoucherSpendRepository = SqlVoucherSpends(ctx)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                self._tx.rollback()
        finally:
            if self._conn is not None:
                self._conn.close()
            self._conn = self._tx = None

    def commit(self) -> None:
        assert self._tx is not None, "commit outside `with uow:`"
        events = [e for item in self._ctx.touched for e in item.pull_events()]
        self.audit.append(events)
        self._ctx.touched.clear()
        self._tx.commit()
        self._tx = self._conn.begin() if self._conn is not None else None

    def write_first(self) -> None:
        assert self._conn is not None, "write_first outside `with uow:`"
        if self._conn.dialect.name == "sqlite":  # a write statement takes the RESERVED lock even if it matches nothing
            self._conn.execute(sequences.update().where(sequences.c.key == "").values(value=sequences.c.value))

    def rollback(self) -> None:
        if self._tx is not None and self._tx.is_active:
            self._tx.rollback()
        self._ctx.touched.clear()
        self._tx = self._conn.begin() if self._conn is not None else None
