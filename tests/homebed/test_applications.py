"""Bed applications (HB-01/HB-02, S-04): the QR code, filing by the elder, a family member or staff, editing,
proof materials, withdrawal, review, and who sees what."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from tests.conftest import FrozenClock
from tests.homebed.helpers import ALL, build, field_codes
from tests.homebed.setup import PDF, PNG, HomeBedWorld
from tests.world import id_card, phone
from yiyangkang.adapters.security.tokens import JwtTokenSigner
from yiyangkang.bootstrap import Container
from yiyangkang.domain.homebed.applications import ApplicationStatus
from yiyangkang.domain.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiyangkang.domain.kernel.files import MAX_FILE_BYTES
from yiyangkang.services.homebed import applications, contracts
from yiyangkang.services.homebed.applications import ApplicationForm
from yiyangkang.services.homebed.common import Upload


def _form(token: str | None, n: int, **kw: str) -> ApplicationForm:
    values: dict[str, str] = {
        "elder_name": "王秀英", "id_card_no": id_card(n), "phone": phone(700 + n), "region_code": "440104",
        "address": "越秀区北京街道文德路8号", "applicant_name": "陈志强", "applicant_phone": phone(300),
    }
    values.update(kw)
    return ApplicationForm(token=token, **values)  # type: ignore[arg-type]


def _token(w: HomeBedWorld, login: str = "admin_A", days: int | None = None) -> str:
    return applications.mint_apply_code(w.rt, w.p(login), None, days).token


def test_elder_and_family_apply_through_the_qr_code(backend: Container) -> None:
    """HB-01: the code names the institution; the elder applies for themself, a family member for an elder."""
    w = build(backend)
    code = applications.mint_apply_code(w.rt, w.p("admin_A"), None)
    assert code.institution_id == w.world.inst["A"] and code.region_code == "440104"
    assert code.url.endswith(f"token={code.token}") and code.expires_at == w.now + timedelta(days=90)
    info = applications.open_apply_form(w.rt, code.token)
    assert (info.institution_id, info.region_code, info.expires_at) == (w.world.inst["A"], "440104", code.expires_at)
    assert info.institution_name == code.institution_name and info.region_name

    own = applications.submit_application(w.rt, w.p("elder_A"), ApplicationForm(
        token=code.token, elder_name="老人A", id_card_no=id_card(0), phone=phone(200), region_code="440104",
        address="越秀区北京街道1号"))
    assert own.applicant_kind == "self" and own.status == "submitted"
    assert own.elder_id == w.world.elders["A"]  # matched to the file on record
    assert own.applicant_name == "老人A" and own.applicant_phone == phone(200)
    assert own.institution_id == w.world.inst["A"] and own.number.startswith("SQ20261125")

    # A family member applies for an elder linked to them (elder A, once the elder's own application is gone).
    applications.withdraw_application(w.rt, w.p("elder_A"), own.id, "由子女代为申请")
    by_family = applications.submit_application(w.rt, w.p("family_F"), _form(code.token, 0))
    assert by_family.applicant_kind == "family" and by_family.elder_id == w.world.elders["A"]
    assert by_family.id_card_no == id_card(0)  # the applicant sees what they typed

    by_staff = applications.submit_application(w.rt, w.p("staff_A"), _form(None, 62))
    assert by_staff.applicant_kind == "staff" and by_staff.institution_id == w.world.inst["A"]


def test_the_elder_must_give_their_own_id_number_and_a_code(memory: Container) -> None:
    """HB-01: an elder applying for themself must use their own ID number; elders and families need a code."""
    w = build(memory)
    token = _token(w)
    with pytest.raises(ValidationFailed) as bad:
        applications.submit_application(w.rt, w.p("elder_A"), _form(token, 63))
    assert field_codes(bad) == {("id_card_no", "NOT_SELF")}
    for login in ("elder_A", "family_F"):
        with pytest.raises(ValidationFailed) as bad:
            applications.submit_application(w.rt, w.p(login), _form(None, 63))
        assert field_codes(bad) == {("token", "REQUIRED")}
    with pytest.raises(PermissionDenied):
        applications.mint_apply_code(w.rt, w.p("family_F"), w.world.inst["A"])
    with pytest.raises(NotFound):
        applications.mint_apply_code(w.rt, w.p("admin_B"), w.world.inst["A"])
    with pytest.raises(ValidationFailed) as bad:
        applications.mint_apply_code(w.rt, w.p("admin_A"), None, 0)
    assert field_codes(bad) == {("days", "OUT_OF_RANGE")}


def test_the_elder_cannot_edit_their_application_to_someone_else(memory: Container) -> None:
    """HB-01: the 本人申请 rule holds for edits too."""
    w = build(memory)
    own = applications.submit_application(w.rt, w.p("elder_A"), ApplicationForm(
        token=_token(w), elder_name="老人A", id_card_no=id_card(0), phone=phone(200), region_code="440104",
        address="越秀区北京街道1号"))
    with pytest.raises(ValidationFailed) as bad:
        applications.update_application(w.rt, w.p("elder_A"), own.id, ApplicationForm(id_card_no=id_card(64)))
    assert ("id_card_no", "NOT_SELF") in field_codes(bad)


def test_a_family_member_applies_only_for_elders_linked_to_them(backend: Container) -> None:
    """HB-01/S-04: family F (linked to elder A only) files for elder A; any other ID number is NOT_LINKED, the
    same answer whether or not the number is on file or already has an open application; edits alike. Staff
    file for anyone of their institution."""
    w = build(backend)
    token = _token(w)
    by_admin_b = applications.submit_application(w.rt, w.p("admin_B"), _form(None, 3, region_code="440106"))
    assert by_admin_b.elder_id == w.world.elders["B"]  # elder B's file, with an open application now
    answers = []
    for n in (81, 1, 3):  # not on file; elder A1 on file; elder B on file with an open application
        with pytest.raises(ValidationFailed) as bad:
            applications.submit_application(w.rt, w.p("family_F"), _form(token, n))
        answers.append([(e.field, e.code, e.message) for e in bad.value.errors])
    assert answers[0] == answers[1] == answers[2]
    assert [(f, c) for f, c, _ in answers[0]] == [("id_card_no", "NOT_LINKED")]
    assert applications.list_applications(w.rt, w.p("admin_A"), ALL).total == 0  # nothing was kept
    linked = applications.submit_application(w.rt, w.p("family_F"), _form(token, 0))
    assert (linked.applicant_kind, linked.elder_id) == ("family", w.world.elders["A"])
    with pytest.raises(ValidationFailed) as bad:
        applications.update_application(w.rt, w.p("family_F"), linked.id, ApplicationForm(id_card_no=id_card(81)))
    assert field_codes(bad) == {("id_card_no", "NOT_LINKED")}
    assert applications.get_application(w.rt, w.p("family_F"), linked.id).id_card_no == id_card(0)
    for login, n in (("staff_A", 82), ("admin_A", 83)):  # S-04: staff and admins file for any elder
        assert applications.submit_application(w.rt, w.p(login), _form(None, n)).applicant_kind == "staff"


def test_apply_codes_name_no_account_and_have_a_key_of_their_own(memory: Container) -> None:
    """HB-01: the QR token carries the institution and region only (no minting account), and a token signed
    with the login secret itself is not a QR token."""
    w = build(memory)
    token = _token(w)
    body = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert set(claims) == {"inst", "region", "aud", "exp"}
    assert w.world.accounts["admin_A"] not in json.dumps(claims)
    plain = JwtTokenSigner(w.rt.settings.jwt_secret).sign(
        {"inst": w.world.inst["A"], "region": "440104"}, w.now + timedelta(days=1))
    with pytest.raises(ValidationFailed) as bad:
        applications.open_apply_form(w.rt, plain)
    assert field_codes(bad) == {("token", "INVALID_TOKEN")}
    assert applications.open_apply_form(w.rt, token).institution_id == w.world.inst["A"]


def test_forged_and_expired_codes_are_refused(memory: Container, clock: FrozenClock) -> None:
    """HB-01: a token that was tampered with, or has expired by the platform clock, is INVALID_TOKEN."""
    w = build(memory)
    token = _token(w, days=2)
    head, body, sig = token.split(".")
    forged = f"{head}.{body}.{sig[:-2]}{'AB' if sig[-2:] != 'AB' else 'CD'}"
    for bad_token in (forged, "not-a-token", token + "x"):
        with pytest.raises(ValidationFailed) as bad:
            applications.open_apply_form(w.rt, bad_token)
        assert field_codes(bad) == {("token", "INVALID_TOKEN")}
        with pytest.raises(ValidationFailed) as bad:
            applications.submit_application(w.rt, w.p("family_F"), _form(bad_token, 65))
        assert field_codes(bad) == {("token", "INVALID_TOKEN")}
    clock.advance(days=2, seconds=-1)
    assert applications.open_apply_form(w.rt, token).institution_id == w.world.inst["A"]
    clock.advance(seconds=1)
    with pytest.raises(ValidationFailed) as bad:
        applications.submit_application(w.rt, w.p("family_F"), _form(token, 65))
    assert field_codes(bad) == {("token", "INVALID_TOKEN")}
    with pytest.raises(ValidationFailed):
        applications.open_apply_form(w.rt, token)
    assert applications.list_applications(w.rt, w.p("admin_A"), ALL).total == 0


def test_address_outside_the_institutions_region_is_refused(memory: Container) -> None:
    """HB-01: the code carries the institution's region; an elder living elsewhere is OUTSIDE_SERVICE_AREA."""
    w = build(memory)
    b_token = _token(w, "admin_B")  # 天河 440106
    with pytest.raises(ValidationFailed) as bad:  # family F for elder A (ID 0), linked to them
        applications.submit_application(w.rt, w.p("family_F"), _form(b_token, 0, region_code="440104"))
    assert field_codes(bad) == {("region_code", "OUTSIDE_SERVICE_AREA")}
    inside = applications.submit_application(w.rt, w.p("family_F"), _form(b_token, 0, region_code="440106"))
    assert inside.institution_id == w.world.inst["B"]
    # An edit by the applicant is held to the same area.
    with pytest.raises(ValidationFailed) as bad:
        applications.update_application(w.rt, w.p("family_F"), inside.id, ApplicationForm(region_code="440104"))
    assert field_codes(bad) == {("region_code", "OUTSIDE_SERVICE_AREA")}
    with pytest.raises(ValidationFailed) as bad:
        applications.submit_application(w.rt, w.p("family_F"), _form(b_token, 0, region_code="999999"))
    assert field_codes(bad) == {("region_code", "UNKNOWN_REGION")}


