"""The in-memory 'database': committed state, copied into each unit of work and swapped in on commit."""

from __future__ import annotations

import copy
from typing import Any

from attrs import define, field

from yiyangkang.domain.kernel.events import DomainEvent
from yiyangkang.domain.orgs.regions import Region


@define
class MemoryStore:
    regions: dict[str, Region] = field(factory=dict)
    tables: dict[str, dict[str, Any]] = field(factory=dict)
    audit: list[DomainEvent] = field(factory=list)

    def table(self, name: str) -> dict[str, Any]:
        return self.tables.setdefault(name, {})

    def copy(self) -> MemoryStore:
        return MemoryStore(
            regions=dict(self.regions),
            tables={name: copy.deepcopy(rows) for name, rows in self.tables.items()},
            audit=list(self.audit),
        )
