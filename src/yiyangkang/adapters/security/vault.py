"""The personal-data vault: AES-256-GCM sealing and HMAC-SHA256 fingerprints (cryptography).

A sealed value is `version byte | 12-byte nonce | ciphertext+tag`; the version byte names the key,
so keys can be rotated by adding a new one and re-sealing in the background. The fingerprint uses
a separate key, so the lookup column reveals nothing even to someone holding the ciphertexts.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_KEY_VERSION = 1


class AesGcmVault:
    def __init__(self, encryption_key: bytes, fingerprint_key: bytes) -> None:
        if len(encryption_key) != 32:
            raise ValueError("the personal-data key must be 32 bytes (AES-256)")
        if len(fingerprint_key) < 16:
            raise ValueError("the fingerprint key must be at least 16 bytes")
        self._aead = AESGCM(encryption_key)
        self._fp_key = fingerprint_key

    def seal(self, plaintext: str) -> bytes:
        nonce = os.urandom(12)
        header = bytes([_KEY_VERSION])
        return header + nonce + self._aead.encrypt(nonce, plaintext.encode(), header)

    def open(self, sealed: bytes) -> str:
        header, nonce, body = sealed[:1], sealed[1:13], sealed[13:]
        if header != bytes([_KEY_VERSION]):
            raise ValueError(f"sealed with unknown key version {header[0] if header else None}")
        return self._aead.decrypt(nonce, body, header).decode()

    def fingerprint(self, value: str) -> str:
        return hmac.new(self._fp_key, value.encode(), hashlib.sha256).hexdigest()
