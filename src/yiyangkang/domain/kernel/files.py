"""Stored files (文件) as aggregates refer to them: proof materials, renovation pictures and photos.

The bytes live behind the FileStore port; an aggregate keeps only this reference, so who may read a
file is decided by who may read its owner (the application, the renovation task …)."""

from __future__ import annotations

from datetime import datetime

from attrs import frozen

# What people upload from a phone or a scanner, recognised by content, not by the name they give.
ALLOWED_TYPES = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}
MAX_FILE_BYTES = 10 * 1024 * 1024


@frozen
class FileRef:
    key: str  # the FileStore's key
    name: str  # the file name as uploaded, for people
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


def sniff_content_type(head: bytes) -> str | None:
    """The type the first bytes prove, or None when they prove none of the allowed ones."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None
