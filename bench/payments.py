"""Payments settled per second (PAY ▲): `python -m bench payments --trades 1000`.

On a fresh database (a SQLite file in a temporary directory, and/or a scratch PostgreSQL database), migrated
with Alembic, it builds through the use cases one institution with an in-store service on sale and an elder,
places 3 × N trades (checkout), and asks WeChat Pay Native for a code for the first 2 × N — the real API v3
client over the in-memory protocol sandbox (generated RSA keys, signed requests and answers). The payer then
pays each at the sandbox, which answers the notification WeChat would POST (signed with the platform key, the
resource encrypted with AEAD_AES_256_GCM). Measured, one call per unit of work as the API would make it:

  - notify: `services.payments.receive_notice` for N notifications: signature and timestamp checked, resource
    decrypted, the trade paid once under its row lock, the payment posted to the ledger, the outcome recorded;
  - repeat: the same N notifications again (providers retry): verified, recognised, nothing written but the
    outcome record;
  - baseline 1: `checkout.confirm_payment` for the next N trades (what a notification does once verified);
  - baseline 2: a bare ledger posting of each payment in its own unit of work (the floor of any settlement).

Throughput, latency p50/p95/p99 and memory are printed, and the books are checked before anything is printed as
a result: one payment posting per trade, `yyk ledger reconcile` finds no difference. Nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import tempfile
import tracemalloc
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

import attrs
import sqlalchemy
from sqlalchemy import text

from bench.common import PG_ADMIN_URL, pct, settings, sqlite_database, timed
from yiyangkang.adapters.sqlalchemy import migrate
from yiyangkang.adapters.sqlalchemy.scratch import reachable, scratch_database
from yiyangkang.bootstrap import Container, build, read_region_file, sandboxed_gateway
from yiyangkang.domain.kernel.identifiers import credit_code_check_char, id_card_check_char
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.money.ledger import Leg, Posting
from yiyangkang.ports.payments import PaymentChannels
from yiyangkang.services import ledger
from yiyangkang.services.auth import system_principal
from yiyangkang.services.elders import ElderForm, register_elder
from yiyangkang.services.institutions import InstitutionForm, register_institution
from yiyangkang.services.ledger import institution_cash, provider_account
from yiyangkang.services.mall import catalogue, checkout
from yiyangkang.services.mall import config as mall_config
from yiyangkang.services.mall.catalogue import CategoryForm, ProductForm
from yiyangkang.services.mall.checkout import CartItem, CheckoutForm
from yiyangkang.services.mall.config import MallConfigForm, PlaceForm
from yiyangkang.services.payments import receive_notice
from yiyangkang.services.regions import load_regions

OPERATOR = system_principal("bench")
REVIEWER = system_principal("bench-reviewer")  # nobody approves what they submitted
PRICE_FEN = 16800


def seconds(fn: Callable[[], Any]) -> float:
    return timed(fn)[1]


def figures(values: list[float]) -> str:
    return (f"{len(values) / sum(values):>8,.0f} /s   p50 {pct(values, 50):6.2f} ms   p95 {pct(values, 95):6.2f} ms   "
            f"p99 {pct(values, 99):6.2f} ms")


def world(rt: Container) -> tuple[str, str]:
    """One institution selling an in-store service, one elder: (product id, elder id)."""
    load_regions(rt, read_region_file())
    body = "91440101MA5CB0001"
    inst = register_institution(rt, OPERATOR, InstitutionForm(
        name="基准测试居家养老服务中心", credit_code=body + credit_code_check_char(body), type="home_care_provider",
        region_code="440104", address="广州市越秀区东风中路437号")).id
    mall_config.put_mall_config(rt, OPERATOR, inst, MallConfigForm(
        store=PlaceForm(address="越秀区东风中路437号一楼", notes="周一至周六", lng=113.2668, lat=23.1327)))
    category = catalogue.create_category(rt, OPERATOR, CategoryForm(name="康复理疗")).id
    product = catalogue.create_product(rt, OPERATOR, ProductForm(
        institution_id=inst, fulfilment="in_store", name="中医康复理疗（到店）", category_id=category,
        price_fen=PRICE_FEN, standard_minutes=45, unit="次"))
    catalogue.review_product(rt, REVIEWER, product.id, approve=True, note="基准测试")
    card = "44010419450312001"
    elder = register_elder(rt, OPERATOR, ElderForm(institution_id=inst, name="基准老人", region_code="440104",
                                                   id_card_no=card + id_card_check_char(card), phone="13800000001"))
    return product.id, elder.id


def run_backend(label: str, database: Callable[[], AbstractContextManager[str]], n: int, workdir: Path) -> int:
    print(f"\n{label}")
    with database() as url:
        base = build(settings(url, workdir))
        try:
            assert base.engine is not None
            migrate.upgrade(base.engine)
            gateway, sandbox = sandboxed_gateway("wechat", lambda: datetime.now(UTC))
            rt = attrs.evolve(base, payments=PaymentChannels([gateway]))
            start = perf_counter()
            product, elder = world(rt)
            trades = [checkout.checkout(rt, OPERATOR, CheckoutForm(elder_id=elder, items=[CartItem(
                product_id=product, appointment_at=datetime.now(UTC) + timedelta(days=1))])) for _ in range(3 * n)]
            for t in trades[:2 * n]:
                checkout.pay(rt, OPERATOR, t.id, "wechat")
            notices = [sandbox.pay(t.number) for t in trades[:n]]
            print(f"  setup         {3 * n:,} trades placed, {2 * n:,} WeChat Native codes issued, {n:,} paid at "
                  f"the sandbox (use cases) in {perf_counter() - start:.1f} s")

            notify = [seconds(lambda h=h, b=b: receive_notice(rt, "wechat", h, b)) for h, b in notices]
            repeat = [seconds(lambda h=h, b=b: receive_notice(rt, "wechat", h, b)) for h, b in notices]
            direct = [seconds(lambda t=t: checkout.confirm_payment(rt, t.number, f"BENCH-{t.number}",
                                                                 Money(PRICE_FEN), "wechat"))
                      for t in trades[n:2 * n]]

            def bare(number: str) -> None:
                with rt.uow() as uow:
                    uow.ledger.post(Posting(reference=f"bench:{number}", kind="bench", at=datetime.now(UTC), legs=(
                        Leg(provider_account("bench"), -PRICE_FEN), Leg(institution_cash("bench"), PRICE_FEN))))
                    uow.commit()

            floor = [seconds(lambda t=t: bare(t.number)) for t in trades[2 * n:]]
            tracemalloc.start()
            try:
                for h, b in notices[:50]:
                    receive_notice(rt, "wechat", h, b)
                traced = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            with base.engine.connect() as conn:
                payments = conn.execute(text("SELECT count(*) FROM ledger_postings WHERE kind = 'payment'"))\
                    .scalar_one()
            differences = ledger.reconcile(rt)
        finally:
            base.dispose()
    if payments != 2 * n or differences:
        print(f"  CHECK FAILED: {payments} payment postings for {2 * n} trades, {len(differences)} differences")
        return 1
    print(f"  checked       {payments:,} payment postings for {2 * n:,} paid trades (repeats booked nothing); "
          "ledger reconciles")
    print(f"  notify        {figures(notify)}   (verify + decrypt + pay once + post + record)")
    print(f"  repeat        {figures(repeat)}   (the same notifications again: recognised, nothing booked)")
    print(f"  baseline 1    {figures(direct)}   (confirm_payment without the notification's crypto)")
    print(f"  baseline 2    {figures(floor)}   (a bare ledger posting per payment)")
    mean = statistics.fmean
    print(f"  ratio         notify / confirm {mean(notify) / mean(direct):.2f}x, notify / bare posting "
          f"{mean(notify) / mean(floor):.2f}x (mean latency)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"  memory        max RSS {rss / 1024:.0f} MiB; 50 repeated notifications peak {traced / 2**20:.1f} MiB "
          "(tracemalloc)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench payments",
                                     description="Benchmark payment notifications settled into the ledger (PAY).")
    parser.add_argument("--trades", type=int, default=1000, help="notifications to measure (default 1,000)")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="PostgreSQL server to create a scratch database on")
    args = parser.parse_args(argv)
    if args.trades < 10:
        parser.error("--trades must be at least 10")
    print(f"Payment settlement benchmark: {args.trades:,} WeChat Pay notifications per database")
    print(f"Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, {platform.machine()}")
    status = 0
    with tempfile.TemporaryDirectory(prefix="yyk-bench-") as tmp:
        workdir = Path(tmp)
        if args.database in ("sqlite", "both"):
            status |= run_backend("SQLite (temporary file)", lambda: sqlite_database(workdir, "payments"),
                                  args.trades, workdir)
        if args.database in ("postgres", "both"):
            if reachable(args.pg_url):
                status |= run_backend("PostgreSQL (scratch database)",
                                      lambda: scratch_database(args.pg_url, "yyk_bench_pay"), args.trades, workdir)
            else:
                print(f"\nPostgreSQL not reachable at {args.pg_url}: skipped")
    return status
