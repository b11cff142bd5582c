"""Input checking over HTTP.

Two layers answer differently: a body that is not the documented shape (bad JSON, wrong type,
unknown field, out-of-range paging) is a 400 from the request decoder; a well-formed body that breaks
a business rule (ID checksum, known region …) is a 422 naming every offending field at once.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, assert_error, error_fields, field_error
from tests.world import credit_code, id_card, phone

Headers = dict[str, dict[str, str]]


def elder_body(api: Api, n: int, **changes: Any) -> dict[str, Any]:
    """A valid new elder, numbered so that each test's elder is its own person."""
    return {"name": "黄桂芳", "id_card_no": id_card(n), "region_code": "440104",
            "institution_id": api.world.inst["A"], **changes}


def elder_count(api: Api, as_user: Headers) -> int:
    response = api.client.get("/api/v1/elders", headers=as_user["operator"])
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


def register(api: Api, as_user: Headers, body: Any, username: str = "operator") -> Any:
    return api.client.post("/api/v1/elders", headers=as_user[username], json=body)


def bad_checksum(card: str) -> str:
    last = "0" if card[-1] != "0" else "1"
    return card[:-1] + last


# --- field-level 422s ---------------------------------------------------------------------------

def test_id_card_with_a_bad_checksum_is_422_on_id_card_no(api: Api, as_user: Headers) -> None:
    response = register(api, as_user, elder_body(api, 60, id_card_no=bad_checksum(id_card(60))))
    assert error_fields(response) == {"id_card_no"}
    assert response.json()["code"] == "VALIDATION_FAILED"


@pytest.mark.parametrize("card", ["", "44010419450312", "44010419451332000X", "4401041945031200AB"])
def test_malformed_id_cards_are_422_on_id_card_no(api: Api, as_user: Headers, card: str) -> None:
    assert error_fields(register(api, as_user, elder_body(api, 61, id_card_no=card))) == {"id_card_no"}


def test_lower_case_check_letter_is_accepted(api: Api, as_user: Headers) -> None:
    card = next(id_card(n) for n in range(100, 200) if id_card(n).endswith("X"))
    response = register(api, as_user, elder_body(api, 0, id_card_no=card.lower()))
    assert response.status_code == 201, response.text
    assert response.json()["id_card_no"] == card


@pytest.mark.parametrize("bad_phone", ["12345", "23800138000", "1380013800x", "138001380001"])
def test_bad_phone_is_422_on_phone(api: Api, as_user: Headers, bad_phone: str) -> None:
    response = register(api, as_user, elder_body(api, 62, phone=bad_phone))
    assert error_fields(response) == {"phone"}


def test_unknown_region_is_422_unknown_region(api: Api, as_user: Headers) -> None:
    error = field_error(register(api, as_user, elder_body(api, 63, region_code="999999")), "region_code")
    assert error["code"] == "UNKNOWN_REGION"


def test_malformed_region_is_422_on_region_code(api: Api, as_user: Headers) -> None:
    assert error_fields(register(api, as_user, elder_body(api, 64, region_code="4401"))) == {"region_code"}


def test_gender_contradicting_the_id_number_is_422_on_gender(api: Api, as_user: Headers) -> None:
    card = id_card(10)  # sequence 010: an even 17th digit, a woman
    assert error_fields(register(api, as_user, elder_body(api, 10, id_card_no=card, gender="male"))) == {"gender"}
    assert error_fields(register(api, as_user, elder_body(api, 10, id_card_no=card, gender="other"))) == {"gender"}


def test_birth_date_contradicting_the_id_number_is_422_on_birth_date(api: Api, as_user: Headers) -> None:
    response = register(api, as_user, elder_body(api, 65, birth_date="1950-01-01"))
    assert error_fields(response) == {"birth_date"}


