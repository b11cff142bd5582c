"""`yyk users create`: open an account from the console."""

from __future__ import annotations

import pytest

from tests.cli.conftest import Yyk, assert_clean_failure
from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.accounts import Role
from yiyangkang.domain.kernel.errors import AuthenticationFailed
from yiyangkang.services import auth

PASSWORD = "Kang2026-ops"


def _exists(rt: Container, username: str) -> bool:
    with rt.uow() as uow:
        return uow.accounts.by_login(username) is not None


def test_create_an_operator_who_can_log_in(yyk: Yyk, migrated: None, container: Container) -> None:
    result = yyk("users", "create", "--username", "ops_li", "--role", "platform_operator", "--password", PASSWORD)

    assert result.exit_code == 0, result.output
    assert "已开通账号 ops_li" in result.stdout
    login = auth.login(container, "ops_li", PASSWORD)
    assert login.role is Role.PLATFORM_OPERATOR
    with pytest.raises(AuthenticationFailed):
        auth.login(container, "ops_li", PASSWORD + "x")


def test_password_is_prompted_for_when_omitted(yyk: Yyk, migrated: None, container: Container) -> None:
    result = yyk("users", "create", "--username", "auditor_wu", "--role", "gov_auditor",
                 input=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input
    assert auth.login(container, "auditor_wu", PASSWORD).role is Role.GOV_AUDITOR


@pytest.mark.parametrize("weak", ["short1", "onlyletterslong", "12345678901", "ops_zhao2026x"])
def test_a_weak_password_is_refused(yyk: Yyk, migrated: None, container: Container, weak: str) -> None:
    result = yyk("users", "create", "--username", "ops_zhao", "--role", "platform_operator", "--password", weak)

    assert_clean_failure(result)
    assert "密码" in result.output
    assert not _exists(container, "ops_zhao")


def test_a_taken_username_is_refused(yyk: Yyk, migrated: None, container: Container) -> None:
    first = yyk("users", "create", "--username", "ops_li", "--role", "platform_operator", "--password", PASSWORD)
    assert first.exit_code == 0, first.output

    second = yyk("users", "create", "--username", "ops_li", "--role", "gov_auditor", "--password", PASSWORD + "2")

    assert_clean_failure(second)
    assert "已被使用" in second.output
    assert auth.login(container, "ops_li", PASSWORD).role is Role.PLATFORM_OPERATOR


def test_an_institution_admin_needs_an_institution(yyk: Yyk, migrated: None, container: Container) -> None:
    result = yyk("users", "create", "--username", "admin_x", "--role", "institution_admin", "--password", PASSWORD)

    assert_clean_failure(result)
    assert "请指定所属机构" in result.output
    assert not _exists(container, "admin_x")


def test_an_institution_admin_for_a_registered_institution(
    yyk: Yyk, institution_id: str, container: Container
) -> None:
    result = yyk("users", "create", "--username", "admin_yuexiu", "--role", "institution_admin",
                 "--institution-id", institution_id, "--password", PASSWORD)

    assert result.exit_code == 0, result.output
    login = auth.login(container, "admin_yuexiu", PASSWORD)
    assert login.role is Role.INSTITUTION_ADMIN
    with container.uow() as uow:
        account = uow.accounts.get(login.account_id)
        assert account is not None
        assert account.institution_id == institution_id


def test_an_unknown_role_is_refused_by_click(yyk: Yyk, migrated: None) -> None:
    result = yyk("users", "create", "--username", "x_user", "--role", "superuser", "--password", PASSWORD)

    assert result.exit_code == 2
    assert "Traceback" not in result.output
