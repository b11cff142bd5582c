"""The SQL ledger: one INSERT of the posting (its unique reference refuses a replay), then each account's
balance moved by one conditional UPDATE in a fixed order (no deadlocks), then the entries."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from yiyangkang.adapters.sqlalchemy.base import SqlContext
from yiyangkang.adapters.sqlalchemy.tables_ledger import ledger_accounts, ledger_entries, ledger_postings
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.money.ledger import SOURCES, Account, InsufficientBalance, Owner, Posting, Purse
from yiyangkang.ports.ledger import Entry


def _account(row: Any) -> Account:
    return Account(Owner(row.owner), row.owner_id, Purse(row.purse))


class SqlLedger:
    def __init__(self, ctx: SqlContext) -> None:
        self.conn = ctx.conn

    def _ensure(self, account: Account) -> None:
        dialect = sqlite_insert if self.conn.dialect.name == "sqlite" else pg_insert
        self.conn.execute(dialect(ledger_accounts).values(
            key=account.key, owner=account.owner.value, owner_id=account.owner_id, purse=account.purse.value,
            balance=0).on_conflict_do_nothing(index_elements=["key"]))

    def post(self, posting: Posting) -> bool:
        posting.check()
        ident = str(uuid.uuid4())
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(ledger_postings).values(
                    id=ident, reference=posting.reference, kind=posting.kind, at=posting.at, memo=posting.memo))
        except IntegrityError:
            return False  # the same business event was booked before
        c = ledger_accounts.c
        moves: dict[Account, int] = {}
        for leg in posting.legs:
            moves[leg.account] = moves.get(leg.account, 0) + leg.amount
        for account in sorted(moves):
            self._ensure(account)
            amount = moves[account]
            stmt = ledger_accounts.update().where(c.key == account.key).values(balance=c.balance + amount)
            if account.owner not in SOURCES:
                stmt = stmt.where(c.balance + amount >= 0)
            if self.conn.execute(stmt.returning(c.key)).first() is None:
                raise InsufficientBalance(details={"account": account.key})
        self.conn.execute(insert(ledger_entries), [
            {"posting_id": ident, "account_key": leg.account.key, "amount": leg.amount, "at": posting.at}
            for leg in posting.legs])
        return True

    def balance(self, account: Account) -> int:
        c = ledger_accounts.c
        value = self.conn.execute(select(c.balance).where(c.key == account.key)).scalar()
        return int(value or 0)

    def lock_balances(self, accounts: Iterable[Account]) -> dict[Account, int]:
        wanted = sorted(set(accounts))
        if not wanted:
            return {}
        c = ledger_accounts.c
        stmt = select(c.key, c.balance).where(c.key.in_([a.key for a in wanted])).order_by(c.key)
        if self.conn.dialect.name != "sqlite":  # SQLite: the unit of work already holds the write lock
            stmt = stmt.with_for_update()
        found = {key: int(balance) for key, balance in self.conn.execute(stmt)}
        return {a: found.get(a.key, 0) for a in wanted}

    def stored_balances(self) -> Mapping[Account, int]:
        return {_account(r): int(r.balance) for r in self.conn.execute(select(ledger_accounts))}

    def summed_balances(self) -> Mapping[Account, int]:
        a, e = ledger_accounts.c, ledger_entries.c
        stmt = (select(a.owner, a.owner_id, a.purse, func.coalesce(func.sum(e.amount), 0).label("total"))
                .select_from(ledger_accounts.outerjoin(ledger_entries, e.account_key == a.key))
                .group_by(a.key, a.owner, a.owner_id, a.purse))
        return {_account(r): int(r.total) for r in self.conn.execute(stmt)}

    def entries(self, account: Account, page: PageRequest) -> Page[Entry]:
        e, p = ledger_entries.c, ledger_postings.c
        where = e.account_key == account.key
        total = self.conn.execute(select(func.count()).select_from(ledger_entries).where(where)).scalar_one()
        stmt = (select(p.reference, p.kind, p.memo, e.amount, e.at)
                .select_from(ledger_entries.join(ledger_postings, p.id == e.posting_id)).where(where)
                .order_by(e.at.desc(), p.reference.desc()).limit(page.size).offset(page.offset))
        items = [Entry(r.reference, r.kind, int(r.amount), r.at, r.memo) for r in self.conn.execute(stmt)]
        return Page(items, int(total), page.page, page.size)
