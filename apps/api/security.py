"""Authentication: Litestar's JWT bearer auth; the token names the account and its token version.

Every request resolves the principal afresh from the database (role, institution subtree, linked
elders), so a disabled account, a changed password or an unlinked elder takes effect at once.
"""

from datetime import timedelta
from typing import Any

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTAuth, Token

from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.services.auth import LoginResult, resolve_principal

# Regexes searched in the path: anchored, or "/api/v1/elders/schema" would slip past authentication.
# The application form opened by a QR code is public: its signed token is the key.
PUBLIC_PATHS = ["^/schema(/|$)", "^/healthz$", "^/api/v1/auth/login$", "^/api/v1/homebed/apply-form/?$",
                "^/api/v1/payments/[a-z]+/notify$"]


def make_jwt_auth(container: Container) -> JWTAuth[Principal]:
    async def retrieve(token: Token, _connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
        version = token.extras.get("tv")
        if not isinstance(version, int):
            return None
        return await anyio.to_thread.run_sync(resolve_principal, container, token.sub, version)

    return JWTAuth[Principal](
        retrieve_user_handler=retrieve,
        token_secret=container.settings.jwt_secret,
        exclude=PUBLIC_PATHS,
        default_token_expiration=container.settings.token_ttl,
        description="登录后获得的访问令牌：Authorization: Bearer <token>",
    )


def issue_token(auth: JWTAuth[Principal], result: LoginResult, ttl: timedelta) -> str:
    return auth.create_token(identifier=result.account_id, token_expiration=ttl,
                             token_extras={"tv": result.token_version, "role": result.role.value})
