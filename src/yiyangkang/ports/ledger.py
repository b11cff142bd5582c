"""The ledger port (账本): postings are written whole and once; balances move atomically with them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from yiyangkang.domain.money.ledger import Account, Posting


class LedgerStore(Protocol):
    def post(self, posting: Posting) -> bool:
        """Write `posting` and move its accounts' balances, in the caller's unit of work. False (and nothing
        written) when a posting with the same reference exists: a replay. InsufficientBalance when an account
        that may not go negative would; each balance moves by one conditional update, so parallel spends of
        one balance queue on its row and never overdraw it."""
        ...

    def balance(self, account: Account) -> int: ...

    def stored_balances(self) -> Mapping[Account, int]: ...

    def summed_balances(self) -> Mapping[Account, int]:
        """Each account's sum of entries, computed by the database (reconciliation)."""
        ...
