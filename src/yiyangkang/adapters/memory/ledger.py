"""The in-memory ledger: the domain's `apply` over the balances, postings kept for the sums; committed whole."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from yiyangkang.adapters.memory.store import MemoryStore
from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.money.ledger import Account, Posting, apply, replay
from yiyangkang.ports.ledger import Entry


class MemoryLedger:
    def __init__(self, store: MemoryStore, touched: list[Aggregate], committed: MemoryStore) -> None:
        # Tables are keyed by text: account key → (account, balance); reference → posting.
        self.accounts: dict[str, Any] = store.table("ledger_accounts")
        self.postings: dict[str, Any] = store.table("ledger_postings")
        self.committed_accounts: dict[str, Any] = committed.table("ledger_accounts")
        self.committed_postings: dict[str, Any] = committed.table("ledger_postings")
        self.new: list[Posting] = []

    def stored_balances(self) -> Mapping[Account, int]:
        return dict(self.accounts.values())

    def post(self, posting: Posting) -> bool:
        posting.check()
        if posting.reference in self.postings or posting.reference in self.committed_postings:
            return False
        after = apply(self.stored_balances(), posting)
        for leg in posting.legs:
            self.accounts[leg.account.key] = (leg.account, after[leg.account])
        self.postings[posting.reference] = posting
        self.new.append(posting)
        return True

    def balance(self, account: Account) -> int:
        found = self.accounts.get(account.key)
        return int(found[1]) if found else 0

    def lock_balances(self, accounts: Iterable[Account]) -> dict[Account, int]:
        return {a: self.balance(a) for a in sorted(set(accounts))}

    def summed_balances(self) -> Mapping[Account, int]:
        return replay(self.postings.values())

    def entries(self, account: Account, page: PageRequest) -> Page[Entry]:
        found = [Entry(p.reference, p.kind, leg.amount, p.at, p.memo)
                 for p in self.postings.values() for leg in p.legs if leg.account == account]
        found.sort(key=lambda e: (e.at, e.reference), reverse=True)
        return Page(found[page.offset:page.offset + page.size], len(found), page.page, page.size)

    def apply(self) -> None:
        for posting in self.new:
            self.committed_postings[posting.reference] = posting
            for leg in posting.legs:
                _, balance = self.committed_accounts.get(leg.account.key, (leg.account, 0))
                self.committed_accounts[leg.account.key] = (leg.account, balance + leg.amount)
        self.new.clear()
