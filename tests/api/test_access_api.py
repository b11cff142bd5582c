"""Who sees and changes what, over HTTP: institution subtrees, linked elders, role cells, P-05 addresses.

Outside the caller's scope an object is answered 404, exactly as if it did not exist; a role with no
cell at all for an operation gets 403 PERMISSION_DENIED.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, assert_error, error_fields, field_error
from tests.world import PASSWORD, World, credit_code, id_card, phone

Headers = dict[str, dict[str, str]]


def get(api: Api, as_user: Headers, username: str, path: str, **params: Any) -> Any:
    return api.client.get(path, headers=as_user[username], params=params or None)


def elder_ids_listed(api: Api, as_user: Headers, username: str) -> set[str]:
    response = get(api, as_user, username, "/api/v1/elders", page_size=100)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return {e["id"] for e in body["items"]}


def staff_ids_listed(api: Api, as_user: Headers, username: str) -> set[str]:
    response = get(api, as_user, username, "/api/v1/staff", page_size=100)
    assert response.status_code == 200, response.text
    return {s["id"] for s in response.json()["items"]}


def ids(world: World, kind: str, *keys: str) -> set[str]:
    table = world.elders if kind == "elder" else world.staff
    return {table[k] for k in keys}


# --- institution scope: reading one object --------------------------------------------------------

@pytest.mark.parametrize("kind", ["staff", "elders"])
@pytest.mark.parametrize("other", ["A2", "B", "A"])
def test_sub_institution_admin_cannot_read_sibling_other_tree_or_parent(
    api: Api, as_user: Headers, kind: str, other: str
) -> None:
    """admin_A1 asking for A2's (sibling), B's (other tree) or A's (parent) people: 404, no existence leak."""
    table = api.world.staff if kind == "staff" else api.world.elders
    response = get(api, as_user, "admin_A1", f"/api/v1/{kind}/{table[other]}")
    body = assert_error(response, 404)
    assert body["code"] == ("STAFF_NOT_FOUND" if kind == "staff" else "ELDER_NOT_FOUND")
    # The same answer as for an id that does not exist at all.
    missing = assert_error(get(api, as_user, "admin_A1", f"/api/v1/{kind}/no-such-id"), 404)
    assert missing["code"] == body["code"]
    assert missing["message"] == body["message"]


@pytest.mark.parametrize("kind", ["staff", "elders"])
@pytest.mark.parametrize("key", ["A", "A1", "A2"])
def test_root_admin_reads_its_whole_subtree(api: Api, as_user: Headers, kind: str, key: str) -> None:
    table = api.world.staff if kind == "staff" else api.world.elders
    response = get(api, as_user, "admin_A", f"/api/v1/{kind}/{table[key]}")
    assert response.status_code == 200, response.text
    assert response.json()["institution_id"] == api.world.inst[key]
    assert_error(get(api, as_user, "admin_A", f"/api/v1/{kind}/{table['B']}"), 404)


def test_root_admin_sees_full_identity_of_its_subtree_elders(api: Api, as_user: Headers) -> None:
    elder = get(api, as_user, "admin_A", f"/api/v1/elders/{api.world.elders['A2']}").json()
    assert elder["masked"] is False
    assert elder["id_card_no"] == id_card(2)


def test_institutions_are_scoped_to_the_subtree(api: Api, as_user: Headers) -> None:
    inst = api.world.inst
    assert get(api, as_user, "admin_A1", f"/api/v1/institutions/{inst['A1']}").status_code == 200
    for other in ("A", "A2", "B"):
        assert_error(get(api, as_user, "admin_A1", f"/api/v1/institutions/{inst[other]}"), 404,
                     "INSTITUTION_NOT_FOUND")
    listed = get(api, as_user, "admin_A", "/api/v1/institutions").json()
    assert {i["id"] for i in listed["items"]} == {inst["A"], inst["A1"], inst["A2"]}


# --- institution scope: changing one object -------------------------------------------------------

