"""Fixtures for the `yyk` command line: a fresh SQLite file per test, a runner, an institution to
import into, and a generator of elders' spreadsheets (CSV or XLSX) with chosen rows corrupted.

The CLI builds its container from `YYK_*` variables, so every test points `YYK_DATABASE_URL` at its
own file; the tests look at the result through a container of their own on the same file.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import pytest
from attrs import frozen
from click.testing import CliRunner, Result

from apps.cli.main import cli
from tests.conftest import FrozenClock, operator, test_settings
from tests.world import credit_code, id_card, phone
from yiyangkang.bootstrap import Container, build
from yiyangkang.services.institutions import InstitutionForm, register_institution

HEADER = ["姓名", "身份证号", "性别", "出生日期", "手机号", "行政区划代码", "紧急联系人", "紧急联系人电话", "紧急联系人关系"]
COL = {name: n for n, name in enumerate(HEADER)}

# Streets of 越秀/海珠/天河 from the bundled region list, and one district code (six digits).
REGION_CODES = ["440104001", "440104003", "440104011", "440105002", "440105007", "440106001", "440104"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许邓冯韩曹曾彭"
GIVEN = ["国强", "秀英", "建华", "桂芳", "志明", "玉兰", "伟雄", "淑珍", "锦辉", "丽华", "炳坤", "美玲"]
RELATIONS = ["儿子", "女儿", "配偶", "儿媳", "女婿", "孙子", "孙女"]
FIRST_BIRTH = date(1936, 1, 1)

# A problem line the CLI prints on stderr: 第19行 [身份证号] 身份证号校验位错误
PROBLEM_LINE = re.compile(r"^第(\d+)行 \[(.+?)\] (.+)$")


class Bad(StrEnum):
    """Ways to spoil a generated row."""

    CHECKSUM = "checksum"  # ID number with a wrong check character
    PHONE = "phone"  # elder's mobile number too short
    REGION = "region"  # well-formed region code that is not in the region list
    CONTACT_PHONE = "contact_phone"  # emergency contact's mobile number malformed
    DUPLICATE = "duplicate"  # same ID number (and birth date, gender) as the file's first row


# (column, reason) the import is expected to report for each kind of bad row.
EXPECTED = {
    Bad.CHECKSUM: ("身份证号", "身份证号校验位错误"),
    Bad.PHONE: ("手机号", "手机号应为11位中国大陆手机号码"),
    Bad.REGION: ("行政区划代码", "行政区划代码不存在"),
    Bad.CONTACT_PHONE: ("紧急联系人电话", "手机号应为11位中国大陆手机号码"),
    Bad.DUPLICATE: ("身份证号", "与第2行身份证号重复"),
}


def sheet_row(index: int) -> int:
    """Spreadsheet row number of the 0-based data row `index` (the header is row 1)."""
    return index + 2


def elder_row(i: int, offset: int = 0) -> list[str]:
    """The i-th generated, valid row. ID numbers are unique for i < 1000 * 5000: the 3-digit sequence
    repeats every 1000 rows, so each block of 1000 gets its own birth date. `offset` shifts the
    numbering, so two files can be made without shared ID numbers or phones."""
    n = i + offset
    birth = FIRST_BIRTH + timedelta(days=(n // 1000) * 3)
    seq = n % 1000
    card = id_card(seq, birth=f"{birth:%Y%m%d}")
    surname = SURNAMES[n % len(SURNAMES)]
    return [
        surname + GIVEN[(n // len(SURNAMES)) % len(GIVEN)],
        card,
        "男" if seq % 2 else "女",
        birth.isoformat(),
        phone(n),
        REGION_CODES[n % len(REGION_CODES)],
        surname + "志强",
        f"139{n:08d}",
        RELATIONS[n % len(RELATIONS)],
    ]


def spoil(rows: list[list[str]], index: int, how: Bad) -> None:
    row = rows[index]
    if how is Bad.CHECKSUM:
        card = row[COL["身份证号"]]
        row[COL["身份证号"]] = card[:17] + ("0" if card[17] != "0" else "1")
    elif how is Bad.PHONE:
        row[COL["手机号"]] = "1380013"
    elif how is Bad.REGION:
        row[COL["行政区划代码"]] = "999999"
    elif how is Bad.CONTACT_PHONE:
        row[COL["紧急联系人电话"]] = "12345"
    elif how is Bad.DUPLICATE:
        for col in ("身份证号", "性别", "出生日期"):
            row[COL[col]] = rows[0][COL[col]]


@frozen
class ElderFile:
    path: Path
    rows: list[list[str]]
    bad: Mapping[int, Bad]  # 0-based data index -> how it was spoiled

    @property
    def good_count(self) -> int:
        return len(self.rows) - len(self.bad)

    def expected_problems(self) -> set[tuple[int, str, str]]:
        return {(sheet_row(i), *EXPECTED[how]) for i, how in self.bad.items()}


def write_elders(
    path: Path, n: int, bad: Mapping[int, Bad] | None = None, *, encoding: str = "utf-8-sig",
    header: list[str] | None = None, offset: int = 0,
) -> ElderFile:
    """Write `n` generated rows to `path` (.csv, or .xlsx through openpyxl), rows in `bad` spoiled.
    In XLSX the birth date is a real date cell and the phone numbers are numbers, as Excel keeps them."""
    bad = dict(bad or {})
    rows = [elder_row(i, offset) for i in range(n)]
    for index, how in bad.items():
        spoil(rows, index, how)
    head = header or HEADER
    if header is not None:  # keep only the columns asked for, in that order
        rows = [[r[COL[h]] for h in header] for r in rows]
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(head)
        for r in rows:
            sheet.append([_excel_cell(h, v) for h, v in zip(head, r, strict=True)])
        book.save(path)
    else:
        with path.open("w", encoding=encoding, newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(head)
            writer.writerows(rows)
    return ElderFile(path, rows, bad)


def _excel_cell(column: str, value: str) -> object:
    if column == "出生日期":
        return date.fromisoformat(value)
    if column in ("手机号", "紧急联系人电话") and value.isdigit() and len(value) == 11:
        return int(value)
    return value


def problems(text: str) -> list[tuple[int, str, str]]:
    """The (row, column, reason) triples in the CLI's problem lines, in the order printed."""
    found = []
    for line in text.splitlines():
        m = PROBLEM_LINE.match(line.strip())
        if m:
            found.append((int(m.group(1)), m.group(2), m.group(3)))
    return found


