"""Ratings (评价, A-06, S-10): the elder's stars and words on a completed sub-order. A home visit's rating
is also the rating of the staff member who served it. Operators may hide a rating from the mini-program
(it stays for the institution and the records)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import define

from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.kernel.files import FileRef

MAX_STARS = 5


@define(slots=False, kw_only=True)
class Rating(Aggregate):
    kind = "mall_rating"

    sub_order_id: str
    sub_order_number: str
    institution_id: str
    elder_id: str
    product_ids: tuple[str, ...]
    staff_id: str | None = None
    stars: int
    text: str = ""
    images: tuple[FileRef, ...] = ()
    author_account_id: str
    author_name: str  # shown masked
    hidden: bool = False
    hidden_reason: str = ""
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"stars": self.stars, "text": self.text, "hidden": self.hidden}

    def set_hidden(self, hidden: bool, reason: str, actor: Actor, at: datetime) -> None:
        if hidden != self.hidden:
            self.hidden, self.hidden_reason = hidden, reason if hidden else ""
            self.note("hidden" if hidden else "shown", actor, at, reason=reason)
