"""`create_app()`: the Litestar application factory."""

import logging
from typing import Any
from urllib.parse import unquote

from litestar import Litestar, Request, get
from litestar.di import Provide
from litestar.exceptions import ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.attrs import AttrsSchemaPlugin
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE

from apps.api.controllers.accounts import AccountController, AuditController
from apps.api.controllers.auth import AuthController
from apps.api.controllers.elders import ElderController
from apps.api.controllers.homebed import (
    ApplicationController,
    ApplyFormController,
    AssessmentController,
    ContractController,
    RenovationController,
)
from apps.api.controllers.homebed_config import HomeBedConfigController
from apps.api.controllers.homebed_orders import (
    HomeBedExceptionController,
    HomeBedOrderController,
    HomeBedReportController,
)
from apps.api.controllers.institutions import InstitutionController, StaffController
from apps.api.controllers.mall import (
    MallCatalogueController,
    MallCategoryController,
    MallConfigController,
    MallSearchController,
)
from apps.api.controllers.mall_orders import (
    MallAfterSaleController,
    MallExceptionController,
    MallOrderController,
    MallRatingController,
    MallTradeController,
    MallVerifyController,
)
from apps.api.controllers.money_reports import MoneyReportController
from apps.api.controllers.monitoring import (
    AlarmRuleController,
    DeadLetterController,
    DeviceController,
    DeviceIngestController,
    DeviceModelController,
    SimCardController,
)
from apps.api.controllers.monitoring_alarms import AlarmController, CheckupDocumentController, VitalsController
from apps.api.controllers.payments import PaymentAdminController, PaymentNoticeController
from apps.api.controllers.points import (
    PointsActivityController,
    PointsEnrolmentController,
    PointsExchangeController,
    PointsGoodController,
    PointsLedgerController,
    ServicePointsController,
)
from apps.api.controllers.regions import RegionController
from apps.api.controllers.suppliers import SupplierController
from apps.api.controllers.vouchers import ProcurementController, VoucherBatchController, VoucherController
from apps.api.deps import provide_page, provide_principal
from apps.api.errors import EXCEPTION_HANDLERS, problem
from apps.api.jobs import PeriodicJobs
from apps.api.schemas import Health
from apps.api.security import make_jwt_auth
from yiyangkang.bootstrap import Container, build

log = logging.getLogger("yiyangkang.api")


def create_app(container: Container | None = None) -> Litestar:
    rt = container or build()
    jwt_auth = make_jwt_auth(rt)

    @get("/healthz", operation_id="health", tags=["运维"], sync_to_thread=True, summary="健康检查（含数据库）")
    def healthz() -> Health:
        try:
            rt.check_health()
            current, _head = rt.database_revision()
        except Exception:
            log.exception("health check failed")
            raise _Unavailable() from None
        return Health(status="ok", database="ok", revision=current)

    def refuse_control_characters(request: Request[Any, Any, Any]) -> None:
        """Path and query text reach SQL as parameters; PostgreSQL refuses NUL, so refuse it here."""
        raw = unquote(request.scope.get("raw_path", b"").decode("latin-1")) + unquote(
            request.scope.get("query_string", b"").decode("latin-1"))
        if any(ord(c) < 32 or ord(c) == 127 for c in raw):
            raise ValidationException("请求地址或参数含有控制字符")

    jobs = PeriodicJobs(rt, rt.settings.jobs_minutes) if rt.settings.jobs_minutes > 0 else None

    def on_startup() -> None:
        if jobs is not None:
            jobs.start()

    def on_shutdown() -> None:
        if jobs is not None:
            jobs.stop()
        if container is None:
            rt.dispose()

    app = Litestar(
        route_handlers=[
            healthz, AuthController, RegionController, InstitutionController, StaffController,
            ElderController, AccountController, AuditController, HomeBedConfigController, ApplyFormController,
            ApplicationController, ContractController, AssessmentController, RenovationController,
            HomeBedOrderController, HomeBedExceptionController, HomeBedReportController,
            DeviceModelController, DeviceController, SimCardController, AlarmRuleController, DeadLetterController,
            DeviceIngestController, AlarmController, VitalsController, CheckupDocumentController,
            PointsActivityController, PointsEnrolmentController, PointsGoodController, PointsExchangeController,
            PointsLedgerController, ServicePointsController,
            ProcurementController, VoucherBatchController, VoucherController,
            MallCategoryController, MallSearchController, MallCatalogueController, MallConfigController,
            MallTradeController, MallOrderController, MallVerifyController, MallAfterSaleController,
            MallRatingController, MallExceptionController, PaymentNoticeController, PaymentAdminController,
            SupplierController, MoneyReportController,
        ],
        # Uploads are at most 10 MB; the multipart envelope needs a little more.
        request_max_body_size=11 * 1024 * 1024,
        dependencies={
            "rt": Provide(lambda: rt, sync_to_thread=False),
            "principal": Provide(provide_principal, sync_to_thread=False),
            "paging": Provide(provide_page, sync_to_thread=False),
        },
        exception_handlers={**EXCEPTION_HANDLERS, _Unavailable: _unavailable},
        before_request=refuse_control_characters,
        on_app_init=[jwt_auth.on_app_init],
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        plugins=[AttrsSchemaPlugin()],
        openapi_config=OpenAPIConfig(
            title="医养康 yiyangkang API",
            version="1.0.0",
            description="医养康智慧服务一体化云平台接口。错误统一返回 {code, message, details}。",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin(path="/"), ScalarRenderPlugin(path="/scalar")],
            components=Components(security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
            }),
        ),
    )
    app.state.jwt_auth = jwt_auth
    return app


class _Unavailable(Exception):
    pass


def _unavailable(_request, _exc):  # type: ignore[no-untyped-def]
    return problem(HTTP_503_SERVICE_UNAVAILABLE, "DATABASE_UNAVAILABLE", "数据库暂不可用")
