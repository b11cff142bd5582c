"""Order splits (订单分账, A-09): when a sub-order completes, what its seller holds for it is shared out —
each supplier's rate of the lines of the products it supplies, and the platform fee of the same lines —
line by line and purse by purse (cash, vouchers), exact to the fen; a refund afterwards takes the shares of
the refunded line back in proportion.

Exactness: each line's holding in a purse is split by its relation's rates (`allocation.split`, the seller
takes the rest), so the parts of every line — and so of the order — always sum to the whole.

Reversal: when refunds leave `remaining` of a line's purse, held at completion as `base`, a share keeps
floor(part × remaining / base) — monotone in `remaining`, all of the part at `base`, nothing at 0 — so a
refund takes back at most what is left, a full refund takes back everything, and the seller's own part of
the line, remaining − Σ floors, is never negative: the seller can always pay the refund."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from attrs import define, field, frozen

from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.money.allocation import split
from yiyangkang.domain.money.ledger import Account, Leg, Owner, Purse

ZERO = Money(0)
PLATFORM_ID = "platform"  # the one platform account owner: platform:platform:<purse>
PURSES = (Purse.CASH, Purse.VOUCHER)


SPLIT_KINDS = ("split", "split_reversal")  # the ledger kinds of shares paid out and taken back

class PartyKind(StrEnum):
    SUPPLIER = "supplier"  # 服务商
    PLATFORM = "platform"  # 平台服务费


PARTY_LABELS = {PartyKind.SUPPLIER: "服务商", PartyKind.PLATFORM: "平台服务费"}


@frozen(kw_only=True)
class RelationTerms:
    """The relation in force for one line: who supplies it, at what rates."""

    relation_id: str
    supplier_id: str
    supplier_rate_bp: int
    platform_rate_bp: int


@frozen(kw_only=True)
class LineBasis:
    """One order line as the split sees it: what the seller holds of it per purse now, and the relation
    supplying its product."""

    line_no: int
    cash: Money
    voucher: Money = ZERO
    terms: RelationTerms | None = None

    def held(self, purse: Purse) -> Money:
        return self.cash if purse is Purse.CASH else self.voucher


@define(kw_only=True)
class SplitShare:
    """One party's part of one line, per purse; the line's holding at completion it was taken from (the base
    of its reversals); how much of it refunds took back so far. Amounts in fen."""

    party: PartyKind
    institution_id: str  # the supplier; PLATFORM_ID for the platform fee
    relation_id: str
    rate_bp: int
    line_no: int
    base_cash: int
    base_voucher: int
    cash: int = 0
    voucher: int = 0
    reversed_cash: int = 0
    reversed_voucher: int = 0

    @property
    def key(self) -> tuple[str, str, str, int]:
        return self.party.value, self.institution_id, self.relation_id, self.line_no

    def base(self, purse: Purse) -> int:
        return self.base_cash if purse is Purse.CASH else self.base_voucher

    @property
    def amount(self) -> int:
        return self.cash + self.voucher

    @property
    def reversed(self) -> int:
        return self.reversed_cash + self.reversed_voucher

    def part(self, purse: Purse) -> int:
        return self.cash if purse is Purse.CASH else self.voucher

    def taken_back(self, purse: Purse) -> int:
        return self.reversed_cash if purse is Purse.CASH else self.reversed_voucher

    def account(self, purse: Purse) -> Account:
        if self.party is PartyKind.PLATFORM:
            return Account(Owner.PLATFORM, PLATFORM_ID, purse)
        return Account(Owner.INSTITUTION, self.institution_id, purse)


def compute_shares(lines: Sequence[LineBasis]) -> list[SplitShare]:
    """The shares of suppliers and the platform, line by line and purse by purse, in line order (supplier
    before platform). A party with a 0 rate is left out."""
    shares: list[SplitShare] = []
    for line in lines:
        t = line.terms
        if t is None:
            continue
        supplier_cash, platform_cash, _ = split(line.cash, [t.supplier_rate_bp, t.platform_rate_bp])
        supplier_voucher, platform_voucher, _ = split(line.voucher, [t.supplier_rate_bp, t.platform_rate_bp])
        for party, who, rate, cash, voucher in (
                (PartyKind.SUPPLIER, t.supplier_id, t.supplier_rate_bp, supplier_cash, supplier_voucher),
                (PartyKind.PLATFORM, PLATFORM_ID, t.platform_rate_bp, platform_cash, platform_voucher)):
            if rate > 0:
                shares.append(SplitShare(party=party, institution_id=who, relation_id=t.relation_id, rate_bp=rate,
                                         line_no=line.line_no, base_cash=line.cash.fen, base_voucher=line.voucher.fen,
                                         cash=cash.fen, voucher=voucher.fen))
    return shares


def kept_after(part: int, base: int, remaining: int) -> int:
    """What a share keeps of its `part` when refunds leave `remaining` of the purse's `base`."""
    if base <= 0:
        return 0
    return part * max(min(remaining, base), 0) // base


