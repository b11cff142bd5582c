"""Signed, expiring tokens for application QR codes (HS256 JWT with an audience of their own, so an
access token can never pass for a QR token nor the other way round)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import jwt

AUDIENCE = "yyk:homebed-apply"


class JwtTokenSigner:
    def __init__(self, secret: str, audience: str = AUDIENCE) -> None:
        self.secret = secret
        self.audience = audience

    def sign(self, claims: Mapping[str, Any], expires_at: datetime) -> str:
        payload = {**claims, "aud": self.audience, "exp": int(expires_at.timestamp())}
        return jwt.encode(payload, self.secret, algorithm="HS256")

    def verify(self, token: str, now: datetime) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self.secret, algorithms=["HS256"], audience=self.audience,
                options={"verify_exp": False, "require": ["exp", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise ValueError(f"invalid token: {exc}") from None
        if claims["exp"] <= now.timestamp():  # judged by our clock (frozen in tests), not the machine's
            raise ValueError("expired token")
        return claims
