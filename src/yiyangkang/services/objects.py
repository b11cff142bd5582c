"""Helpers every context's use cases share for the objects they own: loading one within the caller's scope,
its history, uploading and reading its files."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from attrs import frozen

from yiyangkang.domain.identity.policy import Operation, Target
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import FieldError, NotFound, ValidationFailed
from yiyangkang.domain.kernel.files import ALLOWED_TYPES, MAX_FILE_BYTES, FileRef, sniff_content_type
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import load_authorized, owner_target
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.views import AuditEventView

T = TypeVar("T")


def load_owned(
    uow: UnitOfWork, principal: Principal, op: Operation, item: T | None, kind: str, ident: str,
    *, account_id: Callable[[T], str | None] | None = None,
) -> T:
    """An object owned by an institution (and an elder) if the caller may do `op` on it; else NotFound."""

    def target(obj: Any) -> Target:
        base = owner_target(uow, obj.institution_id, getattr(obj, "elder_id", None))
        return Target(institution_id=base.institution_id, institution_path=base.institution_path,
                      elder_id=base.elder_id, account_id=account_id(obj) if account_id else None)

    return load_authorized(principal, op, item, kind, ident, target)


def events_of(uow: UnitOfWork, aggregate_id: str) -> list[AuditEventView]:
    """The whole history of one object, oldest first (who, when, from, to, why)."""
    page = uow.audit.list(PageRequest(1, 100), aggregate_id=aggregate_id)
    events = list(page.items)
    n = 1
    while len(events) < page.total:
        n += 1
        events += uow.audit.list(PageRequest(n, 100), aggregate_id=aggregate_id).items
    return [AuditEventView.of(e) for e in reversed(events)]


def read_file(rt: Runtime, ref: FileRef | None, ident: str) -> tuple[FileRef, bytes]:
    data = rt.files.get(ref.key) if ref else None
    if ref is None or data is None:
        raise NotFound("文件", ident)
    return ref, data


@frozen
class Upload:
    """A file as received: the name the user gave, the bytes."""

    name: str
    data: bytes


def store_upload(rt: Runtime, folder: str, upload: Upload, field: str = "file") -> FileRef:
    """Check and keep an uploaded file: JPEG, PNG or PDF by content (not by name), at most 10 MB."""
    if not upload.data:
        raise ValidationFailed([FieldError(field, "文件为空", "EMPTY")])
    if len(upload.data) > MAX_FILE_BYTES:
        raise ValidationFailed([FieldError(field, f"文件不能超过{MAX_FILE_BYTES // 1024 // 1024}MB", "TOO_LARGE")])
    content_type = sniff_content_type(upload.data[:16])
    if content_type is None:
        raise ValidationFailed([FieldError(field, "只能上传 JPG、PNG 图片或 PDF 文件", "UNSUPPORTED_TYPE")])
    key = f"{folder}/{rt.ids.new_id()}.{ALLOWED_TYPES[content_type]}"
    rt.files.put(key, upload.data)
    name = "".join(c for c in upload.name if c.isprintable() and c not in '/\\')[-100:] or key.rsplit("/", 1)[1]
    return FileRef(key=key, name=name, content_type=content_type, size=len(upload.data),
                   sha256=hashlib.sha256(upload.data).hexdigest(), uploaded_at=rt.clock.now())


@contextmanager
def stored_uploads(rt: Runtime) -> Iterator[list[FileRef]]:
    """Files stored inside this block are deleted again if the block fails: only a committed aggregate
    may refer to stored bytes."""
    refs: list[FileRef] = []
    try:
        yield refs
    except BaseException:
        for ref in refs:
            rt.files.delete(ref.key)
        raise


