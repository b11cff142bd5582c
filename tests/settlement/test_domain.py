"""The settlement domain (A-09, A-10) without I/O: the supplier relation's lifecycle as a Hypothesis state
machine, and the split arithmetic — parts always sum to the whole, reversals over any refund sequence are
proportional, never take back more than was given and never leave the seller short."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from yiyangkang.domain.kernel.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from yiyangkang.domain.kernel.events import Actor
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.kernel.validation import Checks
from yiyangkang.domain.money.allocation import BASIS, refund_by_source
from yiyangkang.domain.money.ledger import Owner, Posting, Purse
from yiyangkang.domain.settlement.relations import RelationStatus, SupplierRelation, check_terms
from yiyangkang.domain.settlement.splits import (
    LineBasis,
    OrderSplit,
    PartyKind,
    RelationTerms,
    compute_shares,
    kept_after,
    legs,
)

T0 = datetime(2026, 11, 25, 2, tzinfo=UTC)
APPLICANT = Actor("acc-supplier-admin", "institution_admin")
REVIEWER = Actor("acc-client-admin", "institution_admin")


def relation(ident: str = "r1", products: tuple[str, ...] = ("p1",), *, start: date = date(2026, 11, 1),
             end: date | None = None, supplier: str = "B") -> SupplierRelation:
    return SupplierRelation(id=ident, client_id="A", supplier_id=supplier, supplier_rate_bp=3000,
                            platform_rate_bp=500, product_ids=products, valid_from=start, valid_to=end,
                            applied_by=APPLICANT.id, created_at=T0)


# -- terms and lifecycle ----------------------------------------------------------------------------

@pytest.mark.parametrize(("supplier", "platform", "codes"), [
    (0, 0, set()), (10_000, 0, set()), (6000, 4000, set()),
    (-1, 0, {("supplier_rate_bp", "OUT_OF_RANGE")}), (10_001, 0, {("supplier_rate_bp", "OUT_OF_RANGE")}),
    (6000, 4001, {("platform_rate_bp", "RATES_EXCEED")}), (None, 10, {("supplier_rate_bp", "REQUIRED")}),
])
def test_a10_rates_are_basis_points_and_leave_the_seller_something(supplier: int | None, platform: int,
                                                                   codes: set[tuple[str, str]]) -> None:
    checks = Checks()
    check_terms(checks, client_id="A", supplier_id="B", supplier_rate_bp=supplier, platform_rate_bp=platform,
                valid_from=date(2026, 11, 1), valid_to=None)
    assert {(e.field, e.code) for e in checks.errors} == codes


def test_a10_period_and_self_supply_are_checked() -> None:
    checks = Checks()
    check_terms(checks, client_id="A", supplier_id="A", supplier_rate_bp=1, platform_rate_bp=1,
                valid_from=date(2026, 11, 2), valid_to=date(2026, 11, 1))
    assert {(e.field, e.code) for e in checks.errors} == {("valid_to", "INVALID_PERIOD"),
                                                           ("client_id", "SELF_SUPPLIER")}
    with pytest.raises(ValidationFailed):
        checks.done()


def test_a10_nobody_reviews_their_own_application_and_one_supplier_per_product_at_a_time() -> None:
    first = relation("r1", ("p1", "p2"), end=date(2026, 12, 31))
    with pytest.raises(PermissionDenied):
        first.approve("", [], APPLICANT, T0)
    first.approve("同意", [], REVIEWER, T0)
    assert first.in_force(date(2026, 12, 31)) and not first.in_force(date(2027, 1, 1))
    other = relation("r2", ("p2",), start=date(2026, 12, 1), supplier="C")
    with pytest.raises(Conflict) as exc:
        other.approve("", [first], REVIEWER, T0)
    assert exc.value.code == "SUPPLIER_PRODUCT_TAKEN" and other.status is RelationStatus.APPLIED
    later = relation("r3", ("p2",), start=date(2027, 1, 1), supplier="C")
    later.approve("", [first], REVIEWER, T0)  # the periods do not meet
    first.terminate(date(2026, 11, 26), "合作结束", REVIEWER, T0)
    assert not first.in_force(date(2026, 11, 27))
    with pytest.raises(Conflict):  # the terminated one no longer counts, but the later one does
        other.approve("", [first, later], REVIEWER, T0)
    other.valid_to = date(2026, 12, 31)
    other.approve("", [first, later], REVIEWER, T0)
    assert other.status is RelationStatus.APPROVED


class RelationMachine(RuleBasedStateMachine):
    """A-10: every path through apply → approve/reject → terminate agrees with the transition table; a refused
    move changes nothing; each move is one audit event."""

    def __init__(self) -> None:
        super().__init__()
        self.r = relation()
        self.model = RelationStatus.APPLIED
        self.events = 0
        self.clock = T0

    def _try(self, allowed: bool, move: object) -> None:
        before = (self.r.status, self.r.reviewed_by, self.r.terminated_on)
        self.clock += timedelta(minutes=1)
        try:
            move()  # type: ignore[operator]
        except InvalidTransition:
            assert not allowed
            assert (self.r.status, self.r.reviewed_by, self.r.terminated_on) == before
            return
        assert allowed
        self.events += 1

    @rule(note=st.text(max_size=5))
    def approve(self, note: str) -> None:
        allowed = self.model is RelationStatus.APPLIED
        self._try(allowed, lambda: self.r.approve(note, [], REVIEWER, self.clock))
        if allowed:
            self.model = RelationStatus.APPROVED

    @rule()
    def reject(self) -> None:
        allowed = self.model is RelationStatus.APPLIED
        self._try(allowed, lambda: self.r.reject("资质不符", REVIEWER, self.clock))
        if allowed:
            self.model = RelationStatus.REJECTED

    @rule()
    def terminate(self) -> None:
        allowed = self.model is RelationStatus.APPROVED
        self._try(allowed, lambda: self.r.terminate(date(2026, 11, 30), "终止", REVIEWER, self.clock))
        if allowed:
            self.model = RelationStatus.TERMINATED

    @precondition(lambda self: self.model is RelationStatus.REJECTED)
    @rule()
    def reapply(self) -> None:
        """After a rejection a new application starts over."""
        self.r, self.model, self.events = relation("r-again"), RelationStatus.APPLIED, 0

    @invariant()
    def agrees(self) -> None:
        assert self.r.status is self.model
        assert len(self.r.pull_events()) == self.events
        self.events = 0
        assert self.r.in_force(date(2026, 11, 25)) == (self.model is RelationStatus.APPROVED)


TestRelationMachine = RelationMachine.TestCase


# -- splits ---------------------------------------------------------------------------------------------

rates = st.tuples(st.integers(0, BASIS), st.integers(0, BASIS)).filter(lambda r: r[0] + r[1] <= BASIS)


@st.composite
def lines(draw: st.DrawFn) -> list[LineBasis]:
    """Order lines — what the seller holds of each in cash and in vouchers — and the relation supplying each,
    out of three relations with fixed rates."""
    relations = [RelationTerms(relation_id=f"rel{n}", supplier_id=f"S{n % 2}", supplier_rate_bp=r[0],
                               platform_rate_bp=r[1]) for n, r in enumerate(draw(st.lists(rates, min_size=3,
                                                                                           max_size=3)))]
    chosen = st.one_of(st.none(), st.sampled_from(relations))
    raw = draw(st.lists(st.tuples(st.integers(0, 1_000_000), st.integers(0, 1_000_000), chosen), min_size=1,
                        max_size=5))
    return [LineBasis(line_no=n, cash=Money(c), voucher=Money(v), terms=t) for n, (c, v, t) in enumerate(raw, 1)]


def _split(basis: list[LineBasis]) -> OrderSplit:
    return OrderSplit(id="s", sub_order_id="o", sub_order_number="DD1", trade_number="JY1", institution_id="A",
                      split_at=T0, held_cash=sum(b.cash.fen for b in basis),
                      held_voucher=sum(b.voucher.fen for b in basis), shares=compute_shares(basis), created_at=T0)


PURSES = (Purse.CASH, Purse.VOUCHER)


@given(lines())
def test_a09_split_parts_sum_exactly_to_the_whole(basis: list[LineBasis]) -> None:
    split = _split(basis)
    for purse in PURSES:
        for line in basis:
            parts = [s.part(purse) for s in split.shares if s.line_no == line.line_no]
            assert all(p >= 0 for p in parts)
            assert sum(parts) <= line.held(purse).fen  # the seller keeps the rest of the line
            if line.terms is not None:
                t = line.terms
                for share in (s for s in split.shares if s.line_no == line.line_no):
                    exact = line.held(purse).fen * share.rate_bp / BASIS
                    assert abs(share.part(purse) - exact) < 1  # within a fen of its rate of the line
                if t.supplier_rate_bp + t.platform_rate_bp == BASIS:
                    assert sum(parts) == line.held(purse).fen
            else:
                assert parts == []
        assert sum(s.part(purse) for s in split.shares) + split.seller_part(purse) == split.base(purse)
        assert split.seller_part(purse) >= 0
    moves = split.moves()
    if moves:
        posting = Posting(reference="split:DD1", kind="split", at=T0, legs=legs("A", moves, 1))
        posting.check()  # balanced, no zero legs
        sellers = [leg for leg in posting.legs if leg.account.owner is Owner.INSTITUTION and leg.amount < 0
                   and leg.account.owner_id == "A"]
        assert len(sellers) == len({leg.account.purse for leg in sellers})  # one seller leg per purse


@given(lines(), st.data())
def test_a09_reversals_are_proportional_and_never_leave_anyone_short(basis: list[LineBasis],
                                                                     data: st.DataObject) -> None:
    split = _split(basis)
    given_out = {(s.key, p): s.part(p) for s in split.shares for p in PURSES}
    back = dict.fromkeys(given_out, 0)
    paid = {ln.line_no: {"cash": ln.cash, "voucher": ln.voucher} for ln in basis}
    refunded = {ln.line_no: {"cash": Money(0), "voucher": Money(0)} for ln in basis}
    for n in range(data.draw(st.integers(1, 8))):
        line = data.draw(st.sampled_from(basis))
        left = sum((paid[line.line_no][k] - refunded[line.line_no][k] for k in ("cash", "voucher")), Money(0))
        if left.fen == 0:
            continue
        amount = Money(data.draw(st.integers(1, left.fen)))
        parts = refund_by_source(paid[line.line_no], refunded[line.line_no], amount)
        refunded[line.line_no] = {k: refunded[line.line_no][k] + parts[k] for k in parts}
        remaining = {ln: {Purse.CASH: (paid[ln]["cash"] - refunded[ln]["cash"]).fen,
                          Purse.VOUCHER: (paid[ln]["voucher"] - refunded[ln]["voucher"]).fen} for ln in paid}
        for m in split.reverse(remaining, f"split-reversal:{n}", REVIEWER, T0):
            assert m.cash >= 0 and m.voucher >= 0
            back[(m.share.key, Purse.CASH)] += m.cash
            back[(m.share.key, Purse.VOUCHER)] += m.voucher
        for ln in basis:  # per line and purse: each share keeps its floor of the proportion; the seller the rest
            for purse in PURSES:
                mine = [s for s in split.shares if s.line_no == ln.line_no]
                kept = [given_out[(s.key, purse)] - back[(s.key, purse)] for s in mine]
                assert kept == [kept_after(s.part(purse), s.base(purse), remaining[ln.line_no][purse]) for s in mine]
                assert all(k >= 0 for k in kept)
                assert remaining[ln.line_no][purse] - sum(kept) >= 0
    for ln in basis:
        if all(refunded[ln.line_no][k] == paid[ln.line_no][k] for k in ("cash", "voucher")):
            assert all(back[(s.key, p)] == given_out[(s.key, p)] for s in split.shares if s.line_no == ln.line_no
                       for p in PURSES)  # a line refunded whole takes every share of it back


def test_a09_a_split_of_nothing_moves_nothing() -> None:
    terms_b = RelationTerms(relation_id="r", supplier_id="B", supplier_rate_bp=3000, platform_rate_bp=500)
    split = _split([LineBasis(line_no=1, cash=Money(0), terms=terms_b)])
    assert split.moves() == [] and legs("A", [], 1) == ()
    assert [s.amount for s in split.shares] == [0, 0]


def test_a09_worked_example() -> None:
    """¥150 served under a 30 % + 5 % relation beside an unsupplied ¥80 line; ¥100 of the ¥150 line refunded
    later: ¥45 + ¥7.50 out, then ¥30 + ¥5 back; refunding the unsupplied line takes nothing back."""
    terms_b = RelationTerms(relation_id="r", supplier_id="B", supplier_rate_bp=3000, platform_rate_bp=500)
    split = _split([LineBasis(line_no=1, cash=Money(15000), terms=terms_b), LineBasis(line_no=2, cash=Money(8000))])
    assert [(s.party, s.cash) for s in split.shares] == [(PartyKind.SUPPLIER, 4500), (PartyKind.PLATFORM, 750)]
    assert split.reverse({2: {Purse.CASH: 0, Purse.VOUCHER: 0}}, "x", REVIEWER, T0) == []
    moves = split.reverse({1: {Purse.CASH: 5000, Purse.VOUCHER: 0}}, "y", REVIEWER, T0)
    assert [(m.cash, m.voucher) for m in moves] == [(3000, 0), (500, 0)]
