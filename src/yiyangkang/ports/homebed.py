"""Ports of the home-bed context: its repositories, reports, number sequences, and the outside world
it talks to (file store, notifier, signer of application QR tokens)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from attrs import frozen

from yiyangkang.domain.homebed.applications import ApplicationStatus, BedApplication
from yiyangkang.domain.homebed.assessment import Assessment
from yiyangkang.domain.homebed.config import BusinessSettings
from yiyangkang.domain.homebed.contracts import Contract, ContractStatus
from yiyangkang.domain.homebed.exceptions import ExceptionKind, ExceptionOrder, ReviewStatus
from yiyangkang.domain.homebed.orders import HomeBedOrder, OrderStatus
from yiyangkang.domain.homebed.renovation import RenovationStatus, RenovationTask
from yiyangkang.domain.homebed.reports import BusinessReport, SettlementFilter, SettlementRow, Totals
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.ports.repositories import Repository

C = TypeVar("C")


class CatalogRepository(Repository[C], Protocol[C]):
    """Configuration lists (service items, subsidy types, renovation items, scales): small, read whole."""

    def all(self, *, active: bool | None = None) -> Sequence[C]: ...


class ApplicationRepository(Repository[BedApplication], Protocol):
    def list(
        self, visibility: Visibility, page: PageRequest, *, status: ApplicationStatus | None = None,
        institution_id: str | None = None, keyword: str | None = None,
    ) -> Page[BedApplication]: ...

    def open_for_id_card(self, id_card_no: str) -> Sequence[BedApplication]:
        """Applications for this ID number still on their way (submitted or approved)."""
        ...


class ContractRepository(Repository[Contract], Protocol):
    def list(
        self, visibility: Visibility, page: PageRequest, *, status: ContractStatus | None = None,
        institution_id: str | None = None, elder_id: str | None = None, keyword: str | None = None,
    ) -> Page[Contract]: ...

    def in_term_for_elder(self, elder_id: str) -> Sequence[Contract]:
        """The elder's contracts that are pending start or active."""
        ...

    def due_to_roll(self, today: date) -> Sequence[str]:
        """Ids of contracts whose status the calendar has overtaken (start reached, expiry passed)."""
        ...

    def expiring(self, today: date, until: date) -> Sequence[Contract]:
        """Active, not renewed contracts expiring in [today, until]."""
        ...


class AssessmentRepository(Repository[Assessment], Protocol):
    def list(
        self, visibility: Visibility, page: PageRequest, *, elder_id: str | None = None,
        contract_id: str | None = None,
    ) -> Page[Assessment]: ...


class OrderRepository(Repository[HomeBedOrder], Protocol):
    def list(
        self, visibility: Visibility, page: PageRequest, *, status: OrderStatus | None = None,
        institution_id: str | None = None, elder_id: str | None = None, contract_id: str | None = None,
        staff_id: str | None = None, supplementary: bool | None = None, keyword: str | None = None,
    ) -> Page[HomeBedOrder]: ...

    def open_for_contract(self, contract_id: str) -> Sequence[HomeBedOrder]:
        """Orders of the contract not started yet (pending dispatch or dispatched)."""
        ...

    def scan_candidates(self, since: datetime) -> Iterator[HomeBedOrder]:
        """Orders an exception scan should look at: open or in service, or finished since `since`."""
        ...

    def overlapping(self, elder_id: str, start: datetime, end: datetime) -> Sequence[HomeBedOrder]:
        """The elder's orders, not cancelled, whose service time overlaps [start, end)."""
        ...

    def add_many(self, orders: Sequence[HomeBedOrder]) -> None: ...


class ExceptionRepository(Repository[ExceptionOrder], Protocol):
    def list(
        self, visibility: Visibility, page: PageRequest, *, status: ReviewStatus | None = None,
        type: ExceptionKind | None = None, institution_id: str | None = None, order_id: str | None = None,
    ) -> Page[ExceptionOrder]: ...

    def raised_for(self, order_ids: Iterable[str]) -> set[tuple[str, ExceptionKind]]: ...


class RenovationTaskRepository(Repository[RenovationTask], Protocol):
    def list(
        self, visibility: Visibility, page: PageRequest, *, status: RenovationStatus | None = None,
        contract_id: str | None = None, staff_id: str | None = None,
    ) -> Page[RenovationTask]: ...


class SettingsRepository(Protocol):
    def get(self, ident: str) -> BusinessSettings | None: ...

    def add(self, item: BusinessSettings) -> None: ...

    def save(self, item: BusinessSettings) -> None: ...


class Sequences(Protocol):
    def next(self, key: str) -> int:
        """The next number of the counter `key` (1, 2, …), unique under concurrent callers."""
        ...


class HomeBedReports(Protocol):
    def settlement_rows(self, flt: SettlementFilter, page: PageRequest | None = None) -> Iterator[SettlementRow]:
        """Completed orders of the period, oldest first, streamed (only one page of them if given)."""
        ...

    def settlement_totals(self, flt: SettlementFilter) -> Sequence[Totals]:
        """The same totals per institution, aggregated by the database."""
        ...

    def business(self, visibility: Visibility, start: date, end: date, today: date) -> BusinessReport: ...


# -- the outside world ----------------------------------------------------------------------------
class FileStore(Protocol):
    """Where uploaded bytes live (local disk by default; object storage in production)."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...


@frozen
class Notice:
    """A message to one person: an account (in-app) and, where known, a phone (SMS)."""

    account_id: str | None
    phone: str | None
    title: str
    body: str
    topic: str  # e.g. "homebed.contract_expiring"
    ref: str  # the object it is about
    # Names in the title or body that records of the notice (outbox files, logs) must mask; the recipient
    # reads them in full.
    personal: tuple[str, ...] = ()


class Notifier(Protocol):
    def send(self, notice: Notice) -> None: ...


class TokenSigner(Protocol):
    """Signs and checks short claims handed out on paper or screens (application QR codes)."""

    def sign(self, claims: Mapping[str, Any], expires_at: datetime) -> str: ...

    def verify(self, token: str, now: datetime) -> dict[str, Any]:
        """The claims, or ValueError when the token is forged, garbled or expired."""
        ...
