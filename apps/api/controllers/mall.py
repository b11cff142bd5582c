"""The mall's catalogue side (A-01…A-04, A-13, M-01…M-04): categories, products and their review,
packages, buy-gift rules, mall configuration and settings; search, stores, product detail."""

from typing import Annotated, Any

from litestar import Controller, Response, delete, get, patch, post, put
from litestar.datastructures import UploadFile
from litestar.params import Parameter

from apps.api.deps import Multipart, OptionalId, file_response, form_of, upload_of
from apps.api.mall_schemas import (
    ActiveIn,
    BuyGiftIn,
    CategoryIn,
    ListedIn,
    MallConfigIn,
    MallSettingsIn,
    PackageIn,
    ProductIn,
    ReviewDecisionIn,
    StockIn,
)
from apps.api.schemas import PageOut
from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.mall.catalogue import Fulfilment
from yiyangkang.domain.mall.review import ReviewState, ReviewSubject
from yiyangkang.services.mall import browse, catalogue, offers, ratings
from yiyangkang.services.mall import config as mall_config
from yiyangkang.services.mall.browse import NearbyStore, ProductDetail, SearchForm, StorePage
from yiyangkang.services.mall.catalogue import CategoryForm, ProductForm
from yiyangkang.services.mall.config import AreaForm, MallConfigForm, PlaceForm
from yiyangkang.services.mall.offers import BuyGiftForm, PackageForm
from yiyangkang.services.mall.views import (
    BuyGiftView,
    CategoryNode,
    CategoryView,
    MallConfigView,
    MallSettingsView,
    PackageView,
    ProductView,
    RatingView,
    SellerProductView,
)

Keyword = Parameter(default=None, max_length=40, description="关键词：名称、分类、标签、机构（支持中文）")


class MallCategoryController(Controller):
    path = "/api/v1/mall/categories"
    tags = ["商城·服务目录"]

    @get("/tree", operation_id="mallCategoryTree", sync_to_thread=True, summary="服务目录（分类树）")
    def tree(self, rt: Container, principal: Principal) -> list[CategoryNode]:
        return catalogue.category_tree(rt, principal)

    @get("/", operation_id="listMallCategories", sync_to_thread=True, summary="全部分类（含停用）")
    def list_all(self, rt: Container, principal: Principal) -> list[CategoryView]:
        return catalogue.list_categories(rt, principal)

    @post("/", operation_id="createMallCategory", sync_to_thread=True, summary="新增分类（平台运营）")
    def create(self, rt: Container, principal: Principal, data: CategoryIn) -> CategoryView:
        form, _ = form_of(CategoryForm, data)
        return catalogue.create_category(rt, principal, form)

    @patch("/{category_id:str}", operation_id="updateMallCategory", sync_to_thread=True, summary="修改分类")
    def update(self, rt: Container, principal: Principal, category_id: str, data: CategoryIn) -> CategoryView:
        form, version = form_of(CategoryForm, data)
        return catalogue.update_category(rt, principal, category_id, form, version)


