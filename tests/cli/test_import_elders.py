"""`yyk import elders FILE`: bulk import of elders' files from CSV/XLSX.

The acceptance test of the issue: 10,000 rows with exactly 3 bad ones. By default nothing is
imported and the 3 spreadsheet rows are named with column and reason; `--skip-bad` imports the
9,997 good rows; `--dry-run` writes nothing. Row numbers are Excel's: the header is row 1.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import create_engine, text

from tests.cli.conftest import (
    HEADER,
    Bad,
    ElderFile,
    Yyk,
    assert_clean_failure,
    elder_count,
    problems,
    sheet_row,
    write_elders,
)
from tests.conftest import operator
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.services.elders import list_elders

BIG_BAD = {17: Bad.CHECKSUM, 5000: Bad.PHONE, 9999: Bad.REGION}
XLSX_BAD = {40: Bad.PHONE, 299: Bad.CHECKSUM}

# mode -> (extra options, exit code, whether the good rows get written)
MODES = {
    "default": ([], 1, False),
    "skip-bad": (["--skip-bad"], 0, True),
    "dry-run": (["--dry-run"], 1, False),
}


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> ElderFile:
    """10,000 rows, 3 of them bad; written once for the module."""
    return write_elders(tmp_path_factory.mktemp("big") / "elders.csv", 10_000, BIG_BAD)


@pytest.fixture(scope="module")
def small_xlsx(tmp_path_factory: pytest.TempPathFactory) -> ElderFile:
    return write_elders(tmp_path_factory.mktemp("xlsx") / "elders.xlsx", 300, XLSX_BAD)


def _import(yyk: Yyk, path: Path, institution_id: str, *options: str) -> Result:
    return yyk("import", "elders", str(path), "--institution", institution_id, *options)


def _names(rt: Container) -> list[str]:
    return sorted(e.name for e in list_elders(rt, operator(), PageRequest(size=100)).items)


# --- the acceptance test -------------------------------------------------------------------------

def test_the_generated_ten_thousand_rows_are_otherwise_valid(big_csv: ElderFile) -> None:
    cards = [r[HEADER.index("身份证号")] for r in big_csv.rows]
    assert len(cards) == len(set(cards)) == 10_000
    assert sorted(big_csv.expected_problems()) == [
        (19, "身份证号", "身份证号校验位错误"),
        (5002, "手机号", "手机号应为11位中国大陆手机号码"),
        (10001, "行政区划代码", "行政区划代码不存在"),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_ten_thousand_rows_with_three_bad(
    yyk: Yyk, institution_id: str, container: Container, big_csv: ElderFile, mode: str
) -> None:
    options, exit_code, writes = MODES[mode]

    result = _import(yyk, big_csv.path, institution_id, *options)

    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    reported = problems(result.stderr)
    assert sorted(reported) == sorted(big_csv.expected_problems())
    assert problems(result.stdout) == []  # problems go to stderr only
    assert elder_count(container) == (9_997 if writes else 0)
    if mode == "default":
        assert "导入失败：共 10000 行，有问题 3 行，未导入任何数据" in result.stdout
    elif mode == "skip-bad":
        assert "导入完成：共 10000 行，导入 9997 行，跳过 3 行" in result.stdout
    else:
        assert "检查完成：共 10000 行，有问题 3 行，未写入数据" in result.stdout


@pytest.mark.parametrize("mode", MODES)
def test_xlsx_with_two_bad_rows(
    yyk: Yyk, institution_id: str, container: Container, small_xlsx: ElderFile, mode: str
) -> None:
    options, exit_code, writes = MODES[mode]

    result = _import(yyk, small_xlsx.path, institution_id, *options)

    assert result.exit_code == exit_code, result.output
    assert sorted(problems(result.stderr)) == [
        (42, "手机号", "手机号应为11位中国大陆手机号码"),
        (301, "身份证号", "身份证号校验位错误"),
    ]
    assert elder_count(container) == (298 if writes else 0)


def test_dry_run_of_a_clean_file_passes_and_writes_nothing(
    yyk: Yyk, institution_id: str, container: Container, tmp_path: Path
) -> None:
    clean = write_elders(tmp_path / "clean.csv", 50)

    result = _import(yyk, clean.path, institution_id, "--dry-run")

    assert result.exit_code == 0, result.output
    assert "检查完成：共 50 行，有问题 0 行" in result.stdout
    assert problems(result.stderr) == []
    assert elder_count(container) == 0


def test_a_clean_file_is_imported_whole(yyk: Yyk, institution_id: str, container: Container, tmp_path: Path) -> None:
    clean = write_elders(tmp_path / "clean.csv", 50)

    result = _import(yyk, clean.path, institution_id)

    assert result.exit_code == 0, result.output
    assert "导入完成：共 50 行，导入 50 行，跳过 0 行" in result.stdout
    assert _names(container) == sorted(r[0] for r in clean.rows)
    with container.uow() as uow:
        first = uow.elders.by_id_card(clean.rows[0][1])
        assert first is not None
        assert first.institution_id == institution_id
        assert first.region_code == clean.rows[0][HEADER.index("行政区划代码")]
        assert [c.relation for c in first.emergency_contacts] == [clean.rows[0][HEADER.index("紧急联系人关系")]]


# --- kinds of bad rows ---------------------------------------------------------------------------

def test_a_repeated_id_number_is_reported_as_duplicate(
    yyk: Yyk, institution_id: str, container: Container, tmp_path: Path
) -> None:
    dup = write_elders(tmp_path / "dup.csv", 20, {7: Bad.DUPLICATE})

    result = _import(yyk, dup.path, institution_id)

    assert result.exit_code == 1
    assert problems(result.stderr) == [(sheet_row(7), "身份证号", "与第2行身份证号重复")]
    assert elder_count(container) == 0

    skipped = _import(yyk, dup.path, institution_id, "--skip-bad")

    assert skipped.exit_code == 0, skipped.output
    assert elder_count(container) == 19  # the first occurrence is kept


def test_a_bad_contact_phone_names_its_column(
    yyk: Yyk, institution_id: str, tmp_path: Path
) -> None:
    bad = write_elders(tmp_path / "contact.csv", 10, {4: Bad.CONTACT_PHONE})

    result = _import(yyk, bad.path, institution_id)

    assert result.exit_code == 1
    assert problems(result.stderr) == [(6, "紧急联系人电话", "手机号应为11位中国大陆手机号码")]


def test_id_numbers_already_on_file_are_reported(
    yyk: Yyk, institution_id: str, container: Container, tmp_path: Path
) -> None:
    first = write_elders(tmp_path / "first.csv", 10)
    assert _import(yyk, first.path, institution_id).exit_code == 0
    again = write_elders(tmp_path / "again.csv", 12)  # the same 10 ID numbers, and 2 new ones

    result = _import(yyk, again.path, institution_id)

    assert result.exit_code == 1
    assert problems(result.stderr) == [(sheet_row(i), "身份证号", "该身份证号已建档") for i in range(10)]
    assert elder_count(container) == 10

    skipped = _import(yyk, again.path, institution_id, "--skip-bad")

    assert skipped.exit_code == 0, skipped.output
    assert "导入 2 行，跳过 10 行" in skipped.stdout
    assert elder_count(container) == 12


def test_blank_lines_keep_the_row_numbers_right(
    yyk: Yyk, institution_id: str, container: Container, tmp_path: Path
) -> None:
    source = write_elders(tmp_path / "src.csv", 3, {2: Bad.REGION})
    path = tmp_path / "gaps.csv"
    lines = source.path.read_text(encoding="utf-8-sig").splitlines()
    path.write_text("\n".join([lines[0], lines[1], "", ",,,,,,,,", lines[2], lines[3]]) + "\n", encoding="utf-8")

    result = _import(yyk, path, institution_id, "--skip-bad")

    assert result.exit_code == 0, result.output
    assert problems(result.stderr) == [(6, "行政区划代码", "行政区划代码不存在")]
    assert "共 3 行，导入 2 行" in result.stdout
    assert elder_count(container) == 2


def test_more_than_200_problems_are_summarised(
    yyk: Yyk, institution_id: str, container: Container, tmp_path: Path
) -> None:
    many = write_elders(tmp_path / "many.csv", 260, dict.fromkeys(range(250), Bad.PHONE))
    report = tmp_path / "all.csv"

    result = _import(yyk, many.path, institution_id, "--report", str(report))

    assert result.exit_code == 1
    assert len(problems(result.stderr)) == 200
    assert "另有 50 处问题" in result.stderr
    with report.open(encoding="utf-8-sig", newline="") as fh:
        assert len(list(csv.reader(fh))) == 1 + 250
    assert elder_count(container) == 0


# --- the file itself -----------------------------------------------------------------------------

def test_a_missing_required_column_is_named(
    yyk: Yyk, institution_id: str, container: Container, tmp_path: Path
) -> None:
    header = [h for h in HEADER if h != "身份证号"]
    no_id = write_elders(tmp_path / "no_id.csv", 5, header=header)

    result = _import(yyk, no_id.path, institution_id)

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert problems(result.stderr) == [(1, "身份证号", "缺少必需的列")]
    assert elder_count(container) == 0


def test_an_unsupported_file_type_is_a_clean_error(yyk: Yyk, institution_id: str, tmp_path: Path) -> None:
    txt = tmp_path / "elders.txt"
    txt.write_text(",".join(HEADER) + "\n", encoding="utf-8")

    result = _import(yyk, txt, institution_id)

    assert_clean_failure(result)
    assert "不支持的文件类型 .txt" in result.output


def test_a_damaged_xlsx_is_a_clean_error(yyk: Yyk, institution_id: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")

    result = _import(yyk, broken, institution_id)

    assert_clean_failure(result)
    assert "无法读取 Excel 文件" in result.output


def test_an_unknown_institution_is_a_clean_error(yyk: Yyk, migrated: None, tmp_path: Path) -> None:
    clean = write_elders(tmp_path / "clean.csv", 3)

    result = _import(yyk, clean.path, "no-such-institution")

    assert_clean_failure(result)
    assert "机构不存在" in result.output


def test_a_gb18030_csv_from_excel_on_chinese_windows(
    yyk: Yyk, institution_id: str, container: Container, tmp_path: Path
) -> None:
    gb = write_elders(tmp_path / "gb.csv", 30, encoding="gb18030")
    assert gb.path.read_bytes().startswith("姓名".encode("gb18030"))

    result = _import(yyk, gb.path, institution_id)

    assert result.exit_code == 0, result.output
    assert _names(container) == sorted(r[0] for r in gb.rows)
    with container.uow() as uow:
        elder = uow.elders.by_id_card(gb.rows[5][1])
        assert elder is not None
        assert elder.emergency_contacts[0].name == gb.rows[5][HEADER.index("紧急联系人")]


def test_excel_style_dates_without_zero_padding(
    yyk: Yyk, institution_id: str, container: Container, tmp_path: Path
) -> None:
    source = write_elders(tmp_path / "src.csv", 12)
    col = HEADER.index("出生日期")
    for row in source.rows:  # 1936-01-01 -> 1936/1/1, as Excel's zh-CN short date format
        y, m, d = row[col].split("-")
        row[col] = f"{y}/{int(m)}/{int(d)}"
    path = tmp_path / "excel.csv"
    with path.open("w", encoding="gb18030", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *source.rows])

    result = _import(yyk, path, institution_id)

    assert problems(result.stderr) == []
    assert result.exit_code == 0
    assert elder_count(container) == 12


def test_an_empty_file_is_a_clean_error(yyk: Yyk, institution_id: str, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")

    result = _import(yyk, empty, institution_id)

    assert_clean_failure(result)
    assert "文件为空" in result.output


def test_an_unwritable_report_path_is_a_clean_error(
    yyk: Yyk, institution_id: str, tmp_path: Path
) -> None:
    bad = write_elders(tmp_path / "bad.csv", 10, {3: Bad.PHONE})

    result = _import(yyk, bad.path, institution_id, "--skip-bad", "--report", str(tmp_path / "missing" / "r.csv"))

    assert_clean_failure(result)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_report_lists_the_problems(yyk: Yyk, institution_id: str, tmp_path: Path, suffix: str) -> None:
    bad = write_elders(tmp_path / "bad.csv", 20, {3: Bad.CHECKSUM, 11: Bad.REGION})
    report = tmp_path / f"problems{suffix}"

    result = _import(yyk, bad.path, institution_id, "--report", str(report))

    assert result.exit_code == 1
    expected = [["行号", "列", "原因"], ["5", "身份证号", "身份证号校验位错误"], ["13", "行政区划代码", "行政区划代码不存在"]]
    if suffix == ".csv":
        raw = report.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, so Excel opens it right
        rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    else:
        from openpyxl import load_workbook

        book = load_workbook(report, read_only=True)
        rows = [[str(c) for c in r] for r in book.worksheets[0].iter_rows(values_only=True)]
        book.close()
    assert rows == expected


# --- personal data at rest -----------------------------------------------------------------------

def test_identity_fields_are_stored_encrypted(
    yyk: Yyk, db_url: str, institution_id: str, tmp_path: Path
) -> None:
    clean = write_elders(tmp_path / "clean.csv", 20)
    assert _import(yyk, clean.path, institution_id).exit_code == 0
    cards = [r[HEADER.index("身份证号")] for r in clean.rows]
    phones = [r[HEADER.index("手机号")] for r in clean.rows] + [r[HEADER.index("紧急联系人电话")] for r in clean.rows]

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            sealed = conn.execute(text("select id_card_enc from elders limit 1")).scalar_one()
            rows = conn.execute(text(
                "select id_card_enc, id_card_hash, phone_enc, phone_hash, emergency_contacts_enc from elders"
            )).all()
            audit = conn.execute(text("select before, after from audit_events")).all()
    finally:
        engine.dispose()

    assert isinstance(sealed, bytes)
    assert len(sealed) > 18
    assert not any(card.encode() in sealed for card in cards)
    blobs = b"".join(bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for r in rows for v in r)
    blobs += "".join(str(v) for r in audit for v in r).encode()
    leaked = [s for s in cards + phones if s.encode() in blobs]
    assert leaked == []


def test_no_plaintext_id_number_anywhere_in_the_database_file(
    yyk: Yyk, db_url: str, institution_id: str, tmp_path: Path
) -> None:
    clean = write_elders(tmp_path / "clean.csv", 20)
    assert _import(yyk, clean.path, institution_id).exit_code == 0
    db = Path(db_url.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists())

    assert not [r[1] for r in clean.rows if r[1].encode() in raw]
