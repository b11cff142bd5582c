"""Housekeeping inside the API process (A-08, M-05): each run raises new exceptions once and closes unpaid
trades; a failing job does not stop the others."""

from __future__ import annotations

import pytest

from apps.api.jobs import PeriodicJobs
from tests.conftest import FrozenClock
from tests.mall.setup import build_mall
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.services.mall import checkout
from yiyangkang.services.mall.exceptions import DESK


def test_jobs_scan_and_close(memory: Container, clock: FrozenClock, caplog: pytest.LogCaptureFixture) -> None:
    w = build_mall(memory)
    unpaid = w.buy(("walker", 1), pay=False)
    w.buy(("bath", 1), hours=2)
    clock.advance(hours=3)
    jobs = PeriodicJobs(memory, 5)

    def broken() -> None:
        raise RuntimeError("boom")

    jobs.jobs.insert(0, ("broken", broken))
    jobs.run_once()
    assert "job broken failed" in caplog.text
    found = DESK.list(memory, w.p("admin_A"), PageRequest(1, 20))
    assert {e.type for e in found.items} == {"dispatch_timeout", "late_arrival"}
    assert checkout.get_trade(memory, w.p("elder_A"), unpaid.id).status == "closed"
    jobs.run_once()
    assert DESK.list(memory, w.p("admin_A"), PageRequest(1, 20)).total == 2
    jobs.start()
    jobs.stop()
    assert not jobs.thread.is_alive()