class MallSearchController(Controller):
    path = "/api/v1/mall"
    tags = ["商城·找服务"]

    @get("/products", operation_id="searchMallProducts", sync_to_thread=True,
         summary="搜索商品与服务（关键词、分类、履约方式、价格区间、机构、属性；排序）")
    def search(
        self, rt: Container, principal: Principal, paging: PageRequest, keyword: str | None = Keyword,
        category_id: str | None = OptionalId, fulfilment: str | None = Parameter(default=None, max_length=16),
        min_price_fen: int | None = Parameter(default=None, ge=0), max_price_fen: int | None = Parameter(
            default=None, ge=0), institution_id: str | None = OptionalId,
        attribute: list[str] | None = Parameter(default=None, max_items=10,
                                                description="属性筛选，格式“名称:取值”，可重复"),
        sort: str | None = Parameter(default=None, max_length=16,
                                     description="sales|price_asc|price_desc|newest|rating"),
    ) -> PageOut[ProductView]:
        attributes = dict(a.split(":", 1) for a in attribute or [] if ":" in a)
        form = SearchForm(keyword=keyword, category_id=category_id, fulfilment=fulfilment, min_price_fen=min_price_fen,
                          max_price_fen=max_price_fen, institution_id=institution_id, attributes=attributes, sort=sort)
        return PageOut.of(browse.search_products(rt, principal, form, paging))

    @get("/products/{product_id:str}", operation_id="getMallProduct", sync_to_thread=True,
         summary="商品详情（图片、销量、评价、描述、店铺、买赠与套餐）")
    def detail(self, rt: Container, principal: Principal, product_id: str) -> ProductDetail:
        return browse.product_detail(rt, principal, product_id)

    @get("/products/{product_id:str}/ratings", operation_id="mallProductRatings", sync_to_thread=True,
         summary="商品评价（不含已隐藏的）")
    def product_ratings(self, rt: Container, principal: Principal, product_id: str,
                        paging: PageRequest) -> PageOut[RatingView]:
        return PageOut.of(ratings.product_ratings(rt, principal, product_id, paging))

    @get("/products/{product_id:str}/images/{key:path}", operation_id="getMallProductImage", sync_to_thread=True,
         summary="商品图片", media_type="application/octet-stream")
    def image(self, rt: Container, principal: Principal, product_id: str, key: str) -> Response[bytes]:
        return file_response(*catalogue.product_image(rt, principal, product_id, key.lstrip("/")))

    @get("/stores/nearby", operation_id="nearbyMallStores", sync_to_thread=True,
         summary="附近服务机构（服务区域覆盖该地址；按距离或销量排序）")
    def nearby(
        self, rt: Container, principal: Principal, elder_id: str | None = OptionalId,
        address_id: str | None = OptionalId, lng: float | None = Parameter(default=None, ge=-180, le=180),
        lat: float | None = Parameter(default=None, ge=-90, le=90),
        region_code: str | None = Parameter(default=None, max_length=12),
        sort: str = Parameter(default="distance", max_length=16, description="distance|sales"),
        limit: int = Parameter(default=20, ge=1, le=100),
    ) -> list[NearbyStore]:
        return browse.nearby_institutions(rt, principal, elder_id=elder_id, address_id=address_id, lng=lng, lat=lat,
                                          region_code=region_code, sort=sort, limit=limit)

    @get("/stores/{institution_id:str}", operation_id="getMallStore", sync_to_thread=True,
         summary="机构店铺（分类商品、买赠专区、优惠套餐、店铺信息）")
    def store(self, rt: Container, principal: Principal, institution_id: str) -> StorePage:
        return browse.store_page(rt, principal, institution_id)