@pytest.mark.parametrize(("username", "other"), [("admin_A1", "A2"), ("admin_A1", "A"), ("admin_A", "B"),
                                                 ("admin_B", "A1"), ("staff_A1", "A")])
def test_patch_of_another_institutions_elder_is_404_and_changes_nothing(
    api: Api, as_user: Headers, username: str, other: str
) -> None:
    elder_id = api.world.elders[other]
    before = get(api, as_user, "operator", f"/api/v1/elders/{elder_id}").json()
    response = api.client.patch(f"/api/v1/elders/{elder_id}", headers=as_user[username],
                                json={"name": "改名了", "phone": phone(999)})
    assert_error(response, 404, "ELDER_NOT_FOUND")
    after = get(api, as_user, "operator", f"/api/v1/elders/{elder_id}").json()
    assert after == before
    assert after["name"] == f"老人{other}"


@pytest.mark.parametrize(("username", "other"), [("admin_A1", "A2"), ("admin_A1", "A"), ("admin_A", "B")])
def test_patch_of_another_institutions_staff_is_404_and_changes_nothing(
    api: Api, as_user: Headers, username: str, other: str
) -> None:
    staff_id = api.world.staff[other]
    before = get(api, as_user, "operator", f"/api/v1/staff/{staff_id}").json()
    response = api.client.patch(f"/api/v1/staff/{staff_id}", headers=as_user[username],
                                json={"name": "改名了", "active": False})
    assert_error(response, 404, "STAFF_NOT_FOUND")
    after = get(api, as_user, "operator", f"/api/v1/staff/{staff_id}").json()
    assert after == before
    assert after["active"] is True


def test_patch_inside_the_subtree_works(fresh_api: Api) -> None:
    headers = fresh_api.headers("admin_A")
    elder_id = fresh_api.world.elders["A2"]
    version = fresh_api.client.get(f"/api/v1/elders/{elder_id}", headers=headers).json()["version"]
    response = fresh_api.client.patch(f"/api/v1/elders/{elder_id}", headers=headers,
                                      json={"name": "李秀英", "version": version})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "李秀英"
    assert response.json()["version"] == version + 1


# --- lists ----------------------------------------------------------------------------------------

def test_elder_list_of_a_sub_institution_admin_has_only_its_elders(api: Api, as_user: Headers) -> None:
    assert elder_ids_listed(api, as_user, "admin_A1") == ids(api.world, "elder", "A1")


def test_elder_list_of_a_root_admin_has_its_subtree(api: Api, as_user: Headers) -> None:
    assert elder_ids_listed(api, as_user, "admin_A") == ids(api.world, "elder", "A", "A1", "A2")
    assert elder_ids_listed(api, as_user, "admin_B") == ids(api.world, "elder", "B")


def test_operator_lists_every_elder(api: Api, as_user: Headers) -> None:
    assert elder_ids_listed(api, as_user, "operator") >= ids(api.world, "elder", "A", "A1", "A2", "B")


def test_an_institution_filter_does_not_widen_the_scope(api: Api, as_user: Headers) -> None:
    response = get(api, as_user, "admin_A1", "/api/v1/elders", institution_id=api.world.inst["B"])
    assert response.status_code == 200
    assert response.json()["items"] == []
    assert response.json()["total"] == 0


def test_staff_member_sees_only_its_institution(api: Api, as_user: Headers) -> None:
    assert elder_ids_listed(api, as_user, "staff_A1") == ids(api.world, "elder", "A1")
    assert staff_ids_listed(api, as_user, "staff_A1") == ids(api.world, "staff", "A1")
    assert get(api, as_user, "staff_A1", f"/api/v1/elders/{api.world.elders['A1']}").status_code == 200
    for other in ("A", "A2", "B"):
        assert_error(get(api, as_user, "staff_A1", f"/api/v1/elders/{api.world.elders[other]}"), 404)
        assert_error(get(api, as_user, "staff_A1", f"/api/v1/staff/{api.world.staff[other]}"), 404)


