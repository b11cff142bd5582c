"""The real clock and id generator."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class UuidV7Generator:
    """UUIDv7 (RFC 9562): 48-bit Unix milliseconds then random bits, so ids sort by creation time."""

    def new_id(self) -> str:
        ms = time.time_ns() // 1_000_000
        rand = int.from_bytes(os.urandom(10), "big")
        value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 | 0b10 << 62
        value |= rand & ((1 << 62) - 1)
        return str(uuid.UUID(int=value))
