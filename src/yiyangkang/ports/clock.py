"""Clock and id ports: the domain never reads the clock nor makes up ids by itself."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware UTC instant."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> str:
        """An opaque, unique, roughly time-ordered id (UUIDv7 text)."""
        ...
