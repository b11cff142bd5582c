"""Housekeeping inside the API process (YYK_JOBS_MINUTES > 0): the exception scans of the home bed and the
mall, the closing of unpaid trades and the expiry of vouchers, every N minutes on a thread of their own. Each
job is idempotent, so running it here and from cron at once does no harm."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from yiyangkang.bootstrap import Container
from yiyangkang.services import payments
from yiyangkang.services.homebed.exceptions import DESK as HOMEBED_EXCEPTIONS
from yiyangkang.services.mall import checkout
from yiyangkang.services.mall.exceptions import DESK as MALL_EXCEPTIONS
from yiyangkang.services.vouchers.expiry import expire_vouchers

log = logging.getLogger("yiyangkang.jobs")


def housekeeping(rt: Container) -> list[tuple[str, Callable[[], object]]]:
    return [
        ("homebed-exceptions", lambda: HOMEBED_EXCEPTIONS.scan(rt)),
        ("mall-exceptions", lambda: MALL_EXCEPTIONS.scan(rt)),
        ("payments-reconcile-pending", lambda: payments.reconcile_pending(rt)),  # before ours close: paid ones stay
        ("mall-close-unpaid", lambda: checkout.close_unpaid(rt)),
        ("voucher-expiry", lambda: expire_vouchers(rt)),
    ]


class PeriodicJobs:
    def __init__(self, rt: Container, minutes: int) -> None:
        self.jobs = housekeeping(rt)
        self.interval = minutes * 60
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="yyk-jobs", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=30)

    def run_once(self) -> None:
        for name, job in self.jobs:
            try:
                log.info("job %s: %s", name, job())
            except Exception:  # one failing job must not stop the others or the loop
                log.exception("job %s failed", name)

    def _loop(self) -> None:
        while not self.stopped.wait(self.interval):
            self.run_once()
