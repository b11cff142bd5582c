"""Sending a batch of reminders through the Notifier port without letting one bad number stop the rest."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from yiyangkang.domain.kernel.masking import mask_phone
from yiyangkang.ports.homebed import Notice, Notifier

log = logging.getLogger(__name__)


def send_all(notifier: Notifier, notices: Iterable[Notice]) -> tuple[int, int]:
    """(sent, failed). A failure (a blacklisted number, a provider outage) is logged with the number masked
    and the others still go out; the caller decides whether the reminder counts as given (at least one sent)."""
    sent = failed = 0
    for notice in notices:
        try:
            notifier.send(notice)
        except Exception as exc:  # any provider error: the next run (or the next recipient) must not suffer
            failed += 1
            log.warning("notice %s to %s not sent: %s", notice.topic, mask_phone(notice.phone), type(exc).__name__)
        else:
            sent += 1
    return sent, failed
