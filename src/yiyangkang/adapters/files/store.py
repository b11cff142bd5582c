"""File stores: local disk (the default) and memory (tests). Keys are made by the use cases
(`homebed/<uuid>.<ext>`); anything else is refused, so a key can never climb out of the root."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_KEY = re.compile(r"^[a-z_]+/[0-9a-f-]{36}\.(jpg|png|pdf)$")


def _checked(key: str) -> str:
    if not _KEY.match(key):
        raise ValueError(f"not a file key: {key!r}")
    return key


class LocalFileStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def put(self, key: str, data: bytes) -> None:
        path = self.root / _checked(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes | None:
        path = self.root / _checked(key)
        return path.read_bytes() if path.is_file() else None

    def delete(self, key: str) -> None:
        (self.root / _checked(key)).unlink(missing_ok=True)


class MemoryFileStore:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, key: str, data: bytes) -> None:
        self.files[_checked(key)] = data

    def get(self, key: str) -> bytes | None:
        return self.files.get(_checked(key))

    def delete(self, key: str) -> None:
        self.files.pop(_checked(key), None)