def test_staff_member_sees_identity_masked_even_in_detail(api: Api, as_user: Headers) -> None:
    elder = get(api, as_user, "staff_A1", f"/api/v1/elders/{api.world.elders['A1']}").json()
    assert elder["masked"] is True
    assert "*" in elder["id_card_no"]


def test_lists_mask_identity_for_everyone(api: Api, as_user: Headers) -> None:
    for username in ("operator", "admin_A", "family_F"):
        items = get(api, as_user, username, "/api/v1/elders").json()["items"]
        assert items
        for elder in items:
            assert elder["masked"] is True
            assert "*" in elder["id_card_no"]
            assert "*" in elder["phone"]


# --- elders and their families --------------------------------------------------------------------

@pytest.mark.parametrize("username", ["family_F", "elder_A"])
def test_linked_roles_list_only_their_elder(api: Api, as_user: Headers, username: str) -> None:
    response = get(api, as_user, username, "/api/v1/elders")
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [e["id"] for e in items] == [api.world.elders["A"]]
    assert "*" in items[0]["id_card_no"]
    assert items[0]["id_card_no"] != id_card(0)


@pytest.mark.parametrize("username", ["family_F", "elder_A"])
@pytest.mark.parametrize("other", ["A1", "A2", "B"])
def test_linked_roles_cannot_read_other_elders(api: Api, as_user: Headers, username: str, other: str) -> None:
    assert_error(get(api, as_user, username, f"/api/v1/elders/{api.world.elders[other]}"), 404, "ELDER_NOT_FOUND")


@pytest.mark.parametrize("username", ["family_F", "elder_A"])
def test_linked_roles_see_the_full_identity_in_the_detail(api: Api, as_user: Headers, username: str) -> None:
    response = get(api, as_user, username, f"/api/v1/elders/{api.world.elders['A']}")
    assert response.status_code == 200, response.text
    elder = response.json()
    assert elder["masked"] is False
    assert elder["id_card_no"] == id_card(0)
    assert elder["phone"] == phone(200)


@pytest.mark.parametrize("username", ["family_F", "elder_A"])
def test_linked_roles_may_not_create_elders_nor_read_staff(api: Api, as_user: Headers, username: str) -> None:
    created = api.client.post("/api/v1/elders", headers=as_user[username], json={
        "name": "王建国", "id_card_no": id_card(51), "region_code": "440104", "institution_id": api.world.inst["A"],
    })
    assert_error(created, 403, "PERMISSION_DENIED")
    assert_error(get(api, as_user, username, "/api/v1/staff"), 403, "PERMISSION_DENIED")
    assert_error(get(api, as_user, username, f"/api/v1/staff/{api.world.staff['A']}"), 403, "PERMISSION_DENIED")
    assert_error(get(api, as_user, username, "/api/v1/accounts"), 403, "PERMISSION_DENIED")
    patched = api.client.patch(f"/api/v1/elders/{api.world.elders['A']}", headers=as_user[username],
                               json={"name": "改名了"})
    assert_error(patched, 403, "PERMISSION_DENIED")


def test_family_sees_its_elders_family_list(api: Api, as_user: Headers) -> None:
    response = get(api, as_user, "family_F", f"/api/v1/elders/{api.world.elders['A']}/family")
    assert response.status_code == 200, response.text
    assert [link["family_member_id"] for link in response.json()] == [api.world.family_member]
    assert_error(get(api, as_user, "family_F", f"/api/v1/elders/{api.world.elders['A1']}/family"), 404)


def test_family_list_knows_the_family_member_has_an_account(api: Api, as_user: Headers) -> None:
    """family_F's account was opened without a phone; the link still knows it has one."""
    links = get(api, as_user, "admin_A", f"/api/v1/elders/{api.world.elders['A']}/family").json()
    assert [link["has_account"] for link in links] == [True]


