"""Paging of list queries (分页): page numbers from 1, a bounded page size."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from attrs import field, frozen

T = TypeVar("T")
U = TypeVar("U")

MAX_PAGE_SIZE = 100


def _positive(_i: object, _attribute: object, value: int) -> None:
    if value < 1:
        raise ValueError("page and page size start at 1")


def _capped(value: int) -> int:
    return min(int(value), MAX_PAGE_SIZE)


@frozen
class PageRequest:
    page: int = field(default=1, validator=_positive)
    size: int = field(default=20, validator=_positive, converter=_capped)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


@frozen
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    page: int
    size: int

    def map(self, fn: Callable[[T], U]) -> Page[U]:
        return Page([fn(i) for i in self.items], self.total, self.page, self.size)
