"""Supplier relations through the use cases on every backend (A-10): an institution applies to become another's
supplier, the other reviews, the platform lists them all — and every refusal: the applicant cannot approve,
an unrelated institution does not see the relation (404), products must be the client's, one application
waits at a time, a rejected applicant may apply again, only the two parties end a relation."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import FrozenClock, operator
from tests.mall.setup import ALL, MallWorld, build_mall
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiyangkang.domain.settlement.relations import RelationStatus
from yiyangkang.services.settlement import relations
from yiyangkang.services.settlement.relations import ApplyForm


def _form(w: MallWorld, **kw: object) -> ApplyForm:
    values: dict[str, object] = {"client_id": w.world.inst["A"], "supplier_rate_bp": 2000, "platform_rate_bp": 300,
                                 "product_ids": [w.products["bath"]]}
    return ApplyForm(**{**values, **kw})  # type: ignore[arg-type]


def _codes(exc: pytest.ExceptionInfo[ValidationFailed]) -> set[tuple[str, str]]:
    return {(e.field, e.code) for e in exc.value.errors}


def test_a10_apply_review_list_terminate(backend: Container, clock: FrozenClock) -> None:
    w = build_mall(backend)
    applied = relations.apply(backend, w.p("admin_B"), _form(w, note="专业助浴团队"))
    assert (applied.status, applied.supplier_id, applied.client_name) == (
        "applied", w.world.inst["B"], "越秀区颐康居家养老服务中心")
    with pytest.raises(Conflict) as pending:
        relations.apply(backend, w.p("admin_B"), _form(w))
    assert pending.value.code == "SUPPLIER_APPLICATION_PENDING"
    with pytest.raises(PermissionDenied) as own:  # the supplier does not decide its own application
        relations.review(backend, w.p("admin_B"), applied.id, approve=True)
    assert own.value.code == "SUPPLIER_REVIEW_BY_CLIENT"
    with pytest.raises(ValidationFailed):  # a rejection needs a reason
        relations.review(backend, w.p("admin_A"), applied.id, approve=False)
    rejected = relations.review(backend, w.p("admin_A"), applied.id, approve=False, note="资质材料不全")
    assert rejected.status == "rejected"
    again = relations.apply(backend, w.p("admin_B"), _form(w, valid_to=date(2027, 11, 30)))
    approved = relations.review(backend, w.p("admin_A"), again.id, approve=True, note="同意",
                                expected_version=again.version)
    assert (approved.status, approved.valid_from, approved.valid_to) == ("approved", date(2026, 11, 25),
                                                                         date(2027, 11, 30))
    # Both sides list it (as client, as supplier); the platform lists everything.
    for login in ("admin_A", "admin_B", "operator"):
        listed = relations.list_relations(backend, w.p(login), ALL)
        assert {r.id for r in listed.items} == {applied.id, again.id}, login
    assert [r.id for r in relations.list_relations(backend, w.p("admin_A"), ALL,
                                                   status=RelationStatus.APPROVED).items] == [again.id]
    assert relations.list_relations(backend, w.p("admin_A1"), ALL).total == 0
    with pytest.raises(NotFound):  # a station under A is neither party
        relations.get_relation(backend, w.p("admin_A1"), again.id)
    with pytest.raises(PermissionDenied):
        relations.list_relations(backend, w.p("staff_A"), ALL)
    events = [e.name for e in relations.relation_events(backend, w.p("admin_B"), again.id)]
    assert events == ["supplier_relation.applied", "supplier_relation.approved"]
    ended = relations.terminate(backend, w.p("admin_B"), again.id, "合作到期前终止")
    assert (ended.status, ended.terminated_on) == ("terminated", date(2026, 11, 25))
    with pytest.raises(Conflict):
        relations.terminate(backend, w.p("admin_A"), again.id, "再次终止")


def test_a10_applications_are_checked_field_by_field(backend: Container, clock: FrozenClock) -> None:
    w = build_mall(backend)
    with pytest.raises(ValidationFailed) as bad:
        relations.apply(backend, w.p("admin_B"), _form(
            w, supplier_rate_bp=9000, platform_rate_bp=2000,
            product_ids=[w.products["bath"], w.products["nursing_B"], "no-such-product"],
            valid_from=date(2026, 12, 1), valid_to=date(2026, 11, 1)))
    assert _codes(bad) == {("platform_rate_bp", "RATES_EXCEED"), ("product_ids.1", "UNKNOWN_PRODUCT"),
                           ("product_ids.2", "UNKNOWN_PRODUCT"), ("valid_to", "INVALID_PERIOD")}
    with pytest.raises(ValidationFailed) as itself:
        relations.apply(backend, w.p("admin_A"), _form(w))
    assert ("client_id", "SELF_SUPPLIER") in _codes(itself)
    with pytest.raises(ValidationFailed) as nowhere:
        relations.apply(backend, w.p("admin_B"), _form(w, client_id="no-such-institution", product_ids=[]))
    assert ("client_id", "UNKNOWN_INSTITUTION") in _codes(nowhere)
    with pytest.raises(NotFound):  # applying in another institution's name
        relations.apply(backend, w.p("admin_A2"), _form(w, supplier_id=w.world.inst["A1"]))
    with pytest.raises(PermissionDenied):
        relations.apply(backend, w.p("elder_A"), _form(w))
    # A's admin may apply for its station A1 (its subtree) to supply B.
    station = relations.apply(backend, w.p("admin_A"), _form(
        w, client_id=w.world.inst["B"], supplier_id=w.world.inst["A1"], product_ids=[w.products["nursing_B"]]))
    assert station.supplier_id == w.world.inst["A1"]
    with pytest.raises(ValidationFailed):
        relations.apply(backend, w.p("admin_B"), _form(w, supplier_rate_bp=None))
    assert relations.list_relations(backend, operator(), ALL).total == 1  # a refused command writes nothing


def test_a10_one_supplier_per_product_at_a_time(backend: Container, clock: FrozenClock) -> None:
    w = build_mall(backend)
    first = relations.apply(backend, w.p("admin_B"), _form(w))
    relations.review(backend, w.p("admin_A"), first.id, approve=True)
    second = relations.apply(backend, w.p("admin_A1"), _form(w, product_ids=[w.products["bath"],
                                                                             w.products["rehab"]]))
    with pytest.raises(Conflict) as taken:
        relations.review(backend, w.p("operator"), second.id, approve=True)
    assert taken.value.code == "SUPPLIER_PRODUCT_TAKEN"
    relations.terminate(backend, w.p("admin_A"), first.id, "更换服务商")
    assert relations.review(backend, w.p("operator"), second.id, approve=True).status == "approved"
