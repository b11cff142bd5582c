"""The ledger port (账本): postings are written whole and once; balances move atomically with them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

from attrs import frozen

from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.money.ledger import Account, Posting


@frozen
class Entry:
    """One leg of one account as its owner reads it (明细): the posting's reference, kind, memo and time."""

    reference: str
    kind: str
    amount: int  # + in, − out
    at: datetime
    memo: str


class LedgerStore(Protocol):
    def post(self, posting: Posting) -> bool:
        """Write `posting` and move its accounts' balances, in the caller's unit of work. False (and nothing
        written) when a posting with the same reference exists: a replay. InsufficientBalance when an account
        that may not go negative would; each balance moves by one conditional update, so parallel spends of
        one balance queue on its row and never overdraw it."""
        ...

    def balance(self, account: Account) -> int: ...

    def lock_balances(self, accounts: Iterable[Account]) -> dict[Account, int]:
        """The balances of `accounts`, held (row locks, in key order) until the unit of work ends: a purse
        read to decide how much to spend from it cannot change before the spend is posted."""
        ...

    def stored_balances(self) -> Mapping[Account, int]: ...

    def summed_balances(self) -> Mapping[Account, int]:
        """Each account's sum of entries, computed by the database (reconciliation)."""
        ...

    def entries(self, account: Account, page: PageRequest) -> Page[Entry]:
        """The account's entries, newest first (by time, then reference, descending)."""
        ...
