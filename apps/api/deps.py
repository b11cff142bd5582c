"""Dependencies every controller may ask for: the runtime, the caller, the page request."""

from typing import Any

from litestar import Request
from litestar.params import Parameter

from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.paging import MAX_PAGE_SIZE, PageRequest


def provide_principal(request: Request[Principal, Any, Any]) -> Principal:
    return request.user


def provide_page(
    page: int = Parameter(ge=1, le=100_000, default=1, description="页码，从1开始"),
    page_size: int = Parameter(ge=1, le=MAX_PAGE_SIZE, default=20, description=f"每页条数，最多{MAX_PAGE_SIZE}"),
) -> PageRequest:
    return PageRequest(page=page, size=page_size)


def form_of(cls: Any, body: Any, **extra: Any) -> tuple[Any, int | None]:
    """A use-case form from a request body; the optimistic-lock `version`, if sent, apart."""
    values = body.fields()
    version = values.pop("version", None)
    return cls(**values, **extra), version