@frozen
class Move:
    """One party's money moving in a split or a reversal (fen, per purse; positive: to the party)."""

    share: SplitShare
    cash: int
    voucher: int


def legs(seller_id: str, moves: Sequence[Move], sign: int) -> tuple[Leg, ...]:
    """Ledger legs moving `moves` from the seller to the parties (sign +1) or back (sign −1): one seller leg
    per purse, so a leg of a party always has exactly one opposite leg of the same purse (the reports pair
    them to know whose order a share came from)."""
    out: list[Leg] = []
    for purse in PURSES:
        parts = [(m.share.account(purse), m.cash if purse is Purse.CASH else m.voucher) for m in moves]
        total = sum(amount for _, amount in parts)
        if total:
            out.append(Leg(Account(Owner.INSTITUTION, seller_id, purse), -sign * total))
            out.extend(Leg(account, sign * amount) for account, amount in parts if amount)
    return tuple(out)


@define(slots=False, kw_only=True)
class OrderSplit(Aggregate):
    """订单分账: the split of one completed sub-order (its shares and what refunds took back)."""

    kind = "order_split"

    sub_order_id: str
    sub_order_number: str
    trade_number: str
    institution_id: str  # the seller
    split_at: datetime
    held_cash: int  # what the seller held for the order when it completed (fen)
    held_voucher: int
    shares: list[SplitShare] = field(factory=list)
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"sub_order_number": self.sub_order_number, "held_cash_fen": self.held_cash,
                "held_voucher_fen": self.held_voucher,
                "shares": [[s.party.value, s.institution_id, s.line_no, s.rate_bp, s.cash, s.voucher]
                           for s in self.shares]}

    @property
    def held(self) -> int:
        return self.held_cash + self.held_voucher

    def base(self, purse: Purse) -> int:
        return self.held_cash if purse is Purse.CASH else self.held_voucher

    def seller_part(self, purse: Purse) -> int:
        """What the seller keeps of a purse at completion."""
        return self.base(purse) - sum(s.part(purse) for s in self.shares)

    def moves(self) -> list[Move]:
        return [Move(s, s.cash, s.voucher) for s in self.shares if s.amount]

    def reverse(self, remaining: dict[int, dict[Purse, int]], reference: str, actor: Actor,
                at: datetime) -> list[Move]:
        """Refunds leave `remaining` per line and purse of what the seller held: every share keeps its floor
        of the proportion of its line (see the module) and gives back the rest of what it still had. Returns
        the moves back (positive amounts), empty when nothing is to be taken back."""
        back: list[Move] = []
        for s in self.shares:
            amounts = []
            for purse in PURSES:
                still = s.part(purse) - s.taken_back(purse)
                left = remaining.get(s.line_no, {}).get(purse, s.base(purse))
                amounts.append(max(still - kept_after(s.part(purse), s.base(purse), left), 0))
            cash, voucher = amounts
            if cash or voucher:
                s.reversed_cash += cash
                s.reversed_voucher += voucher
                back.append(Move(s, cash, voucher))
        if back:
            self.note("reversed", actor, at, after={"reference": reference, "moves": [
                [m.share.party.value, m.share.institution_id, m.share.line_no, m.cash, m.voucher] for m in back]})
        return back
