"""Every request body of the API is a wire converter: Hypothesis proves that each one round-trips
through JSON unchanged and refuses an unknown field, whatever the values (the design card's rule)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from msgspec import inspect as mi

from apps.api import schemas


def bodies() -> list[type[schemas.Body]]:
    return sorted(
        (c for c in vars(schemas).values() if isinstance(c, type) and issubclass(c, schemas.Body)
         and c is not schemas.Body),
        key=lambda c: c.__name__,
    )


def values(t: mi.Type) -> st.SearchStrategy[Any]:
    """Values of a msgspec type, honouring its length limits."""
    if isinstance(t, mi.StrType):
        assert t.pattern in (None, schemas.PRINTABLE), f"no strategy for pattern {t.pattern}"
        printable = st.characters(exclude_categories=("Cc", "Cs"))  # what PRINTABLE admits
        return st.text(printable, min_size=t.min_length or 0, max_size=min(t.max_length or 40, 40))
    if isinstance(t, mi.IntType):
        return st.integers(min_value=-(2**53), max_value=2**53)
    if isinstance(t, mi.FloatType):
        return st.floats(allow_nan=False, allow_infinity=False)
    if isinstance(t, mi.BoolType):
        return st.booleans()
    if isinstance(t, mi.DateType):
        return st.dates()
    if isinstance(t, mi.NoneType):
        return st.none()
    if isinstance(t, mi.UnionType):
        return st.one_of([values(u) for u in t.types])
    if isinstance(t, mi.ListType):
        return st.lists(values(t.item_type), max_size=min(t.max_length or 3, 3))
    if isinstance(t, mi.StructType):
        return instances(t.cls)
    raise NotImplementedError(f"no strategy for {t!r}")


def instances(cls: type) -> st.SearchStrategy[Any]:
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    return st.builds(cls, **{f.name: values(f.type) for f in info.fields})


def test_every_body_is_checked() -> None:
    assert len(bodies()) >= 15
    assert all(mi.type_info(c).forbid_unknown_fields for c in bodies())  # type: ignore[union-attr]


@pytest.mark.parametrize("cls", bodies(), ids=lambda c: c.__name__)
def test_body_round_trips_and_refuses_unknown_fields(cls: type[schemas.Body]) -> None:
    @given(instances(cls))
    def check(body: schemas.Body) -> None:
        raw = msgspec.json.encode(body)
        assert msgspec.json.decode(raw, type=cls) == body
        extra = {**msgspec.json.decode(raw), "未知字段": 1}
        with pytest.raises(msgspec.ValidationError, match="unknown field"):
            msgspec.json.decode(msgspec.json.encode(extra), type=cls)

    check()
