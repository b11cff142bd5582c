"""The AES-GCM personal-data vault and argon2 password hashing."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiyangkang.adapters.security.passwords import Argon2PasswordHasher
from yiyangkang.adapters.security.vault import AesGcmVault

KEY = hashlib.sha256(b"unit-test-encryption-key").digest()
FP_KEY = hashlib.sha256(b"unit-test-fingerprint-key").digest()
OTHER_KEY = hashlib.sha256(b"another-encryption-key").digest()
OTHER_FP_KEY = hashlib.sha256(b"another-fingerprint-key").digest()

VAULT = AesGcmVault(KEY, FP_KEY)


# --- vault ----------------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=200))
def test_seal_open_round_trip(plaintext: str) -> None:
    sealed = VAULT.seal(plaintext)
    assert isinstance(sealed, bytes)
    assert sealed[0] == 1
    assert len(sealed) == 1 + 12 + len(plaintext.encode()) + 16
    assert VAULT.open(sealed) == plaintext


def test_sealed_value_does_not_contain_the_plaintext() -> None:
    value = "440104194503120011"
    assert value.encode() not in VAULT.seal(value)


def test_two_seals_of_the_same_value_differ() -> None:
    first, second = VAULT.seal("13800138000"), VAULT.seal("13800138000")
    assert first != second
    assert first[1:13] != second[1:13]  # a fresh nonce each time
    assert VAULT.open(first) == VAULT.open(second) == "13800138000"


@pytest.mark.parametrize("index", [1, 5, 12, 13, 20, -1])
def test_tampered_byte_is_refused(index: int) -> None:
    sealed = bytearray(VAULT.seal("张三 440104194503120011"))
    sealed[index] ^= 0x01
    with pytest.raises(Exception):  # noqa: B017 - cryptography raises InvalidTag
        VAULT.open(bytes(sealed))


def test_truncated_value_is_refused() -> None:
    sealed = VAULT.seal("13800138000")
    with pytest.raises(Exception):  # noqa: B017
        VAULT.open(sealed[:-1])


@pytest.mark.parametrize("version", [0, 2, 255])
def test_unknown_key_version_raises_value_error(version: int) -> None:
    sealed = VAULT.seal("13800138000")
    with pytest.raises(ValueError, match="key version"):
        VAULT.open(bytes([version]) + sealed[1:])


def test_empty_sealed_value_raises_value_error() -> None:
    with pytest.raises(ValueError):
        VAULT.open(b"")


def test_other_key_cannot_open() -> None:
    with pytest.raises(Exception):  # noqa: B017
        AesGcmVault(OTHER_KEY, FP_KEY).open(VAULT.seal("13800138000"))


def test_fingerprint_is_deterministic_and_keyed() -> None:
    fp = VAULT.fingerprint("440104194503120011")
    assert fp == VAULT.fingerprint("440104194503120011")
    assert fp == AesGcmVault(OTHER_KEY, FP_KEY).fingerprint("440104194503120011")  # only the HMAC key counts
    assert len(fp) == 64
    assert int(fp, 16) >= 0
    assert fp != VAULT.fingerprint("440104194503120012")
    assert fp != AesGcmVault(KEY, OTHER_FP_KEY).fingerprint("440104194503120011")
    assert fp != hashlib.sha256(b"440104194503120011").hexdigest()


@pytest.mark.parametrize("size", [0, 16, 24, 31, 33, 64])
def test_encryption_key_must_be_32_bytes(size: int) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        AesGcmVault(b"k" * size, FP_KEY)


@pytest.mark.parametrize("size", [0, 1, 15])
def test_fingerprint_key_must_be_at_least_16_bytes(size: int) -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        AesGcmVault(KEY, b"f" * size)


def test_fingerprint_key_of_16_bytes_is_enough() -> None:
    assert AesGcmVault(KEY, b"f" * 16).fingerprint("x")


# --- passwords ------------------------------------------------------------------------------------

HASHER = Argon2PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def test_hash_and_verify() -> None:
    hashed = HASHER.hash("Passw0rd-test")
    assert hashed.startswith("$argon2id$")
    assert "Passw0rd-test" not in hashed
    assert HASHER.verify(hashed, "Passw0rd-test") is True
    assert HASHER.verify(hashed, "Passw0rd-tesT") is False
    assert HASHER.verify(hashed, "") is False


def test_same_password_hashes_differently() -> None:
    assert HASHER.hash("Passw0rd-test") != HASHER.hash("Passw0rd-test")


@pytest.mark.parametrize("garbage", ["", "not-a-hash", "$argon2id$v=19$m=1024,t=1,p=1$broken", "$2b$12$abc"])
def test_garbage_hash_is_false_not_an_exception(garbage: str) -> None:
    assert HASHER.verify(garbage, "Passw0rd-test") is False


def test_needs_rehash_when_parameters_change() -> None:
    hashed = HASHER.hash("Passw0rd-test")
    assert HASHER.needs_rehash(hashed) is False
    stronger = Argon2PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1)
    assert stronger.needs_rehash(hashed) is True
    assert stronger.verify(hashed, "Passw0rd-test") is True
