"""Elder import benchmark (`python -m bench import --rows 10000`).

Writes N valid elders' rows to a CSV, then imports them through the use case
`yiyangkang.services.elder_import.import_elders` (streaming the file as the CLI does) into a fresh
temporary SQLite database, and into a temporary PostgreSQL database when one is reachable.

For each database it prints:
  - check phase: parsing and validating every row (up to the last "check" progress tick);
  - write phase: from there to the end (ID numbers already on file, building and encrypting the
    elders, batched INSERTs, the audit trail, commit);
  - total seconds, and peak Python memory of the import (tracemalloc, measured in a second run on
    another fresh database so that tracing does not slow the timed run);
  - a baseline measured on the same database: one executemany of plain INSERTs of the same number of
    rows into a scratch table with as many columns as `elders` (no validation, no encryption, no
    audit), and the import's ratio to it.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy
from attrs import define
from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url

from yiyangkang.adapters.sqlalchemy.scratch import reachable, scratch_database
from yiyangkang.bootstrap import Container, build, read_region_file, read_sheet
from yiyangkang.domain.kernel.identifiers import credit_code_check_char, id_card_check_char
from yiyangkang.services.auth import system_principal
from yiyangkang.services.elder_import import import_elders
from yiyangkang.services.institutions import InstitutionForm, register_institution
from yiyangkang.services.regions import load_regions
from yiyangkang.settings import Settings

PG_ADMIN_URL = os.environ.get("YYK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
HEADER = ["姓名", "身份证号", "性别", "出生日期", "手机号", "行政区划代码",
          "紧急联系人", "紧急联系人电话", "紧急联系人关系"]
REGION_CODES = ["440104001", "440104003", "440104011", "440105002", "440105007", "440106001", "440104"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许邓冯韩曹曾彭"
GIVEN = ["国强", "秀英", "建华", "桂芳", "志明", "玉兰", "伟雄", "淑珍", "锦辉", "丽华", "炳坤", "美玲"]
RELATIONS = ["儿子", "女儿", "配偶", "儿媳", "女婿", "孙子", "孙女"]
OPERATOR = system_principal("bench")


# --- data ----------------------------------------------------------------------------------------

def elder_row(n: int) -> list[str]:
    """The n-th valid row. The ID number's 3-digit sequence repeats every 1,000 rows, so each block
    of 1,000 gets its own birth date: unique for up to millions of rows."""
    birth = date(1936, 1, 1) + timedelta(days=(n // 1000) * 3)
    seq = n % 1000
    body = f"440104{birth:%Y%m%d}{seq:03d}"
    surname = SURNAMES[n % len(SURNAMES)]
    return [
        surname + GIVEN[(n // len(SURNAMES)) % len(GIVEN)], body + id_card_check_char(body),
        "男" if seq % 2 else "女", birth.isoformat(), f"138{n:08d}", REGION_CODES[n % len(REGION_CODES)],
        surname + "志强", f"139{n:08d}", RELATIONS[n % len(RELATIONS)],
    ]


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(elder_row(n) for n in range(rows))


# --- databases -----------------------------------------------------------------------------------

def settings(url: str) -> Settings:
    return Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=1024)


@contextmanager
def sqlite_database(workdir: Path) -> Iterator[str]:
    yield f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:8]}.db'}"


def postgres_database(admin_url: str) -> AbstractContextManager[str]:
    return scratch_database(admin_url, "yyk_bench")


@contextmanager
def prepared(url: str) -> Iterator[tuple[Container, str]]:
    """A container on a migrated database with the regions and one institution; yields it and the id."""
    rt = build(settings(url))
    try:
        rt.upgrade_database()
        load_regions(rt, read_region_file())
        body = "91440101MA5CBENCH"
        inst = register_institution(rt, OPERATOR, InstitutionForm(
            name="基准测试养老服务中心", credit_code=body + credit_code_check_char(body), type="home_care_provider",
            region_code="440104", address="广州市越秀区东风中路437号",
        ))
        yield rt, inst.id
    finally:
        rt.dispose()


# --- measurements --------------------------------------------------------------------------------

@define
class Timing:
    rows: int
    check_s: float
    write_s: float
    total_s: float


def timed_import(rt: Container, institution_id: str, csv_path: Path) -> Timing:
    sheet = read_sheet(csv_path)
    marks: dict[str, float] = {}

    def progress(phase: str, _n: int) -> None:
        marks[phase] = time.perf_counter()  # the last tick of each phase wins

    start = time.perf_counter()
    report = import_elders(rt, OPERATOR, sheet.header, sheet.rows, institution_id=institution_id, progress=progress)
    end = time.perf_counter()
    if report.problems or report.imported != report.total:
        raise SystemExit(f"benchmark data rejected: {report.problems[:3]}")
    check_end = marks["check"]
    return Timing(report.imported, check_end - start, end - check_end, end - start)


def traced_import(rt: Container, institution_id: str, csv_path: Path) -> int:
    """Peak bytes allocated by Python during the import (file reading included)."""
    tracemalloc.start()
    try:
        sheet = read_sheet(csv_path)
        import_elders(rt, OPERATOR, sheet.header, sheet.rows, institution_id=institution_id)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def baseline_insert(engine: Engine, rows: int) -> tuple[float, int]:
    """Seconds for one executemany of `rows` plain INSERTs (and the commit) into a scratch table with
    as many text columns as `elders`; returns (seconds, column count)."""
    columns = len(inspect(engine).get_columns("elders"))
    mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    names = [f"c{i}" for i in range(columns)]
    plain = [elder_row(n) for n in range(rows)]
    # The generated cells (repeated to fill the width) plus a unique row number: plain text only.
    data = [(*(r * 2)[: columns - 1], str(n)) for n, r in enumerate(plain)]
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE bench_scratch ({', '.join(f'{c} TEXT' for c in names)})")
    try:
        start = time.perf_counter()
        with engine.begin() as conn:
            conn.exec_driver_sql(
                f"INSERT INTO bench_scratch ({', '.join(names)}) VALUES ({', '.join([mark] * columns)})", data
            )
        seconds = time.perf_counter() - start
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE bench_scratch")
    return seconds, columns


# --- report --------------------------------------------------------------------------------------

def rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:>10,.0f} rows/s" if seconds > 0 else "         - rows/s"


def run_backend(label: str, database: Callable[[], AbstractContextManager[str]], csv_path: Path, rows: int) -> None:
    print(f"\n{label}")
    with database() as url, prepared(url) as (rt, institution_id):
        timing = timed_import(rt, institution_id, csv_path)
        assert rt.engine is not None
        base_s, columns = baseline_insert(rt.engine, rows)
    with database() as url, prepared(url) as (rt, institution_id):
        peak = traced_import(rt, institution_id, csv_path)

    print(f"  check phase   {timing.rows:>9,} rows in {timing.check_s:7.2f} s {rate(timing.rows, timing.check_s)}")
    print(f"  write phase   {timing.rows:>9,} rows in {timing.write_s:7.2f} s {rate(timing.rows, timing.write_s)}")
    print(f"  total         {timing.rows:>9,} rows in {timing.total_s:7.2f} s {rate(timing.rows, timing.total_s)}")
    print(f"  peak memory   {peak / 2**20:.1f} MiB (tracemalloc, separate run)")
    print(f"  baseline      {rows:>9,} rows in {base_s:7.2f} s {rate(rows, base_s)}"
          f"   (one executemany of plain INSERTs, {columns} text columns, no checks, no encryption)")
    print(f"  ratio vs baseline: {timing.total_s / base_s:.1f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench import",
                                     description="Benchmark the bulk import of elders' files.")
    parser.add_argument("--rows", type=int, default=10_000, help="rows to import (default 10,000)")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="PostgreSQL server to create a scratch database on")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")

    print(f"Elder import benchmark: {args.rows:,} rows (CSV, all valid), all-or-nothing import")
    print(f"Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, {platform.machine()}")
    with tempfile.TemporaryDirectory(prefix="yyk-bench-") as tmp:
        workdir = Path(tmp)
        csv_path = workdir / "elders.csv"
        write_csv(csv_path, args.rows)
        print(f"input file: {csv_path.stat().st_size / 2**20:.1f} MiB")
        run_backend("SQLite (temporary file)", lambda: sqlite_database(workdir), csv_path, args.rows)
        if args.no_postgres:
            print("\nPostgreSQL: skipped (--no-postgres)")
        elif reachable(args.pg_url):
            shown = make_url(args.pg_url).render_as_string(hide_password=True)
            run_backend(f"PostgreSQL (temporary database on {shown})", lambda: postgres_database(args.pg_url),
                        csv_path, args.rows)
        else:
            print(f"\nPostgreSQL: skipped ({make_url(args.pg_url).render_as_string(hide_password=True)} unreachable)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
