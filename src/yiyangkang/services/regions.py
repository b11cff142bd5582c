"""Administrative regions (行政区划): read-only reference data; loaded by `yyk seed regions`."""

from __future__ import annotations

from collections.abc import Sequence

from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import NotFound
from yiyangkang.domain.orgs.regions import Region, RegionLevel
from yiyangkang.services.access import require
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.views import RegionView


def list_regions(
    rt: Runtime, principal: Principal, *, parent_code: str | None = None, level: RegionLevel | None = None,
    keyword: str | None = None,
) -> list[RegionView]:
    require(principal, Operation.REGION_READ)
    with rt.uow() as uow:
        return [RegionView.of(r) for r in uow.regions.list(parent_code=parent_code, level=level, keyword=keyword)]


def get_region(rt: Runtime, principal: Principal, code: str) -> RegionView:
    require(principal, Operation.REGION_READ)
    with rt.uow() as uow:
        region = uow.regions.get(code)
        if region is None:
            raise NotFound("行政区划", code)
        return RegionView.of(region)


def load_regions(rt: Runtime, regions: Sequence[Region]) -> int:
    """Add the regions not yet known (operators' reference-data load); returns how many were new."""
    with rt.uow() as uow:
        added = uow.regions.add_many(regions)
        uow.commit()
        return added
