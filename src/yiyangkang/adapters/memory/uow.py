"""The in-memory unit of work: works on a copy of the store; commit writes back only what it changed,
and a save against a version someone else committed meanwhile fails, as it would in the database."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from yiyangkang.adapters.memory.homebed import (
    MemoryApplications,
    MemoryAssessments,
    MemoryContracts,
    MemoryExceptions,
    MemoryHomeBedReports,
    MemoryOrders,
    MemoryRenovationItems,
    MemoryRenovationTasks,
    MemoryScales,
    MemorySequences,
    MemoryServiceItems,
    MemorySettings,
    MemorySubsidyTypes,
)
from yiyangkang.adapters.memory.ledger import MemoryLedger
from yiyangkang.adapters.memory.mall import (
    MemoryAfterSales,
    MemoryBuyGifts,
    MemoryCategories,
    MemoryMallConfigs,
    MemoryMallExceptions,
    MemoryMallSettings,
    MemoryPackages,
    MemoryProducts,
    MemoryRatings,
    MemorySubOrders,
    MemoryTrades,
)
from yiyangkang.adapters.memory.monitoring import (
    MemoryAlarmRules,
    MemoryAlarms,
    MemoryCallRequests,
    MemoryCheckups,
    MemoryDeadLetters,
    MemoryDeviceModels,
    MemoryDevices,
    MemoryDutySettings,
    MemoryLiveness,
    MemoryMessageLog,
    MemoryNoticeOutbox,
    MemoryReadings,
    MemoryRuleOverrides,
    MemoryRuleStates,
    MemorySimCards,
)
from yiyangkang.adapters.memory.payments import MemoryPayments
from yiyangkang.adapters.memory.points import (
    MemoryActivities,
    MemoryEnrolments,
    MemoryExchanges,
    MemoryGoods,
    MemoryServiceAwards,
)
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
from yiyangkang.adapters.memory.settlement import MemoryMoneyReports, MemoryOrderSplits, MemorySupplierRelations
from yiyangkang.adapters.memory.store import MemoryStore
from yiyangkang.adapters.memory.vouchers import (
    MemoryProcurement,
    MemoryVoucherBatches,
    MemoryVouchers,
    MemoryVoucherSpends,
)
from yiyangkang.domain.homebed.assessment import AssessmentScale
from yiyangkang.domain.homebed.config import RenovationItem, ServiceItem, SubsidyType
from yiyangkang.domain.kernel.events import Aggregate
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
from yiyangkang.ports.settlement import MoneyReports, OrderSplitRepository, SupplierRelationRepository
from yiyangkang.ports.vouchers import (
    ProcurementRepository,
    VoucherBatchRepository,
    VoucherRepository,
    VoucherSpendRepository,
)


class _Applies(Protocol):
    def apply(self) -> None: ...


class MemoryUnitOfWork:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def __enter__(self) -> Self:
        self._begin()
        return self

    def _begin(self) -> None:
        self.working = self.store.copy()
        self.touched: list[Aggregate] = []
        w, t, c = self.working, self.touched, self.store
        self.regions: RegionRepository = MemoryRegionRepository(w, t, c)
        self.institutions: InstitutionRepository = MemoryInstitutionRepository(w, t, c)
        self.staff: StaffRepository = MemoryStaffRepository(w, t, c)
        self.elders: ElderRepository = MemoryElderRepository(w, t, c)
        self.addresses: AddressRepository = MemoryAddressRepository(w, t, c)
        self.family_members: FamilyMemberRepository = MemoryFamilyMemberRepository(w, t, c)
        self.family_links: FamilyLinkRepository = MemoryFamilyLinkRepository(w, t, c)
        self.accounts: AccountRepository = MemoryAccountRepository(w, t, c)
        self.audit: AuditLog = MemoryAuditLog(w, t, c)
        self.sequences: Sequences = MemorySequences(w, t, c)
        self.service_items: CatalogRepository[ServiceItem] = MemoryServiceItems(w, t, c)
        self.subsidy_types: CatalogRepository[SubsidyType] = MemorySubsidyTypes(w, t, c)
        self.renovation_items: CatalogRepository[RenovationItem] = MemoryRenovationItems(w, t, c)
        self.scales: CatalogRepository[AssessmentScale] = MemoryScales(w, t, c)
        self.homebed_settings: SettingsRepository = MemorySettings(w, t, c)
        self.applications: ApplicationRepository = MemoryApplications(w, t, c)
        self.contracts: ContractRepository = MemoryContracts(w, t, c)
        self.assessments: AssessmentRepository = MemoryAssessments(w, t, c)
        self.homebed_orders: OrderRepository = MemoryOrders(w, t, c)
        self.homebed_exceptions: ExceptionRepository = MemoryExceptions(w, t, c)
        self.renovation_tasks: RenovationTaskRepository = MemoryRenovationTasks(w, t, c)
        self.homebed_reports: HomeBedReports = MemoryHomeBedReports(w, t, c)
        self.device_models: DeviceModelRepository = MemoryDeviceModels(w, t, c)
        self.devices: DeviceRepository = MemoryDevices(w, t, c)
        self.sim_cards: SimCardRepository = MemorySimCards(w, t, c)
        self.alarm_rules: AlarmRuleRepository = MemoryAlarmRules(w, t, c)
        self.rule_overrides: RuleOverrideRepository = MemoryRuleOverrides(w, t, c)
        self.rule_states: RuleStates = MemoryRuleStates(w, t, c)
        self.readings: ReadingStore = MemoryReadings(w, t, c)
        self.device_liveness: DeviceLivenessStore = MemoryLiveness(w, t, c)
        self.device_messages: MessageLog = MemoryMessageLog(w, t, c)
        self.dead_letters: DeadLetterStore = MemoryDeadLetters(w, t, c)
        self.alarms: AlarmRepository = MemoryAlarms(w, t, c)
        self.alarm_notices: NoticeOutbox = MemoryNoticeOutbox(w, t, c)
        self.duty_settings: DutySettingsRepository = MemoryDutySettings(w, t, c)
        self.checkups: CheckupRepository = MemoryCheckups(w, t, c)
        self.call_requests: CallRequestRepository = MemoryCallRequests(w, t, c)
        self.mall_categories: CategoryRepository = MemoryCategories(w, t, c)
        self.products: ProductRepository = MemoryProducts(w, t, c)
        self.packages: PackageRepository = MemoryPackages(w, t, c)
        self.buy_gifts: BuyGiftRepository = MemoryBuyGifts(w, t, c)
        self.mall_configs: MallConfigRepository = MemoryMallConfigs(w, t, c)
        self.mall_settings: MallSettingsRepository = MemoryMallSettings(w, t, c)
        self.trades: TradeRepository = MemoryTrades(w, t, c)
        self.mall_orders: SubOrderRepository = MemorySubOrders(w, t, c)
        self.after_sales: AfterSaleRepository = MemoryAfterSales(w, t, c)
        self.ratings: RatingRepository = MemoryRatings(w, t, c)
        self.mall_exceptions: ExceptionRepository = MemoryMallExceptions(w, t, c)
        self.ledger: LedgerStore = MemoryLedger(w, t, c)
        self.payments: PaymentStore = MemoryPayments(w, t, c)
        self.supplier_relations: SupplierRelationRepository = MemorySupplierRelations(w, t, c)
        self.order_splits: OrderSplitRepository = MemoryOrderSplits(w, t, c)
        self.money_reports: MoneyReports = MemoryMoneyReports(w, t, c)
        self.points_activities: ActivityRepository = MemoryActivities(w, t, c)
        self.points_enrolments: EnrolmentRepository = MemoryEnrolments(w, t, c)
        self.points_goods: GoodRepository = MemoryGoods(w, t, c)
        self.points_exchanges: ExchangeRepository = MemoryExchanges(w, t, c)
        self.service_awards: ServiceAwardRepository = MemoryServiceAwards(w, t, c)
        self.voucher_institutions: ProcurementRepository = MemoryProcurement(w, t, c)
        self.voucher_batches: VoucherBatchRepository = MemoryVoucherBatches(w, t, c)
        self.vouchers: VoucherRepository = MemoryVouchers(w, t, c)
        self.voucher_spends: VoucherSpendRepository = MemoryVoucherSpends(w, t, c)
        self._repositories: list[_Applies] = [
            self.regions, self.institutions, self.staff, self.elders, self.addresses,
            self.family_members, self.family_links, self.accounts, self.audit, self.sequences,
            self.service_items, self.subsidy_types, self.renovation_items, self.scales, self.homebed_settings,
            self.applications, self.contracts, self.assessments, self.homebed_orders, self.homebed_exceptions,
            self.renovation_tasks, self.homebed_reports,
            self.device_models, self.devices, self.sim_cards, self.alarm_rules, self.rule_overrides, self.rule_states,
            self.readings, self.device_liveness, self.device_messages, self.dead_letters, self.alarms,
            self.alarm_notices,
            self.duty_settings, self.checkups, self.call_requests,
            self.mall_categories, self.products, self.packages, self.buy_gifts, self.mall_configs, self.mall_settings,
            self.trades, self.mall_orders, self.after_sales, self.ratings, self.mall_exceptions, self.ledger,
            self.payments,
            self.points_activities, self.points_enrolments, self.points_goods, self.points_exchanges,
            self.service_awards,
            self.voucher_institutions, self.voucher_batches, self.vouchers, self.voucher_spends,
            self.supplier_relations, self.order_splits, self.money_reports,
        ]

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.working = self.store.copy()

    def commit(self) -> None:
        self.audit.append([e for item in self.touched for e in item.pull_events()])
        for repo in self._repositories:
            repo.apply()
        self._begin()

    def write_first(self) -> None:
        """One thread per store in tests: nothing to wait for."""

    def rollback(self) -> None:
        self._begin()