class MallCatalogueController(Controller):
    path = "/api/v1/mall/catalogue"
    tags = ["商城·商品库与审核"]

    @get("/products", operation_id="listSellerProducts", sync_to_thread=True,
         summary="商品库（本机构及下级；含待审核、已驳回）")
    def list_products(
        self, rt: Container, principal: Principal, paging: PageRequest, institution_id: str | None = OptionalId,
        review: ReviewState | None = None, fulfilment: Fulfilment | None = None, keyword: str | None = Keyword,
    ) -> PageOut[SellerProductView]:
        return PageOut.of(catalogue.list_products(rt, principal, paging, institution_id=institution_id, review=review,
                                                  fulfilment=fulfilment, keyword=keyword))

    @post("/products", operation_id="createProduct", sync_to_thread=True, summary="发布商品（提交审核）")
    def create_product(self, rt: Container, principal: Principal, data: ProductIn) -> SellerProductView:
        form, _ = form_of(ProductForm, data)
        return catalogue.create_product(rt, principal, form)

    @get("/products/{product_id:str}", operation_id="getSellerProduct", sync_to_thread=True,
         summary="商品详情（在售版本与待审核版本）")
    def get_product(self, rt: Container, principal: Principal, product_id: str) -> SellerProductView:
        return catalogue.get_seller_product(rt, principal, product_id)

    @patch("/products/{product_id:str}", operation_id="updateProduct", sync_to_thread=True,
           summary="修改商品（变更须审核，审核前在售版本不变）")
    def update_product(self, rt: Container, principal: Principal, product_id: str,
                       data: ProductIn) -> SellerProductView:
        form, version = form_of(ProductForm, data)
        return catalogue.update_product(rt, principal, product_id, form, version)

    @post("/products/{product_id:str}/images", operation_id="addProductImage", sync_to_thread=True,
          summary="上传商品图片（JPG/PNG，≤10MB；须审核）")
    def add_image(self, rt: Container, principal: Principal, product_id: str,
                  data: Annotated[UploadFile, Multipart]) -> SellerProductView:
        return catalogue.attach_image(rt, principal, product_id, upload_of(data))

    @delete("/products/{product_id:str}/images/{key:path}", operation_id="removeProductImage", sync_to_thread=True,
            summary="删除商品图片（须审核）", status_code=200)
    def remove_image(self, rt: Container, principal: Principal, product_id: str, key: str) -> SellerProductView:
        return catalogue.remove_image(rt, principal, product_id, key.lstrip("/"))

    @post("/products/{product_id:str}/listing", operation_id="listProduct", sync_to_thread=True,
          summary="上架 / 下架", status_code=200)
    def listing(self, rt: Container, principal: Principal, product_id: str, data: ListedIn) -> SellerProductView:
        return catalogue.set_listed(rt, principal, product_id, data.listed)

    @post("/products/{product_id:str}/stock", operation_id="adjustStock", sync_to_thread=True,
          summary="库存调整（正数入库，负数出库）", status_code=200)
    def stock(self, rt: Container, principal: Principal, product_id: str, data: StockIn) -> SellerProductView:
        return catalogue.adjust_stock(rt, principal, product_id, data.delta, data.reason)

    @post("/products/{product_id:str}/review", operation_id="reviewProduct", sync_to_thread=True,
          summary="审核商品（按审核权限配置）", status_code=200)
    def review_product(self, rt: Container, principal: Principal, product_id: str,
                       data: ReviewDecisionIn) -> SellerProductView:
        return catalogue.review_product(rt, principal, product_id, approve=data.approve, note=data.note,
                                        expected_version=data.version)

    @get("/packages", operation_id="listPackages", sync_to_thread=True, summary="服务包列表")
    def list_packages(self, rt: Container, principal: Principal, paging: PageRequest,
                      institution_id: str | None = OptionalId,
                      review: ReviewState | None = None) -> PageOut[PackageView]:
        return PageOut.of(offers.list_packages(rt, principal, paging, institution_id=institution_id, review=review))

    @post("/packages", operation_id="createPackage", sync_to_thread=True,
          summary="新建服务包（同一机构的商品；提交审核）")
    def create_package(self, rt: Container, principal: Principal, data: PackageIn) -> PackageView:
        return offers.create_package(rt, principal, _package_form(data))

    @get("/packages/{package_id:str}", operation_id="getPackage", sync_to_thread=True, summary="服务包详情")
    def get_package(self, rt: Container, principal: Principal, package_id: str) -> PackageView:
        return offers.get_package(rt, principal, package_id)

    @patch("/packages/{package_id:str}", operation_id="updatePackage", sync_to_thread=True,
           summary="修改服务包（重新审核）")
    def update_package(self, rt: Container, principal: Principal, package_id: str, data: PackageIn) -> PackageView:
        return offers.update_package(rt, principal, package_id, _package_form(data), data.version)

    @post("/packages/{package_id:str}/review", operation_id="reviewPackage", sync_to_thread=True,
          summary="审核服务包", status_code=200)
    def review_package(self, rt: Container, principal: Principal, package_id: str, data: ReviewDecisionIn) -> Any:
        return offers.review_offer(rt, principal, ReviewSubject.PACKAGE, package_id, approve=data.approve,
                                   note=data.note, expected_version=data.version)

    @post("/packages/{package_id:str}/active", operation_id="activatePackage", sync_to_thread=True,
          summary="服务包上架 / 下架", status_code=200)
    def package_active(self, rt: Container, principal: Principal, package_id: str, data: ActiveIn) -> Any:
        return offers.set_offer_active(rt, principal, ReviewSubject.PACKAGE, package_id, data.active)

    @get("/buy-gifts", operation_id="listBuyGifts", sync_to_thread=True, summary="买赠规则列表")
    def list_rules(self, rt: Container, principal: Principal, paging: PageRequest,
                   institution_id: str | None = OptionalId,
                   review: ReviewState | None = None) -> PageOut[BuyGiftView]:
        return PageOut.of(offers.list_rules(rt, principal, paging, institution_id=institution_id, review=review))

    @post("/buy-gifts", operation_id="createBuyGift", sync_to_thread=True, summary="新建买赠规则（提交审核）")
    def create_rule(self, rt: Container, principal: Principal, data: BuyGiftIn) -> BuyGiftView:
        form, _ = form_of(BuyGiftForm, data)
        return offers.create_rule(rt, principal, form)

    @patch("/buy-gifts/{rule_id:str}", operation_id="updateBuyGift", sync_to_thread=True,
           summary="修改买赠规则（重新审核）")
    def update_rule(self, rt: Container, principal: Principal, rule_id: str, data: BuyGiftIn) -> BuyGiftView:
        form, version = form_of(BuyGiftForm, data)
        return offers.update_rule(rt, principal, rule_id, form, version)

    @post("/buy-gifts/{rule_id:str}/review", operation_id="reviewBuyGift", sync_to_thread=True,
          summary="审核买赠规则", status_code=200)
    def review_rule(self, rt: Container, principal: Principal, rule_id: str, data: ReviewDecisionIn) -> Any:
        return offers.review_offer(rt, principal, ReviewSubject.PROMOTION, rule_id, approve=data.approve,
                                   note=data.note, expected_version=data.version)

    @post("/buy-gifts/{rule_id:str}/active", operation_id="activateBuyGift", sync_to_thread=True,
          summary="买赠规则启用 / 停用", status_code=200)
    def rule_active(self, rt: Container, principal: Principal, rule_id: str, data: ActiveIn) -> Any:
        return offers.set_offer_active(rt, principal, ReviewSubject.PROMOTION, rule_id, data.active)


