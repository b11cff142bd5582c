"""Read a spreadsheet as a header and numbered rows of text, whatever its format (CSV or XLSX).

Row numbers are the ones people see in Excel: the header is row 1, the first data row is row 2.
Blank rows are skipped (but keep their numbers out of the count, so reports still point right).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path

from attrs import define


class UnreadableFile(ValueError):
    pass


@define
class Sheet:
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    length: int  # number of data rows, for a progress bar


def read_sheet(path: Path) -> Sheet:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    raise UnreadableFile(f"不支持的文件类型 {suffix or '(无扩展名)'}：请使用 .csv 或 .xlsx")


def _encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) or, as Excel on Chinese Windows saves CSV, GB18030."""
    with path.open("rb") as fh:
        sample = fh.read(1 << 16)
    try:
        sample.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start > len(sample) - 4:  # a character cut at the end of the sample
            return "utf-8-sig"
        return "gb18030"


def _read_csv(path: Path) -> Sheet:
    encoding = _encoding(path)
    with path.open(encoding=encoding, newline="") as fh:
        length = max(sum(1 for row in csv.reader(fh) if any(c.strip() for c in row)) - 1, 0)
    fh = path.open(encoding=encoding, newline="")
    reader = csv.reader(fh)
    header = next(reader, None)
    if header is None:
        fh.close()
        raise UnreadableFile("文件为空")

    def rows() -> Iterator[tuple[int, list[str]]]:
        with fh:
            for number, row in enumerate(reader, start=2):
                if any(c.strip() for c in row):
                    yield number, row

    return Sheet([h.strip() for h in header], rows(), length)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path) -> Sheet:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise UnreadableFile(f"无法读取 Excel 文件：{exc}") from None
    sheet = book.worksheets[0]
    it = sheet.iter_rows(values_only=True)
    first = next(it, None)
    if first is None:
        book.close()
        raise UnreadableFile("文件为空")

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, row in enumerate(it, start=2):
                cells = [_cell(v) for v in row]
                if any(c.strip() for c in cells):
                    yield number, cells
        finally:
            book.close()

    return Sheet([_cell(h).strip() for h in first], rows(), max((sheet.max_row or 1) - 1, 0))


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: object) -> object:
    """Text a spreadsheet would run as a formula (=HYPERLINK(…) typed as a name) gets a leading quote."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def write_sheet(path: Path, header: list[str], rows: Iterable[list[object]]) -> None:
    """Write CSV (UTF-8 with BOM, so Excel opens it right) or XLSX, by the file's extension; rows may be
    a generator (large reports stream through)."""
    rows = ([_inert(v) for v in row] for row in rows)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        book.save(path)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