def test_unlinking_a_family_member_ends_their_access_at_once(fresh_api: Api) -> None:
    client, world = fresh_api.client, fresh_api.world
    family_headers = fresh_api.headers("family_F")
    elder_url = f"/api/v1/elders/{world.elders['A']}"
    assert client.get(elder_url, headers=family_headers).status_code == 200
    admin = fresh_api.headers("admin_A")
    link_id = client.get(f"{elder_url}/family", headers=admin).json()[0]["id"]
    assert client.delete(f"{elder_url}/family/{link_id}", headers=admin).status_code == 204
    assert_error(client.get(elder_url, headers=family_headers), 404, "ELDER_NOT_FOUND")
    assert client.get("/api/v1/elders", headers=family_headers).json()["items"] == []


def test_admin_sees_institutions_registered_deeper_in_its_tree(fresh_api: Api) -> None:
    client, inst = fresh_api.client, fresh_api.world.inst
    created = client.post("/api/v1/institutions", headers=fresh_api.headers("admin_A"), json={
        "name": "北京街第二长者站", "credit_code": credit_code(901), "type": "community_care_center",
        "region_code": "440104003", "address": "广州市越秀区北京路200号", "parent_id": inst["A1"],
    })
    assert created.status_code == 201, created.text
    new_id = created.json()["id"]
    assert client.get(f"/api/v1/institutions/{new_id}", headers=fresh_api.headers("admin_A1")).status_code == 200
    assert_error(client.get(f"/api/v1/institutions/{new_id}", headers=fresh_api.headers("admin_A2")), 404)
    assert_error(client.get(f"/api/v1/institutions/{new_id}", headers=fresh_api.headers("admin_B")), 404)
    # admin_A1 may add a subordinate below it, but not a sibling under A.
    sibling = client.post("/api/v1/institutions", headers=fresh_api.headers("admin_A1"), json={
        "name": "农林街第二长者站", "credit_code": credit_code(902), "type": "community_care_center",
        "region_code": "440104", "address": "广州市越秀区农林下路9号", "parent_id": inst["A"],
    })
    assert field_error(sibling, "parent_id")["code"] == "UNKNOWN_PARENT"


# --- institution admins creating things -----------------------------------------------------------

def test_admin_cannot_register_an_institution_under_another_tree(api: Api, as_user: Headers) -> None:
    before = get(api, as_user, "operator", "/api/v1/institutions").json()["total"]
    response = api.client.post("/api/v1/institutions", headers=as_user["admin_A"], json={
        "name": "天河区新设长者站", "credit_code": credit_code(903), "type": "home_care_provider",
        "region_code": "440106", "address": "广州市天河区五山路1号", "parent_id": api.world.inst["B"],
    })
    assert error_fields(response) == {"parent_id"}
    assert field_error(response, "parent_id")["code"] == "UNKNOWN_PARENT"
    assert get(api, as_user, "operator", "/api/v1/institutions").json()["total"] == before


def test_admin_must_register_institutions_below_its_own(api: Api, as_user: Headers) -> None:
    response = api.client.post("/api/v1/institutions", headers=as_user["admin_A"], json={
        "name": "新的根机构", "credit_code": credit_code(904), "type": "home_care_provider",
        "region_code": "440104", "address": "广州市越秀区北京路1号",
    })
    assert error_fields(response) == {"parent_id"}
    assert field_error(response, "parent_id")["code"] == "REQUIRED"


def test_admin_cannot_open_an_account_for_another_trees_staff(api: Api, as_user: Headers) -> None:
    """Another tree's staff member reads exactly like one that does not exist (no existence oracle)."""
    before = get(api, as_user, "operator", "/api/v1/accounts", page_size=100).json()["total"]
    answers = []
    for staff_id in (api.world.staff["B"], "no-such-staff"):
        response = api.client.post("/api/v1/accounts", headers=as_user["admin_A"], json={
            "username": "staff_b_by_a", "password": PASSWORD, "role": "staff", "staff_id": staff_id,
        })
        answers.append(assert_error(response, 422))
    assert answers[0] == answers[1]
    assert answers[0]["details"][0]["code"] == "UNKNOWN_STAFF"
    assert get(api, as_user, "operator", "/api/v1/accounts", page_size=100).json()["total"] == before


