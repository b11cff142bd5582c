"""Aggregates as JSON documents (the `doc` column of the home-bed tables), via one cattrs converter.

Why documents: a contract carries its plan lines and every earlier version of its terms, an application
its materials, a renovation task its progress entries with photos. Child tables for each would add
joins and mapping code without a query that needs them; the columns beside `doc` carry what queries,
scopes and reports filter on. Money is stored as integer fen, instants as ISO text with their offset.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import Enum
from typing import Any, TypeVar

from cattrs import Converter
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.money import Money

A = TypeVar("A", bound=Aggregate)

converter = Converter(forbid_extra_keys=True)
converter.register_unstructure_hook(Money, lambda m: m.fen)
converter.register_structure_hook(Money, lambda v, _: Money(int(v)))
converter.register_unstructure_hook_func(lambda t: isinstance(t, type) and issubclass(t, Enum), lambda e: e.value)
converter.register_unstructure_hook(date, lambda d: d.isoformat())
converter.register_structure_hook(date, lambda v, _: date.fromisoformat(v))
converter.register_unstructure_hook(datetime, lambda d: d.isoformat())
converter.register_structure_hook(datetime, lambda v, _: datetime.fromisoformat(v))
converter.register_unstructure_hook(time, lambda t: t.isoformat())
converter.register_structure_hook(time, lambda v, _: time.fromisoformat(v))
converter.register_unstructure_hook_func(
    lambda t: t is frozenset or getattr(t, "__origin__", None) is frozenset,
    lambda s: sorted(converter.unstructure(x) for x in s),
)


def _is_aggregate(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, Aggregate)


# The version lives in its own column; pending events are never part of the state.
converter.register_unstructure_hook_factory(
    _is_aggregate,
    lambda cls: make_dict_unstructure_fn(cls, converter, _pending=override(omit=True), version=override(omit=True)),
)
converter.register_structure_hook_factory(
    _is_aggregate,
    lambda cls: make_dict_structure_fn(cls, converter, version=override(omit=True), _cattrs_forbid_extra_keys=True),
)


def to_document(item: Aggregate) -> dict[str, Any]:
    doc: dict[str, Any] = converter.unstructure(item)
    return doc


def from_document(doc: dict[str, Any], cls: type[A], version: int) -> A:
    item = converter.structure(doc, cls)
    item.version = version
    return item
