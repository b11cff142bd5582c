"""What every SQL repository shares: insert, get, versioned save, paging, scope filters, PII columns."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import ColumnElement, Connection, Select, Table, and_, false, func, or_, select, true
from sqlalchemy.exc import IntegrityError, OperationalError

from yiyangkang.adapters.sqlalchemy.tables import institutions
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.errors import ConcurrentUpdate, Conflict
from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.orgs.institutions import GeoPoint
from yiyangkang.ports.security import PiiVault

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")


class SqlContext:
    """What the repositories of one unit of work share: the connection, the vault, the touched aggregates."""

    def __init__(self, conn: Connection, vault: PiiVault) -> None:
        self.conn = conn
        self.vault = vault
        self.touched: list[Aggregate] = []

    # Personal data: ciphertext for reading back, keyed hash for exact lookups.
    def seal(self, value: str | None) -> bytes | None:
        return None if value is None else self.vault.seal(value)

    def open(self, sealed: bytes | None) -> str | None:
        return None if sealed is None else self.vault.open(sealed)

    def fingerprint(self, value: str | None) -> str | None:
        return None if value is None else self.vault.fingerprint(value)

    def seal_json(self, value: Any) -> bytes:
        return self.vault.seal(json.dumps(value, ensure_ascii=False))

    def open_json(self, sealed: bytes | None) -> Any:
        return None if sealed is None else json.loads(self.vault.open(sealed))


class SqlRepository(Generic[A]):
    """A repository over one table keyed by `id` with a `version` column."""

    table: ClassVar[Table]
    # Unique constraint name fragments -> the Chinese message of the Conflict they mean.
    conflicts: ClassVar[Mapping[str, tuple[str, str]]] = {}

    def __init__(self, ctx: SqlContext) -> None:
        self.ctx = ctx
        self.conn = ctx.conn

    def to_row(self, item: A) -> dict[str, Any]:
        raise NotImplementedError

    def from_row(self, row: Any) -> A:
        raise NotImplementedError

    def add(self, item: A) -> None:
        self._write(lambda: self.conn.execute(self.table.insert().values(self.to_row(item))))
        self.ctx.touched.append(item)

    def get(self, ident: str) -> A | None:
        row = self.conn.execute(select(self.table).where(self.table.c.id == ident)).first()
        return None if row is None else self.from_row(row)

    def lock(self, ident: str) -> A | None:
        """`get`, holding the row until the unit of work ends: concurrent commands on one aggregate
        queue here. Call it before any read in the unit of work (SQLite's lock must come first)."""
        c = self.table.c
        if self.conn.dialect.name == "sqlite":
            # SQLite has no SELECT … FOR UPDATE: a no-op write takes the database's write lock.
            self.conn.execute(self.table.update().where(c.id == ident).values(version=c.version))
            row = self.conn.execute(select(self.table).where(c.id == ident)).first()
        else:
            row = self.conn.execute(select(self.table).where(c.id == ident).with_for_update()).first()
        return None if row is None else self.from_row(row)

    def save(self, item: A) -> None:
        values = self.to_row(item)
        values["version"] = item.version + 1
        stmt = (
            self.table.update()
            .where(self.table.c.id == item.id, self.table.c.version == item.version)
            .values(values)
        )
        result = self._write(lambda: self.conn.execute(stmt))
        if result.rowcount != 1:
            raise ConcurrentUpdate(details={"id": item.id})
        item.version += 1
        self.ctx.touched.append(item)

    def remove(self, item: A) -> None:
        self.conn.execute(self.table.delete().where(self.table.c.id == item.id))
        self.ctx.touched.append(item)

    def _write(self, action: Callable[[], T]) -> T:
        """Run an INSERT/UPDATE; a unique-constraint violation becomes a Conflict with a clear code.

        The savepoint keeps PostgreSQL's transaction usable after the violation. On SQLite a unit of
        work whose snapshot went stale cannot write at all ("database is locked"): that is a
        concurrent update too."""
        try:
            with self.conn.begin_nested():
                return action()
        except OperationalError as exc:
            if "locked" in str(exc.orig).lower():
                raise ConcurrentUpdate(details={"table": self.table.name}) from None
            raise
        except IntegrityError as exc:
            text = str(exc.orig).lower()
            for fragment, (code, message) in self.conflicts.items():
                if fragment in text:
                    raise Conflict(message, code=code) from None
            raise Conflict(details={"table": self.table.name}) from None

    def _page(self, stmt: Select[Any], page: PageRequest) -> Page[A]:
        total = self.conn.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
        rows = self.conn.execute(stmt.limit(page.size).offset(page.offset)).all()
        return Page([self.from_row(r) for r in rows], total, page.page, page.size)

    def _held_by_institutions(
        self, visibility: Visibility, keyword: str | None, institution_id: str | None, *, is_elder: bool = False
    ) -> Select[Any]:
        """Rows that belong to an institution (staff, elders), within `visibility`, by name and holder."""
        c, i = self.table.c, institutions.c
        stmt = (
            select(self.table)
            .join(institutions, i.id == c.institution_id)
            .where(
                visibility_clause(visibility, institution_id=c.institution_id, institution_path=i.path,
                                  elder_id=c.id if is_elder else None),
                keyword_clause(keyword, c.name),
            )
        )
        return stmt.where(c.institution_id == institution_id) if institution_id else stmt

    def _newest_first(self, stmt: Select[Any]) -> Select[Any]:
        return stmt.order_by(self.table.c.created_at.desc(), self.table.c.id.desc())


def visibility_clause(
    vis: Visibility, *, institution_id: Any = None, institution_path: Any = None, elder_id: Any = None,
    account_id: Any = None,
) -> ColumnElement[bool]:
    """The SQL form of `Visibility.admits`: the columns that say who owns a row."""
    if vis.everything:
        return true()
    if vis.institution_path_prefix is not None and institution_path is not None:
        return and_(institution_path.startswith(vis.institution_path_prefix, autoescape=True))
    if vis.institution_id is not None and institution_id is not None:
        return and_(institution_id == vis.institution_id)
    if vis.elder_ids is not None and elder_id is not None:
        return elder_id.in_(sorted(vis.elder_ids)) if vis.elder_ids else false()
    if vis.account_id is not None and account_id is not None:
        return and_(account_id == vis.account_id)
    return false()


def keyword_clause(keyword: str | None, *columns: Any) -> ColumnElement[bool]:
    if not keyword:
        return true()
    pattern = keyword.strip()
    return or_(*(c.icontains(pattern, autoescape=True) for c in columns))


def point_of(row: Any) -> GeoPoint | None:
    return GeoPoint(lng=row.lng, lat=row.lat) if row.lng is not None and row.lat is not None else None


def lnglat(point: GeoPoint | None) -> dict[str, float | None]:
    return {"lng": point.lng if point else None, "lat": point.lat if point else None}


def common_columns(item: Any) -> dict[str, Any]:
    """Columns every aggregate row has."""
    return {"id": item.id, "version": item.version, "created_at": item.created_at}