def _package_form(data: PackageIn) -> PackageForm:
    pairs = None if data.items is None else [(i.product_id, i.quantity) for i in data.items]
    return PackageForm(institution_id=data.institution_id, name=data.name, items=pairs, price_fen=data.price_fen,
                       description=data.description)


class MallConfigController(Controller):
    path = "/api/v1/mall"
    tags = ["商城·配置"]

    @get("/configs/{institution_id:str}", operation_id="getMallConfig", sync_to_thread=True,
         summary="机构商城配置（服务区域、到店/发货/自提地址）")
    def get_config(self, rt: Container, principal: Principal, institution_id: str) -> MallConfigView:
        return mall_config.get_mall_config(rt, principal, institution_id)

    @put("/configs/{institution_id:str}", operation_id="putMallConfig", sync_to_thread=True,
         summary="设置机构商城配置（未提交的部分保持不变）")
    def put_config(self, rt: Container, principal: Principal, institution_id: str,
                   data: MallConfigIn) -> MallConfigView:
        def area(a: Any) -> AreaForm | None:
            return None if a is None else AreaForm(region_codes=a.region_codes, radius_m=a.radius_m,
                                                   center_lng=a.center_lng, center_lat=a.center_lat)

        def place(p: Any) -> PlaceForm | None:
            return None if p is None else PlaceForm(address=p.address, notes=p.notes, phone=p.phone, lng=p.lng,
                                                    lat=p.lat)

        form = MallConfigForm(home_visit_area=area(data.home_visit_area), delivery_area=area(data.delivery_area),
                              store=place(data.store), shipping_from=place(data.shipping_from),
                              pickup=place(data.pickup))
        return mall_config.put_mall_config(rt, principal, institution_id, form, data.version)

    @get("/settings", operation_id="getMallSettings", sync_to_thread=True,
         summary="商城设置（审核权限、付款与取消时限、异常规则）")
    def get_settings(self, rt: Container, principal: Principal) -> MallSettingsView:
        return mall_config.get_mall_settings(rt, principal)

    @put("/settings", operation_id="putMallSettings", sync_to_thread=True, summary="修改商城设置（平台运营）")
    def put_settings(self, rt: Container, principal: Principal, data: MallSettingsIn) -> MallSettingsView:
        return mall_config.update_mall_settings(rt, principal, data.values, data.version)
