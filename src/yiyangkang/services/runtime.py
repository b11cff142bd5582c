"""What use cases are handed: a unit-of-work factory and the ports they need (built by bootstrap)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from yiyangkang.domain.identity.accounts import LockoutPolicy
from yiyangkang.ports.clock import Clock, IdGenerator
from yiyangkang.ports.security import PasswordHasher
from yiyangkang.ports.uow import UnitOfWork


class Runtime(Protocol):
    @property
    def uow(self) -> Callable[[], UnitOfWork]: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def ids(self) -> IdGenerator: ...

    @property
    def hasher(self) -> PasswordHasher: ...

    @property
    def lockout(self) -> LockoutPolicy: ...