def test_one_open_application_per_elder(backend: Container) -> None:
    """HB-01: a second application while one is waiting is BED_APPLICATION_EXISTS; after withdrawal it is fine."""
    w = build(backend)
    first = applications.submit_application(w.rt, w.p("family_F"), _form(_token(w), 0))  # elder A, linked to F
    with pytest.raises(Conflict) as clash:
        applications.submit_application(w.rt, w.p("staff_A"), _form(None, 0))
    assert clash.value.code == "BED_APPLICATION_EXISTS"
    applications.review_application(w.rt, w.p("admin_A"), first.id, approve=True)
    with pytest.raises(Conflict) as clash:
        applications.submit_application(w.rt, w.p("admin_A"), _form(None, 0))
    assert clash.value.code == "BED_APPLICATION_EXISTS"
    withdrawn = applications.withdraw_application(w.rt, w.p("family_F"), first.id, "暂不需要")
    assert withdrawn.status == "withdrawn"
    again = applications.submit_application(w.rt, w.p("admin_A"), _form(None, 0))
    assert again.status == "submitted"
    # A withdrawn application is closed for good.
    with pytest.raises(Conflict) as closed:
        applications.update_application(w.rt, w.p("family_F"), first.id, ApplicationForm(address="新地址9号"))
    assert closed.value.code == "BED_APPLICATION_NOT_EDITABLE"
    with pytest.raises(Conflict):
        applications.review_application(w.rt, w.p("admin_A"), first.id, approve=True)


