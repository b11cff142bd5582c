"""Bulk import of elders' files (批量导入老年人档案) from a spreadsheet.

Every row is checked with the same rules as the form. By default the import is all-or-nothing:
one bad row and nothing is written, and the report names each bad row, column and reason.
With `skip_bad` the good rows are imported and the bad ones reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date

from attrs import frozen

from yiyangkang.domain.elders.elder import Elder
from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.timekeeping import business_date
from yiyangkang.domain.kernel.validation import Checks
from yiyangkang.services.access import institution_of, load_institution
from yiyangkang.services.elders import ElderForm, EmergencyContactForm, check_elder_fields
from yiyangkang.services.runtime import Runtime

# Column headers people use, Chinese or English, mapped to form fields.
COLUMNS: Mapping[str, str] = {
    "姓名": "name", "name": "name",
    "身份证号": "id_card_no", "身份证号码": "id_card_no", "id_card_no": "id_card_no",
    "性别": "gender", "gender": "gender",
    "出生日期": "birth_date", "birth_date": "birth_date",
    "手机号": "phone", "联系电话": "phone", "phone": "phone",
    "行政区划代码": "region_code", "区划代码": "region_code", "region_code": "region_code",
    "紧急联系人": "contact_name", "contact_name": "contact_name",
    "紧急联系人电话": "contact_phone", "contact_phone": "contact_phone",
    "紧急联系人关系": "contact_relation", "contact_relation": "contact_relation",
}
REQUIRED_COLUMNS = ("name", "id_card_no", "region_code")
# Field names back to the header shown in the report.
HEADERS = {"name": "姓名", "id_card_no": "身份证号", "gender": "性别", "birth_date": "出生日期",
           "phone": "手机号", "region_code": "行政区划代码", "contact_name": "紧急联系人",
           "contact_phone": "紧急联系人电话", "contact_relation": "紧急联系人关系"}
_GENDERS = {"男": "male", "女": "female", "male": "male", "female": "female", "m": "male", "f": "female"}
BATCH = 1000


@frozen
class RowProblem:
    row: int  # the spreadsheet's row number, header = row 1
    column: str
    reason: str


@frozen
class ImportReport:
    total: int
    imported: int
    problems: tuple[RowProblem, ...]
    dry_run: bool

    @property
    def bad_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems})


Progress = Callable[[str, int], None]  # (phase, rows just done)


# 1945-03-12, 1945/3/12 (Excel's CSV on Chinese Windows), 1945.3.12, 1945年3月12日
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def _date(raw: str) -> date:
    m = _DATE.match(raw.strip())
    try:
        if m is None:
            raise ValueError
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValueError("日期格式应为 YYYY-MM-DD") from None


def _column(field: str) -> str:
    """The spreadsheet header a form field came from; `emergency_contacts.0.phone` → 紧急联系人电话."""
    parts = field.split(".")
    if parts[0] == "emergency_contacts" and len(parts) == 3:
        return HEADERS.get(f"contact_{parts[2]}", field) if parts[2] != "name" else HEADERS["contact_name"]
    return HEADERS.get(parts[0], field)


def _form(values: Mapping[str, str], checks: Checks) -> ElderForm:
    def get(key: str) -> str:
        return (values.get(key) or "").strip()

    gender = get("gender")
    if gender and gender.lower() not in _GENDERS:
        checks.fail("gender", "性别应为“男”或“女”")
    birth = checks.parse("birth_date", _date, get("birth_date")) if get("birth_date") else None
    contact = None
    if any(get(k) for k in ("contact_name", "contact_phone", "contact_relation")):
        contact = EmergencyContactForm(name=get("contact_name"), phone=get("contact_phone"),
                                       relation=get("contact_relation") or "其他")
    return ElderForm(
        name=get("name"), id_card_no=get("id_card_no"), gender=_GENDERS.get(gender.lower()) if gender else None,
        birth_date=birth, phone=get("phone") or None, region_code=get("region_code"),
        emergency_contacts=[contact] if contact else [],
    )


def header_problems(header: Iterable[str]) -> list[RowProblem]:
    known = {COLUMNS[h.strip()] for h in header if h and h.strip() in COLUMNS}
    return [RowProblem(1, HEADERS[c], "缺少必需的列") for c in REQUIRED_COLUMNS if c not in known]


def import_elders(
    rt: Runtime, principal: Principal, header: list[str], rows: Iterable[tuple[int, list[str]]], *,
    institution_id: str | None = None, skip_bad: bool = False, dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """`rows` yields (row number, cells in header order)."""
    tick = progress or (lambda _phase, _n: None)
    problems = header_problems(header)
    if problems:
        return ImportReport(0, 0, tuple(problems), dry_run)
    fields = [COLUMNS.get(h.strip()) for h in header]
    with rt.uow() as uow:
        target = institution_of(principal, Operation.ELDER_IMPORT, institution_id)
        inst = load_institution(uow, principal, Operation.ELDER_IMPORT, target)
        known_regions: dict[str, bool] = {}
        today = business_date(rt.clock.now())
        drafts: list[tuple[int, dict[str, object]]] = []  # (row number, checked values)
        seen_cards: dict[str, int] = {}
        total = 0
        for number, cells in rows:
            total += 1
            values = {f: str(v) if v is not None else "" for f, v in zip(fields, cells, strict=False) if f}
            checks = Checks()
            form = _form(values, checks)
            code = (form.region_code or "").strip()
            if code and code not in known_regions:
                known_regions[code] = uow.regions.get(code) is not None
            known = known_regions.get(code)
            parsed: dict[str, object] = check_elder_fields(checks, form, creating=True, today=today,
                                                           known_region=known)
            card = parsed.get("id_card_no")
            if isinstance(card, str):
                if card in seen_cards:
                    checks.fail("id_card_no", f"与第{seen_cards[card]}行身份证号重复", code="DUPLICATE")
                else:
                    seen_cards[card] = number
            for e in checks.errors:
                problems.append(RowProblem(number, _column(e.field), e.message))
            if not checks.errors:
                drafts.append((number, parsed))
            tick("check", 1)
        on_file = uow.elders.existing_id_cards(seen_cards)
        for card in sorted(on_file, key=seen_cards.__getitem__):
            problems.append(RowProblem(seen_cards[card], HEADERS["id_card_no"], "该身份证号已建档"))
        bad = {p.row for p in problems}
        good = [(n, d) for n, d in drafts if n not in bad]
        if dry_run or (problems and not skip_bad):
            return ImportReport(total, 0, tuple(sorted(problems, key=lambda p: p.row)), dry_run)
        now = rt.clock.now()
        for start in range(0, len(good), BATCH):
            batch = []
            for _n, checked in good[start : start + BATCH]:
                elder = Elder(id=rt.ids.new_id(), institution_id=inst.id, created_at=now, **checked)  # type: ignore[arg-type]
                elder.record_created(principal.actor, now, name="registered", reason="批量导入")
                batch.append(elder)
            uow.elders.add_many(batch)
            tick("write", len(batch))
        uow.commit()
        return ImportReport(total, len(good), tuple(sorted(problems, key=lambda p: p.row)), dry_run)
