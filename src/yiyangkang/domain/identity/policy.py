"""The access policy (权限策略): one declarative table, role × operation → scope.

Use cases ask `scope_for(role, op)`: no cell means the role may not do it at all (403); a cell names
the scope in which it may, and an object outside that scope is answered as if it did not exist (404).

Scopes:
- ALL: everything on the platform.
- SUBTREE: objects of the caller's institution and its subordinate institutions (本机构及下级).
- INSTITUTION: objects of the caller's own institution only (staff: their institution's queue).
- LINKED: objects of the elders the caller acts for (the elder's own file, a family's linked elders).
- SELF: the caller's own account.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from attrs import frozen

from yiyangkang.domain.identity.accounts import Role
from yiyangkang.domain.identity.principal import Principal


class Scope(StrEnum):
    ALL = "all"
    SUBTREE = "subtree"
    INSTITUTION = "institution"
    LINKED = "linked"
    SELF = "self"


class Operation(StrEnum):
    REGION_READ = "region.read"
    INSTITUTION_READ = "institution.read"
    INSTITUTION_CREATE = "institution.create"
    INSTITUTION_UPDATE = "institution.update"
    STAFF_READ = "staff.read"
    STAFF_WRITE = "staff.write"
    ELDER_READ = "elder.read"
    # Seeing the full ID-card number and phone in a detail view; everyone else sees them masked.
    ELDER_READ_IDENTITY = "elder.read_identity"
    ELDER_CREATE = "elder.create"
    ELDER_UPDATE = "elder.update"
    ELDER_IMPORT = "elder.import"
    ADDRESS_READ = "address.read"
    ADDRESS_WRITE = "address.write"
    FAMILY_READ = "family.read"
    FAMILY_WRITE = "family.write"
    ACCOUNT_READ = "account.read"
    ACCOUNT_CREATE = "account.create"
    ACCOUNT_MANAGE = "account.manage"  # unlock, disable, enable, reset password
    AUDIT_READ = "audit.read"
    ME_READ = "me.read"
    PASSWORD_CHANGE = "password.change"
    # Home bed (家庭病床)
    HOMEBED_CONFIG_READ = "homebed.config.read"
    HOMEBED_CONFIG_WRITE = "homebed.config.write"
    APPLY_CODE_CREATE = "homebed.apply_code.create"  # mint the application QR code
    BED_APPLY = "homebed.application.apply"  # file, edit, withdraw an application
    BED_APPLICATION_READ = "homebed.application.read"
    BED_APPLICATION_REVIEW = "homebed.application.review"
    CONTRACT_READ = "homebed.contract.read"
    CONTRACT_WRITE = "homebed.contract.write"  # sign, terminate, renew, change
    ASSESSMENT_READ = "homebed.assessment.read"
    ASSESSMENT_WRITE = "homebed.assessment.write"
    RENOVATION_READ = "homebed.renovation.read"
    RENOVATION_DISPATCH = "homebed.renovation.dispatch"
    RENOVATION_WORK = "homebed.renovation.work"  # the assigned worker follows a task up
    HOMEBED_ORDER_READ = "homebed.order.read"
    HOMEBED_ORDER_PLACE = "homebed.order.place"
    HOMEBED_ORDER_DISPATCH = "homebed.order.dispatch"
    HOMEBED_ORDER_SERVE = "homebed.order.serve"  # the assigned worker starts, returns, completes
    HOMEBED_ORDER_CANCEL = "homebed.order.cancel"
    HOMEBED_ORDER_RECORD = "homebed.order.record"  # 补录
    HOMEBED_ORDER_CONFIRM = "homebed.order.confirm"  # 补录确认
    HOMEBED_EXCEPTION_READ = "homebed.exception.read"
    HOMEBED_EXCEPTION_REVIEW = "homebed.exception.review"
    HOMEBED_REPORT = "homebed.report"
    # Monitoring (健康监测)
    DEVICE_MODEL_READ = "monitoring.device_model.read"
    DEVICE_MODEL_WRITE = "monitoring.device_model.write"  # the platform's catalogue of models
    DEVICE_READ = "monitoring.device.read"
    DEVICE_WRITE = "monitoring.device.write"  # register, relocate, retire; SIM cards
    DEVICE_BIND = "monitoring.device.bind"  # bind to / unbind from an elder (S-08, D-01)
    DEVICE_INGEST = "monitoring.device.ingest"  # push device data over HTTP (partners, gateways)
    DEAD_LETTER_READ = "monitoring.dead_letter.read"
    ALARM_RULE_READ = "monitoring.rule.read"
    ALARM_RULE_WRITE = "monitoring.rule.write"  # the platform's rules per model and vital
    RULE_OVERRIDE_WRITE = "monitoring.rule_override.write"  # one elder's own thresholds
    DUTY_WRITE = "monitoring.duty.write"  # duty staff and escalation limits
    ALARM_READ = "monitoring.alarm.read"
    ALARM_HANDLE = "monitoring.alarm.handle"  # acknowledge, close
    VITALS_READ = "monitoring.vitals.read"  # M-08, P-03
    SOS_RAISE = "monitoring.sos.raise"  # M-12
    # Service mall (服务商城)
    MALL_BROWSE = "mall.browse"  # search, categories, stores, product detail (M-01…M-04)
    MALL_CATEGORY_WRITE = "mall.category.write"  # the platform's category tree
    MALL_SETTINGS_WRITE = "mall.settings.write"  # reviewers, time limits, exception rules
    MALL_CATALOGUE_READ = "mall.catalogue.read"  # a seller's products, packages, rules in any review state
    MALL_CATALOGUE_WRITE = "mall.catalogue.write"  # publish and edit products, packages, buy-gift rules; stock
    MALL_REVIEW = "mall.review"  # review what sellers publish, within the configured reviewer level
    MALL_CONFIG_WRITE = "mall.config.write"  # service areas, store and pickup addresses
    MALL_BUY = "mall.buy"  # check out and pay for an elder (M-05; staff and admins: 起单)
    MALL_ORDER_READ = "mall.order.read"  # sub-orders (P-01/P-02, A-05)
    MALL_ORDER_FULFIL = "mall.order.fulfil"  # dispatch, verify, ship, logistics, supplementary record
    MALL_ORDER_SERVE = "mall.order.serve"  # the assigned worker starts, returns, completes a home visit
    MALL_ORDER_CANCEL = "mall.order.cancel"
    MALL_AFTER_SALE_REQUEST = "mall.after_sale.request"
    MALL_AFTER_SALE_READ = "mall.after_sale.read"
    MALL_AFTER_SALE_REVIEW = "mall.after_sale.review"  # A-07: the seller reviews its own orders' requests
    MALL_RATE = "mall.rating.write"  # the elder rates a completed order
    MALL_RATING_READ = "mall.rating.read"
    MALL_RATING_HIDE = "mall.rating.hide"  # hidden from the mini-program, kept for the records
    MALL_EXCEPTION_READ = "mall.exception.read"
    MALL_EXCEPTION_REVIEW = "mall.exception.review"
    PAYMENT_READ = "payment.read"  # payment notifications received and refunds in flight (platform operators only)
    # Points (积分)
    POINTS_BROWSE = "points.browse"  # published activities, goods on the shelf (M-07, P-09)
    POINTS_MANAGE = "points.manage"  # an institution's activities and goods, attendance, delivery
    POINTS_ENROL = "points.enrol"  # enrol an elder in an activity, cancel the enrolment (M-07, P-08)
    POINTS_EXCHANGE = "points.exchange"  # exchange an elder's points for goods, cancel it (P-09)
    POINTS_READ = "points.read"  # an elder's points ledger, enrolments and exchanges (P-07, P-08, P-10)
    SERVICE_POINTS_READ = "points.service.read"  # staff service points per period (S-10)
    SERVICE_POINTS_AWARD = "points.service.award"  # the monthly award job (operators)
    # Elderly-care vouchers (养老服务券)
    VOUCHER_INSTITUTION_READ = "voucher.institution.read"  # which institutions accept vouchers
    VOUCHER_INSTITUTION_WRITE = "voucher.institution.write"  # the platform keeps that list
    VOUCHER_BATCH_READ = "voucher.batch.read"
    VOUCHER_BATCH_WRITE = "voucher.batch.write"  # batches: face value, eligible services, validity, quota
    VOUCHER_GRANT = "voucher.grant"  # A-12 充值/兑换: grant a batch's voucher to an eligible elder
    VOUCHER_READ = "voucher.read"  # vouchers, grants and consumption records (A-12, P-06)
    # Settlement (结算): supplier relations and the money reports
    SUPPLIER_APPLY = "settlement.supplier.apply"  # apply to become another institution's supplier
    SUPPLIER_REVIEW = "settlement.supplier.review"  # the client approves, rejects, terminates
    SUPPLIER_READ = "settlement.supplier.read"  # relations where one's institution is client or supplier
    MONEY_REPORT = "settlement.report"  # split detail, government settlement, income summaries


R, Op, S = Role, Operation, Scope

_EVERYONE_SELF = {(role, op): S.SELF for role in Role for op in (Op.ME_READ, Op.PASSWORD_CHANGE)}

POLICY: Mapping[tuple[Role, Operation], Scope] = {
    **_EVERYONE_SELF,
    # Reference data anyone signed in may read.
    **{(role, Op.REGION_READ): S.ALL for role in Role},
    # Platform operators run the platform.
    **{(R.PLATFORM_OPERATOR, op): S.ALL for op in Operation if op not in (Op.ME_READ, Op.PASSWORD_CHANGE)},
    # Institution admins manage their institution and its subordinates.
    (R.INSTITUTION_ADMIN, Op.INSTITUTION_READ): S.SUBTREE,
    (R.INSTITUTION_ADMIN, Op.INSTITUTION_CREATE): S.SUBTREE,
    (R.INSTITUTION_ADMIN, Op.INSTITUTION_UPDATE): S.SUBTREE,
    (R.INSTITUTION_ADMIN, Op.STAFF_READ): S.SUBTREE,
    (R.INSTITUTION_ADMIN, Op.STAFF_WRITE): S.SUBTREE,
    (R.INSTITUTION_ADMIN, Op.ELDER_READ): S.SUBTREE,
    (R.INSTITUTION_ADMIN, Op.ELDER_READ_IDENTITY): S.SUBTREE,
    (R.INSTITUTION_ADMIN, Op.ELDER_CREATE): S.SUBTREE,
    (R.INSTITUTION_ADMIN, Op.ELDER_UPDATE): S.SUBTREE,
    (R.INSTITUTION_ADMIN, Op.ELDER_IMPORT): S.SUBTREE,
    (R.INSTITUTION_ADMIN, Op.ADDRESS_READ): S.SUBTREE,
    (R.INSTITUTION_ADMIN, Op.ADDRESS_WRITE): S.SUBTREE,
    (R.INSTITUTION_ADMIN, Op.FAMILY_READ): S.SUBTREE,
    (R.INSTITUTION_ADMIN, Op.FAMILY_WRITE): S.SUBTREE,
    (R.INSTITUTION_ADMIN, Op.ACCOUNT_READ): S.SUBTREE,
    (R.INSTITUTION_ADMIN, Op.ACCOUNT_CREATE): S.SUBTREE,
    (R.INSTITUTION_ADMIN, Op.ACCOUNT_MANAGE): S.SUBTREE,
    # Staff work their own institution's queue; they file elders (S-04/S-05) but see ID numbers masked.
    (R.STAFF, Op.INSTITUTION_READ): S.INSTITUTION,
    (R.STAFF, Op.STAFF_READ): S.INSTITUTION,
    (R.STAFF, Op.ELDER_READ): S.INSTITUTION,
    (R.STAFF, Op.ELDER_CREATE): S.INSTITUTION,
    (R.STAFF, Op.ELDER_UPDATE): S.INSTITUTION,
    (R.STAFF, Op.ADDRESS_READ): S.INSTITUTION,
    (R.STAFF, Op.ADDRESS_WRITE): S.INSTITUTION,
    (R.STAFF, Op.FAMILY_READ): S.INSTITUTION,
    (R.STAFF, Op.FAMILY_WRITE): S.INSTITUTION,
    # Elders and their families see only the elders they act for.
    **{
        (role, op): S.LINKED
        for role in (R.ELDER, R.FAMILY)
        for op in (Op.ELDER_READ, Op.ELDER_READ_IDENTITY, Op.ADDRESS_READ, Op.ADDRESS_WRITE, Op.FAMILY_READ)
    },
    # Public directory of institutions (M-03 nearby institutions, M-04 stores).
    (R.ELDER, Op.INSTITUTION_READ): S.ALL,
    (R.FAMILY, Op.INSTITUTION_READ): S.ALL,
    # Home bed: every person signed in reads the configuration (item names, prices, subsidy types).
    **{(role, Op.HOMEBED_CONFIG_READ): S.ALL for role in Role if role is not R.PARTNER},
    # Admins run their subtree's home-bed business in the back office.
    **{
        (R.INSTITUTION_ADMIN, op): S.SUBTREE
        for op in (
            Op.APPLY_CODE_CREATE, Op.BED_APPLY, Op.BED_APPLICATION_READ, Op.BED_APPLICATION_REVIEW,
            Op.CONTRACT_READ, Op.CONTRACT_WRITE, Op.ASSESSMENT_READ, Op.ASSESSMENT_WRITE, Op.RENOVATION_READ,
            Op.RENOVATION_DISPATCH, Op.HOMEBED_ORDER_READ, Op.HOMEBED_ORDER_PLACE, Op.HOMEBED_ORDER_DISPATCH,
            Op.HOMEBED_ORDER_CANCEL, Op.HOMEBED_ORDER_RECORD, Op.HOMEBED_ORDER_CONFIRM,
            Op.HOMEBED_EXCEPTION_READ, Op.HOMEBED_EXCEPTION_REVIEW, Op.HOMEBED_REPORT,
        )
    },
    # Staff do it in the staff app for their own institution (S-01…S-07); serving needs the assignment too.
    **{
        (R.STAFF, op): S.INSTITUTION
        for op in (
            Op.APPLY_CODE_CREATE, Op.BED_APPLY, Op.BED_APPLICATION_READ, Op.CONTRACT_READ, Op.CONTRACT_WRITE,
            Op.ASSESSMENT_READ, Op.ASSESSMENT_WRITE, Op.RENOVATION_READ, Op.RENOVATION_WORK,
            Op.HOMEBED_ORDER_READ, Op.HOMEBED_ORDER_PLACE, Op.HOMEBED_ORDER_DISPATCH, Op.HOMEBED_ORDER_SERVE,
            Op.HOMEBED_ORDER_CANCEL, Op.HOMEBED_ORDER_RECORD, Op.HOMEBED_ORDER_CONFIRM,
        )
    },
    # Elders and families apply (their own applications) and follow their elder's bed.
    **{(role, op): S.SELF for role in (R.ELDER, R.FAMILY) for op in (Op.BED_APPLY, Op.BED_APPLICATION_READ)},
    **{
        (role, op): S.LINKED
        for role in (R.ELDER, R.FAMILY)
        for op in (Op.CONTRACT_READ, Op.ASSESSMENT_READ, Op.RENOVATION_READ, Op.HOMEBED_ORDER_READ,
                   Op.HOMEBED_ORDER_CANCEL)
    },
    # Monitoring: models are the platform's; institutions run their devices, duty and alarms; staff answer
    # alarms and bind devices for their institution (S-08, S-09); elders and families see their own vitals
    # and alarms and raise SOS (M-08, M-12); partner systems push device data for their institution.
    **{(role, Op.DEVICE_MODEL_READ): S.ALL for role in (R.INSTITUTION_ADMIN, R.STAFF)},
    **{(role, Op.ALARM_RULE_READ): S.ALL for role in (R.INSTITUTION_ADMIN, R.STAFF)},
    **{
        (R.INSTITUTION_ADMIN, op): S.SUBTREE
        for op in (Op.DEVICE_READ, Op.DEVICE_WRITE, Op.DEVICE_BIND, Op.RULE_OVERRIDE_WRITE, Op.DUTY_WRITE,
                   Op.ALARM_READ, Op.ALARM_HANDLE, Op.VITALS_READ)
    },
    **{
        (R.STAFF, op): S.INSTITUTION
        for op in (Op.DEVICE_READ, Op.DEVICE_BIND, Op.RULE_OVERRIDE_WRITE, Op.ALARM_READ, Op.ALARM_HANDLE,
                   Op.VITALS_READ)
    },
    **{
        (role, op): S.LINKED
        for role in (R.ELDER, R.FAMILY)
        for op in (Op.DEVICE_READ, Op.ALARM_READ, Op.VITALS_READ, Op.SOS_RAISE)
    },
    (R.PARTNER, Op.DEVICE_INGEST): S.SUBTREE,
    # Mall: everyone signed in browses; institutions sell, review (as configured), fulfil and answer
    # after-sales of their subtree; staff fulfil and serve their institution's orders and place orders for
    # its elders (起单); elders and families buy, cancel, ask for after-sales and rate for their elders.
    **{(role, Op.MALL_BROWSE): S.ALL for role in Role if role is not R.PARTNER},
    **{
        (R.INSTITUTION_ADMIN, op): S.SUBTREE
        for op in (Op.MALL_CATALOGUE_READ, Op.MALL_CATALOGUE_WRITE, Op.MALL_REVIEW, Op.MALL_CONFIG_WRITE,
                   Op.MALL_BUY, Op.MALL_ORDER_READ, Op.MALL_ORDER_FULFIL, Op.MALL_ORDER_CANCEL,
                   Op.MALL_AFTER_SALE_REQUEST, Op.MALL_AFTER_SALE_READ, Op.MALL_AFTER_SALE_REVIEW,
                   Op.MALL_RATING_READ, Op.MALL_EXCEPTION_READ, Op.MALL_EXCEPTION_REVIEW)
    },
    **{
        (R.STAFF, op): S.INSTITUTION
        for op in (Op.MALL_CATALOGUE_READ, Op.MALL_BUY, Op.MALL_ORDER_READ, Op.MALL_ORDER_FULFIL,
                   Op.MALL_ORDER_SERVE, Op.MALL_ORDER_CANCEL, Op.MALL_AFTER_SALE_REQUEST, Op.MALL_AFTER_SALE_READ,
                   Op.MALL_RATING_READ)
    },
    **{
        (role, op): S.LINKED
        for role in (R.ELDER, R.FAMILY)
        for op in (Op.MALL_BUY, Op.MALL_ORDER_READ, Op.MALL_ORDER_CANCEL, Op.MALL_AFTER_SALE_REQUEST,
                   Op.MALL_AFTER_SALE_READ, Op.MALL_RATE)
    },
    # Vouchers: the platform (for the government) keeps the procurement list and the batches; admins grant
    # vouchers to their subtree's elders and read its records; elders and families see their own (P-06).
    **{(role, op): S.ALL for role in (R.INSTITUTION_ADMIN, R.STAFF, R.ELDER, R.FAMILY, R.GOV_AUDITOR)
       for op in (Op.VOUCHER_INSTITUTION_READ,)},
    **{(role, Op.VOUCHER_BATCH_READ): S.ALL for role in (R.INSTITUTION_ADMIN, R.GOV_AUDITOR)},
    (R.INSTITUTION_ADMIN, Op.VOUCHER_GRANT): S.SUBTREE,
    (R.INSTITUTION_ADMIN, Op.VOUCHER_READ): S.SUBTREE,
    (R.GOV_AUDITOR, Op.VOUCHER_READ): S.ALL,
    **{(role, Op.VOUCHER_READ): S.LINKED for role in (R.ELDER, R.FAMILY)},
    # Points: everyone signed in sees what is published; institutions run their activities and goods; elders
    # and families enrol, exchange and read their own points; staff read their own service points (S-10).
    **{(role, Op.POINTS_BROWSE): S.ALL for role in Role if role is not R.PARTNER},
    **{(R.INSTITUTION_ADMIN, op): S.SUBTREE
       for op in (Op.POINTS_MANAGE, Op.POINTS_ENROL, Op.POINTS_READ, Op.SERVICE_POINTS_READ)},
    **{(R.STAFF, op): S.INSTITUTION for op in (Op.POINTS_MANAGE, Op.POINTS_ENROL, Op.POINTS_READ)},
    (R.STAFF, Op.SERVICE_POINTS_READ): S.SELF,
    **{(role, op): S.LINKED for role in (R.ELDER, R.FAMILY)
       for op in (Op.POINTS_ENROL, Op.POINTS_EXCHANGE, Op.POINTS_READ)},
    # Settlement: admins apply for, review and end supplier relations of their subtree and read its money.
    **{(R.INSTITUTION_ADMIN, op): S.SUBTREE
       for op in (Op.SUPPLIER_APPLY, Op.SUPPLIER_REVIEW, Op.SUPPLIER_READ, Op.MONEY_REPORT)},
    # Government auditors read the settlement and the business behind it.
    **{(R.GOV_AUDITOR, op): S.ALL for op in (Op.CONTRACT_READ, Op.HOMEBED_ORDER_READ, Op.HOMEBED_EXCEPTION_READ,
                                             Op.HOMEBED_REPORT, Op.MALL_ORDER_READ, Op.MALL_EXCEPTION_READ,
                                             Op.MONEY_REPORT)},
    # Government auditors read; they change nothing.
    (R.GOV_AUDITOR, Op.INSTITUTION_READ): S.ALL,
    (R.GOV_AUDITOR, Op.AUDIT_READ): S.ALL,
}


def scope_for(role: Role, op: Operation) -> Scope | None:
    return POLICY.get((role, op))


@frozen
class Target:
    """Who owns an object, as far as access is concerned."""

    institution_id: str | None = None
    institution_path: str | None = None
    elder_id: str | None = None
    account_id: str | None = None


def within(principal: Principal, scope: Scope, target: Target) -> bool:
    """Whether `target` lies inside `scope` as seen by `principal`."""
    if scope is Scope.ALL:
        return True
    if scope is Scope.SUBTREE:
        return bool(
            principal.institution_path and target.institution_path
            and target.institution_path.startswith(principal.institution_path)
        )
    if scope is Scope.INSTITUTION:
        return principal.institution_id is not None and target.institution_id == principal.institution_id
    if scope is Scope.LINKED:
        return target.elder_id is not None and target.elder_id in principal.elder_ids
    return target.account_id is not None and target.account_id == principal.account_id


@frozen
class Visibility:
    """A scope turned into a filter for list queries; repositories apply it in SQL."""

    everything: bool = False
    institution_path_prefix: str | None = None
    institution_id: str | None = None
    elder_ids: frozenset[str] | None = None
    account_id: str | None = None

    @classmethod
    def of(cls, principal: Principal, scope: Scope) -> Visibility:
        if scope is Scope.ALL:
            return cls(everything=True)
        if scope is Scope.SUBTREE:
            return cls(institution_path_prefix=principal.institution_path or "\x00")
        if scope is Scope.INSTITUTION:
            return cls(institution_id=principal.institution_id or "\x00")
        if scope is Scope.LINKED:
            return cls(elder_ids=principal.elder_ids)
        return cls(account_id=principal.account_id)

    def admits(self, target: Target) -> bool:
        """The same test as the SQL filter, for the in-memory repositories."""
        if self.everything:
            return True
        if self.institution_path_prefix is not None:
            return (target.institution_path or "").startswith(self.institution_path_prefix)
        if self.institution_id is not None:
            return target.institution_id == self.institution_id
        if self.elder_ids is not None:
            return target.elder_id in self.elder_ids
        return target.account_id == self.account_id