def test_an_edit_cannot_duplicate_an_open_application(memory: Container) -> None:
    """HB-01: the one-open-application rule also holds when an application's ID number is edited."""
    w = build(memory)
    applications.submit_application(w.rt, w.p("admin_A"), _form(None, 69))
    other = applications.submit_application(w.rt, w.p("admin_A"), _form(None, 70))
    with pytest.raises(Conflict) as clash:
        applications.update_application(w.rt, w.p("admin_A"), other.id, ApplicationForm(id_card_no=id_card(69)))
    assert clash.value.code == "BED_APPLICATION_EXISTS"


def test_edit_after_review_goes_back_to_review(backend: Container) -> None:
    """HB-01: an application stays editable until signed; an edit of an approved or rejected one needs a new review."""
    w = build(backend)
    app = applications.submit_application(w.rt, w.p("family_F"), _form(_token(w), 0))  # elder A, linked to F
    approved = applications.review_application(w.rt, w.p("admin_A"), app.id, approve=True, note="材料齐全")
    assert (approved.status, approved.review_note) == ("approved", "材料齐全")
    same = applications.update_application(w.rt, w.p("family_F"), app.id, ApplicationForm(address="越秀区北京街道文德路8号"))
    assert same.status == "approved" and same.version == approved.version  # nothing changed, nothing moves
    edited = applications.update_application(w.rt, w.p("family_F"), app.id, ApplicationForm(
        address="越秀区北京街道文德路10号", condition="行动不便"), expected_version=approved.version)
    assert (edited.status, edited.address, edited.condition, edited.review_note) == (
        "submitted", "越秀区北京街道文德路10号", "行动不便", "")
    with pytest.raises(Conflict) as stale:
        applications.update_application(w.rt, w.p("family_F"), app.id, ApplicationForm(address="x路1号"),
                                        expected_version=approved.version)
    assert stale.value.code == "CONCURRENT_UPDATE"
    with pytest.raises(ValidationFailed) as bad:
        applications.review_application(w.rt, w.p("admin_A"), app.id, approve=False, note="  ")
    assert field_codes(bad) == {("reason", "REQUIRED")}
    rejected = applications.review_application(w.rt, w.p("admin_A"), app.id, approve=False, note="缺少病历")
    assert (rejected.status, rejected.review_note) == ("rejected", "缺少病历")
    with pytest.raises(Conflict) as not_approved:
        w.sign(app.id)
    assert not_approved.value.code == "BED_APPLICATION_NOT_APPROVED"
    resubmitted = applications.attach_material(w.rt, w.p("family_F"), app.id, Upload("病历.pdf", PDF))
    assert resubmitted.status == "submitted"
    events = [e.name for e in applications.application_events(w.rt, w.p("admin_A"), app.id)]
    assert events == ["bed_application.submitted", "bed_application.approved", "bed_application.updated",
                      "bed_application.resubmitted", "bed_application.rejected", "bed_application.material_attached",
                      "bed_application.resubmitted"]


