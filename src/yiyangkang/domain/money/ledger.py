"""The ledger (账本): append-only, double-entry postings with unique business references.

Every movement is a `Posting` whose legs sum to zero per unit: money in fen and points never mix. A
posting is applied whole or not at all; it is refused if it would take an account that may not go negative
below zero. Balances are a cache of the legs: `replay` recomputes them, and reconciliation compares the two."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum

from attrs import frozen

from yiyangkang.domain.kernel.errors import Conflict, FieldError, ValidationFailed


class Owner(StrEnum):
    ELDER = "elder"
    INSTITUTION = "institution"
    PLATFORM = "platform"
    STAFF = "staff"
    VOUCHER = "voucher"  # one elderly-care voucher granted to an elder (its balance is what is left on it)
    TRADE = "trade"  # a mall trade holding its vouchers while the cash part is pending
    PROVIDER = "provider"  # a payment provider's clearing account (WeChat Pay, Alipay, UnionPay)
    GOVERNMENT = "government"  # the fund vouchers and subsidies come from
    ISSUER = "issuer"  # the platform's points fund (积分发行): points earned come from it, points spent go back


class Purse(StrEnum):
    CASH = "cash"  # fen
    VOUCHER = "voucher"  # fen, spendable only at government-procurement institutions
    SUBSIDY = "subsidy"  # fen
    POINTS = "points"  # points, not money

    @property
    def unit(self) -> str:
        return "points" if self is Purse.POINTS else "fen"


SOURCES = frozenset({Owner.PROVIDER, Owner.GOVERNMENT, Owner.ISSUER})


@frozen(order=True)
class Account:
    owner: Owner
    owner_id: str
    purse: Purse

    @property
    def may_go_negative(self) -> bool:
        """Sources hand out what others receive; everyone else spends only what they hold."""
        return self.owner in SOURCES

    @property
    def key(self) -> str:
        return f"{self.owner.value}:{self.owner_id}:{self.purse.value}"


@frozen
class Leg:
    account: Account
    amount: int  # + in, − out; fen or points by the purse


@frozen(kw_only=True)
class Posting:
    reference: str  # unique per business event, e.g. "pay:JY2026112500001", "refund:SH2026112500003"
    kind: str  # payment, refund, voucher_grant, voucher_spend, voucher_expiry, split, points_earn …
    legs: tuple[Leg, ...]
    at: datetime
    memo: str = ""

    def check(self) -> None:
        errors = []
        if not self.reference.strip():
            errors.append(FieldError("reference", "记账凭证须有业务编号", "REQUIRED"))
        if len(self.legs) < 2 or any(leg.amount == 0 for leg in self.legs):
            errors.append(FieldError("legs", "记账凭证至少两条非零分录", "INVALID"))
        for unit in {leg.account.purse.unit for leg in self.legs}:
            if sum(leg.amount for leg in self.legs if leg.account.purse.unit == unit) != 0:
                errors.append(FieldError("legs", f"分录借贷不平（{unit}）", "UNBALANCED"))
        if errors:
            raise ValidationFailed(errors)


class InsufficientBalance(Conflict):
    code = "LEDGER_INSUFFICIENT_BALANCE"
    message = "余额不足"


def apply(balances: Mapping[Account, int], posting: Posting) -> dict[Account, int]:
    """The balances after `posting`, or InsufficientBalance leaving them untouched."""
    posting.check()
    after = dict(balances)
    for leg in posting.legs:
        after[leg.account] = after.get(leg.account, 0) + leg.amount
    short = sorted(a for a in {leg.account for leg in posting.legs} if after[a] < 0 and not a.may_go_negative)
    if short:
        raise InsufficientBalance(details={"accounts": [a.key for a in short]})
    return after


def replay(postings: Iterable[Posting]) -> dict[Account, int]:
    """Balances as the sum of every leg (what reconciliation compares the stored balances with)."""
    totals: dict[Account, int] = {}
    for posting in postings:
        for leg in posting.legs:
            totals[leg.account] = totals.get(leg.account, 0) + leg.amount
    return totals


def differences(stored: Mapping[Account, int], postings: Iterable[Posting]) -> dict[Account, tuple[int, int]]:
    """Accounts whose stored balance is not the sum of their legs: (stored, summed)."""
    summed = replay(postings)
    return {a: (stored.get(a, 0), summed.get(a, 0)) for a in set(stored) | set(summed)
            if stored.get(a, 0) != summed.get(a, 0)}
