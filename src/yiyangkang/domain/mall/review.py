"""Review of what sellers publish (审核, A-02…A-04): a submitted revision waits for a reviewer while the
approved one stays on sale; who may review each kind of thing is the platform's setting (A-03)."""

from __future__ import annotations

from enum import StrEnum


class ReviewState(StrEnum):
    PENDING = "pending"  # 待审核
    APPROVED = "approved"  # 已通过
    REJECTED = "rejected"  # 已驳回


REVIEW_STATE_LABELS = {ReviewState.PENDING: "待审核", ReviewState.APPROVED: "已通过", ReviewState.REJECTED: "已驳回"}


class ReviewSubject(StrEnum):
    PRODUCT = "product"  # 商品
    PACKAGE = "package"  # 服务包
    PROMOTION = "promotion"  # 买赠规则


REVIEW_SUBJECT_LABELS = {ReviewSubject.PRODUCT: "商品", ReviewSubject.PACKAGE: "服务包",
                         ReviewSubject.PROMOTION: "买赠规则"}


class ReviewerLevel(StrEnum):
    """Who reviews a seller's submission. Platform operators always may."""

    PLATFORM = "platform"  # 仅平台运营
    SUPERIOR = "superior"  # 上级机构管理员（或平台）
    SELF = "self"  # 本机构及上级机构管理员（或平台）


REVIEWER_LEVEL_LABELS = {ReviewerLevel.PLATFORM: "平台审核", ReviewerLevel.SUPERIOR: "上级机构审核",
                         ReviewerLevel.SELF: "本机构审核"}


def may_review(level: ReviewerLevel, *, is_platform: bool, reviewer_path: str | None, seller_path: str) -> bool:
    """Whether an admin whose institution has `reviewer_path` may review a submission of the institution at
    `seller_path` (materialised paths: an ancestor's path is a prefix of its subordinates')."""
    if is_platform:
        return True
    if level is ReviewerLevel.PLATFORM or not reviewer_path or not seller_path.startswith(reviewer_path):
        return False
    return level is ReviewerLevel.SELF or reviewer_path != seller_path
