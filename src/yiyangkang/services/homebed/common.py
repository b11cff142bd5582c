"""What the home-bed use cases share: numbers, uploads, scoped loading, settings, an object's history."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import TypeVar

from attrs import frozen

from yiyangkang.domain.homebed.config import SETTINGS_ID, BusinessSettings
from yiyangkang.domain.kernel.errors import FieldError, ValidationFailed
from yiyangkang.domain.kernel.files import ALLOWED_TYPES, MAX_FILE_BYTES, FileRef, sniff_content_type
from yiyangkang.domain.kernel.timekeeping import business_date
from yiyangkang.domain.kernel.validation import Checks
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.numbering import next_number as next_number  # re-exported for the home-bed use cases
from yiyangkang.services.objects import events_of as events_of
from yiyangkang.services.objects import load_owned as load_owned
from yiyangkang.services.objects import read_file as read_file
from yiyangkang.services.runtime import Runtime

T = TypeVar("T")


def today(rt: Runtime) -> date:
    return business_date(rt.clock.now())


def current_settings(uow: UnitOfWork, now: datetime) -> BusinessSettings:
    """The business settings, or the defaults until an operator saves some."""
    return uow.homebed_settings.get(SETTINGS_ID) or BusinessSettings(id=SETTINGS_ID, created_at=now)


def check_worker(uow: UnitOfWork, checks: Checks, staff_id: str, institution_id: str,
                 field: str = "staff_id") -> None:
    """A serving worker (service, renovation) must be an active staff member of the institution."""
    member = uow.staff.get(staff_id)
    checks.require(field, member is not None and member.active and member.institution_id == institution_id,
                   "服务人员不存在或不属于该机构", "UNKNOWN_STAFF")


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


