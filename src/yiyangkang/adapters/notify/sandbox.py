"""The sandbox notifier: records every notice instead of sending SMS or WeChat messages.

Used by tests and the demo. It keeps the notices in memory and, given a path, appends each as one JSON
line there, so an operator running `yyk homebed remind-expiring` can read what would have gone out.
Phones and the names a notice declares personal are masked in the file: it is a log, and logs hold no full
personal data."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from attrs import asdict

from yiyangkang.domain.kernel.masking import mask_name, mask_phone
from yiyangkang.ports.homebed import Notice


class SandboxNotifier:
    def __init__(self, outbox: str | Path | None = None) -> None:
        self.outbox = Path(outbox) if outbox else None
        self.sent: list[Notice] = []
        self._lock = threading.Lock()

    def send(self, notice: Notice) -> None:
        with self._lock:
            self.sent.append(notice)
            if self.outbox is not None:
                self.outbox.parent.mkdir(parents=True, exist_ok=True)
                line = {**asdict(notice), "phone": mask_phone(notice.phone), "title": _masked(notice.title, notice),
                        "body": _masked(notice.body, notice)}
                line.pop("personal")
                with self.outbox.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(line, ensure_ascii=False) + "\n")


def _masked(text: str, notice: Notice) -> str:
    for name in sorted(notice.personal, key=len, reverse=True):
        if name:
            text = text.replace(name, mask_name(name) or "")
    return text