def test_proof_materials(backend: Container) -> None:
    """HB-01: PNG/JPG/PDF by content up to 10 MB, downloadable by the applicant and the institution only."""
    w = build(backend)
    app = applications.submit_application(w.rt, w.p("family_F"), _form(_token(w), 0))  # elder A, linked to F
    with_png = applications.attach_material(w.rt, w.p("family_F"), app.id, Upload("户口本.png", PNG))
    with_pdf = applications.attach_material(w.rt, w.p("family_F"), app.id, Upload("../../诊断证明.pdf", PDF))
    assert [(m.name, m.content_type, m.size) for m in with_pdf.materials] == [
        ("户口本.png", "image/png", len(PNG)), ("....诊断证明.pdf", "application/pdf", len(PDF))]
    assert len(with_png.materials) == 1
    png_key, pdf_key = (m.key for m in with_pdf.materials)
    for login in ("family_F", "admin_A"):
        ref, data = applications.material(w.rt, w.p(login), app.id, pdf_key)
        assert data == PDF and ref.content_type == "application/pdf"
    for login in ("admin_B", "elder_A", "staff_B"):
        with pytest.raises((NotFound, PermissionDenied)):
            applications.material(w.rt, w.p(login), app.id, png_key)
    with pytest.raises(ValidationFailed) as bad:
        applications.attach_material(w.rt, w.p("family_F"), app.id, Upload("伪装.png", b"MZ\x90\x00" + b"\x00" * 60))
    assert field_codes(bad) == {("file", "UNSUPPORTED_TYPE")}
    with pytest.raises(ValidationFailed) as bad:
        applications.attach_material(w.rt, w.p("family_F"), app.id, Upload("空.png", b""))
    assert field_codes(bad) == {("file", "EMPTY")}
    big = PNG + b"\x00" * (MAX_FILE_BYTES + 1 - len(PNG))
    with pytest.raises(ValidationFailed) as bad:
        applications.attach_material(w.rt, w.p("family_F"), app.id, Upload("大.png", big))
    assert field_codes(bad) == {("file", "TOO_LARGE")}
    at_limit = applications.attach_material(w.rt, w.p("family_F"), app.id, Upload("刚好.png", big[:MAX_FILE_BYTES]))
    assert len(at_limit.materials) == 3
    assert w.rt.files.get(png_key) == PNG
    removed = applications.remove_material(w.rt, w.p("family_F"), app.id, png_key)
    assert [m.key for m in removed.materials] == [pdf_key, at_limit.materials[2].key]
    assert w.rt.files.get(png_key) is None  # the removed scan is deleted, not merely unlisted
    assert w.rt.files.get(pdf_key) == PDF
    with pytest.raises(NotFound):
        applications.material(w.rt, w.p("admin_A"), app.id, png_key)
    with pytest.raises(NotFound):
        applications.remove_material(w.rt, w.p("family_F"), app.id, png_key)


