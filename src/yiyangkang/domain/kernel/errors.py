"""Domain errors with stable codes (领域错误).

Every error carries a machine code that clients may switch on, a Chinese message for people and
optional details. The API maps each family below to one HTTP status; the CLI prints the message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from attrs import frozen


@frozen
class FieldError:
    """One problem with one input field (字段错误); `field` is a dotted path such as `contacts.0.phone`."""

    field: str
    message: str
    code: str = "INVALID"


class DomainError(Exception):
    """Base of every error the domain and use cases raise on purpose."""

    code: str = "DOMAIN_ERROR"
    message: str = "操作无法完成"

    def __init__(
        self, message: str | None = None, *, code: str | None = None, details: Any = None
    ) -> None:
        self.message = message or type(self).message
        self.code = code or type(self).code
        self.details = details
        super().__init__(f"{self.code}: {self.message}")


class ValidationFailed(DomainError):
    """Input that is well-formed but breaks a business rule, field by field (422)."""

    code = "VALIDATION_FAILED"
    message = "提交的数据未通过校验"

    def __init__(self, errors: Sequence[FieldError], message: str | None = None) -> None:
        self.errors = tuple(errors)
        super().__init__(
            message,
            details=[{"field": e.field, "code": e.code, "message": e.message} for e in self.errors],
        )


class NotFound(DomainError):
    """The object does not exist *or lies outside the caller's scope* (404: no existence leak)."""

    code = "NOT_FOUND"
    message = "对象不存在"

    def __init__(self, kind: str, ident: str | None = None, *, code: str | None = None) -> None:
        super().__init__(
            f"{kind}不存在", code=code or f"{kind_code(kind)}_NOT_FOUND", details={"id": ident}
        )


class Conflict(DomainError):
    """The command clashes with the current state: duplicates, stale versions (409)."""

    code = "CONFLICT"
    message = "数据冲突，请刷新后重试"


class ConcurrentUpdate(Conflict):
    """Someone else changed the aggregate between our read and our write."""

    code = "CONCURRENT_UPDATE"
    message = "数据已被他人修改，请刷新后重试"


class InvalidTransition(Conflict):
    """A lifecycle was asked for a move its transition table does not allow."""

    code = "INVALID_TRANSITION"

    def __init__(self, machine: str, source: str, target: str) -> None:
        super().__init__(
            f"当前状态“{source}”不能变更为“{target}”",
            code=f"{machine.upper()}_INVALID_TRANSITION",
            details={"from": source, "to": target},
        )


class PermissionDenied(DomainError):
    """The caller is known but the role may not do this at all (403)."""

    code = "PERMISSION_DENIED"
    message = "没有执行该操作的权限"


class AuthenticationFailed(DomainError):
    """Credentials missing, wrong or expired, or the account cannot sign in now (401)."""

    code = "AUTHENTICATION_FAILED"
    message = "账号或密码错误"


# Human names of the kinds of objects, for codes such as ELDER_NOT_FOUND.
_KIND_CODES: Mapping[str, str] = {
    "老年人": "ELDER",
    "机构": "INSTITUTION",
    "员工": "STAFF",
    "行政区划": "REGION",
    "账号": "ACCOUNT",
    "家属": "FAMILY_MEMBER",
    "家属关联": "FAMILY_LINK",
    "地址": "ADDRESS",
    "床位申请": "BED_APPLICATION",
    "签约": "CONTRACT",
    "家床订单": "HOMEBED_ORDER",
    "异常单": "HOMEBED_EXCEPTION",
    "改造任务": "RENOVATION_TASK",
    "评估记录": "ASSESSMENT",
    "评估量表": "SCALE",
    "服务项目": "SERVICE_ITEM",
    "补贴类型": "SUBSIDY_TYPE",
    "改造项目": "RENOVATION_ITEM",
    "文件": "FILE",
}


def kind_code(kind: str) -> str:
    return _KIND_CODES.get(kind, "OBJECT")
