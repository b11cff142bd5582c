"""Settlement report benchmarks: `python -m bench settlement [--part all|ledger|homebed]`.

ledger (A-09, the money reports' government settlement): on SQLite — and on PostgreSQL when reachable — it
bulk-inserts N ledger entries (default 1,000,000: payments, voucher spends and voucher refunds of ten
institutions over October and November 2026, two legs a posting, executemany in chunks) and times the
government settlement use case for October (vouchers per institution from the ledger, home-bed subsidies
beside them) next to a plain `SELECT account_key, sum(amount) FROM ledger_entries GROUP BY account_key` over
the same rows, and next to a hand-written SQL aggregate of exactly what the report sums; the report's totals
are checked against that aggregate to the fen before anything is printed.

homebed (HB-30): on a scratch PostgreSQL database it creates institutions, staff, service items and subsidy
types through the use cases, 2,000 elders and contracts, and N synthetic home-bed orders for October 2026
(about 90 % of them completed, the rest cancelled) generated inside PostgreSQL with `generate_series` (the
report reads the orders' columns, not their documents, so those stay `{}`). Then it measures:

  - totals: the use case's per-institution totals (SQLAlchemy GROUP BY through the repository);
  - report: the whole report as the export builds it: every row streamed into `SettlementRow`s and the
    sheet's lines (rows, per-institution totals, grand total), without writing a file;
  - export: the same written to a CSV file;
  - page: the JSON endpoint's use case (first page of 20 rows plus totals), 20 runs: p50 / p95;
  - baseline: a hand-written SQL aggregate (`text()`) of the same totals, in the same run.

The totals of all four are checked to agree to the fen before anything is printed as a result.
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy
from sqlalchemy import Connection, Index, bindparam, insert, text
from sqlalchemy.engine import make_url

from bench.common import PG_ADMIN_URL, timed
from yiyangkang.adapters.sqlalchemy.scratch import reachable, scratch_database
from yiyangkang.adapters.sqlalchemy.tables import UtcDateTime
from yiyangkang.adapters.sqlalchemy.tables_ledger import ledger_accounts, ledger_entries, ledger_postings
from yiyangkang.bootstrap import Container, build, read_region_file, write_sheet
from yiyangkang.domain.homebed.contracts import Contract, ContractTerms, Frequency, PlanLine
from yiyangkang.domain.homebed.reports import Totals
from yiyangkang.domain.kernel.identifiers import credit_code_check_char
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.kernel.timekeeping import SHANGHAI
from yiyangkang.services.auth import system_principal
from yiyangkang.services.homebed import config, reports
from yiyangkang.services.homebed.config import ServiceItemForm, SubsidyTypeForm
from yiyangkang.services.institutions import InstitutionForm, register_institution
from yiyangkang.services.regions import load_regions
from yiyangkang.services.reports import money
from yiyangkang.services.staff import StaffForm, hire_staff
from yiyangkang.settings import Settings

OPERATOR = system_principal("bench")
INSTITUTIONS = 10
STAFF_PER_INSTITUTION = 10
CONTRACTS = 2_000
PERIOD = (date(2026, 10, 1), date(2026, 11, 1))
T = TypeVar("T")


def populate(rt: Container, orders: int) -> None:
    load_regions(rt, read_region_file())
    institutions, staff = [], []
    for n in range(INSTITUTIONS):
        body = f"91440101MA5CB{n:04d}"
        inst = register_institution(rt, OPERATOR, InstitutionForm(
            name=f"基准测试居家养老服务中心{n + 1:02d}", credit_code=body + credit_code_check_char(body),
            type="home_care_provider", region_code="440104", address="广州市越秀区东风中路437号"))
        institutions.append(inst.id)
        for m in range(STAFF_PER_INSTITUTION):
            staff.append(hire_staff(rt, OPERATOR, StaffForm(
                institution_id=inst.id, name=f"护理员{n:02d}{m:02d}", phone=f"1390000{n:02d}{m:02d}",
                profession="service_worker")).id)
    item = config.create_entry(rt, OPERATOR, config.SERVICE_ITEMS, ServiceItemForm(
        name="上门护理", category="医疗护理", standard_minutes=60, price_fen=12000))
    subsidies = [config.create_entry(rt, OPERATOR, config.SUBSIDY_TYPES, form).id for form in (
        SubsidyTypeForm(region_code="440100", name="广州市家床护理补贴", mode="ratio", ratio_bp=7000, cap_fen=8000),
        SubsidyTypeForm(region_code="440104", name="越秀区定额补贴", mode="amount", amount_fen=3000))]
    assert rt.engine is not None
    with rt.engine.begin() as conn:  # elders' files: only their ids matter to the report
        conn.execute(text("""
            INSERT INTO elders (id, version, institution_id, name, gender, birth_date, id_card_enc, id_card_hash,
                                region_code, created_at)
            SELECT 'bench-elder-' || g, 0, (CAST(:insts AS text[]))[1 + g % :n_inst], '老人' || g, 'female',
                   DATE '1940-01-01', '\\x00'::bytea, md5(g::text), '440104', now()
            FROM generate_series(1, :n) AS g"""), {"insts": institutions, "n_inst": INSTITUTIONS, "n": CONTRACTS})
    now = rt.clock.now()
    with rt.uow() as uow:
        for n in range(1, CONTRACTS + 1):
            terms = ContractTerms(start_date=date(2026, 9, 1), expiry_date=date(2027, 9, 1),
                                  service_plan=(PlanLine(item.id, "上门护理", 2, Frequency.WEEK),),
                                  subsidy_type_id=subsidies[n % 2])
            uow.contracts.add(Contract.sign(
                id=f"bench-contract-{n}", number=f"QY20260901{n:05d}", institution_id=institutions[n % INSTITUTIONS],
                elder_id=f"bench-elder-{n}", application_id=None, region_code="440104001", elder_name=f"老人{n}",
                elder_id_card_masked="440104********1234", sign_date=date(2026, 9, 1), terms=terms,
                today=date(2026, 10, 1), actor=OPERATOR.actor, at=now))
        uow.commit()
    with rt.engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO hb_orders (id, version, number, institution_id, elder_id, contract_id, region_code,
                subsidy_type_id, service_item_id, item_name, status, staff_id, supplementary, scheduled_at,
                started_at, completed_at, price_fen, subsidy_fen, self_pay_fen, doc, created_at)
            SELECT 'bench-order-' || g, 0, 'FW' || lpad(g::text, 13, '0'), c.institution_id, c.elder_id, c.id,
                   c.region_code, c.subsidy_type_id, :item, '上门护理',
                   CASE WHEN g % 97 < 10 THEN 'cancelled' ELSE 'completed' END,
                   (CAST(:staff AS text[]))[1 + (g * 7) % :n_staff], false, t.done - interval '70 minutes',
                   t.done - make_interval(mins => 30 + g % 60), t.done, 12000,
                   CASE WHEN c.subsidy_type_id = :ratio THEN 8000 ELSE 3000 END,
                   CASE WHEN c.subsidy_type_id = :ratio THEN 4000 ELSE 9000 END, '{}', t.done - interval '1 day'
            FROM generate_series(1, :n) AS g
            JOIN hb_contracts c ON c.id = 'bench-contract-' || (1 + g % :n_contracts)
            CROSS JOIN LATERAL (SELECT TIMESTAMPTZ '2026-10-01 00:30+08'
                                       + make_interval(secs => (g::bigint * 2671) % (31 * 86400 - 3600)) AS done) t
            """), {"item": item.id, "staff": staff, "n_staff": len(staff), "ratio": subsidies[0], "n": orders,
                   "n_contracts": CONTRACTS})
        conn.execute(text("ANALYZE"))


