"""Settings from YYK_* environment variables."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest

from yiyangkang.settings import Settings, SettingsError


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


PROD_KEY = b64(hashlib.sha256(b"prod-pii-key").digest())
PROD_FP_KEY = b64(hashlib.sha256(b"prod-fingerprint-key").digest())
PROD_JWT = "j" * 20 + "W" * 20  # 40 characters


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        "YYK_ENV": "production",
        "YYK_JWT_SECRET": PROD_JWT,
        "YYK_PII_KEY": PROD_KEY,
        "YYK_PII_FINGERPRINT_KEY": PROD_FP_KEY,
    }
    env.update(overrides)
    return env


def test_defaults_on_an_empty_environment() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.env == "development"
    assert not settings.is_production
    assert settings.port == 8000
    assert settings.token_ttl == timedelta(hours=8)
    assert len(settings.pii_key) == 32
    assert settings.lockout_threshold == 5
    assert settings.lockout_minutes == 15


def test_unrelated_variables_are_ignored() -> None:
    assert Settings.from_env({"PORT": "abc", "YYK": "1", "yyk_port": "1"}) == Settings()


def test_values_are_read() -> None:
    settings = Settings.from_env(
        {
            "YYK_DATABASE_URL": "postgresql+psycopg://u@h/db",
            "YYK_HOST": "0.0.0.0",
            "YYK_PORT": "9000",
            "YYK_TOKEN_TTL_MINUTES": "30",
            "YYK_LOCKOUT_THRESHOLD": "3",
            "YYK_LOCKOUT_MINUTES": "5",
            "YYK_PII_KEY": PROD_KEY,
        }
    )
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.host == "0.0.0.0"
    assert settings.port == 9000
    assert settings.token_ttl == timedelta(minutes=30)
    assert settings.lockout_threshold == 3
    assert settings.lockout_minutes == 5
    assert settings.pii_key == base64.b64decode(PROD_KEY)


@pytest.mark.parametrize("raw", ["abc", "80.5", "", "8o8o"])
def test_port_must_be_a_number(raw: str) -> None:
    with pytest.raises(SettingsError, match="YYK_PORT"):
        Settings.from_env({"YYK_PORT": raw})


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_pii_key_must_be_32_bytes(size: int) -> None:
    with pytest.raises(SettingsError, match="YYK_PII_KEY"):
        Settings.from_env({"YYK_PII_KEY": b64(b"k" * size)})


def test_pii_key_must_be_base64() -> None:
    with pytest.raises(SettingsError, match="base64"):
        Settings.from_env({"YYK_PII_KEY": "not base64!"})


def test_lockout_threshold_at_least_one() -> None:
    with pytest.raises(SettingsError, match="LOCKOUT_THRESHOLD"):
        Settings.from_env({"YYK_LOCKOUT_THRESHOLD": "0"})


def test_settings_error_is_a_value_error() -> None:
    assert issubclass(SettingsError, ValueError)


def test_production_refuses_default_secrets() -> None:
    with pytest.raises(SettingsError):
        Settings.from_env({"YYK_ENV": "production"})


@pytest.mark.parametrize(
    "overrides",
    [
        {"YYK_JWT_SECRET": "yyk-development-secret-do-not-use-in-production"},
        {"YYK_JWT_SECRET": "s" * 31},
        {"YYK_PII_KEY": b64(hashlib.sha256(b"yyk-dev-pii-key").digest())},
        {"YYK_PII_FINGERPRINT_KEY": b64(hashlib.sha256(b"yyk-dev-pii-fingerprint").digest())},
    ],
    ids=["dev-jwt", "short-jwt", "dev-pii-key", "dev-fingerprint-key"],
)
def test_production_refuses_each_default_or_weak_secret(overrides: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env(production_env(**overrides))


def test_production_with_proper_secrets() -> None:
    settings = Settings.from_env(production_env())
    assert settings.is_production
    assert settings.jwt_secret == PROD_JWT
    assert settings.pii_key == base64.b64decode(PROD_KEY)
    assert settings.pii_fingerprint_key == base64.b64decode(PROD_FP_KEY)


def test_short_fingerprint_key_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="YYK_PII_FINGERPRINT_KEY"):
        Settings.from_env(production_env(YYK_PII_FINGERPRINT_KEY=b64(b"short")))