def assert_clean_failure(result: Result) -> None:
    """A non-zero exit through click's own error path: a message, no traceback."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


Yyk = Callable[..., Result]  # yyk("db", "upgrade") -> click's Result


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes seconds (the demo seed, the 10,000-row imports)")


# --- fixtures ------------------------------------------------------------------------------------

@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite file for the CLI under test, and cheap password hashing."""
    url = f"sqlite:///{tmp_path}/yyk.db"
    monkeypatch.setenv("YYK_DATABASE_URL", url)
    monkeypatch.setenv("YYK_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("YYK_ARGON2_MEMORY_KIB", "1024")
    return url


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def yyk(runner: CliRunner, db_url: str) -> Yyk:
    """Run `yyk ARGS…` against the test's database."""

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli, list(args), input=input)

    return run


W = TypeVar("W")


def world_on(db_url: str, clock: FrozenClock, build_world: Callable[[Container], W]) -> Iterator[W]:
    """A world built on the CLI's database through a container of its own whose clock is `clock` (the CLI reads
    the real clock)."""
    rt = build(test_settings(db_url), clock=clock)
    try:
        yield build_world(rt)
    finally:
        rt.dispose()


@pytest.fixture
def container(db_url: str) -> Iterator[Container]:
    """A container on the same database, to look at what the CLI did."""
    rt = build(test_settings(db_url))
    try:
        yield rt
    finally:
        rt.dispose()


@pytest.fixture
def migrated(yyk: Yyk) -> None:
    """Schema in place and the bundled regions loaded, through the CLI."""
    result = yyk("db", "upgrade")
    assert result.exit_code == 0, result.output
    result = yyk("seed", "regions")
    assert result.exit_code == 0, result.output


@pytest.fixture
def institution_id(migrated: None, container: Container) -> str:
    view = register_institution(container, operator(), InstitutionForm(
        name="广州市越秀区颐康居家养老服务中心", credit_code=credit_code(1), type="home_care_provider",
        region_code="440104", address="广州市越秀区东风中路437号",
    ))
    return view.id


def elder_count(rt: Container) -> int:
    with rt.uow() as uow:
        return uow.elders.count()