BASELINE = text("""
    SELECT institution_id, count(*), sum(price_fen), sum(subsidy_fen), sum(self_pay_fen)
    FROM hb_orders
    WHERE status = 'completed' AND completed_at >= :start AND completed_at < :end
    GROUP BY institution_id
""")


def baseline(rt: Container) -> dict[str, tuple[int, int, int, int]]:
    assert rt.engine is not None
    start, end = (reports_day(d) for d in PERIOD)
    with rt.engine.connect() as conn:
        return {r[0]: (int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in conn.execute(BASELINE,
                                                                                        {"start": start, "end": end})}


def reports_day(day: date) -> datetime:
    """Midnight in Shanghai: report periods are Shanghai dates."""
    return datetime.combine(day, time(), SHANGHAI)


def as_map(totals: list[Totals]) -> dict[str, tuple[int, int, int, int]]:
    return {t.institution_id: (t.orders, t.amount_fen, t.subsidy_fen, t.self_pay_fen) for t in totals}


def build_report(rt: Container, flt: reports.SettlementFilter) -> tuple[int, list[object]]:
    """Stream every row into the sheet's lines; keep only the totals lines (what a writer would flush)."""
    count, tail = 0, []
    for line in reports.settlement_sheet(reports.settlement_rows(rt, OPERATOR, flt)):
        if line and str(line[0]).startswith(("机构合计", "总计")):
            tail.append(line)
        else:
            count += 1
    return count - 1, tail  # the blank separator line is not a row


def run(admin_url: str, orders: int, workdir: Path) -> None:
    shown = make_url(admin_url).render_as_string(hide_password=True)
    print(f"\nPostgreSQL (temporary database on {shown})")
    with scratch_database(admin_url, "yyk_bench") as url:
        rt = build(Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=1024,
                            files_dir=str(workdir / "files"), notify_outbox=""))
        try:
            rt.upgrade_database()
            _, load_s = timed(lambda: populate(rt, orders))
            print(f"  data          {orders:>9,} orders generated in {load_s:7.2f} s")
            flt = reports.settlement_filter(OPERATOR, *PERIOD)
            expected, base_s = timed(lambda: baseline(rt))
            totals, totals_s = timed(lambda: reports.settlement_totals(rt, OPERATOR, flt))
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            (rows, tail), report_s = timed(lambda: build_report(rt, flt))
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            out = workdir / "settlement.csv"
            _, export_s = timed(lambda: write_sheet(out, reports.SETTLEMENT_HEADER, reports.settlement_sheet(
                reports.settlement_rows(rt, OPERATOR, flt))))
            pages = []
            for _ in range(20):
                _, s = timed(lambda: reports.settlement_report(rt, OPERATOR, flt, PageRequest(1, 20)))
                pages.append(s)
        finally:
            rt.dispose()
    completed = sum(v[0] for v in expected.values())
    grand = tail[-1]
    if as_map(list(totals)) != expected or rows != completed or int(grand[-3] * 100) != sum(
            v[1] for v in expected.values()):
        raise SystemExit("benchmark totals disagree with the hand-written SQL aggregate")
    print(f"  completed     {completed:>9,} orders in the period, {len(expected)} institutions "
          f"(totals agree to the fen: repository, report, export, baseline)")
    print(f"  totals        {totals_s:9.3f} s   (use case: GROUP BY through the repository)")
    print(f"  report        {report_s:9.2f} s   {rows / report_s:>10,.0f} rows/s   (rows + totals, no file)")
    print(f"  export        {export_s:9.2f} s   {rows / export_s:>10,.0f} rows/s   "
          f"(CSV, {out.stat().st_size / 2**20:.0f} MiB)" if out.exists() else "")
    print(f"  page          p50 {statistics.median(pages) * 1000:7.1f} ms   "
          f"p95 {statistics.quantiles(pages, n=20)[18] * 1000:7.1f} ms   (first 20 rows + totals, 20 runs)")
    print(f"  memory        max RSS {rss_after / 1024:.0f} MiB (grew {max(rss_after - rss_before, 0) / 1024:.0f} MiB "
          f"while building the report)")
    print(f"  baseline      {base_s:9.3f} s   (hand-written SQL aggregate of the same totals)")
    print(f"  ratio vs baseline: totals {totals_s / base_s:.1f}x, full report {report_s / base_s:.1f}x")


