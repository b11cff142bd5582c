"""Stateful models of the pure home-bed domain (HB-01, HB-03, HB-05, HB-06, HB-07, HB-10, HB-11, S-02).

Hypothesis drives each aggregate through random command sequences on a clock the machine moves by hand
(aware UTC instants; business dates in Shanghai), and checks every outcome against a small model:

- every command that fails with a `DomainError` leaves the aggregate exactly as it was (attrs snapshot,
  without the private pending-events list) and records no event;
- every command that changes the aggregate records at least one event about it;
- the invariants of each lifecycle hold after every step.

No database, no services: where a rule lives in a use case (order placement checks the contract,
termination force-cancels the open orders, the scan raises one exception per order and kind), the
machine does what the use case does, with the domain objects only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

import pytest
from attrs import asdict, define, evolve
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from yiyangkang.domain.elders.elder import Gender
from yiyangkang.domain.homebed.applications import MAX_MATERIALS, ApplicantKind, ApplicationStatus, BedApplication
from yiyangkang.domain.homebed.config import SETTING_LIMITS, SETTINGS_ID, BusinessSettings, SubsidyMode, SubsidyType
from yiyangkang.domain.homebed.contracts import (
    MAX_START_DELAY_DAYS,
    MAX_TERM_YEARS,
    Contract,
    ContractNotActive,
    ContractStatus,
    ContractTerms,
    Frequency,
    PlanLine,
    TermsVersion,
)
from yiyangkang.domain.homebed.exceptions import ExceptionKind, ExceptionOrder, Finding, ReviewStatus, findings
from yiyangkang.domain.homebed.orders import HomeBedOrder, OrderStatus
from yiyangkang.domain.kernel.errors import (
    Conflict,
    DomainError,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from yiyangkang.domain.kernel.events import Actor, Aggregate, DomainEvent
from yiyangkang.domain.kernel.files import FileRef
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.kernel.timekeeping import add_years, business_date

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # 09:30 in Guangzhou
ADMIN = Actor(id="acct-admin-tianhe", role="institution_admin")
FAMILY = Actor(id="acct-family-01", role="family")
DISPATCHER = Actor(id="acct-dispatcher-01", role="staff")
CALENDAR = Actor.system("homebed-calendar")
SCANNER = Actor.system("homebed-exception-scan")
STAFF_IDS = ("staff-1", "staff-2", "staff-3")
WHO = ("assigned", "assigned", "other", "nobody")  # who calls a worker's command on an order (mostly the right one)

A = ApplicationStatus
C = ContractStatus
O = OrderStatus  # noqa: E741 - as in the domain module
REVIEWED = frozenset({A.APPROVED, A.REJECTED})
EDITABLE = frozenset({A.SUBMITTED, A.APPROVED, A.REJECTED})
IN_TERM = frozenset({C.PENDING_START, C.ACTIVE})
OPEN_ORDERS = frozenset({O.PENDING_DISPATCH, O.DISPATCHED})  # not started: a termination cancels them

PLAN = (PlanLine("item-nursing", "上门护理", 2, Frequency.WEEK), PlanLine("item-rehab", "康复训练", 1, Frequency.MONTH))
SUBSIDY = SubsidyType(id="subsidy-gz", region_code="4401", name="广州市家庭病床护理补贴", mode=SubsidyMode.RATIO,
                      ratio_bp=7000, cap=Money(8000), created_at=T0)

MACHINE_SETTINGS = settings(max_examples=40, stateful_step_count=30, deadline=None)


def worker(staff_id: str | None) -> Actor:
    return Actor(id=f"acct-{staff_id or 'unknown'}", role="staff")


# -- the harness: one command, checked for atomicity and for its events ------------------------------------------

def state_of(obj: Aggregate) -> dict[str, Any]:
    """Everything an aggregate holds, except the events not yet pulled."""
    return asdict(obj, filter=lambda attribute, _value: attribute.name != "_pending")


@define
class Outcome:
    result: Any
    error: DomainError | None
    events: list[DomainEvent]
    changed: bool

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.events]

    def ok(self) -> Outcome:
        assert self.error is None, f"unexpected {self.error!r}"
        return self

    def refused(self, kind: type[DomainError], code: str) -> DomainError:
        assert isinstance(self.error, kind), f"expected {kind.__name__}({code}), got {self.error!r}"
        assert self.error.code == code, self.error.code
        return self.error


def attempt(obj: Aggregate, command: Callable[[], Any], at: datetime | None = None) -> Outcome:
    """Run `command` against `obj`. A refusal must leave `obj` untouched and record nothing; a change must
    record at least one event, about `obj`, at the instant of the command."""
    assert obj.pull_events() == [], "events left over from an earlier step"
    before = state_of(obj)
    result, error = None, None
    try:
        result = command()
    except DomainError as caught:
        error = caught
    if error is not None:
        assert state_of(obj) == before, f"the refused command ({error.code}) changed {type(obj).__name__}"
        assert obj.pull_events() == [], f"the refused command ({error.code}) recorded events"
        return Outcome(None, error, [], False)
    events = obj.pull_events()
    changed = state_of(obj) != before
    if changed:
        assert events, f"{type(obj).__name__} changed without an event"
    for event in events:
        assert event.aggregate_id == obj.id
        if at is not None:
            assert event.occurred_at == at
    return Outcome(result, None, events, changed)


def new_contract(ident: str, terms: ContractTerms, *, sign_date: date, today: date, at: datetime,
                 renews_id: str | None = None) -> Contract:
    return Contract.sign(
        id=ident, number=f"QY20260302{ident[-5:]}", institution_id="inst-tianhe", elder_id="elder-1",
        application_id=None if renews_id else "app-1", region_code="440106001", elder_name="李秀英",
        elder_id_card_masked="440106********0028", sign_date=sign_date, terms=terms, today=today, actor=ADMIN,
        at=at, renews_id=renews_id,
    )


def valid_terms(start: date, expiry: date, sign_date: date) -> bool:
    """The model of ContractTerms.problems for dates: start on or after signing and at most 366 days after it,
    a term of one day to five years."""
    return (sign_date <= start <= sign_date + timedelta(days=MAX_START_DELAY_DAYS)
            and start < expiry <= add_years(start, MAX_TERM_YEARS))


def calendar_path(status: ContractStatus, terms: ContractTerms, today: date) -> list[ContractStatus]:
    """The states `roll(today)` should pass through: start on the start date, expire after the expiry date."""
    path = []
    if status is C.PENDING_START and terms.start_date <= today:
        status = C.ACTIVE
        path.append(status)
    if status is C.ACTIVE and terms.expiry_date < today:
        path.append(C.EXPIRED)
    return path


# -- 1. bed applications -------------------------------------------------------------------------------------------

EDITS = [("condition", ""), ("condition", "脑卒中后遗症，行动不便"), ("address", "东风中路1号"),
         ("address", "东风中路2号"), ("phone", None), ("phone", "13900139000")]


class BedApplicationMachine(RuleBasedStateMachine):
    """HB-01: an application is editable (form and proof materials) until signed or withdrawn; an edit of a
    reviewed application sends it back to review; a contract can be signed only from an approved one."""

    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.app = BedApplication(
            id="app-1", number="SQ2026030200001", institution_id="inst-tianhe", elder_name="李秀英",
            gender=Gender.FEMALE, birth_date=date(1946, 5, 6), id_card_no="440106194605060028",
            region_code="440106001", address="东风中路1号", applicant_kind=ApplicantKind.FAMILY,
            applicant_name="王伟", applicant_phone="13800138000", applicant_account_id=FAMILY.id, created_at=T0,
        )
        self.app.record_created(FAMILY, T0, name="submitted")
        assert [e.name for e in self.app.pull_events()] == ["bed_application.submitted"]
        self.status = A.SUBMITTED
        self.keys: list[str] = []
        self.uploads = 0
        self.final: dict[str, Any] | None = None

    def _run(self, command: Callable[[], Any]) -> Outcome:
        return attempt(self.app, command, self.now)

    def _not_editable(self, out: Outcome) -> bool:
        if self.status in EDITABLE:
            return False
        out.refused(Conflict, "BED_APPLICATION_NOT_EDITABLE")
        return True

    def _back_to_review(self, out: Outcome, was: ApplicationStatus) -> None:
        resubmitted = "bed_application.resubmitted" in out.names
        assert resubmitted == (was in REVIEWED)
        if resubmitted:
            assert (self.app.review_note, self.app.reviewed_by, self.app.reviewed_at) == ("", None, None)
        self.status = A.SUBMITTED

    @rule(minutes=st.integers(1, 3 * 24 * 60))
    def tick(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule(edit=st.sampled_from(EDITS))
    def edit(self, edit: tuple[str, str | None]) -> None:
        field, value = edit
        will_change = getattr(self.app, field) != value
        was = self.status
        out = self._run(lambda: self.app.edit({field: value}, FAMILY, self.now))
        if self._not_editable(out):
            return
        assert out.ok().result is will_change
        if will_change:
            assert getattr(self.app, field) == value
            assert "bed_application.updated" in out.names
            self._back_to_review(out, was)
        else:
            assert out.events == [] and self.app.status is was

    @rule(count=st.integers(1, 4))
    def attach(self, count: int) -> None:
        for _ in range(count):
            self.uploads += 1
            ref = FileRef(key=f"files/{self.uploads}", name=f"证明材料{self.uploads}.pdf",
                          content_type="application/pdf", size=2048, sha256="0" * 64, uploaded_at=self.now)
            was = self.status
            out = self._run(functools.partial(self.app.attach, ref, FAMILY, self.now))
            if self._not_editable(out):
                return
            if len(self.keys) >= MAX_MATERIALS:
                error = out.refused(ValidationFailed, "VALIDATION_FAILED")
                assert isinstance(error, ValidationFailed) and [e.code for e in error.errors] == ["TOO_MANY"]
                return
            out.ok()
            assert out.names[0] == "bed_application.material_attached"
            self.keys.append(ref.key)
            self._back_to_review(out, was)

    @rule(data=st.data())
    def detach(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from([*self.keys, "files/unknown"]), label="key")
        was = self.status
        out = self._run(lambda: self.app.detach(key, FAMILY, self.now))
        if self._not_editable(out):
            return
        if key not in self.keys:
            assert out.ok().result is None and not out.changed and out.events == []
            return
        assert out.ok().result.key == key
        assert out.names[0] == "bed_application.material_removed"
        self.keys.remove(key)
        self._back_to_review(out, was)

    @rule(note=st.sampled_from(["", "材料齐全，同意建床"]))
    def approve(self, note: str) -> None:
        out = self._run(lambda: self.app.approve(note, ADMIN, self.now))
        if self.status is not A.SUBMITTED:
            out.refused(InvalidTransition, "BED_APPLICATION_INVALID_TRANSITION")
            return
        assert out.ok().names == ["bed_application.approved"]
        assert (self.app.review_note, self.app.reviewed_by, self.app.reviewed_at) == (note, ADMIN.id, self.now)
        self.status = A.APPROVED

    @rule(reason=st.sampled_from(["", "  ", "缺少诊断证明"]))
    def reject(self, reason: str) -> None:
        out = self._run(lambda: self.app.reject(reason, ADMIN, self.now))
        if not reason.strip():
            out.refused(ValidationFailed, "VALIDATION_FAILED")
        elif self.status is not A.SUBMITTED:
            out.refused(InvalidTransition, "BED_APPLICATION_INVALID_TRANSITION")
        else:
            assert out.ok().names == ["bed_application.rejected"]
            assert (self.app.review_note, self.app.reviewed_by) == (reason, ADMIN.id)
            self.status = A.REJECTED

    @rule(reason=st.sampled_from(["", "老人已入住养老院"]))
    def withdraw(self, reason: str) -> None:
        out = self._run(lambda: self.app.withdraw(reason, FAMILY, self.now))
        if self.status not in EDITABLE:
            out.refused(InvalidTransition, "BED_APPLICATION_INVALID_TRANSITION")
            return
        assert out.ok().names == ["bed_application.withdrawn"]
        self.status = A.WITHDRAWN

    @rule()
    def sign(self) -> None:
        """HB-03: the use case signs a contract only from an approved application, then marks it signed."""
        out = self._run(lambda: self.app.mark_signed("contract-1", "elder-1", ADMIN, self.now))
        if self.status is not A.APPROVED:
            out.refused(Conflict, "BED_APPLICATION_NOT_APPROVED")
            return
        assert out.ok().names == ["bed_application.signed"]
        assert (self.app.contract_id, self.app.elder_id) == ("contract-1", "elder-1")
        self.status = A.SIGNED

    @invariant()
    def status_follows_the_model(self) -> None:
        assert self.app.status is self.status
        assert [m.key for m in self.app.materials] == self.keys
        assert len(self.app.materials) <= MAX_MATERIALS

    @invariant()
    def only_an_approved_application_is_signable(self) -> None:
        if self.app.status is A.APPROVED:
            self.app.ensure_signable()
        else:
            with pytest.raises(Conflict) as caught:
                self.app.ensure_signable()
            assert caught.value.code == "BED_APPLICATION_NOT_APPROVED"

    @invariant()
    def review_fields_follow_the_status(self) -> None:
        if self.app.status is A.SUBMITTED:
            assert (self.app.review_note, self.app.reviewed_by, self.app.reviewed_at) == ("", None, None)
        if self.app.status in REVIEWED:
            assert self.app.reviewed_by == ADMIN.id and self.app.reviewed_at is not None
        assert (self.app.contract_id is not None) == (self.app.status is A.SIGNED)

    @invariant()
    def nothing_changes_after_signed_or_withdrawn(self) -> None:
        if self.final is not None:
            assert state_of(self.app) == self.final
        elif self.app.status in (A.SIGNED, A.WITHDRAWN):
            self.final = state_of(self.app)


def test_bed_application_lifecycle() -> None:
    """HB-01, HB-03: application edits, materials, review, withdrawal and signing."""
    run_state_machine_as_test(BedApplicationMachine, settings=settings(MACHINE_SETTINGS, max_examples=100))


# -- 2. contracts on a moving calendar ------------------------------------------------------------------------------

def shifts(low: int, high: int) -> st.SearchStrategy[int]:
    return st.one_of(st.just(0), st.integers(low, high))


class ContractMachine(RuleBasedStateMachine):
    """HB-03, HB-05, HB-06, HB-07, HB-10: a contract follows the calendar through roll(today); terminate, amend
    (versions kept), renew and remind as the use cases do them (each rolls the contract first)."""

    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.contract: Contract
        self.status = C.PENDING_START
        self.last = C.PENDING_START
        self.fresh = True  # rolled since the business date last changed (and not amended since)
        self.successor: Contract | None = None

    @property
    def today(self) -> date:
        return business_date(self.now)

    @initialize(signed_ago=st.integers(0, 20), start_in=st.integers(0, 40), term_days=st.integers(1, 400))
    def sign(self, signed_ago: int, start_in: int, term_days: int) -> None:
        sign_date = self.today - timedelta(days=signed_ago)
        start = sign_date + timedelta(days=start_in)
        terms = ContractTerms(start, start + timedelta(days=term_days), PLAN, subsidy_type_id=SUBSIDY.id)
        self.contract = new_contract("contract-00001", terms, sign_date=sign_date, today=self.today, at=self.now)
        path = calendar_path(C.PENDING_START, terms, self.today)
        events = self.contract.pull_events()
        assert [e.name for e in events] == ["contract.signed", *(f"contract.{s.value}" for s in path)]
        self.status = self.last = path[-1] if path else C.PENDING_START

    def _roll(self) -> None:
        path = calendar_path(self.status, self.contract.terms, self.today)
        out = attempt(self.contract, lambda: self.contract.roll(self.today, CALENDAR, self.now), self.now)
        assert out.ok().result is bool(path)
        assert out.names == [f"contract.{s.value}" for s in path]
        if path:
            self.status = path[-1]
        self.fresh = True

    @rule(days=st.integers(0, 45), hours=st.integers(0, 23), roll=st.booleans())
    def advance(self, days: int, hours: int, roll: bool) -> None:
        """The clock moves; the daily job (or the next load) may or may not have rolled the contract yet."""
        before = self.today
        self.now += timedelta(days=days, hours=hours)
        if self.today != before:
            self.fresh = False
        if roll:
            self._roll()

    @rule(back=st.integers(-2, 30), reason=st.sampled_from(["老人入住养老院", "", "  "]))
    def terminate(self, back: int, reason: str) -> None:
        """HB-05."""
        self._roll()
        c, on = self.contract, self.today - timedelta(days=back)
        out = attempt(c, lambda: c.terminate(on, reason, self.today, ADMIN, self.now), self.now)
        expected_codes = {code for code, bad in (("REQUIRED", not reason.strip()), ("IN_FUTURE", on > self.today),
                                                  ("BEFORE_SIGN_DATE", on < c.sign_date)) if bad}
        if expected_codes:
            error = out.refused(ValidationFailed, "VALIDATION_FAILED")
            assert isinstance(error, ValidationFailed) and {e.code for e in error.errors} == expected_codes
        elif self.status not in IN_TERM:
            out.refused(InvalidTransition, "CONTRACT_INVALID_TRANSITION")
        else:
            assert out.ok().names == ["contract.terminated"]
            assert (c.status, c.terminated_on, c.termination_reason) == (C.TERMINATED, on, reason)
            self.status = C.TERMINATED

    @rule(start_shift=shifts(-5, 30), expiry_shift=shifts(-450, 450), notes=st.sampled_from(["", "增加康复训练"]),
          reason=st.sampled_from(["家属要求调整服务", " "]))
    def amend(self, start_shift: int, expiry_shift: int, notes: str, reason: str) -> None:
        """HB-07: a change is a new version of the terms; the old one stays in the history."""
        self._roll()
        c, old, version = self.contract, self.contract.terms, self.contract.terms_version
        start = old.start_date + timedelta(days=start_shift)
        expiry = old.expiry_date + timedelta(days=expiry_shift)
        new = evolve(old, start_date=start, expiry_date=expiry, notes=notes)
        out = attempt(c, lambda: c.amend(new, reason, ADMIN, self.now), self.now)
        if self.status not in IN_TERM:
            out.refused(Conflict, "CONTRACT_NOT_CHANGEABLE")
        elif (not valid_terms(start, expiry, c.sign_date) or not reason.strip()
              or (c.renewed_by_id is not None and expiry != old.expiry_date)):
            out.refused(ValidationFailed, "VALIDATION_FAILED")
        elif self.status is C.ACTIVE and start != old.start_date and out.error is not None:
            # An active contract may keep its start date fixed. If the change is taken instead, the calendar
            # invariant must still hold after the next roll (see
            # test_an_active_contract_amended_to_start_later_is_not_active_before_it).
            error = out.refused(ValidationFailed, "VALIDATION_FAILED")
            assert isinstance(error, ValidationFailed) and [e.field for e in error.errors] == ["start_date"]
        elif new == old:
            assert out.ok().events == [] and not out.changed
        else:
            assert out.ok().names == ["contract.changed"]
            assert c.terms == new and c.terms_version == version + 1
            assert c.history[-1] == TermsVersion(version, old, self.now, ADMIN.id, reason)
            self.fresh = False  # the new dates take effect at the next roll

    @rule(expiry_days=st.none() | st.integers(-3, 2000))
    def renew(self, expiry_days: int | None) -> None:
        """HB-06: the next period, same plan, from the day after this expiry (or today), linked both ways."""
        self._roll()
        c = self.contract
        start = max(c.terms.expiry_date + timedelta(days=1), self.today)
        expiry = None if expiry_days is None else start + timedelta(days=expiry_days)
        out = attempt(c, lambda: c.renewal_terms(self.today, expiry))
        if self.status not in (C.ACTIVE, C.EXPIRED):
            out.refused(Conflict, "CONTRACT_NOT_RENEWABLE")
            return
        if c.renewed_by_id is not None:
            out.refused(Conflict, "CONTRACT_ALREADY_RENEWED")
            return
        terms = out.ok().result
        assert not out.changed
        assert (terms.start_date, terms.expiry_date) == (start, expiry or add_years(start, 1))
        assert terms.start_date > c.terms.expiry_date  # the periods do not overlap
        assert terms.service_plan == c.terms.service_plan and terms.subsidy_type_id == c.terms.subsidy_type_id
        assert (terms.renovation_plan, terms.assessment_id) == ((), None)
        try:
            successor = new_contract("contract-00002", terms, sign_date=self.today, today=self.today, at=self.now,
                                     renews_id=c.id)
        except ValidationFailed:
            assert not valid_terms(terms.start_date, terms.expiry_date, self.today)
            return
        assert valid_terms(terms.start_date, terms.expiry_date, self.today)
        assert successor.renews_id == c.id and successor.application_id is None
        assert successor.status is (C.ACTIVE if terms.start_date <= self.today else C.PENDING_START)
        assert successor.pull_events()[0].name == "contract.renewed_from"
        out = attempt(c, lambda: c.mark_renewed(successor, ADMIN, self.now), self.now)
        assert out.ok().names == ["contract.renewed"] and c.renewed_by_id == successor.id
        self.successor = successor

    @rule(lead=st.integers(1, 180))
    def remind(self, lead: int) -> None:
        """HB-06: the expiry reminder goes out once per expiry date, only for an active, unrenewed contract."""
        self._roll()
        c, expiry = self.contract, self.contract.terms.expiry_date
        due = (self.status is C.ACTIVE and c.renewed_by_id is None and 0 <= (expiry - self.today).days <= lead
               and c.reminded_expiry != expiry)
        assert c.due_for_reminder(self.today, lead) is due
        if due:
            out = attempt(c, lambda: c.mark_reminded(CALENDAR, self.now), self.now)
            assert out.ok().names == ["contract.expiry_reminded"] and c.reminded_expiry == expiry
            assert not c.due_for_reminder(self.today, 180)

    @invariant()
    def status_follows_the_model(self) -> None:
        assert self.contract.status is self.status

    @invariant()
    def the_status_only_moves_forward(self) -> None:
        """A terminated contract never becomes active again; expired and terminated are final."""
        status = self.contract.status
        if self.last in (C.EXPIRED, C.TERMINATED):
            assert status is self.last
        if self.last is C.ACTIVE:
            assert status is not C.PENDING_START
        self.last = status

    @invariant()
    def history_keeps_every_version(self) -> None:
        c = self.contract
        assert len(c.history) == c.terms_version - 1
        assert [v.number for v in c.history] == list(range(1, c.terms_version))
        assert all(v.replaced_by == ADMIN.id and v.reason.strip() for v in c.history)

    @invariant()
    def the_status_matches_the_calendar(self) -> None:
        c, today = self.contract, self.today
        if c.status is C.EXPIRED:
            assert c.terms.expiry_date < today
        if self.fresh and c.status is C.ACTIVE:
            assert c.terms.start_date <= today <= c.terms.expiry_date
            assert c.covers(today)
        if self.fresh and c.status is C.PENDING_START:
            assert today < c.terms.start_date
        if c.status is C.PENDING_START:
            assert not any(c.covers(d) for d in (today, c.terms.start_date, c.terms.expiry_date))

    @invariant()
    def only_an_active_contract_accepts_orders(self) -> None:
        if self.contract.status is C.ACTIVE:
            self.contract.ensure_accepts_orders()
            return
        with pytest.raises(ContractNotActive) as caught:
            self.contract.ensure_accepts_orders()
        assert caught.value.code == "HOMEBED_CONTRACT_NOT_ACTIVE"
        assert caught.value.details["status"] == self.contract.status.value

    @invariant()
    def termination_is_recorded(self) -> None:
        c = self.contract
        assert (c.terminated_on is not None) == (c.status is C.TERMINATED)
        if c.terminated_on is not None:
            assert c.sign_date <= c.terminated_on <= self.today and c.termination_reason.strip()

    @invariant()
    def a_renewal_links_both_ways(self) -> None:
        if self.successor is not None:
            assert self.contract.renewed_by_id == self.successor.id
            assert self.successor.renews_id == self.contract.id
            assert self.successor.terms.start_date > self.contract.terms.expiry_date
            assert not self.contract.due_for_reminder(self.today, 180)


def test_contract_lifecycle_on_a_moving_calendar() -> None:
    """HB-03, HB-05, HB-06, HB-07, HB-10: roll, terminate, amend, renew and remind."""
    run_state_machine_as_test(ContractMachine, settings=MACHINE_SETTINGS)


# -- 3. one contract and its orders --------------------------------------------------------------------------------

@define
class Expected:
    """The model of one order."""

    status: OrderStatus
    staff_id: str | None
    placed_while: ContractStatus | None  # the contract's status when the order was placed (None: a record)


class OrdersMachine(RuleBasedStateMachine):
    """HB-05, HB-10, HB-11, S-02: orders are placed only against an active contract; dispatch, re-dispatch,
    return (退单) by the assigned worker, start, complete, cancel before the deadline; supplementary records
    confirmed or rejected; a termination force-cancels the open orders; the exception scan and its review."""

    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.contract: Contract
        self.rules: BusinessSettings
        self.orders: dict[str, HomeBedOrder] = {}
        self.expected: dict[str, Expected] = {}
        self.returned: set[str] = set()
        self.exceptions: dict[tuple[str, ExceptionKind], ExceptionOrder] = {}
        self.serial = 0

    @property
    def today(self) -> date:
        return business_date(self.now)

    @property
    def deadline(self) -> int:
        return self.rules.cancel_deadline_minutes

    @initialize(start_in=st.sampled_from([0, 0, 1]), term_days=st.integers(1, 10), deadline=st.sampled_from([0, 60, 120]))
    def sign(self, start_in: int, term_days: int, deadline: int) -> None:
        self.rules = BusinessSettings(id=SETTINGS_ID, cancel_deadline_minutes=deadline, created_at=T0)
        start = self.today + timedelta(days=start_in)
        terms = ContractTerms(start, start + timedelta(days=term_days), PLAN, subsidy_type_id=SUBSIDY.id)
        self.contract = new_contract("contract-00001", terms, sign_date=self.today, today=self.today, at=self.now)
        self.contract.pull_events()

    # -- helpers ---------------------------------------------------------------------------------------------------
    def _roll_contract(self) -> None:
        attempt(self.contract, lambda: self.contract.roll(self.today, CALENDAR, self.now), self.now).ok()

    def _new_order(self, line: PlanLine, **state: Any) -> HomeBedOrder:
        self.serial += 1
        price = Money(12000)
        subsidy = SUBSIDY.subsidy_for(price)
        return HomeBedOrder(
            id=f"order-{self.serial:03d}", number=f"FW20260302{self.serial:05d}", institution_id="inst-tianhe",
            elder_id=self.contract.elder_id, contract_id=self.contract.id, region_code=self.contract.region_code,
            subsidy_type_id=SUBSIDY.id, service_item_id=line.service_item_id, item_name=line.item_name,
            standard_minutes=60, price=price, subsidy=subsidy, self_pay=price - subsidy, placed_by=DISPATCHER.id,
            created_at=self.now, **state,
        )

    def _add(self, order: HomeBedOrder, expected: Expected, event: str) -> None:
        assert [e.name for e in order.pull_events()] == [f"homebed_order.{event}"]
        self.orders[order.id] = order
        self.expected[order.id] = expected

    def _pick(self, data: st.DataObject) -> tuple[HomeBedOrder, Expected]:
        """Any order, though mostly one still moving (completed and cancelled ones only refuse)."""
        live = sorted(i for i, e in self.expected.items() if e.status not in (O.COMPLETED, O.CANCELLED))
        pool = live if live and data.draw(st.integers(0, 3), label="prefer a live order") else sorted(self.orders)
        ident = data.draw(st.sampled_from(pool), label="order")
        return self.orders[ident], self.expected[ident]

    @staticmethod
    def _caller(order: HomeBedOrder, who: str) -> str | None:
        if who == "assigned":
            return order.staff_id
        if who == "other":
            return next(s for s in STAFF_IDS if s != order.staff_id)
        return None

    def _run(self, order: Aggregate, command: Callable[[], Any]) -> Outcome:
        return attempt(order, command, self.now)

    # -- the clock and the contract ------------------------------------------------------------------------------
    @rule(minutes=st.integers(1, 18 * 60))
    def tick(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        self._roll_contract()  # the daily job

    @precondition(lambda self: len(self.orders) >= 3 and self.contract.status is not C.TERMINATED)
    @rule()
    def terminate_contract(self) -> None:
        """HB-05: terminating the contract cancels its orders not started yet, whatever the deadline."""
        self._roll_contract()
        in_term = self.contract.status in IN_TERM
        out = attempt(self.contract, lambda: self.contract.terminate(self.today, "老人入住养老院", self.today, ADMIN,
                                                                     self.now), self.now)
        if not in_term:
            out.refused(InvalidTransition, "CONTRACT_INVALID_TRANSITION")
            return
        out.ok()
        for order in self.orders.values():
            expected = self.expected[order.id]
            if expected.status in OPEN_ORDERS:
                cancel = functools.partial(order.cancel, "家床签约已解约", 0, ADMIN, self.now, forced=True)
                assert self._run(order, cancel).ok().names == ["homebed_order.cancelled"]
                expected.status = O.CANCELLED
                self.returned.discard(order.id)

    # -- placing and recording -------------------------------------------------------------------------------------
    @precondition(lambda self: len(self.orders) < 8)
    @rule(ahead=st.integers(-60, 3 * 24 * 60), line=st.sampled_from(PLAN))
    def place(self, ahead: int, line: PlanLine) -> None:
        """HB-10: 代下单 only while the contract is active; otherwise refused and nothing is created."""
        self._roll_contract()
        out = attempt(self.contract, self.contract.ensure_accepts_orders)
        if self.contract.status is not C.ACTIVE:
            out.refused(ContractNotActive, "HOMEBED_CONTRACT_NOT_ACTIVE")
            return
        out.ok()
        order = self._new_order(line, scheduled_at=self.now + timedelta(minutes=ahead), status=O.PENDING_DISPATCH)
        order.record_created(DISPATCHER, self.now, name="placed")
        self._add(order, Expected(O.PENDING_DISPATCH, None, self.contract.status), "placed")

    @precondition(lambda self: len(self.orders) < 8)
    @rule(back=st.integers(0, 5 * 24 * 60), minutes=st.integers(1, 240), line=st.sampled_from(PLAN),
          staff=st.sampled_from(STAFF_IDS))
    def record(self, back: int, minutes: int, line: PlanLine, staff: str) -> None:
        """HB-10 补录: a visit done off-system, on a day the contract covered; unconfirmed until S-02."""
        end = self.now - timedelta(minutes=back)
        start = end - timedelta(minutes=minutes)
        if not self.contract.covers(business_date(start)):
            return  # record_service refuses a visit outside the term
        order = self._new_order(line, scheduled_at=start, status=O.UNCONFIRMED, supplementary=True, staff_id=staff,
                                dispatched_by=DISPATCHER.id, started_at=start, completed_at=end)
        order.record_created(DISPATCHER, self.now, name="recorded")
        self._add(order, Expected(O.UNCONFIRMED, staff, None), "recorded")

    # -- dispatching and serving -----------------------------------------------------------------------------------
    @precondition(lambda self: self.orders)
    @rule(data=st.data(), staff=st.sampled_from(STAFF_IDS))
    def dispatch(self, data: st.DataObject, staff: str) -> None:
        """HB-10, S-03: dispatch a waiting order, or re-dispatch one not started yet. (Who may re-dispatch, the
        admin but not staff, is a use-case rule: tests/homebed/test_orders.py.)"""
        order, expected = self._pick(data)
        first = order.first_dispatched_at
        out = self._run(order, lambda: order.dispatch(staff, DISPATCHER, self.now))
        if expected.status is O.DISPATCHED and staff == expected.staff_id:
            assert not out.ok().changed and out.events == []
        elif expected.status is O.DISPATCHED:
            assert out.ok().names == ["homebed_order.redispatched"]
            assert (order.dispatched_at, order.first_dispatched_at) == (self.now, first)
        elif expected.status is O.PENDING_DISPATCH:
            assert out.ok().names == ["homebed_order.dispatched", "homebed_order.assigned"]
            assert order.first_dispatched_at == (first or self.now)
            expected.status = O.DISPATCHED
        else:
            out.refused(InvalidTransition, "HOMEBED_ORDER_INVALID_TRANSITION")
            return
        assert order.staff_id == staff and order.dispatched_by == DISPATCHER.id
        expected.staff_id = staff
        self.returned.discard(order.id)

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), who=st.sampled_from(WHO), reason=st.sampled_from(["老人临时外出", "老人临时外出", " "]))
    def give_back(self, data: st.DataObject, who: str, reason: str) -> None:
        """HB-11 退单: only the assigned worker; the order goes back to the dispatch pool."""
        order, expected = self._pick(data)
        staff, returns = self._caller(order, who), order.return_count
        out = self._run(order, lambda: order.return_to_pool(staff, reason, worker(staff), self.now))
        if not reason.strip():
            out.refused(ValidationFailed, "VALIDATION_FAILED")
        elif staff is None or staff != expected.staff_id:
            out.refused(PermissionDenied, "HOMEBED_ORDER_NOT_YOURS")
        elif expected.status is not O.DISPATCHED:
            out.refused(InvalidTransition, "HOMEBED_ORDER_INVALID_TRANSITION")
        else:
            assert out.ok().names == ["homebed_order.returned"]
            assert (order.return_count, order.return_reason) == (returns + 1, reason)
            expected.status, expected.staff_id = O.PENDING_DISPATCH, None
            self.returned.add(order.id)

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), who=st.sampled_from(WHO))
    def start(self, data: st.DataObject, who: str) -> None:
        """HB-11 开始服务 (签到) by the assigned worker of a dispatched order."""
        order, expected = self._pick(data)
        staff = self._caller(order, who)
        out = self._run(order, lambda: order.start(staff, self.now, None, worker(staff)))
        if staff is None or staff != expected.staff_id:
            out.refused(PermissionDenied, "HOMEBED_ORDER_NOT_YOURS")
        elif expected.status is not O.DISPATCHED:
            out.refused(InvalidTransition, "HOMEBED_ORDER_INVALID_TRANSITION")
        else:
            assert out.ok().names == ["homebed_order.started"] and order.started_at == self.now
            expected.status = O.IN_SERVICE

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), who=st.sampled_from(WHO))
    def complete(self, data: st.DataObject, who: str) -> None:
        """HB-11 完成服务 (签出) by the assigned worker of an order in service."""
        order, expected = self._pick(data)
        staff = self._caller(order, who)
        out = self._run(order, lambda: order.complete(staff, self.now, None, worker(staff)))
        if staff is None or staff != expected.staff_id:
            out.refused(PermissionDenied, "HOMEBED_ORDER_NOT_YOURS")
        elif expected.status is not O.IN_SERVICE:
            out.refused(InvalidTransition, "HOMEBED_ORDER_INVALID_TRANSITION")
        else:
            assert out.ok().names == ["homebed_order.completed"] and order.completed_at == self.now
            expected.status = O.COMPLETED

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), reason=st.sampled_from(["老人住院", "老人住院", ""]))
    def cancel(self, data: st.DataObject, reason: str) -> None:
        """HB-10: an order not started may be cancelled until the configured deadline before its time."""
        order, expected = self._pick(data)
        out = self._run(order, lambda: order.cancel(reason, self.deadline, FAMILY, self.now))
        if not reason.strip():
            out.refused(ValidationFailed, "VALIDATION_FAILED")
        elif expected.status not in OPEN_ORDERS:
            out.refused(InvalidTransition, "HOMEBED_ORDER_INVALID_TRANSITION")
        elif self.now > order.scheduled_at - timedelta(minutes=self.deadline):
            out.refused(Conflict, "HOMEBED_ORDER_CANCEL_DEADLINE_PASSED")
        else:
            assert out.ok().names == ["homebed_order.cancelled"] and order.cancel_reason == reason
            expected.status = O.CANCELLED
            self.returned.discard(order.id)

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), confirm=st.booleans(), note=st.sampled_from(["已与家属电话确认", "已与家属电话确认", "  "]))
    def settle_record(self, data: st.DataObject, confirm: bool, note: str) -> None:
        """S-02: the dispatcher confirms a supplementary record with the customer, or rejects it."""
        order, expected = self._pick(data)
        command = order.confirm if confirm else order.reject_record
        out = self._run(order, lambda: command(note, DISPATCHER, self.now))
        if not note.strip():
            out.refused(ValidationFailed, "VALIDATION_FAILED")
        elif expected.status is not O.UNCONFIRMED:
            out.refused(Conflict, "HOMEBED_ORDER_NOT_A_PENDING_RECORD")
        elif confirm:
            assert out.ok().names == ["homebed_order.confirmed"]
            assert (order.confirmed_by, order.confirmation_note) == (DISPATCHER.id, note)
            expected.status = O.COMPLETED
        else:
            assert out.ok().names == ["homebed_order.record_rejected"] and order.cancel_reason == note
            expected.status = O.CANCELLED

    # -- exceptions ------------------------------------------------------------------------------------------------
    @precondition(lambda self: self.orders)
    @rule()
    def scan(self) -> None:
        """HB-10 异常单: the scan raises one exception per order and kind, however often it runs."""
        for order in self.orders.values():
            before = state_of(order)
            found = findings(order, self.rules, self.now)
            assert state_of(order) == before
            check_findings(order, found, self.rules, self.now)
            for finding in found:
                key = (order.id, finding.kind)
                if key in self.exceptions:
                    continue
                item = ExceptionOrder(
                    id=f"exception-{len(self.exceptions) + 1:03d}", order_id=order.id, order_number=order.number,
                    institution_id=order.institution_id, elder_id=order.elder_id, staff_id=order.staff_id,
                    type=finding.kind, detail=finding.detail, detected_at=self.now, created_at=self.now,
                )
                item.record_created(SCANNER, self.now, name="raised")
                assert [e.name for e in item.pull_events()] == ["order_exception.raised"]
                self.exceptions[key] = item

    @precondition(lambda self: self.exceptions)
    @rule(data=st.data(), accept=st.booleans(), note=st.sampled_from(["", "路上堵车，情况属实"]))
    def review(self, data: st.DataObject, accept: bool, note: str) -> None:
        """HB-10: an exception is reviewed once, accepted or rejected."""
        item = self.exceptions[data.draw(st.sampled_from(sorted(self.exceptions)), label="exception")]
        was = item.status
        out = attempt(item, lambda: item.review(accept, note, ADMIN, self.now), self.now)
        if was is not ReviewStatus.PENDING:
            out.refused(InvalidTransition, "ORDER_EXCEPTION_INVALID_TRANSITION")
            return
        assert out.ok().names == ["order_exception.reviewed"]
        assert item.status is (ReviewStatus.ACCEPTED if accept else ReviewStatus.REJECTED)
        assert (item.review_note, item.reviewed_by, item.reviewed_at) == (note, ADMIN.id, self.now)

    # -- invariants ------------------------------------------------------------------------------------------------
    @invariant()
    def orders_follow_the_model(self) -> None:
        for ident, order in self.orders.items():
            assert (order.status, order.staff_id) == (self.expected[ident].status, self.expected[ident].staff_id)
            assert order.price == order.subsidy + order.self_pay

    @invariant()
    def no_order_was_placed_while_the_contract_was_not_active(self) -> None:
        for ident, order in self.orders.items():
            if not order.supplementary:
                assert self.expected[ident].placed_while is C.ACTIVE

    @invariant()
    def only_an_active_contract_accepts_orders(self) -> None:
        if self.contract.status is not C.ACTIVE:
            with pytest.raises(ContractNotActive):
                self.contract.ensure_accepts_orders()

    @invariant()
    def a_returned_order_is_back_in_the_dispatch_pool(self) -> None:
        for ident in self.returned:
            order = self.orders[ident]
            assert order.status is O.PENDING_DISPATCH and order.return_count >= 1
            assert (order.staff_id, order.dispatched_by, order.dispatched_at) == (None, None, None)
        for order in self.orders.values():
            if order.status is O.PENDING_DISPATCH:
                assert order.staff_id is None
            if order.status is O.DISPATCHED:
                assert order.staff_id is not None and order.first_dispatched_at is not None
                assert order.dispatched_at is not None and order.first_dispatched_at <= order.dispatched_at

    @invariant()
    def served_orders_have_a_service_period(self) -> None:
        for order in self.orders.values():
            if order.status is O.IN_SERVICE:
                assert order.started_at is not None and order.completed_at is None
            if order.status is O.COMPLETED:
                assert order.started_at is not None and order.completed_at is not None
                assert order.started_at <= order.completed_at
            if order.status is O.COMPLETED and order.supplementary:
                assert order.confirmed_by is not None and order.confirmation_note.strip()  # S-02

    @invariant()
    def a_terminated_contract_leaves_no_open_order(self) -> None:
        if self.contract.status is C.TERMINATED:
            assert not [o.id for o in self.orders.values() if o.status in OPEN_ORDERS]

    @invariant()
    def one_exception_per_order_and_kind(self) -> None:
        for (order_id, kind), item in self.exceptions.items():
            assert (item.order_id, item.type) == (order_id, kind)
            assert (item.reviewed_by is None) == (item.status is ReviewStatus.PENDING)


def test_contract_and_orders() -> None:
    """HB-05, HB-10, HB-11, S-02: placing, dispatching, serving, cancelling, records, termination, exceptions."""
    run_state_machine_as_test(OrdersMachine, settings=settings(MACHINE_SETTINGS, max_examples=60, stateful_step_count=50))


# -- 4. exception findings ---------------------------------------------------------------------------------------

def check_findings(order: HomeBedOrder, found: list[Finding], rules: BusinessSettings, now: datetime) -> None:
    """HB-10: what the scan may say about one order."""
    kinds = [f.kind for f in found]
    assert len(kinds) == len(set(kinds)), f"two findings of one kind: {kinds}"
    assert all(f.detail for f in found)
    if order.status is O.CANCELLED:
        assert found == []
    if order.status is not O.COMPLETED:
        assert not {ExceptionKind.TOO_SHORT, ExceptionKind.OVERTIME} & set(kinds)
    if order.supplementary:
        assert not {ExceptionKind.DISPATCH_TIMEOUT, ExceptionKind.LATE_ARRIVAL} & set(kinds)
    if order.status is O.COMPLETED and order.started_at and order.completed_at:
        minutes = (order.completed_at - order.started_at) // timedelta(minutes=1)
        assert (ExceptionKind.OVERTIME in kinds) == (minutes > order.standard_minutes + rules.overtime_minutes)
        assert (ExceptionKind.TOO_SHORT in kinds) == (
            Fraction(minutes, order.standard_minutes) < Fraction(rules.too_short_percent, 100))
    if order.status is not O.CANCELLED and not order.supplementary:
        # Due for dispatch within the timeout after placing, or, for a booking made well ahead, a day before
        # the visit, whichever comes later.
        due = max(order.created_at + timedelta(minutes=rules.dispatch_timeout_minutes),
                  order.scheduled_at - timedelta(hours=24))
        waited_until = order.first_dispatched_at or (now if order.status is O.PENDING_DISPATCH else None)
        timed_out = waited_until is not None and waited_until > due
        assert (ExceptionKind.DISPATCH_TIMEOUT in kinds) == timed_out


def minutes_after(base: datetime, low: int, high: int) -> st.SearchStrategy[datetime]:
    return st.integers(low, high).map(lambda m: base + timedelta(minutes=m))


@st.composite
def orders_to_scan(draw: st.DrawFn) -> tuple[HomeBedOrder, BusinessSettings, datetime]:
    status = draw(st.sampled_from(OrderStatus))
    supplementary = status is O.UNCONFIRMED or (status in (O.COMPLETED, O.CANCELLED) and draw(st.booleans()))
    created = T0
    started = draw(st.none() | minutes_after(created, -60, 3 * 24 * 60))
    if status in (O.IN_SERVICE, O.COMPLETED, O.UNCONFIRMED) and started is None:
        started = created + timedelta(minutes=draw(st.integers(0, 600)))
    completed = None
    if started is not None and (status in (O.COMPLETED, O.UNCONFIRMED) or draw(st.booleans())):
        completed = started + timedelta(seconds=draw(st.integers(0, 8 * 3600)))
    rules = BusinessSettings(id=SETTINGS_ID, created_at=T0, **{
        name: draw(st.integers(low, min(high, 3 * 24 * 60)), label=name)
        for name, (low, high, _label) in SETTING_LIMITS.items()
    })
    order = HomeBedOrder(
        id="order-001", number="FW2026030200001", institution_id="inst-tianhe", elder_id="elder-1",
        contract_id="contract-00001", region_code="440106001", subsidy_type_id=None, service_item_id="item-nursing",
        item_name="上门护理", standard_minutes=draw(st.integers(1, 240)), price=Money(12000), subsidy=Money(0),
        self_pay=Money(12000), scheduled_at=draw(minutes_after(created, -60, 3 * 24 * 60)), status=status,
        staff_id=None if status is O.PENDING_DISPATCH else "staff-1",
        first_dispatched_at=draw(st.none() | minutes_after(created, 0, 3 * 24 * 60)),
        started_at=started, completed_at=completed, supplementary=supplementary, placed_by=DISPATCHER.id,
        created_at=created,
    )
    return order, rules, draw(minutes_after(created, 0, 4 * 24 * 60))


@settings(max_examples=300, deadline=None)
@given(orders_to_scan())
def test_findings_judge_each_rule_at_most_once(case: tuple[HomeBedOrder, BusinessSettings, datetime]) -> None:
    """HB-10: never two findings of one kind, none for a cancelled order, duration rules only once completed."""
    order, rules, now = case
    before = state_of(order)
    found = findings(order, rules, now)
    assert state_of(order) == before
    check_findings(order, found, rules, now)


def test_a_booking_made_days_ahead_is_due_for_dispatch_a_day_before_the_visit() -> None:
    """HB-10: the dispatch timeout counts from placing the order, but an order booked days ahead is late to
    dispatch only from 24 hours before the visit (whichever of the two comes later)."""
    rules = BusinessSettings(id=SETTINGS_ID, created_at=T0)  # dispatch_timeout_minutes 60
    timeout = timedelta(minutes=rules.dispatch_timeout_minutes)

    def order(ahead: timedelta, first_dispatched: datetime | None = None) -> HomeBedOrder:
        return HomeBedOrder(
            id="order-001", number="FW2026030200001", institution_id="inst-tianhe", elder_id="elder-1",
            contract_id="contract-00001", region_code="440106001", subsidy_type_id=None,
            service_item_id="item-nursing", item_name="上门护理", standard_minutes=60, price=Money(12000),
            subsidy=Money(0), self_pay=Money(12000), scheduled_at=T0 + ahead,
            status=O.PENDING_DISPATCH if first_dispatched is None else O.DISPATCHED,
            staff_id=None if first_dispatched is None else "staff-1", first_dispatched_at=first_dispatched,
            dispatched_at=first_dispatched, placed_by=DISPATCHER.id, created_at=T0,
        )

    def timed_out(o: HomeBedOrder, now: datetime) -> bool:
        return ExceptionKind.DISPATCH_TIMEOUT in [f.kind for f in findings(o, rules, now)]

    soon, later = order(timedelta(hours=4)), order(timedelta(days=3))
    assert not timed_out(soon, T0 + timeout) and timed_out(soon, T0 + timeout + timedelta(seconds=1))
    assert not timed_out(later, T0 + timedelta(hours=2))
    assert not timed_out(later, T0 + timedelta(days=2)) and timed_out(later, T0 + timedelta(days=2, seconds=1))
    # A booking for tomorrow morning: 24 hours before it has already passed, so the timeout rules.
    tomorrow = order(timedelta(hours=20))
    assert not timed_out(tomorrow, T0 + timeout) and timed_out(tomorrow, T0 + timeout + timedelta(minutes=1))
    # Dispatched on the day before the visit, a booking made ahead was on time; a day late, it was not.
    assert not timed_out(order(timedelta(days=3), T0 + timedelta(days=1, hours=12)), T0 + timedelta(days=4))
    assert timed_out(order(timedelta(days=3), T0 + timedelta(days=2, hours=1)), T0 + timedelta(days=4))


# -- subsidies ---------------------------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(price=st.integers(0, 10**7), mode=st.sampled_from(SubsidyMode), amount=st.none() | st.integers(0, 10**7),
       ratio_bp=st.none() | st.integers(0, 12_000), cap=st.none() | st.integers(0, 10**7))
@example(price=5, mode=SubsidyMode.RATIO, amount=None, ratio_bp=5_000, cap=None)  # 2.5 fen -> 2
@example(price=3, mode=SubsidyMode.RATIO, amount=None, ratio_bp=5_000, cap=None)  # 1.5 fen -> 2
@example(price=12000, mode=SubsidyMode.RATIO, amount=None, ratio_bp=7_000, cap=8000)  # 84 yuan capped at 80
def test_subsidy_is_bounded_and_rounds_half_to_even(price: int, mode: SubsidyMode, amount: int | None,
                                                   ratio_bp: int | None, cap: int | None) -> None:
    """HB-20, HB-10: a subsidy is never negative, never more than the price or the cap; a ratio subsidy is the
    exact share of the price rounded half to even on the fen."""
    subsidy_type = SubsidyType(
        id="subsidy-1", region_code="4401", name="补贴", mode=mode, amount=None if amount is None else Money(amount),
        ratio_bp=ratio_bp, cap=None if cap is None else Money(cap), created_at=T0,
    )
    subsidy = subsidy_type.subsidy_for(Money(price)).fen
    assert 0 <= subsidy <= price
    if cap is not None:
        assert subsidy <= cap
    if mode is SubsidyMode.RATIO:
        share = Fraction(price * (ratio_bp or 0), 10_000)
        rounded = round(share)  # Fraction rounds half to even
        assert rounded == int((Decimal(price) * Decimal(ratio_bp or 0) / Decimal(10_000)).quantize(
            Decimal(1), rounding=ROUND_HALF_EVEN))
        raw = rounded
    else:
        raw = amount or 0
    assert subsidy == min(raw, price, *([cap] if cap is not None else []))


# -- regressions: two bugs these machines found in the domain of commit c7394ce -----------------------------------

def test_an_active_contract_amended_to_start_later_is_not_active_before_it() -> None:
    """HB-07, HB-10: a change of terms never leaves a contract active (taking orders) before its start date: the
    change is refused, or the contract is no longer active after the next roll.

    Found by ContractMachine: Contract.amend took a later start_date for an ACTIVE contract; roll() never moves
    ACTIVE back, so the contract kept accepting orders for days that covers() says it does not cover."""
    today = business_date(T0)
    terms = ContractTerms(today, add_years(today, 1), PLAN)
    contract = new_contract("contract-00001", terms, sign_date=today, today=today, at=T0)
    assert contract.status is C.ACTIVE
    contract.pull_events()
    later = evolve(terms, start_date=today + timedelta(days=30))
    attempt(contract, lambda: contract.amend(later, "老人暂住子女家，推迟开始", ADMIN, T0), T0)
    tomorrow = today + timedelta(days=1)
    contract.roll(tomorrow, CALENDAR, T0 + timedelta(days=1))
    if contract.status is C.ACTIVE:
        assert contract.terms.start_date <= tomorrow <= contract.terms.expiry_date
    try:
        contract.ensure_accepts_orders()
        accepts = True
    except ContractNotActive:
        accepts = False
    assert accepts == contract.covers(tomorrow)


def test_the_worker_cannot_complete_an_unconfirmed_record() -> None:
    """S-02, HB-11: a supplementary record becomes completed only through the dispatcher's confirmation.

    Found by OrdersMachine: HomeBedOrder.complete() took an UNCONFIRMED record (ORDER_LIFECYCLE allows
    UNCONFIRMED -> COMPLETED for confirm()), so its worker completed it without confirmation or note, and
    completed_at was overwritten with the time of the call."""
    end = T0 - timedelta(hours=2)
    record = HomeBedOrder(
        id="order-001", number="FW2026030200001", institution_id="inst-tianhe", elder_id="elder-1",
        contract_id="contract-00001", region_code="440106001", subsidy_type_id=None, service_item_id="item-nursing",
        item_name="上门护理", standard_minutes=60, price=Money(12000), subsidy=Money(0), self_pay=Money(12000),
        scheduled_at=end - timedelta(hours=1), status=O.UNCONFIRMED, supplementary=True, staff_id="staff-1",
        dispatched_by=DISPATCHER.id, started_at=end - timedelta(hours=1), completed_at=end,
        placed_by=DISPATCHER.id, created_at=T0,
    )
    out = attempt(record, lambda: record.complete("staff-1", T0, None, worker("staff-1")), T0)
    assert out.error is not None, f"an unconfirmed record was completed by its worker: {record.status}"
    assert record.status is O.UNCONFIRMED and record.completed_at == end
