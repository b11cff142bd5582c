"""Account administration (账号管理) and the audit trail (审计日志)."""

from litestar import Controller, get, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from apps.api.deps import form_of
from apps.api.schemas import AccountIn, DisableIn, PageOut, ResetPasswordIn
from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.accounts import Role
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.services import accounts, audit
from yiyangkang.services.accounts import AccountForm
from yiyangkang.services.views import AccountView, AuditEventView


class AccountController(Controller):
    path = "/api/v1/accounts"
    tags = ["账号管理"]

    @get("/", operation_id="listAccounts", sync_to_thread=True, summary="账号列表（权限范围内）")
    def list_accounts(
        self, rt: Container, principal: Principal, paging: PageRequest, role: Role | None = None,
        keyword: str | None = Parameter(default=None, max_length=64),
    ) -> PageOut[AccountView]:
        return PageOut.of(accounts.list_accounts(rt, principal, paging, role=role, keyword=keyword))

    @post("/", operation_id="createAccount", sync_to_thread=True, summary="开通账号")
    def create(self, rt: Container, principal: Principal, data: AccountIn) -> AccountView:
        form, _ = form_of(AccountForm, data)
        return accounts.create_account(rt, principal, form)

    @get("/{account_id:str}", operation_id="getAccount", sync_to_thread=True, summary="账号详情")
    def get_account(self, rt: Container, principal: Principal, account_id: str) -> AccountView:
        return accounts.get_account(rt, principal, account_id)

    @post("/{account_id:str}/unlock", operation_id="unlockAccount", status_code=HTTP_200_OK, sync_to_thread=True,
          summary="解锁账号")
    def unlock(self, rt: Container, principal: Principal, account_id: str) -> AccountView:
        return accounts.unlock_account(rt, principal, account_id)

    @post("/{account_id:str}/disable", operation_id="disableAccount", status_code=HTTP_200_OK, sync_to_thread=True,
          summary="停用账号")
    def disable(self, rt: Container, principal: Principal, account_id: str, data: DisableIn) -> AccountView:
        return accounts.set_account_enabled(rt, principal, account_id, False, data.reason)

    @post("/{account_id:str}/enable", operation_id="enableAccount", status_code=HTTP_200_OK, sync_to_thread=True,
          summary="启用账号")
    def enable(self, rt: Container, principal: Principal, account_id: str) -> AccountView:
        return accounts.set_account_enabled(rt, principal, account_id, True)

    @post("/{account_id:str}/password", operation_id="resetPassword", status_code=HTTP_204_NO_CONTENT,
          sync_to_thread=True, summary="重置密码")
    def reset_password(self, rt: Container, principal: Principal, account_id: str, data: ResetPasswordIn) -> None:
        accounts.reset_password(rt, principal, account_id, data.new_password)


class AuditController(Controller):
    path = "/api/v1/audit-events"
    tags = ["审计日志"]

    @get("/", operation_id="listAuditEvents", sync_to_thread=True, summary="审计日志")
    def list_events(
        self, rt: Container, principal: Principal, paging: PageRequest,
        aggregate: str | None = Parameter(default=None, max_length=32),
        aggregate_id: str | None = Parameter(default=None, max_length=64),
    ) -> PageOut[AuditEventView]:
        return PageOut.of(audit.list_audit_events(rt, principal, paging, aggregate=aggregate,
                                                  aggregate_id=aggregate_id))