def test_admin_cannot_grant_platform_roles(api: Api, as_user: Headers) -> None:
    for role in ("platform_operator", "gov_auditor"):
        response = api.client.post("/api/v1/accounts", headers=as_user["admin_A"], json={
            "username": f"new_{role}", "password": PASSWORD, "role": role,
        })
        body = assert_error(response, 403)
        assert body["code"] == "ROLE_NOT_GRANTABLE"


def test_admin_accounts_list_is_scoped(api: Api, as_user: Headers) -> None:
    listed = get(api, as_user, "admin_A1", "/api/v1/accounts", page_size=100).json()["items"]
    assert {a["username"] for a in listed} == {"admin_A1", "staff_A1"}
    assert_error(get(api, as_user, "admin_A1", f"/api/v1/accounts/{api.world.accounts['admin_A']}"), 404,
                 "ACCOUNT_NOT_FOUND")


# --- P-05 addresses -------------------------------------------------------------------------------

ADDRESS = {"region_code": "440104", "detail": "北京路100号301房", "contact_name": "陈志强",
           "contact_phone": phone(300)}


def test_family_keeps_the_addresses_of_its_elder(fresh_api: Api) -> None:
    """P-05: add (the first is the default), add another as default (clears the first), edit, delete."""
    client, headers = fresh_api.client, fresh_api.headers("family_F")
    base = f"/api/v1/elders/{fresh_api.world.elders['A']}/addresses"

    first = client.post(base, headers=headers, json=ADDRESS)
    assert first.status_code == 201, first.text
    first_id = first.json()["id"]
    assert first.json()["is_default"] is True
    assert first.json()["detail"] == ADDRESS["detail"]

    second = client.post(base, headers=headers, json={**ADDRESS, "detail": "农林下路8号", "is_default": True})
    assert second.status_code == 201, second.text
    second_id = second.json()["id"]
    listed = {a["id"]: a for a in client.get(base, headers=headers).json()}
    assert listed[first_id]["is_default"] is False
    assert listed[second_id]["is_default"] is True

    edited = client.patch(f"{base}/{first_id}", headers=headers,
                          json={"detail": "北京路102号", "is_default": True, "version": listed[first_id]["version"]})
    assert edited.status_code == 200, edited.text
    assert edited.json()["detail"] == "北京路102号"
    listed = {a["id"]: a for a in client.get(base, headers=headers).json()}
    assert [k for k, a in listed.items() if a["is_default"]] == [first_id]

    removed = client.delete(f"{base}/{first_id}", headers=headers)
    assert removed.status_code == 204, removed.text
    listed = {a["id"]: a for a in client.get(base, headers=headers).json()}
    assert set(listed) == {second_id}
    assert listed[second_id]["is_default"] is True  # the default passed on


def test_the_elder_keeps_its_own_addresses(fresh_api: Api) -> None:
    """P-05: the elder itself may add an address."""
    base = f"/api/v1/elders/{fresh_api.world.elders['A']}/addresses"
    response = fresh_api.client.post(base, headers=fresh_api.headers("elder_A"), json=ADDRESS)
    assert response.status_code == 201, response.text


def test_address_with_a_stale_version_is_409(fresh_api: Api) -> None:
    """P-05: an edit against a stale copy is refused."""
    client, headers = fresh_api.client, fresh_api.headers("family_F")
    base = f"/api/v1/elders/{fresh_api.world.elders['A']}/addresses"
    address = client.post(base, headers=headers, json=ADDRESS).json()
    seen = address["version"]
    first = client.patch(f"{base}/{address['id']}", headers=headers, json={"detail": "一", "version": seen})
    assert first.status_code == 200, first.text
    assert first.json()["version"] == seen + 1
    stale = client.patch(f"{base}/{address['id']}", headers=headers, json={"detail": "二", "version": seen})
    assert_error(stale, 409, "CONCURRENT_UPDATE")
    assert client.get(base, headers=headers).json()[0]["detail"] == "一"