def test_the_trail_masks_the_health_condition_and_names_no_materials(backend: Container) -> None:
    """HB-02/S-05: the audit events of an application say that the health condition and the proof materials
    changed, not what they are: condition as "***", materials as a count."""
    w = build(backend)
    app = applications.submit_application(w.rt, w.p("family_F"), _form(_token(w), 0, condition="脑卒中后遗症"))
    applications.update_application(w.rt, w.p("family_F"), app.id, ApplicationForm(condition="术后卧床"))
    with_pdf = applications.attach_material(w.rt, w.p("family_F"), app.id, Upload("诊断证明.pdf", PDF))
    applications.attach_material(w.rt, w.p("family_F"), app.id, Upload("户口本.png", PNG))
    applications.remove_material(w.rt, w.p("family_F"), app.id, with_pdf.materials[0].key)
    events = {e.name: e for e in applications.application_events(w.rt, w.p("admin_A"), app.id)}
    submitted = events["bed_application.submitted"].after or {}
    assert (submitted["condition"], submitted["materials"]) == ("***", 0)
    assert submitted["id_card_no"] != id_card(0)
    updated = events["bed_application.updated"]
    assert (updated.before, updated.after) == ({"condition": "***"}, {"condition": "***"})
    found = [(e.name, e.before, e.after) for e in applications.application_events(w.rt, w.p("admin_A"), app.id)
             if e.name.startswith("bed_application.material")]
    assert found == [("bed_application.material_attached", {"materials": 0}, {"materials": 1}),
                     ("bed_application.material_attached", {"materials": 1}, {"materials": 2}),
                     ("bed_application.material_removed", {"materials": 2}, {"materials": 1})]
    trail = repr([(e.before, e.after) for e in applications.application_events(w.rt, w.p("admin_A"), app.id)])
    for secret in ("脑卒中", "术后卧床", "诊断证明", "户口本"):
        assert secret not in trail


