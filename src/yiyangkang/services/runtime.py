"""What use cases are handed: a unit-of-work factory and the ports they need (built by bootstrap)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from yiyangkang.domain.identity.accounts import LockoutPolicy
from yiyangkang.ports.clock import Clock, IdGenerator
from yiyangkang.ports.homebed import FileStore, Notifier, TokenSigner
from yiyangkang.ports.payments import PaymentChannels
from yiyangkang.ports.security import PasswordHasher, PiiVault
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.settings import Settings


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

    @property
    def files(self) -> FileStore: ...

    @property
    def notifier(self) -> Notifier: ...

    @property
    def signer(self) -> TokenSigner: ...

    @property
    def vault(self) -> PiiVault: ...

    @property
    def payments(self) -> PaymentChannels: ...

    @property
    def settings(self) -> Settings: ...