# -- ledger: the money reports' government settlement over a million ledger entries ----------------------------
LEDGER_PERIOD = (date(2026, 10, 1), date(2026, 10, 31))  # both inclusive, as the report takes them
CHUNK = 50_000
RUNS = 3
FUNDS = 20  # government voucher batches the spends come from


def _institutions(rt: Container) -> list[str]:
    load_regions(rt, read_region_file())
    ids = []
    for n in range(INSTITUTIONS):
        body = f"91440101MA5CC{n:04d}"
        ids.append(register_institution(rt, OPERATOR, InstitutionForm(
            name=f"基准测试居家养老服务中心{n + 1:02d}", credit_code=body + credit_code_check_char(body),
            type="home_care_provider", region_code="440104", address="广州市越秀区东风中路437号")).id)
    return ids


Rows = list[tuple[object, ...]]
POSTING_COLUMNS = ["id", "reference", "kind", "at", "memo"]
ENTRY_COLUMNS = ["posting_id", "account_key", "amount", "at"]


def _ledger_rows(institutions: list[str], entries: int, stored_at: Callable[[datetime], object]) -> tuple[
        list[dict[str, object]], Iterator[tuple[Rows, Rows]]]:
    """The accounts with their final balances, and chunks of (postings, entries) as tuples in the tables'
    column order: 60 % payments, 35 % voucher spends, 5 % voucher refunds of ten institutions, spread over
    Oct–Nov 2026 (Shanghai), two legs each. `stored_at` turns an instant into what the column stores."""
    postings = entries // 2
    start = datetime(2026, 10, 1, tzinfo=SHANGHAI).timestamp()
    span = 61 * 86400
    balances: dict[str, list[object]] = {}

    def account(owner: str, owner_id: str, purse: str) -> str:
        key = f"{owner}:{owner_id}:{purse}"
        balances.setdefault(key, [owner, owner_id, purse, 0])
        return key

    def legs(n: int) -> tuple[str, str, str, int]:
        inst = institutions[(n // 20) % len(institutions)]  # every kind at every institution
        amount = 500 + (n * 7919) % 20_000
        kind = n % 20
        if kind < 12:
            return "payment", account("provider", "sandbox", "cash"), account("institution", inst, "cash"), amount
        fund = account("government", f"batch-{n % FUNDS}", "voucher")
        mine = account("institution", inst, "voucher")
        return ("voucher_spend", fund, mine, amount) if kind < 19 else ("voucher_refund", mine, fund, amount // 4)

    plan = [legs(n) for n in range(postings)]
    for _kind, source, target, amount in plan:
        balances[source][3] = int(balances[source][3]) - amount  # type: ignore[call-overload]
        balances[target][3] = int(balances[target][3]) + amount  # type: ignore[call-overload]
    accounts = [{"key": k, "owner": v[0], "owner_id": v[1], "purse": v[2], "balance": v[3]}
                for k, v in balances.items()]

    def chunks() -> Iterator[tuple[Rows, Rows]]:
        for first in range(0, postings, CHUNK):
            ps: Rows = []
            es: Rows = []
            for n in range(first, min(first + CHUNK, postings)):
                kind, source, target, amount = plan[n]
                at = stored_at(datetime.fromtimestamp(start + (n * 104_729) % span, UTC))
                ident = f"bench-{n:08d}"
                ps.append((ident, f"{kind}:B{n:08d}", kind, at, ""))
                es.append((ident, source, -amount, at))
                es.append((ident, target, amount, at))
            yield ps, es

    return accounts, chunks()


def _copy(conn: Connection, table: str, columns: list[str], rows: Rows) -> None:
    """PostgreSQL's COPY through psycopg: how a bulk load is done there."""
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _executemany(conn: Connection, table: str, columns: list[str], rows: Rows) -> None:
    """The DB-API's executemany of plain tuples: how a bulk load is done on SQLite."""
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # type: ignore[arg-type]


def _bulk_indexes() -> list[Index]:
    """The ledger's secondary indexes: dropped for the load and built once afterwards (as a bulk load does)."""
    return [ix for table in (ledger_postings, ledger_entries) for ix in table.indexes if not ix.unique]


def populate_ledger(rt: Container, entries: int) -> tuple[int, str]:
    """Institutions through the use case, then the ledger rows in bulk — COPY on PostgreSQL, executemany of
    tuples in chunks on SQLite — with the secondary indexes built after the load. Returns the entries written
    and how. Instants are stored exactly as the column type stores them (its own bind processor)."""
    institutions = _institutions(rt)
    assert rt.engine is not None
    dialect = rt.engine.dialect
    copy = dialect.name == "postgresql"
    process = ledger_entries.c.at.type.bind_processor(dialect)
    accounts, chunks = _ledger_rows(institutions, entries, (lambda at: at) if copy or process is None else process)
    load = _copy if copy else _executemany
    written = 0
    with rt.engine.connect() as conn:
        for ix in _bulk_indexes():
            ix.drop(conn)
        conn.execute(insert(ledger_accounts), accounts)
        for postings, legs in chunks:
            load(conn, "ledger_postings", POSTING_COLUMNS, postings)
            load(conn, "ledger_entries", ENTRY_COLUMNS, legs)
            written += len(legs)
        for ix in _bulk_indexes():
            ix.create(conn)
        conn.commit()
    with rt.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    how = "COPY" if copy else f"executemany in chunks of {CHUNK:,} postings"
    return written, f"{how}, indexes built after"


PLAIN_SUM = text("SELECT account_key, sum(amount) FROM ledger_entries GROUP BY account_key")
VOUCHER_AGGREGATE = text("""
    SELECT a.owner_id, sum(e.amount)
    FROM ledger_entries e JOIN ledger_accounts a ON a.key = e.account_key
    JOIN ledger_postings p ON p.id = e.posting_id
    WHERE a.owner = 'institution' AND a.purse = 'voucher' AND p.kind IN ('voucher_spend', 'voucher_refund')
      AND p.at >= :start AND p.at < :end
    GROUP BY a.owner_id
""").bindparams(bindparam("start", type_=UtcDateTime()), bindparam("end", type_=UtcDateTime()))


def ledger_run(label: str, url: str, entries: int, workdir: Path) -> None:
    print(f"\n{label}")
    rt = build(Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=1024,
                        files_dir=str(workdir / "files"), notify_outbox=""))
    try:
        rt.upgrade_database()
        (written, how), load_s = timed(lambda: populate_ledger(rt, entries))
        print(f"  data          {written:>9,} ledger entries inserted in {load_s:7.2f} s "
              f"({written / load_s:,.0f} rows/s, {how})")
        assert rt.engine is not None
        engine = rt.engine

        def plain() -> int:
            with engine.connect() as conn:
                return sum(int(r[1]) for r in conn.execute(PLAIN_SUM))

        def aggregate() -> dict[str, int]:
            first, last = LEDGER_PERIOD
            bounds = {"start": reports_day(first), "end": reports_day(date.fromordinal(last.toordinal() + 1))}
            with engine.connect() as conn:
                return {r[0]: int(r[1]) for r in conn.execute(VOUCHER_AGGREGATE, bounds)}

        flt = money.money_filter(rt, OPERATOR, *LEDGER_PERIOD)
        zero, _ = timed(plain)  # warm the caches once, for all three alike
        expected, _ = timed(aggregate)
        report, report_s = timed(lambda: money.settlement_report(rt, OPERATOR, flt))
        plain_s = min(timed(plain)[1] for _ in range(RUNS))
        aggregate_s = min(timed(aggregate)[1] for _ in range(RUNS))
        best = min(timed(lambda: money.settlement_report(rt, OPERATOR, flt))[1] for _ in range(RUNS))
        detail_rows, detail_s = timed(lambda: sum(1 for _ in money.settlement_detail_rows(rt, OPERATOR, flt)))
    finally:
        rt.dispose()
    got = {x.institution_id: x.voucher_net_fen for x in report.lines}
    if zero != 0 or got != expected:
        raise SystemExit("benchmark: the settlement report disagrees with the hand-written SQL aggregate")
    print(f"  period        {LEDGER_PERIOD[0]:%Y-%m-%d}..{LEDGER_PERIOD[1]:%Y-%m-%d}: {detail_rows:,} voucher "
          f"entries of {len(got)} institutions, ¥{report.total.voucher_net_fen / 100:,.2f} net "
          f"(agrees with the aggregate to the fen)")
    print(f"  report        {best:9.3f} s   (government settlement use case; first run {report_s:.3f} s)")
    print(f"  plain sum     {plain_s:9.3f} s   (SELECT account_key, sum(amount) … GROUP BY account_key, "
          f"all {written:,} rows)")
    print(f"  aggregate     {aggregate_s:9.3f} s   (hand-written SQL of exactly what the report sums)")
    print(f"                (each the best of {RUNS} runs after one warm-up run)")
    print(f"  detail        {detail_s:9.2f} s   {detail_rows / max(detail_s, 1e-9):>10,.0f} rows/s   "
          f"(every voucher entry of the period streamed)")
    print(f"  ratio         report / plain sum {best / plain_s:.2f}x, report / aggregate "
          f"{best / aggregate_s:.2f}x")


def ledger_main(entries: int, pg_url: str, workdir: Path) -> int:
    print(f"Money reports' settlement benchmark: {entries:,} ledger entries, period "
          f"{LEDGER_PERIOD[0]:%Y-%m}")
    ledger_run("SQLite (temporary file)", f"sqlite:///{workdir / 'ledger-bench.db'}", entries, workdir)
    if not reachable(pg_url):
        print(f"\nPostgreSQL: unreachable ({make_url(pg_url).render_as_string(hide_password=True)}); skipped")
        return 0
    with scratch_database(pg_url, "yyk_bench_ledger") as url:
        ledger_run(f"PostgreSQL (temporary database on {make_url(pg_url).render_as_string(hide_password=True)})",
                   url, entries, workdir)
    return 0


def homebed_main(orders: int, pg_url: str, workdir: Path) -> int:
    print(f"Settlement report benchmark: {orders:,} home-bed orders, period {PERIOD[0]:%Y-%m}")
    if not reachable(pg_url):
        print(f"\nPostgreSQL: unreachable ({make_url(pg_url).render_as_string(hide_password=True)}); "
              "this benchmark needs it")
        return 1
    run(pg_url, orders, workdir)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench settlement",
                                     description="Benchmark the government settlement reports (A-09, HB-30).")
    parser.add_argument("--part", choices=["all", "ledger", "homebed"], default="all",
                        help="ledger: the money reports over ledger entries; homebed: HB-30 over home-bed orders")
    parser.add_argument("--entries", type=int, default=1_000_000, help="ledger entries (default 1,000,000)")
    parser.add_argument("--orders", type=int, default=1_000_000, help="synthetic orders (default 1,000,000)")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="PostgreSQL server to create a scratch database on")
    args = parser.parse_args(argv)
    if args.orders < CONTRACTS:
        parser.error(f"--orders must be at least {CONTRACTS}")
    if args.entries < 2:
        parser.error("--entries must be at least 2")
    print(f"Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, {platform.machine()}")
    status = 0
    with tempfile.TemporaryDirectory(prefix="yyk-bench-") as tmp:
        if args.part in ("all", "ledger"):
            status = max(status, ledger_main(args.entries, args.pg_url, Path(tmp)))
        if args.part in ("all", "homebed"):
            if args.part == "all":
                print()
            status = max(status, homebed_main(args.orders, args.pg_url, Path(tmp)))
    return status
