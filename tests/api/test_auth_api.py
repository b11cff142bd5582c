"""Login, lockout, tokens, the current account and password change (P-11) over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.api.conftest import Api, assert_error, field_error, login
from tests.world import PASSWORD

LOGIN = "/api/v1/auth/login"
NEW_PASSWORD = "Fresh-pass-2026"


def attempt(client: TestClient[Any], username: str, password: str) -> Any:
    return client.post(LOGIN, json={"login": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- login ---------------------------------------------------------------------------------------

def test_login_by_username_returns_a_bearer_token(api: Api) -> None:
    response = attempt(api.client, "admin_A1", PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["access_token"]
    assert body["expires_in"] > 0
    assert body["account_id"] == api.world.accounts["admin_A1"]
    assert body["role"] == "institution_admin"


def test_account_without_phone_logs_in_by_username_and_user_name_is_trimmed(api: Api) -> None:
    me = api.client.get("/api/v1/me", headers=api.headers("elder_A"))
    assert me.json()["phone"] is None
    response = attempt(api.client, "  elder_A ", PASSWORD)
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "elder"


def test_login_by_mobile_number(api: Api) -> None:
    operator = api.headers("operator")
    created = api.client.post("/api/v1/accounts", headers=operator, json={
        "username": "auditor_phone", "password": PASSWORD, "role": "gov_auditor", "phone": "13912345678",
    })
    assert created.status_code == 201, created.text
    response = attempt(api.client, "13912345678", PASSWORD)
    assert response.status_code == 200, response.text
    assert response.json()["account_id"] == created.json()["id"]


def test_wrong_password_is_401_with_attempts_left(fresh_api: Api) -> None:
    body = assert_error(attempt(fresh_api.client, "admin_A1", "Wrong-pass-1"), 401, "AUTHENTICATION_FAILED")
    assert body["details"] == {"attempts_left": 4}
    body = assert_error(attempt(fresh_api.client, "admin_A1", "Wrong-pass-2"), 401, "AUTHENTICATION_FAILED")
    assert body["details"] == {"attempts_left": 3}


def test_unknown_login_answers_like_a_wrong_password(api: Api) -> None:
    body = assert_error(attempt(api.client, "nobody_here", PASSWORD), 401, "AUTHENTICATION_FAILED")
    assert "attempts_left" not in (body["details"] or {})


def test_a_good_login_resets_the_failure_count(fresh_api: Api) -> None:
    for _ in range(4):
        assert_error(attempt(fresh_api.client, "staff_A1", "Wrong-pass-1"), 401, "AUTHENTICATION_FAILED")
    login(fresh_api.client, "staff_A1")
    body = assert_error(attempt(fresh_api.client, "staff_A1", "Wrong-pass-1"), 401, "AUTHENTICATION_FAILED")
    assert body["details"] == {"attempts_left": 4}


# --- lockout -------------------------------------------------------------------------------------

def lock_out(client: TestClient[Any], username: str) -> None:
    """Five wrong passwords in a row (lockout_threshold=5); the fifth already reports the lock."""
    for left in (4, 3, 2, 1):
        body = assert_error(attempt(client, username, "Wrong-pass-0"), 401, "AUTHENTICATION_FAILED")
        assert body["details"] == {"attempts_left": left}
    body = assert_error(attempt(client, username, "Wrong-pass-0"), 401, "AUTH_ACCOUNT_LOCKED")
    assert body["details"]["locked_until"]


def test_five_wrong_passwords_lock_the_account_even_for_the_right_password(fresh_api: Api) -> None:
    lock_out(fresh_api.client, "admin_A1")
    body = assert_error(attempt(fresh_api.client, "admin_A1", PASSWORD), 401, "AUTH_ACCOUNT_LOCKED")
    assert body["details"]["locked_until"]
    state = fresh_api.client.get(f"/api/v1/accounts/{fresh_api.world.accounts['admin_A1']}",
                                 headers=fresh_api.headers("operator"))
    assert state.json()["status"] == "locked"


def test_a_locked_account_tokens_stop_working(fresh_api: Api) -> None:
    headers = fresh_api.headers("admin_A1")
    assert fresh_api.client.get("/api/v1/me", headers=headers).status_code == 200
    lock_out(fresh_api.client, "admin_A1")
    assert_error(fresh_api.client.get("/api/v1/me", headers=headers), 401, "AUTHENTICATION_REQUIRED")


def test_operator_unlocks_and_login_works_again(fresh_api: Api) -> None:
    client, account_id = fresh_api.client, fresh_api.world.accounts["admin_A1"]
    lock_out(client, "admin_A1")
    unlocked = client.post(f"/api/v1/accounts/{account_id}/unlock", headers=fresh_api.headers("operator"))
    assert unlocked.status_code == 200, unlocked.text
    assert unlocked.json()["status"] == "active"
    assert unlocked.json()["locked_until"] is None
    assert attempt(client, "admin_A1", PASSWORD).status_code == 200
    # The failure count started afresh.
    body = assert_error(attempt(client, "admin_A1", "Wrong-pass-0"), 401, "AUTHENTICATION_FAILED")
    assert body["details"] == {"attempts_left": 4}


def test_parent_institution_admin_may_unlock_a_subordinate_admin(fresh_api: Api) -> None:
    client, account_id = fresh_api.client, fresh_api.world.accounts["admin_A1"]
    lock_out(client, "admin_A1")
    assert_error(client.post(f"/api/v1/accounts/{account_id}/unlock", headers=fresh_api.headers("admin_B")), 404)
    assert_error(client.post(f"/api/v1/accounts/{account_id}/unlock", headers=fresh_api.headers("admin_A2")), 404)
    assert client.post(f"/api/v1/accounts/{account_id}/unlock", headers=fresh_api.headers("admin_A")).status_code == 200
    assert attempt(client, "admin_A1", PASSWORD).status_code == 200


def test_the_lock_ends_by_itself_after_fifteen_minutes(fresh_api: Api) -> None:
    client = fresh_api.client
    lock_out(client, "admin_A1")
    fresh_api.clock.advance(minutes=14, seconds=59)
    assert_error(attempt(client, "admin_A1", PASSWORD), 401, "AUTH_ACCOUNT_LOCKED")
    fresh_api.clock.advance(seconds=2)
    response = attempt(client, "admin_A1", PASSWORD)
    assert response.status_code == 200, response.text


# --- tokens --------------------------------------------------------------------------------------

def test_no_token_is_401_authentication_required(api: Api) -> None:
    assert_error(api.client.get("/api/v1/me"), 401, "AUTHENTICATION_REQUIRED")
    assert_error(api.client.get("/api/v1/elders"), 401, "AUTHENTICATION_REQUIRED")


def test_garbage_token_is_401(api: Api) -> None:
    for header in ("Bearer garbage", "Bearer ", "Bearer a.b.c", "Basic b3BlcmF0b3I6eA==", "garbage"):
        assert_error(api.client.get("/api/v1/me", headers={"Authorization": header}), 401, "AUTHENTICATION_REQUIRED")


def test_token_signed_with_another_secret_is_401(api: Api) -> None:
    token = login(api.client, "operator")["Authorization"].removeprefix("Bearer ")
    header, payload, _signature = token.split(".")
    forged = f"{header}.{payload}.{'A' * 43}"
    assert_error(api.client.get("/api/v1/me", headers=bearer(forged)), 401, "AUTHENTICATION_REQUIRED")


def test_public_paths_need_no_token(api: Api) -> None:
    assert api.client.get("/healthz").status_code == 200
    assert api.client.get("/schema/openapi.json").status_code == 200


# --- me ------------------------------------------------------------------------------------------

def test_me_shows_the_callers_account(api: Api) -> None:
    response = api.client.get("/api/v1/me", headers=api.headers("family_F"))
    assert response.status_code == 200, response.text
    me = response.json()
    assert me["id"] == api.world.accounts["family_F"]
    assert me["username"] == "family_F"
    assert me["role"] == "family"
    assert me["family_member_id"] == api.world.family_member
    assert me["status"] == "active"
    assert me["last_login_at"] is not None


# --- P-11 change password ------------------------------------------------------------------------

def change(client: TestClient[Any], headers: dict[str, str], old: str, new: str) -> Any:
    return client.post("/api/v1/me/password", headers=headers, json={"old_password": old, "new_password": new})


def test_change_password_wrong_old_password_is_422_on_old_password(api: Api) -> None:
    """P-11: the old password must be proven."""
    headers = api.headers("staff_A1")
    response = change(api.client, headers, "Not-my-pass-1", NEW_PASSWORD)
    error = field_error(response, "old_password")
    assert error["code"] == "WRONG_PASSWORD"
    assert {d["field"] for d in response.json()["details"]} == {"old_password"}
    # Nothing changed: the old password still logs in, the token still works.
    assert attempt(api.client, "staff_A1", PASSWORD).status_code == 200
    assert api.client.get("/api/v1/me", headers=headers).status_code == 200


def test_change_password_weak_new_password_is_422_on_new_password(api: Api) -> None:
    """P-11: the new password must be strong enough."""
    headers = api.headers("staff_A1")
    for weak in ("short1", "onlyletters", "1234567890", "xxstaff_A1xx9"):
        field_error(change(api.client, headers, PASSWORD, weak), "new_password")
    field_error(change(api.client, headers, PASSWORD, PASSWORD), "new_password")
    assert attempt(api.client, "staff_A1", PASSWORD).status_code == 200


def test_change_password_success_revokes_old_tokens(fresh_api: Api) -> None:
    """P-11: after a change the old token is refused and only the new password logs in."""
    client = fresh_api.client
    old_headers = login(client, "elder_A")
    other_session = login(client, "elder_A")
    response = change(client, old_headers, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 204, response.text
    assert_error(client.get("/api/v1/me", headers=old_headers), 401, "AUTHENTICATION_REQUIRED")
    assert_error(client.get("/api/v1/me", headers=other_session), 401, "AUTHENTICATION_REQUIRED")
    assert_error(attempt(client, "elder_A", PASSWORD), 401, "AUTHENTICATION_FAILED")
    new_headers = login(client, "elder_A", NEW_PASSWORD)
    assert client.get("/api/v1/me", headers=new_headers).status_code == 200


def test_admin_password_reset_revokes_tokens(fresh_api: Api) -> None:
    client = fresh_api.client
    old_headers = login(client, "staff_A1")
    account_id = fresh_api.world.accounts["staff_A1"]
    reset = client.post(f"/api/v1/accounts/{account_id}/password", headers=fresh_api.headers("admin_A1"),
                        json={"new_password": NEW_PASSWORD})
    assert reset.status_code == 204, reset.text
    assert_error(client.get("/api/v1/me", headers=old_headers), 401, "AUTHENTICATION_REQUIRED")
    login(client, "staff_A1", NEW_PASSWORD)


# --- disabled accounts ---------------------------------------------------------------------------

def test_disabled_account_cannot_log_in_and_its_token_stops_working(fresh_api: Api) -> None:
    client = fresh_api.client
    account_id = fresh_api.world.accounts["admin_A2"]
    own_headers = login(client, "admin_A2")
    disabled = client.post(f"/api/v1/accounts/{account_id}/disable", headers=fresh_api.headers("operator"),
                           json={"reason": "离职"})
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["status"] == "disabled"
    assert_error(attempt(client, "admin_A2", PASSWORD), 401, "AUTH_ACCOUNT_DISABLED")
    assert_error(client.get("/api/v1/me", headers=own_headers), 401, "AUTHENTICATION_REQUIRED")
    # Enabled again, it logs in as before.
    enabled = client.post(f"/api/v1/accounts/{account_id}/enable", headers=fresh_api.headers("operator"))
    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["status"] == "active"
    login(client, "admin_A2")


def test_nobody_disables_their_own_account(api: Api) -> None:
    account_id = api.world.accounts["admin_A"]
    response = api.client.post(f"/api/v1/accounts/{account_id}/disable", headers=api.headers("admin_A"), json={})
    assert_error(response, 403, "ACCOUNT_SELF_DISABLE")


def test_only_account_managers_disable_accounts(api: Api) -> None:
    account_id = api.world.accounts["staff_A1"]
    for username in ("staff_A1", "family_F", "elder_A", "auditor"):
        response = api.client.post(f"/api/v1/accounts/{account_id}/disable", headers=api.headers(username), json={})
        assert_error(response, 403, "PERMISSION_DENIED")
    # An admin of another tree does not even see the account.
    response = api.client.post(f"/api/v1/accounts/{account_id}/disable", headers=api.headers("admin_B"), json={})
    assert_error(response, 404)
    state = api.client.get(f"/api/v1/accounts/{account_id}", headers=api.headers("operator"))
    assert state.json()["status"] == "active"


# --- public paths --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/elders/schema", "/api/v1/elders/schema/family",
                                  "/api/v1/staff/healthz", "/api/v1/accounts/schema-1"])
def test_a_path_segment_named_like_a_public_path_is_not_public(api: Api, path: str) -> None:
    """The public-path patterns are anchored: an id such as "schema" does not skip authentication."""
    assert_error(api.client.get(path), 401, "AUTHENTICATION_REQUIRED")
    assert api.client.get(path, headers=api.headers("operator")).status_code == 404