def test_several_errors_are_reported_together(api: Api, as_user: Headers) -> None:
    response = register(api, as_user, {
        "name": " ", "id_card_no": bad_checksum(id_card(66)), "region_code": "999999", "phone": "12345",
        "institution_id": api.world.inst["A"],
        "emergency_contacts": [{"name": "陈志强", "phone": "555", "relation": "儿子"}],
    })
    assert error_fields(response) == {"name", "id_card_no", "region_code", "phone", "emergency_contacts.0.phone"}
    codes = {d["field"]: d["code"] for d in response.json()["details"]}
    assert codes["region_code"] == "UNKNOWN_REGION"
    assert codes["name"] == "REQUIRED"
    assert all(d["message"] for d in response.json()["details"])


def test_gender_and_region_errors_together(api: Api, as_user: Headers) -> None:
    response = register(api, as_user, elder_body(api, 10, gender="male", region_code="999999", phone="12345"))
    assert error_fields(response) == {"gender", "region_code", "phone"}


def test_staff_with_a_bad_phone_is_422(api: Api, as_user: Headers) -> None:
    response = api.client.post("/api/v1/staff", headers=as_user["admin_A"], json={
        "name": "张伟", "phone": "12345", "profession": "service_worker",
    })
    assert error_fields(response) == {"phone"}


def test_doctor_without_license_is_422_on_license_no(api: Api, as_user: Headers) -> None:
    for profession in ("doctor", "nurse"):
        response = api.client.post("/api/v1/staff", headers=as_user["admin_A"], json={
            "name": "李医生", "phone": phone(700), "profession": profession,
        })
        error = field_error(response, "license_no")
        assert error["code"] == "REQUIRED"
    with_license = api.client.post("/api/v1/staff", headers=as_user["admin_A"], json={
        "name": "李医生", "phone": phone(700), "profession": "doctor", "license_no": "110440000000001",
    })
    assert with_license.status_code == 201, with_license.text
    assert with_license.json()["institution_id"] == api.world.inst["A"]


def test_staff_unknown_profession_is_422(api: Api, as_user: Headers) -> None:
    response = api.client.post("/api/v1/staff", headers=as_user["admin_A"], json={
        "name": "张伟", "phone": phone(701), "profession": "astronaut",
    })
    assert error_fields(response) == {"profession"}


def test_account_fields_are_checked_together(api: Api, as_user: Headers) -> None:
    response = api.client.post("/api/v1/accounts", headers=as_user["operator"], json={
        "username": "x", "password": "weak", "role": "wizard", "phone": "12345",
    })
    assert error_fields(response) == {"username", "password", "role", "phone"}


# --- conflicts ----------------------------------------------------------------------------------

def test_duplicate_id_card_is_409(api: Api, as_user: Headers) -> None:
    before = elder_count(api, as_user)
    response = register(api, as_user, elder_body(api, 0, institution_id=api.world.inst["B"]))
    assert_error(response, 409, "ELDER_ID_CARD_TAKEN")
    assert elder_count(api, as_user) == before


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_full_width_digits_in_a_filed_id_card_do_not_make_a_new_elder(api: Api, as_user: Headers) -> None:
    """A full-width copy of a filed ID number would give the same person a second fingerprint."""
    card = id_card(1)  # the elder of A1, filed already
    disguised = card[:17].translate(FULL_WIDTH) + card[17]
    before = elder_count(api, as_user)
    response = register(api, as_user, elder_body(api, 1, id_card_no=disguised))
    assert error_fields(response) == {"id_card_no"}
    assert elder_count(api, as_user) == before


def test_full_width_digits_in_a_phone_are_422(api: Api, as_user: Headers) -> None:
    disguised = "138" + "00138000".translate(FULL_WIDTH)
    response = register(api, as_user, elder_body(api, 76, phone=disguised))
    assert error_fields(response) == {"phone"}


# --- rules that hold on change as well as on create ---------------------------------------------

