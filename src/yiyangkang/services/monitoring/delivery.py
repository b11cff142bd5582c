"""Delivering queued alarm notices (告警通知投递) through the Notifier port, after the alarm is committed."""

from __future__ import annotations

import logging

from yiyangkang.domain.kernel.errors import ConcurrentUpdate
from yiyangkang.ports.homebed import Notice
from yiyangkang.services.runtime import Runtime

log = logging.getLogger(__name__)
TOPIC = "monitoring.alarm"


def deliver_notices(rt: Runtime, limit: int = 200) -> int:
    """Claim, send and mark up to `limit` pending notices; the number sent. Safe to call from several
    processes at once: a claim is exclusive, and a notice is marked sent only after the notifier took it."""
    now = rt.clock.now()
    with rt.uow() as uow:
        uow.write_first()
        claimed = list(uow.alarm_notices.claim(now, limit))
        uow.commit()
    sent = 0
    for notice in claimed:
        try:
            rt.notifier.send(Notice(account_id=notice.account_id, phone=notice.phone, title=notice.title,
                                    body=notice.body, topic=TOPIC, ref=notice.alarm_id, personal=notice.personal))
        except Exception as exc:  # a provider outage must not lose the notice: it stays queued for a retry
            log.warning("notice %s not delivered: %s", notice.id, type(exc).__name__)
            notice.failed(type(exc).__name__)
        else:
            notice.sent(rt.clock.now())
            sent += 1
        try:
            with rt.uow() as uow:
                uow.write_first()
                uow.alarm_notices.save(notice)
                uow.commit()
        except ConcurrentUpdate:  # reclaimed by another deliverer after RECLAIM_AFTER: theirs stands
            log.warning("notice %s changed hands while being sent", notice.id)
    return sent
