"""Dependencies every controller may ask for: the runtime, the caller, the page request."""

import tempfile
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from litestar import Request, Response
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter

from yiyangkang.bootstrap import write_sheet
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.files import FileRef
from yiyangkang.domain.kernel.paging import MAX_PAGE_SIZE, PageRequest
from yiyangkang.services.homebed.common import Upload

# A multipart (file upload) request body, and an optional id in a query string.
Multipart = Body(media_type=RequestEncodingType.MULTI_PART)
OptionalId = Parameter(default=None, max_length=64)


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


def upload_of(data: UploadFile) -> Upload:
    """A use-case Upload from a multipart file (read whole: the request size limit bounds it)."""
    return Upload(name=data.filename or "", data=data.file.read())


def file_response(ref: FileRef, data: bytes) -> Response[bytes]:
    """A stored file as a download; the name travels RFC 5987-encoded (Chinese file names)."""
    return Response(content=data, media_type=ref.content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(ref.name)}",
        "X-Content-Type-Options": "nosniff",
    })


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_response(header: list[str], rows: Any, fmt: Literal["csv", "xlsx"], name: str) -> Response[bytes]:
    """Rows as a CSV (UTF-8 with BOM, Excel opens it right) or XLSX download named `name`.`fmt`."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"export.{fmt}"
        write_sheet(path, header, rows)
        content = path.read_bytes()
    media = "text/csv; charset=utf-8" if fmt == "csv" else XLSX
    return Response(content=content, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


async def read_payload(request: Request[Any, Any, Any]) -> bytes:
    """The body exactly as it was sent (device frames, signed provider notifications): the framework must not
    decode it. The app's request size limit bounds it."""
    return await request.body()


def read_headers(request: Request[Any, Any, Any]) -> dict[str, str]:
    return dict(request.headers)
