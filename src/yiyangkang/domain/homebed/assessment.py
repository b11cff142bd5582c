"""Assessment (家床评估, HB-08): configured scales (评估量表) of items, options and scores, level bands
(评估等级), and the assessments of contracted elders whose total maps to a level."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from attrs import define, frozen

from yiyangkang.domain.kernel.errors import FieldError, ValidationFailed
from yiyangkang.domain.kernel.events import Aggregate


@frozen
class ScaleOption:
    label: str
    score: int


@frozen
class ScaleItem:
    code: str  # stable within the scale, answers refer to it
    question: str
    options: tuple[ScaleOption, ...]


@frozen
class LevelBand:
    """Totals from `min_score` to `max_score` (both inclusive) mean this level."""

    name: str
    min_score: int
    max_score: int


def scale_problems(items: tuple[ScaleItem, ...], levels: tuple[LevelBand, ...]) -> list[FieldError]:
    """What is wrong with a scale: every item needs two options or more, codes are unique, and the level
    bands cover every possible total exactly once (no gap, no overlap)."""
    problems: list[FieldError] = []
    if not items:
        problems.append(FieldError("items", "量表至少需要一个评估项", "REQUIRED"))
    codes = [i.code for i in items]
    if len(set(codes)) != len(codes):
        problems.append(FieldError("items", "评估项编码不能重复", "DUPLICATE"))
    for n, item in enumerate(items):
        if len(item.options) < 2:
            problems.append(FieldError(f"items.{n}.options", "每个评估项至少需要两个选项", "TOO_FEW"))
    if not levels:
        problems.append(FieldError("levels", "请配置评估等级", "REQUIRED"))
    if problems:
        return problems
    low = sum(min(o.score for o in i.options) for i in items)
    high = sum(max(o.score for o in i.options) for i in items)
    bands = sorted(levels, key=lambda b: b.min_score)
    expected = low
    for band in bands:
        if band.min_score > band.max_score:
            problems.append(FieldError("levels", f"等级“{band.name}”的分数区间有误", "INVALID_RANGE"))
        elif band.min_score != expected:
            problems.append(FieldError("levels", f"等级分数区间应从{expected}分起连续无重叠", "NOT_CONTIGUOUS"))
        expected = band.max_score + 1
    if not problems and (bands[0].min_score != low or bands[-1].max_score != high):
        problems.append(FieldError("levels", f"等级分数区间须覆盖{low}～{high}分", "NOT_COVERING"))
    return problems


@define(slots=False, kw_only=True)
class AssessmentScale(Aggregate):
    """评估量表: e.g. 日常生活活动能力(Barthel) with ten items and four levels."""

    kind = "assessment_scale"

    name: str
    description: str = ""
    items: tuple[ScaleItem, ...]
    levels: tuple[LevelBand, ...]
    active: bool = True
    created_at: datetime

    def score(self, answers: Mapping[str, int]) -> tuple[tuple[Answer, ...], int, str]:
        """Each item's chosen option index → the answers, the total and its level; every item must be
        answered with one of its options."""
        problems: list[FieldError] = []
        chosen: list[Answer] = []
        for item in self.items:
            index = answers.get(item.code)
            if index is None:
                problems.append(FieldError(f"answers.{item.code}", f"请回答：{item.question}", "REQUIRED"))
            elif not 0 <= index < len(item.options):
                problems.append(FieldError(f"answers.{item.code}", "所选选项不存在", "INVALID_OPTION"))
            else:
                option = item.options[index]
                chosen.append(Answer(item.code, item.question, option.label, option.score))
        known = {i.code for i in self.items}
        problems += [FieldError(f"answers.{code}", "量表中没有该评估项", "UNKNOWN_ITEM")
                     for code in sorted(set(answers) - known)]
        if problems:
            raise ValidationFailed(problems)
        total = sum(a.score for a in chosen)
        level = next(b.name for b in self.levels if b.min_score <= total <= b.max_score)
        return tuple(chosen), total, level

    def snapshot(self) -> dict[str, Any]:
        return {"name": self.name, "items": len(self.items),
                "levels": [f"{b.name}:{b.min_score}-{b.max_score}" for b in self.levels], "active": self.active}


class AssessmentKind(StrEnum):
    SIGNING = "signing"  # 签约评估
    PERIODIC = "periodic"  # 周期评估
    AD_HOC = "ad_hoc"  # 临时评估


ASSESSMENT_KIND_LABELS = {AssessmentKind.SIGNING: "签约评估", AssessmentKind.PERIODIC: "周期评估",
                          AssessmentKind.AD_HOC: "临时评估"}


@frozen
class Answer:
    item_code: str
    question: str
    option: str
    score: int


@define(slots=False, kw_only=True)
class Assessment(Aggregate):
    """One assessment of one contracted elder with one scale; the answers keep the question and option
    texts as they were, so a later edit of the scale does not rewrite history."""

    kind = "assessment"

    institution_id: str
    elder_id: str
    contract_id: str | None  # None only while the contract it is made for is being signed
    scale_id: str
    scale_name: str
    type: AssessmentKind
    answers: tuple[Answer, ...]
    total: int
    level: str
    assessed_on: date
    assessor_id: str  # account
    remark: str = ""  # 评估说明
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"scale": self.scale_name, "type": self.type.value, "total": self.total, "level": self.level,
                "assessed_on": self.assessed_on.isoformat(), "contract_id": self.contract_id}
