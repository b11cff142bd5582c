"""One exception mapping for the whole API: every error answers `{code, message, details}`.

Domain errors map by family; Litestar's own errors (bad JSON, wrong types, unknown fields, missing
token, unknown route) get the same shape with a stable code; anything else is a logged 500 that
reveals nothing.
"""

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
)

from yiyangkang.domain.kernel.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)

log = logging.getLogger("yiyangkang.api")

DOMAIN_STATUS: list[tuple[type[DomainError], int]] = [
    (ValidationFailed, HTTP_422_UNPROCESSABLE_ENTITY),
    (NotFound, HTTP_404_NOT_FOUND),
    (Conflict, HTTP_409_CONFLICT),
    (PermissionDenied, HTTP_403_FORBIDDEN),
    (AuthenticationFailed, HTTP_401_UNAUTHORIZED),
]


def problem(status: int, code: str, message: str, details: Any = None) -> Response[dict[str, Any]]:
    return Response({"code": code, "message": message, "details": details}, status_code=status)


def domain_error(_request: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    status = next((s for kind, s in DOMAIN_STATUS if isinstance(exc, kind)), HTTP_400_BAD_REQUEST)
    return problem(status, exc.code, exc.message, exc.details)


def http_error(_request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    if isinstance(exc, ValidationException):
        return problem(HTTP_400_BAD_REQUEST, "REQUEST_INVALID", "请求格式不正确", exc.extra or exc.detail)
    if isinstance(exc, NotAuthorizedException):
        return problem(HTTP_401_UNAUTHORIZED, "AUTHENTICATION_REQUIRED", "请先登录或重新登录")
    if isinstance(exc, PermissionDeniedException):
        return problem(HTTP_403_FORBIDDEN, "PERMISSION_DENIED", "没有执行该操作的权限")
    if isinstance(exc, NotFoundException):
        return problem(HTTP_404_NOT_FOUND, "ROUTE_NOT_FOUND", "请求的地址不存在")
    status = exc.status_code
    if status == HTTP_400_BAD_REQUEST:
        return problem(status, "REQUEST_MALFORMED", "请求内容无法解析", {"reason": exc.detail})
    if status >= HTTP_500_INTERNAL_SERVER_ERROR:
        log.error("server error: %s", exc.detail)
        return problem(status, "INTERNAL_ERROR", "服务器内部错误，请稍后重试")
    return problem(status, f"HTTP_{status}", exc.detail or "请求无法处理", exc.extra or None)


def undecodable_body(_request: Request[Any, Any, Any], _exc: UnicodeDecodeError) -> Response[dict[str, Any]]:
    """A body in GBK or other non-UTF-8 bytes: the client's mistake, not ours."""
    return problem(HTTP_400_BAD_REQUEST, "REQUEST_MALFORMED", "请求内容无法解析", {"reason": "请求体须为 UTF-8 编码"})


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "服务器内部错误，请稍后重试")


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    DomainError: domain_error,
    HTTPException: http_error,
    UnicodeDecodeError: undecodable_body,
    Exception: unexpected_error,
}
