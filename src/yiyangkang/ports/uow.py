"""The unit of work (工作单元): one per request, CLI call or device message.

    with uow:
        ... read and change aggregates through the repositories ...
        uow.commit()   # writes the changes and their events (the audit trail) atomically

Leaving the block without `commit()` rolls everything back, so a failed command writes nothing.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

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
from yiyangkang.ports.settlement import MoneyReports, OrderSplitRepository, SupplierRelationRepository
from yiyangkang.ports.vouchers import (
    ProcurementRepository,
    VoucherBatchRepository,
    VoucherRepository,
    VoucherSpendRepository,
)


class UnitOfWork(Protocol):
    regions: RegionRepository
    institutions: InstitutionRepository
    staff: StaffRepository
    elders: ElderRepository
    addresses: AddressRepository
    family_members: FamilyMemberRepository
    family_links: FamilyLinkRepository
    accounts: AccountRepository
    audit: AuditLog
    sequences: Sequences
    # Home bed (家庭病床)
    service_items: CatalogRepository[ServiceItem]
    subsidy_types: CatalogRepository[SubsidyType]
    renovation_items: CatalogRepository[RenovationItem]
    scales: CatalogRepository[AssessmentScale]
    homebed_settings: SettingsRepository
    applications: ApplicationRepository
    contracts: ContractRepository
    assessments: AssessmentRepository
    homebed_orders: OrderRepository
    homebed_exceptions: ExceptionRepository
    renovation_tasks: RenovationTaskRepository
    homebed_reports: HomeBedReports
    # Monitoring (健康监测)
    device_models: DeviceModelRepository
    devices: DeviceRepository
    sim_cards: SimCardRepository
    alarm_rules: AlarmRuleRepository
    rule_overrides: RuleOverrideRepository
    rule_states: RuleStates
    readings: ReadingStore
    device_liveness: DeviceLivenessStore
    device_messages: MessageLog
    dead_letters: DeadLetterStore
    alarms: AlarmRepository
    alarm_notices: NoticeOutbox
    duty_settings: DutySettingsRepository
    checkups: CheckupRepository
    call_requests: CallRequestRepository
    # Mall (服务商城)
    mall_categories: CategoryRepository
    products: ProductRepository
    packages: PackageRepository
    buy_gifts: BuyGiftRepository
    mall_configs: MallConfigRepository
    mall_settings: MallSettingsRepository
    trades: TradeRepository
    mall_orders: SubOrderRepository
    after_sales: AfterSaleRepository
    ratings: RatingRepository
    mall_exceptions: ExceptionRepository
    # Money (资金)
    ledger: LedgerStore
    payments: PaymentStore  # notifications received, refunds in flight
    # Settlement (结算: 服务商与分账)
    supplier_relations: SupplierRelationRepository
    order_splits: OrderSplitRepository
    money_reports: MoneyReports
    # Points (积分)
    points_activities: ActivityRepository
    points_enrolments: EnrolmentRepository
    points_goods: GoodRepository
    points_exchanges: ExchangeRepository
    service_awards: ServiceAwardRepository
    # Vouchers (养老服务券)
    voucher_institutions: ProcurementRepository
    voucher_batches: VoucherBatchRepository
    vouchers: VoucherRepository
    voucher_spends: VoucherSpendRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def write_first(self) -> None:
        """Declare a writing unit of work before its first read. SQLite then takes its single write lock now,
        waiting for other writers, instead of failing later when a read snapshot cannot be upgraded; on
        PostgreSQL (row locks, MVCC) it does nothing."""
        ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...