@pytest.mark.parametrize("changes", [{"gender": "male"}, {"birth_date": "1990-01-01"}])
def test_patch_contradicting_the_id_number_is_422(api: Api, as_user: Headers, changes: dict[str, Any]) -> None:
    """Gender and birth date sent alone are checked against the ID number on file, not dropped."""
    elder_id = api.world.elders["A2"]  # filed with id_card(2): a woman born 1945-03-12
    response = api.client.patch(f"/api/v1/elders/{elder_id}", headers=as_user["operator"], json=changes)
    assert error_fields(response) == set(changes)
    elder = api.client.get(f"/api/v1/elders/{elder_id}", headers=as_user["operator"]).json()
    assert (elder["gender"], elder["birth_date"]) == ("female", "1945-03-12")


def test_patch_agreeing_with_the_id_number_is_accepted(api: Api, as_user: Headers) -> None:
    elder_id = api.world.elders["A2"]
    response = api.client.patch(f"/api/v1/elders/{elder_id}", headers=as_user["operator"],
                                json={"gender": "female", "birth_date": "1945-03-12"})
    assert response.status_code == 200, response.text


def test_patch_to_doctor_without_license_is_422(api: Api, as_user: Headers) -> None:
    staff_id = api.world.staff["A2"]
    response = api.client.patch(f"/api/v1/staff/{staff_id}", headers=as_user["operator"],
                                json={"profession": "doctor"})
    assert field_error(response, "license_no")["code"] == "REQUIRED"
    with_license = api.client.patch(f"/api/v1/staff/{staff_id}", headers=as_user["operator"],
                                    json={"profession": "nurse", "license_no": "202440000000001"})
    assert with_license.status_code == 200, with_license.text
    assert with_license.json()["profession"] == "nurse"


def test_id_card_born_in_the_future_is_422(api: Api, as_user: Headers) -> None:
    response = register(api, as_user, elder_body(api, 77, id_card_no=id_card(77, birth="20990101")))
    assert error_fields(response) == {"id_card_no"}


def test_address_with_a_lone_out_of_range_longitude_is_422(api: Api, as_user: Headers) -> None:
    response = api.client.post(f"/api/v1/elders/{api.world.elders['B']}/addresses", headers=as_user["operator"],
                               json={"region_code": "440106", "detail": "五山路1号", "contact_name": "陈志强",
                                     "contact_phone": phone(301), "lng": 500.0})
    assert error_fields(response) & {"lng", "lat"}
    placed = api.client.post(f"/api/v1/elders/{api.world.elders['B']}/addresses", headers=as_user["operator"],
                             json={"region_code": "440106", "detail": "五山路1号", "contact_name": "陈志强",
                                   "contact_phone": phone(301), "lng": 113.35, "lat": 23.16})
    assert placed.status_code == 201, placed.text
    assert (placed.json()["lng"], placed.json()["lat"]) == (113.35, 23.16)


def test_institution_with_a_lone_longitude_is_422(api: Api, as_user: Headers) -> None:
    response = api.client.post("/api/v1/institutions", headers=as_user["operator"], json={
        "name": "测试站", "credit_code": credit_code(951), "type": "home_care_provider",
        "region_code": "440104", "address": "广州市越秀区北京路1号", "lng": 500.0,
    })
    assert error_fields(response) == {"lat"}


# --- request-shape 400s -------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/elders", "/api/v1/staff", "/api/v1/accounts", "/api/v1/institutions",
                                  "/api/v1/audit-events"])
def test_page_size_above_100_is_400(api: Api, as_user: Headers, path: str) -> None:
    body = assert_error(api.client.get(path, headers=as_user["operator"], params={"page_size": 101}), 400,
                        "REQUEST_INVALID")
    assert any(d.get("key") == "page_size" for d in body["details"])
    assert api.client.get(path, headers=as_user["operator"], params={"page_size": 100}).status_code == 200


@pytest.mark.parametrize("params", [{"page": 0}, {"page_size": 0}, {"page": "one"}, {"page_size": -5}])
def test_bad_paging_is_400(api: Api, as_user: Headers, params: dict[str, Any]) -> None:
    assert_error(api.client.get("/api/v1/elders", headers=as_user["operator"], params=params), 400, "REQUEST_INVALID")