def test_address_fields_are_checked(api: Api, as_user: Headers) -> None:
    """P-05: bad phone, unknown region and missing detail are field errors."""
    base = f"/api/v1/elders/{api.world.elders['A']}/addresses"
    response = api.client.post(base, headers=as_user["family_F"], json={
        "region_code": "999999", "detail": "  ", "contact_name": "陈志强", "contact_phone": "12345",
    })
    body = assert_error(response, 422)
    assert {d["field"] for d in body["details"]} == {"region_code", "detail", "contact_phone"}
    assert api.client.get(base, headers=as_user["family_F"]).json() == []


def test_family_cannot_touch_addresses_of_other_elders(api: Api, as_user: Headers) -> None:
    """P-05: family_F on A1's elder: 404 for reading, adding, editing and deleting."""
    owner_base = f"/api/v1/elders/{api.world.elders['A1']}/addresses"
    existing = api.client.post(owner_base, headers=as_user["admin_A1"], json=ADDRESS)
    assert existing.status_code == 201, existing.text
    address_id = existing.json()["id"]
    headers = as_user["family_F"]
    assert_error(api.client.get(owner_base, headers=headers), 404, "ELDER_NOT_FOUND")
    assert_error(api.client.post(owner_base, headers=headers, json=ADDRESS), 404, "ELDER_NOT_FOUND")
    assert_error(api.client.patch(f"{owner_base}/{address_id}", headers=headers, json={"detail": "x"}), 404)
    assert_error(api.client.delete(f"{owner_base}/{address_id}", headers=headers), 404)
    # Nor through its own elder's URL.
    own_base = f"/api/v1/elders/{api.world.elders['A']}/addresses"
    assert_error(api.client.patch(f"{own_base}/{address_id}", headers=headers, json={"detail": "x"}), 404,
                 "ADDRESS_NOT_FOUND")
    assert_error(api.client.delete(f"{own_base}/{address_id}", headers=headers), 404, "ADDRESS_NOT_FOUND")
    kept = api.client.get(owner_base, headers=as_user["admin_A1"]).json()
    assert [(a["id"], a["detail"]) for a in kept] == [(address_id, ADDRESS["detail"])]


# --- audit trail ----------------------------------------------------------------------------------

def test_auditor_reads_the_audit_trail(api: Api, as_user: Headers) -> None:
    response = get(api, as_user, "auditor", "/api/v1/audit-events", aggregate="elder", page_size=100)
    assert response.status_code == 200, response.text
    events = response.json()["items"]
    registered = [e for e in events if e["name"] == "elder.registered"]
    assert {e["aggregate_id"] for e in registered} >= set(api.world.elders.values())
    everything = get(api, as_user, "auditor", "/api/v1/audit-events", page_size=100).json()
    assert "elder.registered" in {e["name"] for e in everything["items"]}


@pytest.mark.parametrize("username", ["admin_A", "admin_B", "staff_A1", "family_F", "elder_A"])
def test_only_operators_and_auditors_read_the_audit_trail(api: Api, as_user: Headers, username: str) -> None:
    assert_error(get(api, as_user, username, "/api/v1/audit-events"), 403, "PERMISSION_DENIED")


def test_auditor_changes_nothing(api: Api, as_user: Headers) -> None:
    headers = as_user["auditor"]
    assert_error(api.client.patch(f"/api/v1/elders/{api.world.elders['A']}", headers=headers, json={"name": "x"}),
                 403, "PERMISSION_DENIED")
    assert_error(api.client.post("/api/v1/staff", headers=headers, json={
        "name": "张伟", "phone": phone(555), "profession": "service_worker", "institution_id": api.world.inst["A"],
    }), 403, "PERMISSION_DENIED")
    assert get(api, as_user, "auditor", f"/api/v1/institutions/{api.world.inst['B']}").status_code == 200
