"""Login (登录), the current account (我的) and password change (修改密码, P-11)."""

from typing import Any

from litestar import Controller, Request, get, post
from litestar.security.jwt import JWTAuth
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from apps.api.schemas import ChangePasswordIn, LoginIn, LoginOut
from apps.api.security import issue_token
from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.services import auth
from yiyangkang.services.views import AccountView


class AuthController(Controller):
    path = "/api/v1"
    tags = ["登录与账号"]

    @post("/auth/login", operation_id="login", status_code=HTTP_200_OK, sync_to_thread=True,
          summary="账号密码登录", description="用户名或手机号 + 密码；连续输错将锁定账号。")
    def login(self, data: LoginIn, rt: Container, request: Request[Any, Any, Any]) -> LoginOut:
        result = auth.login(rt, data.login, data.password)
        jwt_auth: JWTAuth[Principal] = request.app.state.jwt_auth
        ttl = rt.settings.token_ttl
        return LoginOut(access_token=issue_token(jwt_auth, result, ttl), token_type="Bearer",
                        expires_in=int(ttl.total_seconds()), account_id=result.account_id, role=result.role.value)

    @get("/me", operation_id="me", sync_to_thread=True, summary="当前账号")
    def me(self, rt: Container, principal: Principal) -> AccountView:
        return auth.me(rt, principal)

    @post("/me/password", operation_id="changePassword", status_code=HTTP_204_NO_CONTENT, sync_to_thread=True,
          summary="修改密码", description="修改后此前签发的令牌全部失效。")
    def change_password(self, data: ChangePasswordIn, rt: Container, principal: Principal) -> None:
        auth.change_password(rt, principal, data.old_password, data.new_password)