def test_unknown_field_is_400_request_invalid(api: Api, as_user: Headers) -> None:
    before = elder_count(api, as_user)
    body = assert_error(register(api, as_user, elder_body(api, 67, nickname="阿芳")), 400, "REQUEST_INVALID")
    assert "nickname" in str(body["details"])
    assert elder_count(api, as_user) == before


def test_misspelt_field_is_400_not_silently_ignored(api: Api, as_user: Headers) -> None:
    patched = api.client.patch(f"/api/v1/elders/{api.world.elders['A']}", headers=as_user["operator"],
                               json={"nmae": "改名了"})
    assert_error(patched, 400, "REQUEST_INVALID")


def test_malformed_json_is_400(api: Api, as_user: Headers) -> None:
    headers = {**as_user["operator"], "Content-Type": "application/json"}
    for raw in (b"{bad", b'{"name": "x",}', b"\xff\xfe", b'{"name": "x"'):
        response = api.client.post("/api/v1/elders", headers=headers, content=raw)
        body = assert_error(response, 400)
        assert body["code"] in ("REQUEST_MALFORMED", "REQUEST_INVALID")


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/elders"])
def test_a_body_not_in_utf8_is_400(api: Api, as_user: Headers, path: str) -> None:
    headers = {**as_user["operator"], "Content-Type": "application/json"}
    gbk = '{"login": "王秀英", "password": "x", "name": "王秀英"}'.encode("gbk")
    assert_error(api.client.post(path, headers=headers, content=gbk), 400, "REQUEST_MALFORMED")


def test_empty_body_is_400(api: Api, as_user: Headers) -> None:
    headers = {**as_user["operator"], "Content-Type": "application/json"}
    assert_error(api.client.post("/api/v1/elders", headers=headers, content=b""), 400)


@pytest.mark.parametrize("changes", [{"name": 123}, {"name": None}, {"birth_date": "yesterday"},
                                     {"emergency_contacts": "陈志强"}, {"institution_id": ""}, {"phone": ["138"]}])
def test_wrong_type_is_400(api: Api, as_user: Headers, changes: dict[str, Any]) -> None:
    assert_error(register(api, as_user, elder_body(api, 68, **changes)), 400, "REQUEST_INVALID")


@pytest.mark.parametrize("body", [[], "elder", 42, None])
def test_body_that_is_not_an_object_is_400(api: Api, as_user: Headers, body: Any) -> None:
    assert_error(register(api, as_user, body), 400)


def test_missing_required_field_is_400(api: Api, as_user: Headers) -> None:
    body = elder_body(api, 69)
    del body["id_card_no"]
    assert_error(register(api, as_user, body), 400, "REQUEST_INVALID")


def test_over_long_text_is_400(api: Api, as_user: Headers) -> None:
    assert_error(register(api, as_user, elder_body(api, 70, name="名" * 257)), 400, "REQUEST_INVALID")


# --- failures leave nothing behind --------------------------------------------------------------

def test_a_failed_create_leaves_no_row(api: Api, as_user: Headers) -> None:
    before = elder_count(api, as_user)
    failures = [
        elder_body(api, 71, region_code="999999"),
        elder_body(api, 72, id_card_no=bad_checksum(id_card(72))),
        elder_body(api, 73, phone="12345"),
        elder_body(api, 74, unknown=1),
        elder_body(api, 75, institution_id="no-such-institution"),
    ]
    for body in failures:
        assert register(api, as_user, body).status_code in (400, 404, 422)
    assert elder_count(api, as_user) == before
    # The same person, filed properly afterwards, is one more row.
    assert register(api, as_user, elder_body(api, 71)).status_code == 201
    assert elder_count(api, as_user) == before + 1


def test_unknown_route_is_404_in_the_error_shape(api: Api, as_user: Headers) -> None:
    assert_error(api.client.get("/api/v1/nothing-here", headers=as_user["operator"]), 404, "ROUTE_NOT_FOUND")


def test_wrong_method_is_405_in_the_error_shape(api: Api, as_user: Headers) -> None:
    assert_error(api.client.put("/api/v1/elders", headers=as_user["operator"], json={}), 405)
