"""Names of the people and institutions a list or an export shows (名称查找): looked up once per unit of work
however many rows name them. A name that no longer resolves reads as ""."""

from __future__ import annotations

from collections.abc import Iterable

from yiyangkang.ports.uow import UnitOfWork


class Names:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.cache: dict[tuple[str, str], str] = {}

    def _find(self, kind: str, ident: str | None) -> str:
        if not ident:
            return ""
        key = (kind, ident)
        if key not in self.cache:
            uow = self.uow
            found = (uow.elders.get(ident) if kind == "elder" else uow.institutions.get(ident)
                     if kind == "institution" else uow.staff.get(ident))
            self.cache[key] = found.name if found is not None else ""
        return self.cache[key]

    def elder(self, ident: str | None) -> str:
        return self._find("elder", ident)

    def institution(self, ident: str | None) -> str:
        return self._find("institution", ident)

    def staff(self, ident: str | None) -> str:
        return self._find("staff", ident)

    def elders(self, idents: Iterable[str]) -> dict[str, str]:
        """The names of those elders who resolve."""
        return {i: name for i in sorted(set(idents)) if (name := self.elder(i))}

    def staff_members(self, idents: Iterable[str]) -> dict[str, str]:
        return {i: name for i in sorted(set(idents)) if (name := self.staff(i))}
