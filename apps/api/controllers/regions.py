"""Administrative regions (行政区划)."""

from litestar import Controller, get
from litestar.params import Parameter

from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.orgs.regions import RegionLevel
from yiyangkang.services import regions
from yiyangkang.services.views import RegionView


class RegionController(Controller):
    path = "/api/v1/regions"
    tags = ["行政区划"]

    @get("/", operation_id="listRegions", sync_to_thread=True, summary="行政区划列表")
    def list_regions(
        self, rt: Container, principal: Principal,
        parent_code: str | None = Parameter(default=None, max_length=12, description="上级区划代码"),
        level: RegionLevel | None = None,
        keyword: str | None = Parameter(default=None, max_length=32),
    ) -> list[RegionView]:
        return regions.list_regions(rt, principal, parent_code=parent_code, level=level, keyword=keyword)

    @get("/{code:str}", operation_id="getRegion", sync_to_thread=True, summary="行政区划详情")
    def get_region(self, rt: Container, principal: Principal, code: str) -> RegionView:
        return regions.get_region(rt, principal, code)
