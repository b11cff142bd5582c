"""Supplier relations over HTTP (A-10), role by role: B's admin applies to supply A's products, A's admin
reviews, the operator lists every relation — and the refusals: the applicant cannot approve (403), a station
that is neither party cannot see the relation (404), bad rates and unknown products are 422 field by field,
unknown fields 400, elders and staff 403."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from attrs import define

from tests.api.conftest import Caller, assert_error, ok, serve
from tests.mall.setup import MallWorld, build_mall

SUPPLIERS = "/api/v1/suppliers"


@define
class SupplierApi(Caller):
    mw: MallWorld

    def inst(self, key: str) -> str:
        return self.mw.world.inst[key]

    def apply(self, username: str, **body: Any) -> Any:
        payload = {"client_id": self.inst("A"), "supplier_rate_bp": 3000, "platform_rate_bp": 500,
                   "product_ids": [self.mw.products["bath"]], **body}
        return self.client.post(SUPPLIERS, headers=self.h(username), json=payload)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SupplierApi]:
    for client, mw, clock, rt in serve(tmp_path_factory.mktemp("api-suppliers") / "api.db", build_mall):
        yield SupplierApi(client=client, clock=clock, rt=rt, mw=mw)


def test_a10_apply_review_and_list_over_http(api: SupplierApi) -> None:
    applied = ok(api.apply("admin_B", note="专业助浴团队"), 201)
    assert (applied["status"], applied["status_label"], applied["supplier_id"]) == ("applied", "待审核",
                                                                                    api.inst("B"))
    ident = applied["id"]
    assert_error(api.client.post(f"{SUPPLIERS}/{ident}/review", headers=api.h("admin_B"), json={"approve": True}),
                 403, "SUPPLIER_REVIEW_BY_CLIENT")
    assert_error(api.client.get(f"{SUPPLIERS}/{ident}", headers=api.h("admin_A1")), 404,
                 "SUPPLIER_RELATION_NOT_FOUND")
    assert_error(api.client.post(f"{SUPPLIERS}/{ident}/review", headers=api.h("admin_A1"), json={"approve": True}),
                 404, "SUPPLIER_RELATION_NOT_FOUND")
    assert_error(api.apply("admin_B"), 409, "SUPPLIER_APPLICATION_PENDING")
    approved = ok(api.client.post(f"{SUPPLIERS}/{ident}/review", headers=api.h("admin_A"),
                                  json={"approve": True, "note": "同意", "version": applied["version"]}))
    assert approved["status"] == "approved" and approved["review_note"] == "同意"
    for who in ("admin_A", "admin_B", "operator"):
        listed = ok(api.client.get(SUPPLIERS, headers=api.h(who), params={"status": "approved"}))
        assert ident in {r["id"] for r in listed["items"]}, who
    assert ok(api.client.get(SUPPLIERS, headers=api.h("admin_A2")))["total"] == 0
    events = ok(api.client.get(f"{SUPPLIERS}/{ident}/events", headers=api.h("admin_A")))
    assert [e["name"] for e in events] == ["supplier_relation.applied", "supplier_relation.approved"]
    assert_error(api.client.post(f"{SUPPLIERS}/{ident}/terminate", headers=api.h("admin_A"), json={}), 422)
    ended = ok(api.client.post(f"{SUPPLIERS}/{ident}/terminate", headers=api.h("admin_B"),
                               json={"reason": "人员调整"}))
    assert ended["status"] == "terminated"


def test_a10_refusals_over_http(api: SupplierApi) -> None:
    body = assert_error(api.apply("admin_B", supplier_rate_bp=12000, product_ids=[api.mw.products["nursing_B"]],
                                  client_id=api.inst("A")), 422)
    assert {(d["field"], d["code"]) for d in body["details"]} == {("supplier_rate_bp", "OUT_OF_RANGE"),
                                                                   ("product_ids.0", "UNKNOWN_PRODUCT")}
    assert_error(api.apply("admin_B", rate=1), 400)  # a misspelt field is refused, not ignored
    assert_error(api.apply("admin_B", supplier_rate_bp="三成"), 400)
    for who in ("elder_A", "family_F", "staff_A", "auditor"):
        assert_error(api.apply(who), 403)
        assert_error(api.client.get(SUPPLIERS, headers=api.h(who)), 403)
    assert_error(api.apply("admin_A2", supplier_id=api.inst("A1")), 404)  # not the station's admin
    assert_error(api.client.get(f"{SUPPLIERS}/no-such-relation", headers=api.h("operator")), 404)
    assert api.client.get(SUPPLIERS).status_code == 401