def test_signed_application_is_closed_and_withdrawal_needs_an_open_one(backend: Container) -> None:
    """HB-01/HB-03: a contract comes only from an approved application; once signed it can no longer change."""
    w = build(backend)
    submitted = applications.submit_application(w.rt, w.p("admin_A"), _form(None, 73))
    with pytest.raises(Conflict) as not_approved:
        w.sign(submitted.id)
    assert not_approved.value.code == "BED_APPLICATION_NOT_APPROVED"
    applications.review_application(w.rt, w.p("admin_A"), submitted.id, approve=True)
    contract_id = w.sign(submitted.id)
    signed = applications.get_application(w.rt, w.p("admin_A"), submitted.id)
    assert (signed.status, signed.contract_id) == ("signed", contract_id)
    assert signed.elder_id == contracts.get_contract(w.rt, w.p("admin_A"), contract_id).elder_id
    with pytest.raises(Conflict):
        w.sign(submitted.id)
    with pytest.raises(Conflict):
        applications.withdraw_application(w.rt, w.p("admin_A"), submitted.id, "不要了")
    with pytest.raises(Conflict) as closed:
        applications.attach_material(w.rt, w.p("admin_A"), submitted.id, Upload("a.png", PNG))
    assert closed.value.code == "BED_APPLICATION_NOT_EDITABLE"


def test_scopes_and_masking(backend: Container) -> None:
    """HB-02/S-04: other institutions see nothing; families and elders see only their own applications; lists
    are masked."""
    w = build(backend)
    by_family = applications.submit_application(w.rt, w.p("family_F"), _form(_token(w), 0))  # elder A, linked
    by_staff = applications.submit_application(w.rt, w.p("staff_A"), _form(None, 75))
    by_admin_b = applications.submit_application(w.rt, w.p("admin_B"), _form(None, 76, region_code="440106"))
    for ident in (by_family.id, by_staff.id):
        with pytest.raises(NotFound):
            applications.get_application(w.rt, w.p("admin_B"), ident)
        with pytest.raises(NotFound):
            applications.review_application(w.rt, w.p("admin_B"), ident, approve=True)
        with pytest.raises(NotFound):
            applications.withdraw_application(w.rt, w.p("staff_B"), ident)
    with pytest.raises(NotFound):
        applications.get_application(w.rt, w.p("family_F"), by_staff.id)
    with pytest.raises(NotFound):
        applications.get_application(w.rt, w.p("elder_A"), by_family.id)
    with pytest.raises(PermissionDenied):
        applications.review_application(w.rt, w.p("staff_A"), by_staff.id, approve=True)
    with pytest.raises(PermissionDenied):
        applications.review_application(w.rt, w.p("family_F"), by_family.id, approve=True)

    def listed(login: str, **kw: object) -> list[str]:
        page = applications.list_applications(w.rt, w.p(login), ALL, **kw)  # type: ignore[arg-type]
        assert all(a.masked and "*" in (a.id_card_no or "") and a.materials == [] for a in page.items)
        assert page.total == len(page.items)
        return sorted(a.id for a in page.items)

    assert listed("family_F") == [by_family.id]
    assert listed("elder_A") == []
    assert listed("admin_A") == sorted([by_family.id, by_staff.id])
    assert listed("staff_A") == sorted([by_family.id, by_staff.id])
    assert listed("admin_A1") == []
    assert listed("admin_B") == [by_admin_b.id]
    assert listed("operator") == sorted([by_family.id, by_staff.id, by_admin_b.id])
    applications.review_application(w.rt, w.p("admin_A"), by_staff.id, approve=True)
    assert listed("admin_A", status=ApplicationStatus.APPROVED) == [by_staff.id]
    assert listed("admin_A", keyword=by_family.number) == [by_family.id]
    # The detail reveals the ID number to the institution and to the applicant, masked for staff.
    assert applications.get_application(w.rt, w.p("admin_A"), by_family.id).id_card_no == id_card(0)
    assert applications.get_application(w.rt, w.p("family_F"), by_family.id).id_card_no == id_card(0)
    shown = applications.get_application(w.rt, w.p("staff_A"), by_family.id)
    assert shown.masked and shown.id_card_no != id_card(0) and "*" in (shown.id_card_no or "")
