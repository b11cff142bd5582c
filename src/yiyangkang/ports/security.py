"""Security ports: password hashing and the vault that seals personal data at rest."""

from __future__ import annotations

from typing import Protocol


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class PiiVault(Protocol):
    """Seals personal data (ID-card numbers, phones) for storage; `fingerprint` is a keyed hash so an
    exact value can be looked up and kept unique without storing it in the clear."""

    def seal(self, plaintext: str) -> bytes: ...

    def open(self, sealed: bytes) -> str: ...

    def fingerprint(self, value: str) -> str: ...
